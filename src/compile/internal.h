/*
 * compile/internal.h — the compiler's parts (private to src/compile).
 */
#ifndef WARD_COMPILE_INTERNAL_H
#define WARD_COMPILE_INTERNAL_H

#include "compile/kcompile.h"

/* One program's table while it is laid out. */
struct kc_table {
    ward_kentry e[WARD_KC_MAX_ENTRIES];
    size_t n;
    /* Ports of the any-protocol rules laid so far:
     * they are laid for TCP and UDP, and the other protocols cannot be keyed
     * by them, so later entries must not answer those protocols otherwise. */
    uint16_t anyport[WARD_KC_MAX_ENTRIES];
    uint8_t anyport_v[WARD_KC_MAX_ENTRIES]; /* their verdicts */
    size_t n_anyport;
};

/* layout.c: the program's rules (as the engine holds them) into t; false
 * when the program must stay with wardd. */
bool kc_layout_app(const ward_engine *e, const ward_app_info *a, int64_t now, struct kc_table *t);

/* layout.c: a datagram socket is judged before its port is known: where a
 * port of its protocol does not allow, the protocol's port-less answer
 * becomes ASK. false when the table is full. */
bool kc_hold_datagrams(struct kc_table *t);

/* filters.c: what the connect-out filters could match. A program's table
 * must ASK wherever a filter that could match the program could match a
 * connection; apply() makes it so (after layout), false when it cannot
 * (the program then stays with wardd). */
struct kc_filters;
struct kc_filters *kc_filters_collect(const ward_engine *e); /* NULL: out of memory */
bool kc_filters_apply(const struct kc_filters *f, const ward_engine *e, const ward_app_info *a,
                      ward_exe_id exe, struct kc_table *t);
void kc_filters_free(struct kc_filters *f);

/* raw.c: raw sockets of the protocols the table allows on every port and
 * address (a full table lays none: they stay refused). After the filters. */
void kc_raw_entries(struct kc_table *t);
/* selfblock.c: the hard blocks of the host into out->blocks. 0 or
 * WARD_E_NOMEM. */
int kc_selfblock_compile(const ward_engine *e, const ward_kc_options *o, ward_kc_tables *out);

/* kcompile.c: the lookup order over a table being built. */
uint8_t kc_table_lookup(const ward_kentry *e, size_t n, uint8_t proto, uint8_t dir, uint16_t port,
                        uint8_t dflt);

#endif
