/* kcgen.c — see kcgen.h. */
#include "kcgen.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

const char *const kc_paths[KC_N_PATHS] = {"/usr/bin/curl", "/usr/bin/ssh", "/usr/bin/dig",
                                          "/opt/a/bin/x",  "/opt/b/bin/x", "/usr/bin/nc"};

static const uint16_t port_pool[] = {22, 53, 80, 443, 8080, 5353, 1, 65535, 81, 54};

ward_exe_id kc_exe_of(const struct kc_fs *fs, size_t i)
{
    if (fs->linked && i == 4)
        i = 3;
    return (ward_exe_id){7, 100 + i};
}

int kc_resolve(void *ctx, const char *path, ward_exe_id *out)
{
    const struct kc_fs *fs = ctx;
    for (size_t i = 0; i < KC_N_PATHS; i++)
        if (!strcmp(path, kc_paths[i])) {
            if ((i == 5 && fs->nc_missing) || (fs->linked && (i == 3 || i == 4)))
                return -1;
            *out = kc_exe_of(fs, i);
            return 0;
        }
    return -1;
}

static uint8_t rand_proto(struct bytes *b)
{
    static const uint8_t pool[] = {IPPROTO_TCP, IPPROTO_TCP,  IPPROTO_UDP, IPPROTO_UDP,
                                   0,           IPPROTO_ICMP, 132,         255};
    return rp_u32(b, 10) ? pool[rp_u32(b, sizeof(pool))] : (uint8_t)rp_u32(b, 256);
}

static void rand_port_range(struct bytes *b, ward_range *r)
{
    uint32_t lo = rp_u32(b, 8) ? port_pool[rp_u32(b, sizeof(port_pool) / 2)] : rp_u32(b, 70000);
    uint32_t w = rp_u32(b, 10) ? rp_u32(b, 3) : rp_u32(b, 100);
    r->lo = lo > 65535 ? 65535 : lo;
    r->hi = r->lo + w > 65535 ? 65535 : r->lo + w;
}

static void add_rules(ward_engine *e, struct bytes *b, uint64_t app)
{
    size_t n = rp_u32(b, 7);
    for (size_t i = 0; i < n; i++) {
        ward_range pr[3];
        size_t np = rp_u32(b, 2) ? 0 : 1 + rp_u32(b, 3);
        for (size_t k = 0; k < np; k++)
            rand_port_range(b, &pr[k]);
        ward_time_window tw = {WARD_DAYS_WEEKDAYS, 8 * 60, 18 * 60};
        const char *zone = rp_u32(b, 2) ? "lan" : "internet";
        ward_cidr net;
        ward_cidr_parse("93.184.0.0/16", &net);
        const char *dom = "example.com";
        static const enum ward_direction dirs[] = {WARD_DIR_OUT, WARD_DIR_OUT, WARD_DIR_OUT,
                                                   WARD_DIR_ANY, WARD_DIR_IN};
        ward_app_rule r = {
            .dir = dirs[rp_u32(b, 5)],
            .proto = rand_proto(b),
            .ports = pr,
            .n_ports = np,
            .times = &tw,
            .n_times = rp_u32(b, 40) == 0,
            .zones = &zone,
            .n_zones = rp_u32(b, 40) == 0,
            .addrs = &net,
            .n_addrs = rp_u32(b, 40) == 0,
            .domains = &dom,
            .n_domains = rp_u32(b, 40) == 0,
            .action = rp_u32(b, 2) ? WARD_ACT_PERMIT : WARD_ACT_BLOCK,
            .provider = WARD_PROVIDER_ADMIN,
        };
        switch (rp_u32(b, 20)) {
        case 0:
            r.lifetime = (ward_lifetime){.kind = WARD_LIFE_TIMED, .expires = KC_NOW - 1};
            break;
        case 1:
            r.lifetime = (ward_lifetime){.kind = WARD_LIFE_TIMED, .expires = KC_NOW + 60};
            break;
        case 2:
            r.lifetime = (ward_lifetime){.kind = WARD_LIFE_ONCE};
            break;
        default:
            r.lifetime = (ward_lifetime){.kind = WARD_LIFE_PERSISTENT};
        }
        ward_app_rule_append(e, app, &r);
    }
}

