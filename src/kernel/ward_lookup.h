/*
 * ward_lookup.h — the verdict table's lookup order, written once.
 *
 * A program's table answers (proto, port) in this order:
 *   1. (proto, port)   exact, when a port is known (port != 0)
 *   2. (proto, 0)      the protocol on any port
 *   3. (ANY, 0)        the program's default for every protocol
 *   4. the caller's default (the configured one: no entry for this program)
 * The BPF hooks (ward.bpf.c, over bpf_map_lookup_elem), the backend's
 * ward_kernel_program_lookup() (over the pinned map's fd) and the compiler's
 * in-memory tables (src/compile, its tests) all use this one definition, so
 * what the compiler lays out, what user space reports and what the kernel
 * does cannot drift apart.
 *
 * WARD_LOOKUP_DEFINE(name, ctx_type, get) defines
 *   static __u8 name(ctx_type ctx, __u64 dev, __u64 ino, __u8 proto, __u8 dir,
 *                    __u16 port, __u8 dflt);
 * where get(ctx, const struct ward_vkey *key) returns the entry's verdict, or
 * WARD_KV_NONE when there is no entry. A macro, not a function pointer: BPF
 * has no indirect calls, and each side inlines its own map access.
 */
#ifndef WARD_KERNEL_LOOKUP_H
#define WARD_KERNEL_LOOKUP_H

#include "ward_bpf.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define WARD_LOOKUP_DEFINE(name, ctx_type, get)                                                    \
    static __always_inline __u8 name(ctx_type ctx, __u64 dev, __u64 ino, __u8 proto, __u8 dir,     \
                                     __u16 port, __u8 dflt)                                        \
    {                                                                                              \
        struct ward_vkey k = {.dev = dev, .ino = ino, .port = port, .proto = proto, .dir = dir};   \
        __u8 v;                                                                                    \
        if (port) {                                                                                \
            v = get(ctx, &k);                                                                      \
            if (v != WARD_KV_NONE)                                                                 \
                return v;                                                                          \
        }                                                                                          \
        k.port = 0;                                                                                \
        v = get(ctx, &k);                                                                          \
        if (v != WARD_KV_NONE)                                                                     \
            return v;                                                                              \
        k.proto = WARD_KPROTO_ANY;                                                                 \
        v = get(ctx, &k);                                                                          \
        return v != WARD_KV_NONE ? v : dflt;                                                       \
    }

/*
 * A raw socket of protocol proto: its (proto, WARD_KDIR_RAW, 0) entry when
 * it allows or denies (the compiler lays one only where the program's rules
 * allow that protocol everywhere: a raw socket's packets meet no port
 * rule). Else the raw-socket key (WARD_KPROTO_RAW) in the order above, so
 * "allow out any" opens no raw socket. Protocol 0 and 255 (IPPROTO_RAW: any
 * header the program writes) have no entry of their own.
 *
 * WARD_RAW_LOOKUP_DEFINE(name, lookup, ctx_type, get) defines
 *   static __u8 name(ctx_type ctx, __u64 dev, __u64 ino, __u8 proto, __u8 dflt);
 * over get and a lookup made by WARD_LOOKUP_DEFINE over the same get.
 */
#define WARD_RAW_LOOKUP_DEFINE(name, lookup, ctx_type, get)                                        \
    static __always_inline __u8 name(ctx_type ctx, __u64 dev, __u64 ino, __u8 proto, __u8 dflt)    \
    {                                                                                              \
        if (proto != WARD_KPROTO_ANY && proto != WARD_KPROTO_RAW) {                                \
            struct ward_vkey k = {.dev = dev, .ino = ino, .proto = proto, .dir = WARD_KDIR_RAW};   \
            __u8 v = get(ctx, &k);                                                                 \
            if (v == WARD_KV_ALLOW || v == WARD_KV_DENY)                                           \
                return v;                                                                          \
        }                                                                                          \
        return lookup(ctx, dev, ino, WARD_KPROTO_RAW, WARD_KDIR_OUT, 0, dflt);                     \
    }

#endif /* WARD_KERNEL_LOOKUP_H */
