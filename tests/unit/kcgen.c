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

static void add_filter(ward_engine *e, struct bytes *b)
{
    const char *app = rp_u32(b, 3) ? kc_paths[rp_u32(b, KC_N_PATHS)] : "/opt/*/bin/x";
    ward_range port = {443, 443};
    ward_cond conds[2] = {
        {.field = WARD_F_APP_PATH, .negate = rp_u32(b, 6) == 0, .n = 1, .v.str = &app},
        {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &port},
    };
    size_t skip = rp_u32(b, 4) == 0; /* no program condition */
    ward_filter_def d = {
        .layer = rp_u32(b, 4) ? WARD_LAYER_CONNECT_OUT : WARD_LAYER_ACCEPT_IN,
        .sublayer = WARD_SUBLAYER_ADMIN,
        .provider = WARD_PROVIDER_ADMIN,
        .weight = rp_u32(b, 100),
        .action = rp_u32(b, 2) ? WARD_ACT_PERMIT : WARD_ACT_BLOCK,
        .hard = rp_u32(b, 2),
        .conds = conds + skip,
        .n_conds = 2 - skip,
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
    size_t nf = rp_u32(b, 5) ? 0 : 1 + rp_u32(b, 2);
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
    *app = rp_u32(b, KC_N_PATHS);
    r->app.path = kc_paths[*app];
    r->app.exe = kc_exe_of(fs, *app);
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
    /* The hook's step 3: with "self-traffic pass" the host's own addresses
     * and loopback pass whatever the table says. */
    ward_settings s;
    ward_engine_settings(e, &s);
    bool self =
        ward_zone_contains(e, "self", &r->remote) || ward_zone_contains(e, "loopback", &r->remote);
    if (self && s.self_traffic == WARD_SELF_PASS) {
        /* nft lets loopback through too: a filter (the admin's layer) that
         * would block it is not the kernel's to apply (docs/KERNEL.md). */
        if (!p)
            return 0;
        kv = WARD_KV_ALLOW;
    }
    ward_decision d;
    if (ward_classify(e, r, &d, NULL, 0) != 0) {
        snprintf(msg, len, "ward_classify failed");
        return -1;
    }
    c->conns++;
    c->self += self;
    c->dflt += !p;
    if ((kv == WARD_KV_ALLOW && d.verdict != WARD_V_PERMIT) ||
        (kv == WARD_KV_DENY && d.verdict != WARD_V_BLOCK) || kv == WARD_KV_NONE) {
        describe(e, t, r, "connect", kv, msg, len);
        return -1;
    }
    /* A datagram socket is judged at creation, before any port is known. */
    if (r->proto != IPPROTO_TCP && kd == WARD_KV_ALLOW && d.verdict != WARD_V_PERMIT) {
        describe(e, t, r, "datagram socket", kd, msg, len);
        return -1;
    }
    /* Raw sockets are not what outbound rules allow: never let through. */
    if (ward_kc_lookup(t, r->app.exe, WARD_KPROTO_RAW, WARD_KDIR_OUT, 0, WARD_KV_DENY) ==
        WARD_KV_ALLOW) {
        describe(e, t, r, "raw socket", WARD_KV_ALLOW, msg, len);
        return -1;
    }
    c->allow += kv == WARD_KV_ALLOW;
    c->deny += kv == WARD_KV_DENY;
    c->self_deny += kv == WARD_KV_DENY && self;
    c->ask += kv == WARD_KV_ASK && p;
    c->dgram_allow += r->proto != IPPROTO_TCP && kd == WARD_KV_ALLOW;
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