/* One condition of a connect-out filter, drawn from what the compiler must
 * see through (program globs and inodes, protocols, ports, loopback) and
 * what it cannot know ahead (user, command line, domain, zones, cgroup,
 * interface, digest, time). */
static void rand_cond(struct bytes *b, ward_cond *c, const char **str, ward_range *rng,
                      ward_cidr *cidr, ward_exe_id *exe, ward_sha256 *sha, ward_time_window *tw)
{
    static const char *const globs[] = {"/opt/*/bin/x", "/usr/bin/*", "*ss*", "/usr/bin/c?rl"};
    static const char *const cmds[] = {"curl *", "* --upload *", "ssh*"};
    static const char *const zones[] = {"loopback", "lan", "internet", "self"};
    static const char *const nets[] = {"127.0.0.0/8", "::1", "127.0.0.1", "10.0.0.0/8",
                                       "0.0.0.0/0"};
    static const char *const cgroups[] = {"/system.slice", "/user.slice/app"};
    static const char *const ifaces[] = {"eth0", "wlan0"};
    memset(c, 0, sizeof(*c));
    c->negate = rp_u32(b, 5) == 0;
    c->n = 1 + rp_u32(b, 3);
    unsigned kind = rp_u32(b, 13);
    static const enum ward_field fields[13] = {
        WARD_F_APP_PATH,    WARD_F_APP_PATH, WARD_F_PROTO,   WARD_F_PROTO,       WARD_F_REMOTE_PORT,
        WARD_F_REMOTE_PORT, WARD_F_UID,      WARD_F_CMDLINE, WARD_F_REMOTE_ZONE, WARD_F_REMOTE_ADDR,
        WARD_F_CGROUP,      WARD_F_APP_ID,   WARD_F_TIME};
    c->field = fields[kind];
    if (kind == 8 && rp_u32(b, 2))
        c->field = WARD_F_REMOTE_DOMAIN;
    if (kind == 10 && rp_u32(b, 2))
        c->field = WARD_F_IFACE;
    if (kind == 11 && rp_u32(b, 2))
        c->field = WARD_F_APP_SHA256;
    if (kind == 12 && rp_u32(b, 2))
        c->field = WARD_F_DIRECTION;
    for (size_t k = 0; k < c->n; k++) {
        switch (c->field) {
        case WARD_F_APP_PATH:
            str[k] = rp_u32(b, 2) ? kc_paths[rp_u32(b, KC_N_PATHS)] : globs[rp_u32(b, 4)];
            break;
        case WARD_F_PROTO:
            rng[k].lo = rng[k].hi = rp_u32(b, 4) ? (rp_u32(b, 2) ? 6 : 17) : rp_u32(b, 256);
            if (rp_u32(b, 6) == 0)
                rng[k].hi = rng[k].lo + rp_u32(b, 40) > 255 ? 255 : rng[k].lo + rp_u32(b, 40);
            break;
        case WARD_F_REMOTE_PORT:
            rand_port_range(b, &rng[k]);
            if (rp_u32(b, 8) == 0)
                rng[k].lo = 0;
            break;
        case WARD_F_UID:
            rng[k].lo = rng[k].hi = rp_u32(b, 3) * 1000;
            break;
        case WARD_F_CMDLINE:
            str[k] = cmds[rp_u32(b, 3)];
            break;
        case WARD_F_REMOTE_ZONE:
            str[k] = zones[rp_u32(b, 4)];
            break;
        case WARD_F_REMOTE_DOMAIN:
            str[k] = "example.com";
            break;
        case WARD_F_REMOTE_ADDR:
            ward_cidr_parse(nets[rp_u32(b, 5)], &cidr[k]);
            break;
        case WARD_F_CGROUP:
            str[k] = cgroups[rp_u32(b, 2)];
            break;
        case WARD_F_IFACE:
            str[k] = ifaces[rp_u32(b, 2)];
            break;
        case WARD_F_APP_ID:
            exe[k] = (ward_exe_id){7, 100 + rp_u32(b, KC_N_PATHS)};
            break;
        case WARD_F_APP_SHA256:
            memset(sha[k].b, (int)rp_u32(b, 2), sizeof(sha[k].b));
            break;
        case WARD_F_TIME:
            tw[k] = (ward_time_window){WARD_DAYS_WEEKDAYS, 8 * 60, 18 * 60};
            break;
        default: /* direction */
            rng[k].lo = rng[k].hi = rp_u32(b, 2);
        }
    }
    c->v.str = str;
    switch (ward_field_kind(c->field)) {
    case WARD_VAL_RANGE:
        c->v.range = rng;
        break;
    case WARD_VAL_CIDR:
        c->v.cidr = cidr;
        break;
    case WARD_VAL_EXE:
        c->v.exe = exe;
        break;
    case WARD_VAL_SHA:
        c->v.sha = sha;
        break;
    case WARD_VAL_TIME:
        c->v.time = tw;
        break;
    case WARD_VAL_STR:
        break;
    }
}

