/*
 * compile/kcompile.h — the engine's state as the kernel's per-program
 * verdict tables: one truth from policy to kernel.
 *
 * The compiler reads the engine through its public API only and makes no
 * system calls: turning a program's path into the (dev, inode) the hooks see
 * is the caller's resolver. wardd and ward-kdrv program what it returns with
 * ward_kernel_program_set(); the tests answer it with ward_kc_lookup(), which
 * is the hooks' own lookup order (kernel/ward_lookup.h).
 *
 * Only what is provably the engine's own answer goes down (docs/KERNEL.md,
 * "The lookup order and the compiler"): ALLOW where the engine permits, DENY
 * where it blocks (the hook passes the host's own addresses as the engine's
 * step 3 does, unless self traffic is decided by the rules), an explicit ASK
 * where wardd must decide. A compiled table always answers; programs
 * without one get the configured default.
 */
#ifndef WARD_COMPILE_KCOMPILE_H
#define WARD_COMPILE_KCOMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/backend.h"
#include "ward/engine.h"

/* A rule's port list may name at most this many ports to be laid out. */
#define WARD_KC_MAX_PORTS   64
#define WARD_KC_MAX_ENTRIES 256

/* The executable the hooks will see for a program path: 0, or non-zero when
 * it cannot be resolved (the program then stays with wardd). The kernel
 * keys tables by executable and the engine by name, so a resolver refuses a
 * path that is not the executable's one canonical name. */
typedef int (*ward_kc_resolve_fn)(void *ctx, const char *path, ward_exe_id *out);

/* The file system's answer (resolve.c): stat(2) of a canonical path that is
 * the file's only name. */
int ward_kc_resolve_path(void *ctx, const char *path, ward_exe_id *out);

typedef struct ward_kc_options {
    bool prompter; /* a prompter is registered now */
    int64_t now;   /* unix seconds: rules timed out by then are left out, as
                    * the engine leaves them out */
    ward_kc_resolve_fn resolve;
    void *resolve_ctx;
} ward_kc_options;

/* One program's table. */
typedef struct ward_kc_program {
    ward_exe_id exe;
    uint64_t app_id;
    const char *path; /* points into the engine: valid until it next changes */
    ward_kentry *e;
    size_t n;
} ward_kc_program;

typedef struct ward_kc_tables {
    ward_kc_program *progs;
    size_t n;
    size_t entries; /* the sum of progs[i].n */
    /* An administrator's hard blocks of the host itself, which hold
     * whatever self-traffic says (selfblock.c): DENY entries of the
     * WARD_KDIR_SELF_* directions, per executable (app_id 0; exe 0/0: every
     * program's). Programmed together with the executable's table in progs,
     * if it has one: ward_kc_foreach. */
    ward_kc_program *blocks;
    size_t n_blocks;
} ward_kc_tables;

/* Compiles every program that can be compiled into *out (programs that stay
 * with wardd are absent). Returns 0 or WARD_E_NOMEM (then *out is empty). */
int ward_kc_compile(const ward_engine *e, const ward_kc_options *o, ward_kc_tables *out);
void ward_kc_tables_free(ward_kc_tables *t);

/* Each executable's whole table, its program's entries and its blocks of
 * the host joined (path: the program's, or of the blocks; app_id 0 when it
 * has only blocks). Stops at fn's first non-zero answer and returns it. */
typedef int (*ward_kc_each_fn)(void *ctx, const ward_kc_program *p);
int ward_kc_foreach(const ward_kc_tables *t, ward_kc_each_fn fn, void *ctx);

/* The program's table for exe, or NULL. */
const ward_kc_program *ward_kc_find(const ward_kc_tables *t, ward_exe_id exe);

/* What the hooks answer for exe from these tables (dflt: the configured
 * default, for programs and ports without an entry); enum ward_kv. port 0
 * asks without a port, as a datagram socket's creation does. */
uint8_t ward_kc_lookup(const ward_kc_tables *t, ward_exe_id exe, uint8_t proto, uint8_t dir,
                       uint16_t port, uint8_t dflt);
/* What the socket-creation hook answers for a raw socket of proto (dflt:
 * the configured raw default); anything but ALLOW refuses it. */
uint8_t ward_kc_raw_lookup(const ward_kc_tables *t, ward_exe_id exe, uint8_t proto, uint8_t dflt);

/* What the hooks answer for a connect or send of exe to the host itself
 * (loop: a loopback destination; host: one of the host's addresses) from
 * the blocks of these tables, as ward.bpf.c's self_blocked: WARD_KV_DENY
 * or WARD_KV_NONE. */
uint8_t ward_kc_self_lookup(const ward_kc_tables *t, ward_exe_id exe, uint8_t proto, uint16_t port,
                            bool loop, bool host);

#endif /* WARD_COMPILE_KCOMPILE_H */
