/*
 * malloccount.c — preloaded into a process (LD_PRELOAD), counts its calls
 * of malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc
 * and memalign, from all of its threads, into the first 8 bytes of the
 * file $WARD_MALLOC_COUNT.PID, which another process reads while it runs
 * (bench/monitor.sh, WARD_BENCH_MALLOC=1). glibc's own calls (strdup,
 * asprintf, fopen) go through these too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

static uint64_t *calls;

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
        __atomic_store_n(&calls, (uint64_t *)m, __ATOMIC_RELEASE);
}

/* Threads allocate at once: the count is atomic. */
static void count(void)
{
    uint64_t *c = __atomic_load_n(&calls, __ATOMIC_ACQUIRE);
    if (c)
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    count();
    return __libc_realloc(p, bytes);
}

void *memalign(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    count();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
