/*
 * test_kcompile.c — the kernel verdict tables the compiler (src/compile)
 * makes, answered by the hooks' own lookup order (kernel/ward_lookup.h),
 * against ward_classify() over thousands of random policies and
 * connections; and a few hand-written cases the layout must get right.
 *
 * What must hold for every outbound connection of a program:
 *   - the table says ALLOW (connect / sendmsg: its port; a datagram socket's
 *     creation: no port) -> the engine permits it;
 *   - the table says DENY -> the engine blocks it (the compiler never says
 *     DENY: the engine lets the host's own addresses through);
 *   - ASK sends it to wardd, which asks the engine: always right;
 *   - a program without a table gets the configured default, and a program
 *     with one never falls through to it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/kcompile.h"
#include "randpolicy.h"

#define NOW 100000

static const char *const paths[] = {"/usr/bin/curl", "/usr/bin/ssh", "/usr/bin/dig",
                                    "/opt/a/bin/x",  "/opt/b/bin/x", "/usr/bin/nc"};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

static const uint16_t port_pool[] = {22, 53, 80, 443, 8080, 5353, 1, 65535, 81, 54};

/* The test's file system: /opt/b/bin/x may be a hard link to /opt/a/bin/x
 * (one executable, two names: the resolver refuses both, as wardd's does,
 * because the engine judges each name by its own rules) and /usr/bin/nc may
 * be missing. */
struct fs {
    bool linked, nc_missing;
};

static ward_exe_id exe_of(const struct fs *fs, size_t i)
{
    if (fs->linked && i == 4)
        i = 3;
    return (ward_exe_id){7, 100 + i};
}

static int resolve(void *ctx, const char *path, ward_exe_id *out)
{
    const struct fs *fs = ctx;
    for (size_t i = 0; i < N_PATHS; i++)
        if (!strcmp(path, paths[i])) {
            if ((i == 5 && fs->nc_missing) || (fs->linked && (i == 3 || i == 4)))
                return -1;
            *out = exe_of(fs, i);
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
            r.lifetime = (ward_lifetime){.kind = WARD_LIFE_TIMED, .expires = NOW - 1};
            break;
        case 1:
            r.lifetime = (ward_lifetime){.kind = WARD_LIFE_TIMED, .expires = NOW + 60};
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
    const char *app = rp_u32(b, 3) ? paths[rp_u32(b, N_PATHS)] : "/opt/*/bin/x";
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
    ward_engine_configure(e, &s);
    ward_ip self;
    ward_ip_parse("10.1.2.3", &self);
    ward_engine_set_self(e, &self, 1);
    for (size_t i = 0; i < N_PATHS; i++) {
        if (rp_u32(b, 5) == 0)
            continue;
        ward_sha256 pin = {{1}};
        int64_t app = ward_app_add(e, paths[i], rp_u32(b, 12) ? NULL : &pin);
        assert_true(app > 0);
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

static void rand_conn(struct bytes *b, const struct fs *fs, ward_request *r, size_t *app)
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
    *app = rp_u32(b, N_PATHS);
    r->app.path = paths[*app];
    r->app.exe = exe_of(fs, *app);
    r->has_user = true;
    r->now = NOW;
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

struct counts {
    size_t policies, conns, compiled, allow, ask, dgram_allow, dflt;
};

/* One connection: 0, or -1 with the mismatch in msg. */
static int check_conn(ward_engine *e, const ward_kc_tables *t, const ward_request *r,
                      struct counts *c, char *msg, size_t len)
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
    ward_decision d;
    assert_int_equal(ward_classify(e, r, &d, NULL, 0), 0);
    c->conns++;
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
    c->allow += kv == WARD_KV_ALLOW;
    c->ask += kv == WARD_KV_ASK && p;
    c->dgram_allow += r->proto != IPPROTO_TCP && kd == WARD_KV_ALLOW;
    return 0;
}

static void run(uint64_t seed, size_t policies, size_t conns, struct counts *c)
{
    static char msg[1 << 15];
    for (size_t i = 0; i < policies; i++) {
        struct bytes b = {.prng = seed * 0x9e3779b97f4a7c15ULL + i + 1};
        struct fs fs = {.linked = rp_u32(&b, 4) == 0, .nc_missing = rp_u32(&b, 3) == 0};
        ward_engine *e = ward_engine_new();
        assert_non_null(e);
        rand_policy(e, &b);
        bool prompter = rp_u32(&b, 5) != 0;
        ward_engine_set_prompter(e, prompter);
        ward_kc_options o = {
            .prompter = prompter, .now = NOW, .resolve = resolve, .resolve_ctx = &fs};
        ward_kc_tables t;
        assert_int_equal(ward_kc_compile(e, &o, &t), 0);
        c->policies++;
        c->compiled += t.n;
        for (size_t k = 0; k < conns; k++) {
            ward_request r;
            size_t app;
            rand_conn(&b, &fs, &r, &app);
            if (check_conn(e, &t, &r, c, msg, sizeof(msg)))
                fail_msg("seed %llu policy %zu connection %zu: %s", (unsigned long long)seed, i, k,
                         msg);
        }
        ward_kc_tables_free(&t);
        ward_engine_free(e);
    }
}

static void random_policies(void **state)
{
    (void)state;
    size_t n = 3000;
    const char *env = getenv("WARD_KC_POLICIES");
    if (env && atoi(env) > 0)
        n = (size_t)atoi(env);
    struct counts c = {0};
    run(1, n, 100, &c);
    printf("# %zu policies, %zu connections; %zu program tables; kernel answers: %zu allow, "
           "%zu ask, %zu default; %zu datagram sockets allowed at creation\n",
           c.policies, c.conns, c.compiled, c.allow, c.ask, c.dflt, c.dgram_allow);
    /* The test means something only if the kernel answered a good share. */
    assert_true(c.compiled > n / 2);
    assert_true(c.allow > c.conns / 40);
    assert_true(c.dgram_allow > 0);
}

/* ---- Hand-written cases --------------------------------------------------- */

static ward_engine *one_app(enum ward_app_fallback fb)
{
    ward_engine *e = ward_engine_new();
    assert_non_null(e);
    ward_engine_set_prompter(e, true);
    int64_t app = ward_app_add(e, paths[0], NULL);
    assert_true(app > 0);
    ward_app_set_fallback(e, (uint64_t)app, fb);
    return e;
}

static void rule(ward_engine *e, uint8_t proto, uint32_t lo, uint32_t hi, enum ward_action act)
{
    ward_range pr = {lo, hi};
    ward_app_rule r = {.dir = WARD_DIR_OUT,
                       .proto = proto,
                       .ports = &pr,
                       .n_ports = lo != 0 || hi != 0,
                       .action = act,
                       .provider = WARD_PROVIDER_ADMIN};
    assert_true(ward_app_rule_append(e, (uint64_t)ward_app_find(e, paths[0]), &r) > 0);
}

static uint8_t ask_kernel(const ward_kc_tables *t, uint8_t proto, uint16_t port)
{
    struct fs fs = {0};
    return ward_kc_lookup(t, exe_of(&fs, 0), proto, WARD_KDIR_OUT, port, WARD_KV_ASK);
}

static void compile(ward_engine *e, ward_kc_tables *t)
{
    struct fs fs = {0};
    ward_kc_options o = {.prompter = true, .now = NOW, .resolve = resolve, .resolve_ctx = &fs};
    assert_int_equal(ward_kc_compile(e, &o, t), 0);
}

/* "block udp 5353; allow out any": UDP sockets are held from birth, TCP
 * and the other ports are still the kernel's. */
static void datagrams_held(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_UDP, 5353, 5353, WARD_ACT_BLOCK);
    rule(e, 0, 0, 0, WARD_ACT_PERMIT);
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 5353), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 0), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 5353), WARD_KV_ALLOW);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

