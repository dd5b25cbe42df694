/*
 * selfblock.c — an administrator's hard block of connections to the host
 * itself, as DENY entries the hooks apply before they let the host through.
 *
 * The engine evaluates the filters' sublayers before the applications'
 * decision order, whose step 3 passes the host's own addresses (with
 * "self-traffic pass") or hands them to the program's rules: a hard block
 * filter that matches is final either way. The hooks, though, let a
 * connect or send to the host out (pass) or apply only the program's table
 * (rules), so such a filter needs entries of its own: (protocol, port) keys
 * under the directions WARD_KDIR_SELF_LOOP (loopback) and
 * WARD_KDIR_SELF_HOST (the host's addresses), all DENY.
 *
 * Only what is surely the engine's block goes down:
 *   - the filter is a hard block of the connect-out layer, lasting until
 *     something wardd follows removes it (not timed, not once);
 *   - every condition is known ahead: the program (path, glob, inode),
 *     direction, protocol, remote ports (at most 64, not port 0) and the
 *     remote zones loopback, self and any;
 *   - no filter evaluated before it that could match the program and one of
 *     its protocols says anything but a hard block (a permit would win, a
 *     soft block could be overturned by a lower sublayer).
 * A filter without program conditions holds for every program (key dev 0,
 * ino 0) when no earlier filter could shadow it at all; else each program
 * of the policy that it matches gets its own entries.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compile/internal.h"

#define PROTO_SET(s, p) ((s)[(p) / 8] |= (uint8_t)(1u << ((p) % 8)))
#define PROTO_HAS(s, p) (((s)[(p) / 8] >> ((p) % 8)) & 1u)

/* More entries than this for one executable: the rest are not laid. */
#define SB_MAX_ENTRIES 128

enum { SB_LOOP = 1, SB_HOST = 2 };

/* A connect-out filter in evaluation order. */
struct sb_filter {
    const ward_filter_def *f;
    uint64_t id;
    uint8_t protos[32]; /* the protocols it could match */
    bool block;         /* a hard block the kernel can apply */
    bool any_program;   /* no program conditions */
    const ward_range *ports;
    size_t n_ports;
    uint8_t where; /* SB_LOOP | SB_HOST */
};

struct sb_list {
    struct sb_filter *v;
    size_t n, cap;
    bool failed;
};

static bool program_field(enum ward_field f)
{
    return f == WARD_F_APP_PATH || f == WARD_F_APP_ID || f == WARD_F_DIRECTION;
}

/* The protocols a filter could match (its protocol conditions). */
static void protos_of(const ward_filter_def *f, uint8_t out[32])
{
    memset(out, 0xff, 32);
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        if (c->field != WARD_F_PROTO)
            continue;
        uint8_t in[32] = {0};
        for (size_t k = 0; k < c->n; k++)
            for (uint32_t p = c->v.range[k].lo; p <= c->v.range[k].hi && p < 256; p++)
                PROTO_SET(in, p);
        for (size_t b = 0; b < 32; b++)
            out[b] &= c->negate ? (uint8_t)~in[b] : in[b];
    }
}

/* Whether the kernel can apply the hard block f to the host, and where. */
static bool kernel_block(const ward_filter_def *f, struct sb_filter *s)
{
    if (f->action != WARD_ACT_BLOCK || !f->hard || f->lifetime.kind == WARD_LIFE_TIMED ||
        f->lifetime.kind == WARD_LIFE_ONCE)
        return false;
    s->where = SB_LOOP | SB_HOST;
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        if (program_field(c->field) || c->field == WARD_F_PROTO)
            continue;
        if (c->negate)
            return false;
        if (c->field == WARD_F_REMOTE_PORT) {
            size_t count = 0;
            for (size_t k = 0; k < c->n; k++) {
                if (c->v.range[k].lo == 0 || c->v.range[k].lo > c->v.range[k].hi ||
                    c->v.range[k].hi > 65535)
                    return false;
                count += c->v.range[k].hi - c->v.range[k].lo + 1;
            }
            if (s->ports || count > WARD_KC_MAX_PORTS || !c->n)
                return false;
            s->ports = c->v.range;
            s->n_ports = c->n;
        } else if (c->field == WARD_F_REMOTE_ZONE) {
            uint8_t w = 0;
            for (size_t k = 0; k < c->n; k++) {
                const char *z = c->v.str[k];
                if (!strcmp(z, "loopback"))
                    w |= SB_LOOP;
                else if (!strcmp(z, "self"))
                    w |= SB_HOST;
                else if (!strcmp(z, "any"))
                    w |= SB_LOOP | SB_HOST;
                else
                    return false; /* a zone that may hold the host's addresses in part */
            }
            s->where &= w;
        } else {
            return false; /* known only per connection */
        }
    }
    return s->where != 0;
}