static void add_filter(ward_engine *e, struct bytes *b)
{
    enum { MAXC = 4, MAXV = 4 };
    ward_cond conds[MAXC];
    const char *str[MAXC][MAXV];
    ward_range rng[MAXC][MAXV];
    ward_cidr cidr[MAXC][MAXV];
    ward_exe_id exe[MAXC][MAXV];
    ward_sha256 sha[MAXC][MAXV];
    ward_time_window tw[MAXC][MAXV];
    size_t n = rp_u32(b, MAXC + 1);
    for (size_t i = 0; i < n; i++)
        rand_cond(b, &conds[i], str[i], rng[i], cidr[i], exe[i], sha[i], tw[i]);
    static const enum ward_action acts[] = {WARD_ACT_PERMIT, WARD_ACT_BLOCK, WARD_ACT_CALLOUT};
    int sub = ward_sublayer_find(e, "low");
    ward_filter_def d = {
        .layer = rp_u32(b, 4) ? WARD_LAYER_CONNECT_OUT : WARD_LAYER_ACCEPT_IN,
        .sublayer = rp_u32(b, 3) == 0 && sub > 0 ? (uint32_t)sub : WARD_SUBLAYER_ADMIN,
        .provider = WARD_PROVIDER_ADMIN,
        .weight = rp_u32(b, 100),
        .action = acts[rp_u32(b, 3)],
        .callout = "missing",
        .hard = rp_u32(b, 2),
        .conds = conds,
        .n_conds = n,
    };
    ward_filter_add(e, &d);
}

static void rand_policy(ward_engine *e, struct bytes *b)
{
    ward_settings s;
    ward_engine_settings(e, &s);
    s.mode = rp_u32(b, 8) ? WARD_MODE_ASK : (enum ward_mode)rp_u32(b, 3);
    s.no_prompter = rp_u32(b, 2) ? WARD_V_PERMIT : WARD_V_BLOCK;
    s.no_prompter_scope = (enum ward_np_scope)rp_u32(b, 2);
    s.self_traffic = rp_u32(b, 2) ? WARD_SELF_RULES : WARD_SELF_PASS;
    ward_engine_configure(e, &s);
    ward_ip self;
    ward_ip_parse("10.1.2.3", &self);
    ward_engine_set_self(e, &self, 1);
    for (size_t i = 0; i < KC_N_PATHS; i++) {
        if (rp_u32(b, 5) == 0)
            continue;
        ward_sha256 pin = {{1}};
        int64_t app = ward_app_add(e, kc_paths[i], rp_u32(b, 12) ? NULL : &pin);
        if (app <= 0)
            return;
        static const enum ward_app_fallback fb[] = {WARD_FALLBACK_OPPOSITE, WARD_FALLBACK_OPPOSITE,
                                                    WARD_FALLBACK_ASK, WARD_FALLBACK_PERMIT,
                                                    WARD_FALLBACK_BLOCK};
        ward_app_set_fallback(e, (uint64_t)app, fb[rp_u32(b, 5)]);
        add_rules(e, b, (uint64_t)app);
    }
    /* Below the applications' sublayer a soft permit can overturn them. */
    ward_sublayer_add(e, "low", 0x4000, WARD_SUBLAYER_FILTERS);
    size_t nf = rp_u32(b, 2) ? 0 : 1 + rp_u32(b, 4);
    for (size_t i = 0; i < nf; i++)
        add_filter(e, b);
}

