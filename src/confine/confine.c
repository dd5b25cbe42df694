/*
 * confine.c — a helper's privileges dropped and its system calls filtered
 * (confine.h).
 */
#define _GNU_SOURCE
#include "confine/confine.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int ward_drop_to_nobody(const char *who, void (*before_uid)(uid_t uid, gid_t gid))
{
    uid_t me = getuid();
    if (me != 0) {
        if (before_uid)
            before_uid(me, getgid());
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }
    const struct passwd *pw = getpwnam("nobody");
    uid_t uid = pw ? pw->pw_uid : 65534;
    gid_t gid = pw ? pw->pw_gid : 65534;
    int grouped = setgroups(0, NULL) == 0 && setresgid(gid, gid, gid) == 0;
    int err = errno;
    if (before_uid)
        before_uid(grouped ? uid : 0, grouped ? gid : getgid());
    if (grouped && setresuid(uid, uid, uid) < 0) {
        err = errno;
        grouped = 0;
    }
    if (!grouped) {
        if (err != EPERM) {
            errno = err;
            return -1;
        }
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct none[2] = {{0, 0, 0}, {0, 0, 0}};
        if (syscall(SYS_capset, &h, none) < 0)
            return -1;
        fprintf(stderr,
                "%s: no CAP_SETUID/CAP_SETGID to become nobody: runs as uid 0 without "
                "capabilities\n",
                who);
    }
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Set once the filter is loaded. LeakSanitizer's check at exit stops the
 * process's threads with ptrace, which the filter refuses: in a sanitizer
 * build a confined helper would end in a LeakSanitizer "fatal error"
 * instead of a check, so the check is off once confined (and on before). */
static bool confined;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFINE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(CONFINE_ASAN)
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return confined;
}
#endif

int ward_confine(const int *also, size_t n)
{
    static const int denied[] = {
        SCMP_SYS(execve),
        SCMP_SYS(execveat),
        SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv),
        SCMP_SYS(process_vm_writev),
        SCMP_SYS(kill),
        SCMP_SYS(mount),
        SCMP_SYS(umount2),
        SCMP_SYS(unshare),
        SCMP_SYS(setns),
        SCMP_SYS(bpf),
        SCMP_SYS(perf_event_open),
        SCMP_SYS(init_module),
        SCMP_SYS(finit_module),
        SCMP_SYS(kexec_load),
        SCMP_SYS(keyctl),
        SCMP_SYS(add_key),
        SCMP_SYS(request_key),
        SCMP_SYS(open_by_handle_at),
        SCMP_SYS(userfaultfd),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < sizeof(denied) / sizeof(*denied); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), also[i], 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    confined = rc == 0;
    return rc;
}