static int note(uint64_t id, const ward_filter_def *f, void *ctx)
{
    struct sb_list *l = ctx;
    if (f->layer != WARD_LAYER_CONNECT_OUT)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct sb_filter *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->failed = true;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct sb_filter *s = &l->v[l->n++];
    *s = (struct sb_filter){.f = f, .id = id, .any_program = true};
    protos_of(f, s->protos);
    for (size_t i = 0; i < f->n_conds; i++)
        s->any_program &= !program_field(f->conds[i].field);
    s->block = id < WARD_KRULE_FILTER && kernel_block(f, s);
    return 0;
}

/* Whether the filter's program conditions hold for the program (NULL: for
 * some program, unknown which). */
static bool for_program(const ward_engine *e, const ward_filter_def *f, const ward_request *r)
{
    if (!r)
        return true;
    for (size_t i = 0; i < f->n_conds; i++)
        if (program_field(f->conds[i].field) && !ward_cond_holds(e, &f->conds[i], r))
            return false;
    return true;
}

static bool protos_meet(const uint8_t a[32], const uint8_t b[32])
{
    for (size_t i = 0; i < 32; i++)
        if (a[i] & b[i])
            return true;
    return false;
}

/* Whether a filter before l->v[at] that could match the program (NULL: any)
 * could decide otherwise than a hard block. */
static bool shadowed(const ward_engine *e, const struct sb_list *l, size_t at,
                     const ward_request *r)
{
    const struct sb_filter *s = &l->v[at];
    for (size_t i = 0; i < at; i++) {
        const struct sb_filter *g = &l->v[i];
        bool hard_block = g->f->action == WARD_ACT_BLOCK && g->f->hard;
        if (!hard_block && protos_meet(g->protos, s->protos) && for_program(e, g->f, r))
            return true;
    }
    return false;
}

static bool add(ward_kc_program *p, uint8_t proto, uint8_t dir, uint16_t port, uint32_t rule)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->e[i].proto == proto && p->e[i].dir == dir && p->e[i].port == port)
            return true;
    if (p->n == SB_MAX_ENTRIES)
        return false;
    p->e[p->n++] = (ward_kentry){proto, dir, port, WARD_KV_DENY, rule};
    return true;
}

/* The filter's keys into p (as far as they fit). */
static void lay(const struct sb_filter *s, ward_kc_program *p)
{
    static const uint8_t dirs[2] = {WARD_KDIR_SELF_LOOP, WARD_KDIR_SELF_HOST};
    uint32_t rule = WARD_KRULE_FILTER | (uint32_t)s->id;
    bool all = true;
    for (size_t b = 0; b < 32; b++)
        all &= s->protos[b] == 0xff;
    for (int w = 0; w < 2; w++) {
        if (!(s->where & (w ? SB_HOST : SB_LOOP)))
            continue;
        if (s->ports) {
            /* Ports are keys for TCP and UDP only (docs/KERNEL.md). */
            static const uint8_t tcp_udp[2] = {IPPROTO_TCP, IPPROTO_UDP};
            for (int t = 0; t < 2; t++) {
                if (!PROTO_HAS(s->protos, tcp_udp[t]))
                    continue;
                for (size_t k = 0; k < s->n_ports; k++)
                    for (uint32_t port = s->ports[k].lo; port <= s->ports[k].hi; port++)
                        if (!add(p, tcp_udp[t], dirs[w], (uint16_t)port, rule))
                            return;
            }
        } else if (all) {
            if (!add(p, WARD_KPROTO_ANY, dirs[w], 0, rule))
                return;
        } else {
            /* Protocol 0 is the "any protocol" key, 255 the raw socket's. */
            for (unsigned proto = 1; proto < WARD_KPROTO_RAW; proto++)
                if (PROTO_HAS(s->protos, proto) && !add(p, (uint8_t)proto, dirs[w], 0, rule))
                    return;
        }
    }
}