static void rand_conn(struct bytes *b, const struct kc_fs *fs, ward_request *r, size_t *app)
{
    static const char *const remotes[] = {"93.184.216.34", "10.0.0.7",        "127.0.0.1",
                                          "10.1.2.3",      "2606:4700::6810", "192.168.1.1"};
    memset(r, 0, sizeof(*r));
    r->layer = WARD_LAYER_CONNECT_OUT;
    r->dir = WARD_DIR_OUT;
    r->proto = rand_proto(b);
    r->rport = rp_u32(b, 4) ? port_pool[rp_u32(b, sizeof(port_pool) / sizeof(port_pool[0]))]
                            : (uint16_t)rp_u32(b, 65536);
    if (rp_u32(b, 3) == 0)
        r->rport = (uint16_t)(r->rport + rp_u32(b, 5)); /* just past a range */
    r->lport = 40000;
    ward_ip_parse("10.1.2.3", &r->local);
    ward_ip_parse(remotes[rp_u32(b, 6)], &r->remote);
    r->domain = rp_u32(b, 2) ? "example.com" : NULL;
    if (rp_u32(b, 12) == 0) { /* a query to a local resolver: the DNS chain's */
        r->proto = IPPROTO_UDP;
        r->rport = 53;
        ward_ip_parse(rp_u32(b, 2) ? "127.0.0.53" : "::1", &r->remote);
    }
    *app = rp_u32(b, KC_N_PATHS);
    r->app.path = kc_paths[*app];
    r->app.exe = kc_exe_of(fs, *app);
    static const char *const cmds[] = {"curl -s x", "ssh host", "x --upload y"};
    static const char *const cgroups[] = {"/system.slice/a", "/user.slice/app", "/"};
    static const char *const ifaces[] = {"eth0", "wlan0", "lo"};
    static const ward_sha256 shas[2] = {{{0}}, {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                                 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}};
    r->app.cmdline = rp_u32(b, 4) ? cmds[rp_u32(b, 3)] : NULL;
    r->cgroup = rp_u32(b, 4) ? cgroups[rp_u32(b, 3)] : NULL;
    r->iface = rp_u32(b, 4) ? ifaces[rp_u32(b, 3)] : NULL;
    r->app.sha256 = rp_u32(b, 3) ? &shas[rp_u32(b, 2)] : NULL;
    r->uid = rp_u32(b, 3) * 1000;
    r->has_user = true;
    r->now = KC_NOW;
    r->wday = (uint8_t)rp_u32(b, 7);
    r->minute = (uint16_t)rp_u32(b, 1440);
}

static const char *kv_name(uint8_t v)
{
    static const char *const n[] = {"none", "allow", "deny", "ask"};
    return v < 4 ? n[v] : "?";
}

static void describe(ward_engine *e, const ward_kc_tables *t, const ward_request *r,
                     const char *what, uint8_t kv, char *msg, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(msg + o, len - o, "%s: table says %s for %s proto %u port %u\n", what,
                          kv_name(kv), r->app.path, r->proto, r->rport);
    const ward_kc_program *p = ward_kc_find(t, r->app.exe);
    for (size_t i = 0; p && i < p->n && o < len; i++)
        o += (size_t)snprintf(msg + o, len - o, "  entry proto %u port %u -> %s (rule %u)\n",
                              p->e[i].proto, p->e[i].port, kv_name(p->e[i].verdict), p->e[i].rule);
    ward_trace *tr = ward_trace_new();
    ward_decision d;
    if (tr && o < len) {
        ward_classify(e, r, &d, tr, 0);
        ward_trace_format(tr, msg + o, len - o);
    }
    ward_trace_free(tr);
}

