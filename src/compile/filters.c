/*
 * filters.c — what the connect-out filters could match, per program.
 *
 * A filter's verdict is arbitrated with the application rules' (a soft
 * block above them, a block below them ...), which a per-program table
 * cannot express. But a filter that does not match a connection has no say
 * in it: the engine's answer is then the program's rules alone, which the
 * table holds. So each filter gets a reach — the keys (protocol, port) of
 * the connections it could match — and a program's table answers ASK for
 * every key in the reach of a filter that could match the program (wardd
 * decides those; a permit filter's keys that ALLOW keep it), and its own
 * rules everywhere else.
 *
 * What is known ahead narrows a reach: the program (app path, exact or
 * glob, an inode, the direction: evaluated with the engine's own
 * ward_cond_holds), the protocols and the remote ports, and encrypted-dns
 * (TCP and UDP to ports 443 and 853). Everything else (user, command line,
 * cgroup, domain, zone, time ...) is known only per connection, so it
 * narrows nothing, with one exception: a filter that holds only for
 * loopback remotes under "self-traffic pass". The hooks then let every
 * connect and send to the host out whatever the table says (and nft
 * accepts unmarked loopback), so a table's port keys decide nothing
 * there; only a datagram socket's birth does, judged before its
 * destination is known: held (marked), its datagrams to loopback are
 * queued. Such a filter's reach is the port-less key of its protocols but
 * TCP (whose sockets are judged at connect only). Under "self-traffic
 * rules" the hooks apply the table to loopback and nft queues what they
 * hold there, so a loopback filter reaches all its keys.
 *
 * Ports are keys only for TCP and UDP: for other protocols the hooks see a
 * socket's port where the engine sees 0 or an ICMP type, so a filter that
 * could match another protocol asks every port of it.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compile/internal.h"

#define PROTO_SET(s, p)  ((s)[(p) / 8] |= (uint8_t)(1u << ((p) % 8)))
#define PROTO_HAS(s, p)  (((s)[(p) / 8] >> ((p) % 8)) & 1u)
#define PROTO_DROP(s, p) ((s)[(p) / 8] &= (uint8_t) ~(1u << ((p) % 8)))

/* Past this many other protocols a filter's reach is "all but TCP and UDP". */
#define KC_MAX_WHOLE 8

/* One connect-out filter as far as it is known ahead of a connection. */
struct kc_shape {
    const ward_filter_def *f; /* its program conditions are evaluated per program */
    uint8_t protos[32];       /* the protocols it could match */
    const ward_range *ports;  /* the remote ports it could match (TCP and UDP); NULL: any */
    size_t n_ports;
    bool birth; /* only its datagram sockets' birth is the table's: UDP's port-less key */
};

/* An exact program a filter is bound to. */
struct kc_bound {
    const char *path;
    size_t shape;
};

struct kc_filters {
    struct kc_shape *shapes;
    size_t n, cap;
    size_t *wide; /* filters not bound to exact programs: they may match any */
    size_t n_wide, cap_wide;
    struct kc_bound *bound; /* sorted by path */
    size_t n_bound, cap_bound;
    bool self_rules; /* "self-traffic rules": the hooks apply tables to the host too */
    bool failed;     /* out of memory: every program stays with wardd */
};

static size_t range_count(const ward_range *r, size_t n, bool *zero)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].lo > r[i].hi || r[i].hi > 65535)
            return SIZE_MAX;
        *zero |= r[i].lo == 0;
        count += r[i].hi - r[i].lo + 1;
    }
    return count;
}

/* Whether every value of a condition names loopback remotes only. */
static bool loopback_only(const ward_cond *c)
{
    if (c->negate)
        return false;
    if (c->field == WARD_F_REMOTE_ZONE) {
        for (size_t i = 0; i < c->n; i++)
            if (strcmp(c->v.str[i], "loopback") != 0)
                return false;
        return c->n > 0;
    }
    if (c->field != WARD_F_REMOTE_ADDR)
        return false;
    ward_cidr lo4, lo6;
    ward_cidr_parse("127.0.0.0/8", &lo4);
    ward_cidr_parse("::1", &lo6);
    for (size_t i = 0; i < c->n; i++) {
        const ward_cidr *x = &c->v.cidr[i];
        bool in4 = x->plen >= lo4.plen && ward_cidr_contains(&lo4, &x->ip);
        bool in6 = x->plen == 128 && ward_cidr_contains(&lo6, &x->ip);
        if (!in4 && !in6)
            return false;
    }
    return c->n > 0;
}

