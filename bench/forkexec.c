/*
 * forkexec.c — a fork-exec loop: the cost of starting processes, which is
 * what Ward's process monitoring adds to (bench/monitor.sh).
 *
 *   forkexec N [PROGRAM]    N times fork, exec PROGRAM (default /bin/true)
 *                           and wait; prints "execs=N secs=S execs_per_s=R
 *                           cpu_us_per_exec=C"
 *
 * C is the CPU time (user and system) of the loop and its children per
 * exec: where a monitor's cost lands in the starting processes' own
 * context (its tracepoints, the wake-ups they send), whether or not a CPU
 * sat idle meanwhile.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* User and system time of this process and its waited-for children. */
static double cpu_us(void)
{
    struct rusage s, c;
    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    struct timeval t[] = {s.ru_utime, s.ru_stime, c.ru_utime, c.ru_stime};
    double us = 0;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        us += (double)t[i].tv_sec * 1e6 + (double)t[i].tv_usec;
    return us;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    const char *prog = argc > 2 ? argv[2] : "/bin/true";
    if (n <= 0) {
        fprintf(stderr, "usage: forkexec N [PROGRAM]\n");
        return 2;
    }
    char *const args[] = {(char *)prog, NULL};
    char *const env[] = {NULL};
    struct timespec a, b;
    double cpu0 = cpu_us();
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            execve(prog, args, env);
            _exit(127);
        }
        int st;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "forkexec: %s failed\n", prog);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double cpu = cpu_us() - cpu0;
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("execs=%ld secs=%.3f execs_per_s=%.0f cpu_us_per_exec=%.1f\n", n, secs, (double)n / secs,
           cpu / (double)n);
    return 0;
}
