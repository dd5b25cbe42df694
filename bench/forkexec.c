/*
 * forkexec.c — a fork-exec loop: the cost of starting processes, which is
 * what Ward's process monitoring adds to (bench/monitor.sh).
 *
 *   forkexec N [PROGRAM]    N times fork, exec PROGRAM (default /bin/true)
 *                           and wait; prints "execs=N secs=S execs_per_s=R"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("execs=%ld secs=%.3f execs_per_s=%.0f\n", n, secs, (double)n / secs);
    return 0;
}