/* The filter's reach, from the conditions that hold the same for every
 * connection of a key; false when it can match nothing outbound. */
static bool shape_of(const ward_filter_def *f, bool self_rules, struct kc_shape *s)
{
    *s = (struct kc_shape){.f = f};
    memset(s->protos, 0xff, sizeof(s->protos));
    size_t best = SIZE_MAX;
    bool local = false;
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        if (c->field == WARD_F_PROTO) {
            uint8_t in[32] = {0};
            for (size_t k = 0; k < c->n; k++)
                for (uint32_t p = c->v.range[k].lo; p <= c->v.range[k].hi && p < 256; p++)
                    PROTO_SET(in, p);
            for (size_t b = 0; b < sizeof(in); b++)
                s->protos[b] &= c->negate ? (uint8_t)~in[b] : in[b];
        } else if (c->field == WARD_F_ENCRYPTED_DNS && !c->negate) {
            /* Only TCP and UDP to ports 443 and 853 can be encrypted DNS. */
            static const ward_range encdns_ports[] = {{443, 443}, {853, 853}};
            uint8_t in[32] = {0};
            PROTO_SET(in, IPPROTO_TCP);
            PROTO_SET(in, IPPROTO_UDP);
            for (size_t b = 0; b < sizeof(in); b++)
                s->protos[b] &= in[b];
            if (2 < best) {
                best = 2;
                s->ports = encdns_ports;
                s->n_ports = 2;
            }
        } else if (c->field == WARD_F_REMOTE_PORT && !c->negate) {
            bool zero = false;
            size_t count = range_count(c->v.range, c->n, &zero);
            /* Port 0 is the kernel's "any port" key: it cannot name itself. */
            if (!zero && count < best && count <= WARD_KC_MAX_PORTS) {
                best = count;
                s->ports = c->v.range;
                s->n_ports = c->n;
            }
        }
        local |= loopback_only(c);
    }
    if (local && !self_rules) {
        /* The hooks pass connections to the host whatever the table says:
         * only a datagram socket's birth is decided by it (TCP sockets are
         * judged at connect). Ports are not known at birth. */
        PROTO_DROP(s->protos, IPPROTO_TCP);
        s->birth = true;
        s->ports = NULL;
        s->n_ports = 0;
    }
    PROTO_DROP(s->protos, WARD_KPROTO_RAW); /* raw sockets always ask */
    for (size_t b = 0; b < sizeof(s->protos); b++)
        if (s->protos[b])
            return true;
    return false;
}

/* The exact programs a filter is bound to, or NULL when it may match any. */
static const ward_cond *bound_to(const ward_filter_def *f)
{
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        if (c->field != WARD_F_APP_PATH || c->negate)
            continue;
        bool glob = false;
        for (size_t k = 0; k < c->n && !glob; k++)
            glob = strpbrk(c->v.str[k], "*?") != NULL;
        if (!glob)
            return c;
    }
    return NULL;
}

static bool grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = need * 2;
    void *p = realloc(*v, n * size);
    if (!p)
        return false;
    *v = p;
    *cap = n;
    return true;
}

static int note_filter(uint64_t id, const ward_filter_def *f, void *ctx)
{
    (void)id;
    struct kc_filters *t = ctx;
    struct kc_shape s;
    if (f->layer != WARD_LAYER_CONNECT_OUT || !shape_of(f, t->self_rules, &s))
        return 0;
    const ward_cond *b = bound_to(f);
    if (!grow((void **)&t->shapes, &t->cap, t->n + 1, sizeof(*t->shapes)) ||
        !grow((void **)&t->wide, &t->cap_wide, t->n_wide + 1, sizeof(*t->wide)) ||
        (b && !grow((void **)&t->bound, &t->cap_bound, t->n_bound + b->n, sizeof(*t->bound)))) {
        t->failed = true;
        return 1;
    }
    t->shapes[t->n] = s;
    if (b)
        for (size_t k = 0; k < b->n; k++)
            t->bound[t->n_bound++] = (struct kc_bound){b->v.str[k], t->n};
    else
        t->wide[t->n_wide++] = t->n;
    t->n++;
    return 0;
}

static int cmp_bound(const void *a, const void *b)
{
    const struct kc_bound *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->shape > y->shape) - (x->shape < y->shape);
}

