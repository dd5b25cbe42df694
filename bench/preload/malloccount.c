/*
 * malloccount.c — preloaded into a process (LD_PRELOAD), counts its calls
 * of malloc, calloc and realloc into the first 8 bytes of the file
 * $WARD_MALLOC_COUNT.PID, which another process reads while it runs
 * (bench/monitor.sh, WARD_BENCH_MALLOC=1). glibc's own calls (strdup,
 * asprintf, fopen) go through these too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static volatile uint64_t *calls;

__attribute__((constructor)) static void open_counter(void)
{
    const char *base = getenv("WARD_MALLOC_COUNT");
    char path[4096];
    if (!base || snprintf(path, sizeof(path), "%s.%d", base, (int)getpid()) >= (int)sizeof(path))
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    void *m = ftruncate(fd, 8) == 0 ? mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                                    : MAP_FAILED;
    close(fd);
    if (m != MAP_FAILED)
        calls = m;
}

void *malloc(size_t n)
{
    if (calls)
        (*calls)++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (calls)
        (*calls)++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (calls)
        (*calls)++;
    return __libc_realloc(p, n);
}