/* One connection: 0, or -1 with the mismatch in msg. */
static int check_conn(ward_engine *e, const ward_kc_tables *t, const ward_request *r,
                      struct kc_counts *c, char *msg, size_t len)
{
    const ward_kc_program *p = ward_kc_find(t, r->app.exe);
    uint8_t kv = ward_kc_lookup(t, r->app.exe, r->proto, WARD_KDIR_OUT, r->rport, WARD_KV_ASK);
    uint8_t kd = ward_kc_lookup(t, r->app.exe, r->proto, WARD_KDIR_OUT, 0, WARD_KV_ASK);
    /* The configured default answers exactly the programs without a table. */
    uint8_t probe = ward_kc_lookup(t, r->app.exe, r->proto, WARD_KDIR_OUT, r->rport, WARD_KV_NONE);
    if ((probe == WARD_KV_NONE) != !p) {
        describe(e, t, r, p ? "a table falls through to the default" : "no table, no default",
                 probe, msg, len);
        return -1;
    }
    /* The hook's step 3: with "self-traffic pass" a connect or send to the
     * host's own addresses or loopback passes whatever the table says (and
     * nft accepts unmarked loopback): the kernel's answer there is not the
     * table's, with or without one, so a filter (the admin's layer) that
     * would block it is not the kernel's to apply (docs/KERNEL.md). Only a
     * datagram socket's birth is: held (marked), its datagrams are queued.
     * With "self-traffic rules" the hook applies the table to the host too
     * and nft accepts only unmarked loopback: compared like any traffic. */
    ward_settings s;
    ward_engine_settings(e, &s);
    bool self =
        ward_zone_contains(e, "self", &r->remote) || ward_zone_contains(e, "loopback", &r->remote);
    bool passes = self && s.self_traffic == WARD_SELF_PASS;
    ward_decision d;
    if (ward_classify(e, r, &d, NULL, 0) != 0) {
        snprintf(msg, len, "ward_classify failed");
        return -1;
    }
    c->conns++;
    c->self += self;
    c->dflt += !p;
    if (kv == WARD_KV_NONE || (!passes && ((kv == WARD_KV_ALLOW && d.verdict != WARD_V_PERMIT) ||
                                           (kv == WARD_KV_DENY && d.verdict != WARD_V_BLOCK)))) {
        describe(e, t, r, "connect", kv, msg, len);
        return -1;
    }
    if (passes)
        kv = WARD_KV_ALLOW;
    /* Before step 3 the hook refuses what an administrator's hard block of
     * the host blocks, under either setting: the engine must block it. */
    bool loop = ward_zone_contains(e, "loopback", &r->remote);
    if (self && ward_kc_self_lookup(t, r->app.exe, r->proto, r->rport, loop,
                                    ward_zone_contains(e, "self", &r->remote)) == WARD_KV_DENY) {
        if (d.verdict != WARD_V_BLOCK) {
            describe(e, t, r, "block of the host", WARD_KV_DENY, msg, len);
            return -1;
        }
        kv = WARD_KV_DENY;
        c->self_block++;
    }
    /* A datagram socket is judged at creation, before any port is known.
     * A ping socket denied there is not marked (the egress program drops
     * its packets, but not on loopback under "self-traffic pass"). */
    bool ping = r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6;
    uint8_t born = passes && ping && kd == WARD_KV_DENY ? WARD_KV_ALLOW : kd;
    if (r->proto != IPPROTO_TCP && born == WARD_KV_ALLOW && d.verdict != WARD_V_PERMIT) {
        describe(e, t, r, "datagram socket", born, msg, len);
        return -1;
    }
    /* A raw socket of the connection's protocol sends to any address and
     * port: allowed only where the engine permits it (refusing one is
     * always safe). The raw key itself ("allow out any") never allows. */
    uint8_t raw = ward_kc_raw_lookup(t, r->app.exe, r->proto, WARD_KV_DENY);
    if ((!passes && raw == WARD_KV_ALLOW && d.verdict != WARD_V_PERMIT) ||
        ward_kc_raw_lookup(t, r->app.exe, WARD_KPROTO_RAW, WARD_KV_DENY) == WARD_KV_ALLOW) {
        describe(e, t, r, "raw socket", raw, msg, len);
        return -1;
    }
    c->raw_allow += raw == WARD_KV_ALLOW;
    c->allow += kv == WARD_KV_ALLOW;
    c->deny += kv == WARD_KV_DENY;
    c->self_deny += kv == WARD_KV_DENY && self;
    c->ask += kv == WARD_KV_ASK && p;
    c->dgram_allow += r->proto != IPPROTO_TCP && born == WARD_KV_ALLOW;
    return 0;
}

