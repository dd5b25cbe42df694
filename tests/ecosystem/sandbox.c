/*
 * sandbox.c — runs a command under the seccomp filters systemd builds
 * from ward.service, for testing the unit's lines without systemd:
 *
 *   ward-sandbox [--syscalls NAME,...] [--families AF_X,...] [--mdwe] [--native]
 *                -- COMMAND [ARG...]
 *
 * --syscalls   SystemCallFilter=: only these system calls (the caller
 *              expands systemd's @groups with systemd-analyze); any other
 *              fails with EPERM (SystemCallErrorNumber=EPERM).
 * --families   RestrictAddressFamilies=: socket() of another family fails
 *              with EAFNOSUPPORT.
 * --mdwe       MemoryDenyWriteExecute=: no mapping both writable and
 *              executable, no mprotect() to executable (EPERM).
 * --native     SystemCallArchitectures=native: calls of other ABIs are
 *              killed (libseccomp's default: only the native one is added).
 * Sets no_new_privs (NoNewPrivileges=yes), as seccomp needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int family(const char *name)
{
    static const struct {
        const char *name;
        int af;
    } afs[] = {{"AF_UNIX", AF_UNIX},
               {"AF_INET", AF_INET},
               {"AF_INET6", AF_INET6},
               {"AF_NETLINK", AF_NETLINK},
               {"AF_PACKET", AF_PACKET}};
    for (size_t i = 0; i < sizeof(afs) / sizeof(afs[0]); i++)
        if (!strcmp(name, afs[i].name))
            return afs[i].af;
    return -1;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "ward-sandbox: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
    return 125;
}

int main(int argc, char **argv)
{
    char *syscalls = NULL, *families = NULL;
    int mdwe = 0, i;
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--syscalls") && i + 1 < argc)
            syscalls = argv[++i];
        else if (!strcmp(argv[i], "--families") && i + 1 < argc)
            families = argv[++i];
        else if (!strcmp(argv[i], "--mdwe"))
            mdwe = 1;
        else if (strcmp(argv[i], "--native"))
            return fprintf(stderr, "ward-sandbox: unknown option %s\n", argv[i]), 2;
    }
    if (i + 1 >= argc)
        return fprintf(stderr, "usage: ward-sandbox [OPTIONS] -- COMMAND [ARG...]\n"), 2;
    char **cmd = argv + i + 1;

    scmp_filter_ctx ctx = seccomp_init(syscalls ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW);
    if (!ctx)
        return fail("seccomp_init", ENOMEM);
    int rc;
    if (syscalls) {
        for (char *s = strtok(syscalls, ","); s; s = strtok(NULL, ",")) {
            int nr = seccomp_syscall_resolve_name(s);
            if (nr == __NR_SCMP_ERROR)
                continue; /* a name this architecture does not have */
            /* Restricted below: their rules go in with the checks. */
            if ((families && !strcmp(s, "socket")) ||
                (mdwe &&
                 (!strcmp(s, "mmap") || !strcmp(s, "mprotect") || !strcmp(s, "pkey_mprotect"))))
                continue;
            if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
                return fail(s, rc);
        }
    }
    if (families) {
        /* Allowed families pass; any other gets EAFNOSUPPORT. Rules on one
         * call are alternatives, so list the refused ones: all but these. */
        int allow[64] = {0};
        for (char *s = strtok(families, ","); s; s = strtok(NULL, ",")) {
            int af = family(s);
            if (af < 0 || af >= 64)
                return fprintf(stderr, "ward-sandbox: unknown family %s\n", s), 2;
            allow[af] = 1;
        }
        for (int af = 0; af < 64; af++) {
            if (allow[af] && !syscalls)
                continue; /* allowed already: the default */
            uint32_t act = allow[af] ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EAFNOSUPPORT);
            if ((rc = seccomp_rule_add(ctx, act, SCMP_SYS(socket), 1,
                                       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af))) < 0)
                return fail("socket", rc);
        }
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                   SCMP_A0(SCMP_CMP_GE, 64))) < 0)
            return fail("socket", rc);
    }
    if (mdwe) {
        const scmp_datum_t wx = PROT_WRITE | PROT_EXEC, x = PROT_EXEC;
        /* mmap: refused when both bits are set, else allowed (in a list of
         * allowed calls it must be let through explicitly). */
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx));
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mprotect), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, x, x));
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pkey_mprotect), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, x, x));
        if (syscalls) {
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, wx, 0));
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_WRITE));
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_EXEC));
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, x, 0));
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pkey_mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, x, 0));
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail("no_new_privs", errno);
    if ((rc = seccomp_load(ctx)) < 0)
        return fail("seccomp_load", rc);
    seccomp_release(ctx);
    execvp(cmd[0], cmd);
    return fail(cmd[0], errno);
}