/* One executable's blocks: those of every filter that holds for r (NULL:
 * every program, filters without program conditions only). */
static int one(const ward_engine *e, const struct sb_list *l, const ward_request *r,
               ward_exe_id exe, const char *path, ward_kc_tables *out)
{
    ward_kc_program p = {.exe = exe, .path = path};
    for (size_t i = 0; i < l->n; i++) {
        const struct sb_filter *s = &l->v[i];
        if (!s->block || (!r && !s->any_program) || !for_program(e, s->f, r) ||
            shadowed(e, l, i, r))
            continue;
        if (!p.e && !(p.e = malloc(SB_MAX_ENTRIES * sizeof(*p.e))))
            return WARD_E_NOMEM;
        lay(s, &p);
    }
    if (!p.n) {
        free(p.e);
        return 0;
    }
    ward_kc_program *v = realloc(out->blocks, (out->n_blocks + 1) * sizeof(*v));
    if (!v) {
        free(p.e);
        return WARD_E_NOMEM;
    }
    out->blocks = v;
    out->blocks[out->n_blocks++] = p;
    return 0;
}

static bool seen(const ward_kc_tables *t, ward_exe_id exe)
{
    for (size_t i = 0; i < t->n_blocks; i++)
        if (t->blocks[i].exe.dev == exe.dev && t->blocks[i].exe.ino == exe.ino)
            return true;
    return false;
}

static int program(const ward_engine *e, const struct sb_list *l, const ward_kc_options *o,
                   const char *path, ward_kc_tables *out)
{
    ward_exe_id exe;
    if (!o->resolve || o->resolve(o->resolve_ctx, path, &exe) || (!exe.dev && !exe.ino) ||
        seen(out, exe))
        return 0;
    ward_request r = {.layer = WARD_LAYER_CONNECT_OUT, .dir = WARD_DIR_OUT};
    r.app.path = path;
    r.app.exe = exe;
    return one(e, l, &r, exe, path, out);
}

int kc_selfblock_compile(const ward_engine *e, const ward_kc_options *o, ward_kc_tables *out)
{
    struct sb_list l = {0};
    ward_filter_foreach(e, note, &l);
    int rc = l.failed ? WARD_E_NOMEM : 0;
    bool any = false;
    for (size_t i = 0; i < l.n; i++)
        any |= l.v[i].block;
    if (!rc && any)
        rc = one(e, &l, NULL, (ward_exe_id){0, 0}, "*", out);
    /* The policy's programs, and those the filters name. */
    for (size_t i = 0; !rc && any && i < ward_app_count(e); i++) {
        ward_app_info a;
        if (ward_app_at(e, i, &a) == 0)
            rc = program(e, &l, o, a.path, out);
    }
    for (size_t i = 0; !rc && i < l.n; i++) {
        const ward_filter_def *f = l.v[i].f;
        for (size_t c = 0; l.v[i].block && !rc && c < f->n_conds; c++) {
            const ward_cond *cond = &f->conds[c];
            if (cond->field != WARD_F_APP_PATH || cond->negate)
                continue;
            for (size_t k = 0; !rc && k < cond->n; k++)
                if (!strpbrk(cond->v.str[k], "*?"))
                    rc = program(e, &l, o, cond->v.str[k], out);
        }
    }
    free(l.v);
    return rc;
}
