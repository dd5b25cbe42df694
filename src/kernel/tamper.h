/*
 * kernel/tamper.h — attach rights over another process, as the kernel's
 * ptrace access check sees them (tamper.bpf.c), read from a BPF ring
 * buffer: the raw material of wardd's injection alerts.
 *
 * The BPF LSM hook is used where the kernel runs BPF LSM
 * (/sys/kernel/security/lsm names "bpf") and loads it, else the exit of
 * the system calls that take such rights (the sys_exit BTF tracepoint).
 * Attached for the life of the handle.
 */
#ifndef WARD_KERNEL_TAMPER_H
#define WARD_KERNEL_TAMPER_H

#include <stdint.h>

typedef struct ward_tamper ward_tamper;

enum ward_tamper_kind {
    WARD_TAMPER_PTRACE = 1,    /* ptrace(PTRACE_ATTACH / PTRACE_SEIZE) */
    WARD_TAMPER_VM_WRITE = 2,  /* process_vm_writev */
    WARD_TAMPER_MEM_WRITE = 3, /* /proc/PID/mem opened for writing */
    WARD_TAMPER_OTHER = 4,     /* another attach-level access (pidfd_getfd ...) */
    WARD_TAMPER_LOST = 5,      /* records were lost */
};
const char *ward_tamper_kind_name(enum ward_tamper_kind k);

typedef struct ward_tamper_event {
    enum ward_tamper_kind kind;
    uint32_t actor, target;
    uint64_t target_start; /* clock ticks after boot, as /proc/PID/stat; 0: not known */
} ward_tamper_event;

typedef void (*ward_tamper_fn)(const ward_tamper_event *ev, void *ctx);

/* Loads and attaches; *mechanism is set to "bpf-lsm" or
 * "tracepoint". 0 or a negative errno. */
int ward_tamper_open(ward_tamper **out, const char **mechanism);
void ward_tamper_close(ward_tamper *t);
int ward_tamper_fd(const ward_tamper *t);
/* Hands every waiting record that reads as a write or attach to fn (reads
 * of another process's memory are left out); returns how many records. */
int ward_tamper_read(ward_tamper *t, ward_tamper_fn fn, void *ctx);

#endif