/* "block any port 53; allow sctp; allow out any": SCTP to port 53 is the
 * first rule's; TCP and UDP keep their fast path. */
static void any_protocol_ports(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, 0, 53, 53, WARD_ACT_BLOCK);
    rule(e, 132, 0, 0, WARD_ACT_PERMIT);
    rule(e, 0, 0, 0, WARD_ACT_PERMIT);
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(ask_kernel(&t, 132, 53), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 53), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

/* First match first: a narrow block before a broad permit keeps its port. */
static void first_match_first(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 22, 22, WARD_ACT_BLOCK);
    rule(e, IPPROTO_TCP, 0, 0, WARD_ACT_PERMIT);
    rule(e, IPPROTO_TCP, 22, 23, WARD_ACT_PERMIT); /* shadowed at 22, and by the one above */
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 22), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 23), WARD_KV_ALLOW);
    /* The last rule permits: the fallback is block (asked), UDP included. */
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 53), WARD_KV_ASK);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

/* Port 0 is the "any port" key: a rule naming it stays with wardd. */
static void port_zero_stays(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 0, 5, WARD_ACT_PERMIT);
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(t.n, 0);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

/* Not in ask mode, or nobody to ask (classic scope): nothing goes down. */
static void mode_and_prompter(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 80, 80, WARD_ACT_PERMIT);
    struct fs fs = {0};
    ward_kc_options o = {.prompter = false, .now = NOW, .resolve = resolve, .resolve_ctx = &fs};
    ward_kc_tables t;
    assert_int_equal(ward_kc_compile(e, &o, &t), 0);
    assert_int_equal(t.n, 0);
    o.prompter = true;
    ward_settings s;
    ward_engine_settings(e, &s);
    s.mode = WARD_MODE_ALLOW_ALL;
    ward_engine_configure(e, &s);
    assert_int_equal(ward_kc_compile(e, &o, &t), 0);
    assert_int_equal(t.n, 0);
    s.mode = WARD_MODE_ASK;
    ward_engine_configure(e, &s);
    assert_int_equal(ward_kc_compile(e, &o, &t), 0);
    assert_int_equal(t.n, 1);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(datagrams_held),    cmocka_unit_test(any_protocol_ports),
        cmocka_unit_test(first_match_first), cmocka_unit_test(port_zero_stays),
        cmocka_unit_test(mode_and_prompter), cmocka_unit_test(random_policies),
    };
    return cmocka_run_group_tests_name("kcompile", tests, NULL, NULL);
}