struct kc_filters *kc_filters_collect(const ward_engine *e)
{
    struct kc_filters *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    ward_settings s;
    ward_engine_settings(e, &s);
    t->self_rules = s.self_traffic == WARD_SELF_RULES;
    ward_filter_foreach(e, note_filter, t);
    if (t->failed) {
        kc_filters_free(t);
        return NULL;
    }
    if (t->n_bound > 1)
        qsort(t->bound, t->n_bound, sizeof(*t->bound), cmp_bound);
    return t;
}

void kc_filters_free(struct kc_filters *t)
{
    if (!t)
        return;
    free(t->shapes);
    free(t->wide);
    free(t->bound);
    free(t);
}

/* ---- One program's reach --------------------------------------------------- */

struct kc_reach {
    uint8_t whole[32];                      /* protocols every port of which asks */
    bool others;                            /* every protocol but TCP and UDP asks */
    uint16_t ports[2][WARD_KC_MAX_ENTRIES]; /* TCP, UDP ports that ask */
    size_t n_ports[2];
    bool udp_birth; /* UDP's port-less key asks: datagram sockets held from birth */
};

/* Whether the filter's program conditions hold for this program. */
static bool matches_program(const ward_engine *e, const ward_filter_def *f, const ward_request *r)
{
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        bool known = c->field == WARD_F_APP_PATH || c->field == WARD_F_APP_ID ||
                     c->field == WARD_F_DIRECTION;
        if (known && !ward_cond_holds(e, c, r))
            return false;
    }
    return true;
}

static bool add_port(struct kc_reach *r, int which, uint16_t port)
{
    for (size_t i = 0; i < r->n_ports[which]; i++)
        if (r->ports[which][i] == port)
            return true;
    if (r->n_ports[which] == WARD_KC_MAX_ENTRIES)
        return false;
    r->ports[which][r->n_ports[which]++] = port;
    return true;
}

static void add_shape(struct kc_reach *r, const struct kc_shape *s)
{
    static const uint8_t tcp_udp[2] = {IPPROTO_TCP, IPPROTO_UDP};
    for (int w = 0; w < 2; w++) {
        if (!PROTO_HAS(s->protos, tcp_udp[w]))
            continue;
        if (s->birth) {
            r->udp_birth |= tcp_udp[w] == IPPROTO_UDP;
            continue;
        }
        bool whole = !s->ports;
        for (size_t k = 0; !whole && k < s->n_ports; k++)
            for (uint32_t p = s->ports[k].lo; !whole && p <= s->ports[k].hi; p++)
                whole = !add_port(r, w, (uint16_t)p);
        if (whole)
            PROTO_SET(r->whole, tcp_udp[w]);
    }
    size_t others = 0;
    for (unsigned p = 0; p < 256; p++)
        others += PROTO_HAS(s->protos, p) && p != IPPROTO_TCP && p != IPPROTO_UDP;
    /* Protocol 0 is the kernel's "any protocol" key. */
    if (others > KC_MAX_WHOLE || PROTO_HAS(s->protos, 0)) {
        r->others = true;
        return;
    }
    for (unsigned p = 1; p < 256; p++)
        if (PROTO_HAS(s->protos, p) && p != IPPROTO_TCP && p != IPPROTO_UDP)
            PROTO_SET(r->whole, p);
}

/* Sets the key's answer to ASK (adding the entry) unless it is keep
 * (WARD_KV_NONE: none is kept); false when full. */
static bool ask(struct kc_table *t, uint8_t proto, uint16_t port, uint8_t keep)
{
    if (keep != WARD_KV_NONE &&
        kc_table_lookup(t->e, t->n, proto, WARD_KDIR_OUT, port, WARD_KV_NONE) == keep)
        return true;
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].proto == proto && t->e[i].dir == WARD_KDIR_OUT && t->e[i].port == port) {
            t->e[i].verdict = WARD_KV_ASK;
            return true;
        }
    if (t->n == WARD_KC_MAX_ENTRIES)
        return false;
    t->e[t->n++] = (ward_kentry){proto, WARD_KDIR_OUT, port, WARD_KV_ASK, 0};
    return true;
}

/* Every answer but keep for a protocol (or, with others, for every
 * protocol but TCP and UDP) becomes ASK; the answers of the rest stay as
 * they were. */