int kc_check_tables(const ward_kc_tables *t, char *msg, size_t len)
{
    size_t entries = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ward_kc_program *p = &t->progs[i];
        entries += p->n;
        for (size_t k = 0; k < p->n; k++) {
            const ward_kentry *e = &p->e[k];
            if (e->verdict != WARD_KV_ALLOW && e->verdict != WARD_KV_ASK &&
                e->verdict != WARD_KV_DENY) {
                snprintf(msg, len, "%s: entry %zu has verdict %u", p->path, k, e->verdict);
                return -1;
            }
            for (size_t j = 0; j < k; j++)
                if (p->e[j].proto == e->proto && p->e[j].dir == e->dir && p->e[j].port == e->port) {
                    snprintf(msg, len, "%s: key proto %u port %u laid twice", p->path, e->proto,
                             e->port);
                    return -1;
                }
        }
        if (p->n > WARD_KC_MAX_ENTRIES) {
            snprintf(msg, len, "%s: %zu entries", p->path, p->n);
            return -1;
        }
    }
    if (entries != t->entries) {
        snprintf(msg, len, "%zu entries counted, %zu laid", t->entries, entries);
        return -1;
    }
    return 0;
}

/* Whether a connect-out filter could match any program: no exact path
 * (as a non-negated condition) bounds it. */
static int wide_filter(uint64_t id, const ward_filter_def *f, void *ctx)
{
    (void)id;
    (void)ctx;
    if (f->layer != WARD_LAYER_CONNECT_OUT)
        return 0;
    for (size_t i = 0; i < f->n_conds; i++)
        if (f->conds[i].field == WARD_F_APP_PATH && !f->conds[i].negate)
            return 0;
    return 1;
}

int kc_run_one(struct bytes *b, struct bytes *conns, size_t max_conns, struct kc_counts *c,
               char *msg, size_t len)
{
    struct kc_fs fs = {.linked = rp_u32(b, 4) == 0, .nc_missing = rp_u32(b, 3) == 0};
    ward_engine *e = ward_engine_new();
    if (!e)
        return 0;
    rand_policy(e, b);
    bool prompter = rp_u32(b, 5) != 0;
    ward_engine_set_prompter(e, prompter);
    ward_kc_options o = {
        .prompter = prompter, .now = KC_NOW, .resolve = kc_resolve, .resolve_ctx = &fs};
    ward_kc_tables t;
    int rc = 0;
    if (ward_kc_compile(e, &o, &t) != 0) {
        ward_engine_free(e);
        return 0; /* out of memory: nothing to compare */
    }
    c->policies++;
    c->compiled += t.n;
    if (ward_filter_foreach(e, wide_filter, NULL))
        c->compiled_under_filters += t.n;
    rc = kc_check_tables(&t, msg, len);
    for (size_t k = 0; k < max_conns && !rc; k++) {
        ward_request r;
        size_t app;
        rand_conn(conns, &fs, &r, &app);
        rc = check_conn(e, &t, &r, c, msg, len);
    }
    ward_kc_tables_free(&t);
    ward_engine_free(e);
    return rc;
}