static bool ask_whole(struct kc_table *t, const struct kc_reach *r, uint8_t keep)
{
    for (size_t i = 0; i < t->n; i++) {
        uint8_t p = t->e[i].proto;
        bool other = p != IPPROTO_TCP && p != IPPROTO_UDP && p != WARD_KPROTO_ANY;
        if ((PROTO_HAS(r->whole, p) || (r->others && other)) && t->e[i].verdict != keep)
            t->e[i].verdict = WARD_KV_ASK;
    }
    for (unsigned p = 1; p < 256; p++)
        if (PROTO_HAS(r->whole, p) && !ask(t, (uint8_t)p, 0, keep))
            return false;
    if (!r->others ||
        kc_table_lookup(t->e, t->n, WARD_KPROTO_ANY, WARD_KDIR_OUT, 0, WARD_KV_NONE) == keep)
        return true;
    /* (any protocol) answers the others; TCP and UDP keep their answers
     * through keys of their own. */
    static const uint8_t tcp_udp[2] = {IPPROTO_TCP, IPPROTO_UDP};
    for (int w = 0; w < 2; w++) {
        uint8_t v = kc_table_lookup(t->e, t->n, tcp_udp[w], WARD_KDIR_OUT, 0, WARD_KV_NONE);
        bool has = false;
        for (size_t i = 0; i < t->n && !has; i++)
            has = t->e[i].proto == tcp_udp[w] && t->e[i].dir == WARD_KDIR_OUT && !t->e[i].port;
        if (has || v == WARD_KV_NONE)
            continue;
        if (t->n == WARD_KC_MAX_ENTRIES)
            return false;
        t->e[t->n++] = (ward_kentry){tcp_udp[w], WARD_KDIR_OUT, 0, v, 0};
    }
    return ask(t, WARD_KPROTO_ANY, 0, WARD_KV_NONE);
}

/* The reach into the table: its keys ask, but those answering keep. */
static bool ask_reach(struct kc_table *t, const struct kc_reach *r, uint8_t keep)
{
    static const uint8_t tcp_udp[2] = {IPPROTO_TCP, IPPROTO_UDP};
    if (!ask_whole(t, r, keep))
        return false;
    for (int w = 0; w < 2; w++)
        for (size_t k = 0; k < r->n_ports[w]; k++)
            if (!ask(t, tcp_udp[w], r->ports[w][k], keep))
                return false;
    return !r->udp_birth || ask(t, IPPROTO_UDP, 0, keep);
}

static bool reach_all(const struct kc_reach *r)
{
    return r->others && PROTO_HAS(r->whole, IPPROTO_TCP) && PROTO_HAS(r->whole, IPPROTO_UDP);
}

static const struct kc_bound *first_bound(const struct kc_filters *f, const char *path)
{
    size_t lo = 0, hi = f->n_bound;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(f->bound[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->n_bound && !strcmp(f->bound[lo].path, path) ? &f->bound[lo] : NULL;
}

/* A permit filter's match cannot turn the engine's permit into anything
 * else (every sublayer that speaks then permits), so the keys of its reach
 * that ALLOW keep their answer; it must overturn a DENY there, so those
 * ask. Block and callout filters ask every key of theirs (the hooks pass a
 * ping socket denied at birth to the host under "self-traffic pass", so a
 * block's DENY is not kept), and so do the birth reaches of loopback
 * filters. */
bool kc_filters_apply(const struct kc_filters *f, const ward_engine *e, const ward_app_info *a,
                      ward_exe_id exe, struct kc_table *t)
{
    struct kc_reach *r = calloc(2, sizeof(*r)); /* [0]: every key asks; [1]: permits */
    if (!r)
        return false;
    ward_request req = {.layer = WARD_LAYER_CONNECT_OUT, .dir = WARD_DIR_OUT};
    req.app.path = a->path;
    req.app.exe = exe;
    bool any[2] = {false, false};
    const struct kc_bound *b = first_bound(f, a->path);
    size_t n_bound = 0;
    while (b && b + n_bound < f->bound + f->n_bound && !strcmp(b[n_bound].path, a->path))
        n_bound++;
    for (size_t i = 0; i < f->n_wide + n_bound; i++) {
        const struct kc_shape *s = &f->shapes[i < f->n_wide ? f->wide[i] : b[i - f->n_wide].shape];
        if (!matches_program(e, s->f, &req))
            continue;
        int permit = s->f->action == WARD_ACT_PERMIT && !s->birth;
        add_shape(&r[permit], s);
        any[permit] = true;
    }
    bool ok = !any[0] || (!reach_all(&r[0]) && ask_reach(t, &r[0], WARD_KV_NONE));
    ok = ok && (!any[1] || ask_reach(t, &r[1], WARD_KV_ALLOW));
    /* A datagram socket, judged before its port is known, must not be let
     * out where a port of its protocol now asks. */
    ok = ok && (!(any[0] || any[1]) || kc_hold_datagrams(t));
    free(r);
    return ok;
}
