/*
 * test_kcompile.c — the kernel verdict tables the compiler (src/compile)
 * makes, answered by the hooks' own lookup order (kernel/ward_lookup.h),
 * against ward_classify() over thousands of random policies and
 * connections; and a few hand-written cases the layout must get right.
 *
 * What must hold for every outbound connection of a program:
 *   - the table says ALLOW (connect / sendmsg: its port; a datagram socket's
 *     creation: no port) -> the engine permits it;
 *   - the table says DENY -> the engine blocks it;
 *   - for the host's own addresses and loopback the hook passes a connect
 *     or send whatever the table says unless the policy says "self-traffic
 *     rules" (the engine's step 3): with "pass" only a datagram socket's
 *     birth answer is the table's there;
 *   - a raw socket of its protocol allowed -> the engine permits it;
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
#include "kcgen.h"

static void run(uint64_t seed, size_t policies, size_t conns, struct kc_counts *c)
{
    static char msg[1 << 15];
    for (size_t i = 0; i < policies; i++) {
        struct bytes b = {.prng = seed * 0x9e3779b97f4a7c15ULL + i + 1};
        if (kc_run_one(&b, &b, conns, c, msg, sizeof(msg)))
            fail_msg("seed %llu policy %zu: %s", (unsigned long long)seed, i, msg);
    }
}

static void random_policies(void **state)
{
    (void)state;
    size_t n = 3000;
    const char *env = getenv("WARD_KC_POLICIES");
    if (env && atoi(env) > 0)
        n = (size_t)atoi(env);
    uint64_t seed = 1;
    env = getenv("WARD_KC_SEED");
    if (env && strtoull(env, NULL, 10) > 0)
        seed = strtoull(env, NULL, 10);
    struct kc_counts c = {0};
    run(seed, n, 100, &c);
    printf(
        "# %zu policies, %zu connections (%zu to the host); %zu program tables; kernel "
        "answers: %zu allow, %zu deny (%zu to the host), %zu ask, %zu default; %zu datagram "
        "sockets allowed at creation; %zu raw sockets allowed; %zu tables under filters that "
        "could match any program; %zu refused by hard blocks of the host\n",
        c.policies, c.conns, c.self, c.compiled, c.allow, c.deny, c.self_deny, c.ask, c.dflt,
        c.dgram_allow, c.raw_allow, c.compiled_under_filters, c.self_block);
    /* The test means something only if the kernel answered a good share. */
    assert_true(c.compiled > n / 2);
    assert_true(c.allow > c.conns / 40);
    assert_true(c.dgram_allow > 0);
    assert_true(c.raw_allow > 0);
    /* Filters without an exact program narrow what they take from the kernel. */
    assert_true(c.compiled_under_filters > n / 20);
    assert_true(c.deny > c.conns / 40);
    assert_true(c.self_deny > 0);
    assert_true(c.self_block > 0);
}

/* ---- Hand-written cases --------------------------------------------------- */

static ward_engine *one_app(enum ward_app_fallback fb)
{
    ward_engine *e = ward_engine_new();
    assert_non_null(e);
    ward_engine_set_prompter(e, true);
    int64_t app = ward_app_add(e, kc_paths[0], NULL);
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
    assert_true(ward_app_rule_append(e, (uint64_t)ward_app_find(e, kc_paths[0]), &r) > 0);
}

static uint8_t ask_kernel(const ward_kc_tables *t, uint8_t proto, uint16_t port)
{
    struct kc_fs fs = {0};
    return ward_kc_lookup(t, kc_exe_of(&fs, 0), proto, WARD_KDIR_OUT, port, WARD_KV_ASK);
}

static void compile(ward_engine *e, ward_kc_tables *t)
{
    struct kc_fs fs = {0};
    ward_kc_options o = {
        .prompter = true, .now = KC_NOW, .resolve = kc_resolve, .resolve_ctx = &fs};
    assert_int_equal(ward_kc_compile(e, &o, t), 0);
    char msg[256];
    if (kc_check_tables(t, msg, sizeof(msg)))
        fail_msg("%s", msg);
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
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 5353), WARD_KV_DENY);
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 0), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 5353), WARD_KV_ALLOW);
    /* "Allow out any" is no raw socket: that stays refused. */
    assert_int_equal(ask_kernel(&t, WARD_KPROTO_RAW, 0), WARD_KV_ASK);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

static uint8_t ask_raw(const ward_kc_tables *t, uint8_t proto)
{
    struct kc_fs fs = {0};
    return ward_kc_raw_lookup(t, kc_exe_of(&fs, 0), proto, WARD_KV_DENY);
}

/* "deny out icmp6; allow out icmp; allow out proto 2; deny out tcp port 22;
 * allow out any": raw sockets of the protocols a rule allows everywhere are
 * allowed; the others (TCP: not on port 22), and "allow out any", stay
 * refused (the raw entry asks, which the hook refuses). */
static void raw_by_protocol(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_ICMPV6, 0, 0, WARD_ACT_BLOCK);
    rule(e, IPPROTO_ICMP, 0, 0, WARD_ACT_PERMIT);
    rule(e, 2, 0, 0, WARD_ACT_PERMIT);
    rule(e, IPPROTO_TCP, 22, 22, WARD_ACT_BLOCK);
    rule(e, IPPROTO_TCP, 0, 0, WARD_ACT_PERMIT);
    rule(e, 0, 0, 0, WARD_ACT_PERMIT);
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(ask_raw(&t, IPPROTO_ICMP), WARD_KV_ALLOW);
    assert_int_equal(ask_raw(&t, 2), WARD_KV_ALLOW);
    assert_int_equal(ask_raw(&t, IPPROTO_ICMPV6), WARD_KV_ASK);
    assert_int_equal(ask_raw(&t, IPPROTO_UDP), WARD_KV_ASK);
    assert_int_equal(ask_raw(&t, IPPROTO_TCP), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    assert_int_equal(ask_raw(&t, 47), WARD_KV_ASK);
    assert_int_equal(ask_raw(&t, 0), WARD_KV_ASK);
    assert_int_equal(ask_raw(&t, WARD_KPROTO_RAW), WARD_KV_ASK);
    /* Ping sockets: ICMP is the kernel's, ICMPv6 refused. */
    assert_int_equal(ask_kernel(&t, IPPROTO_ICMP, 8), WARD_KV_ALLOW);
    assert_int_equal(ask_kernel(&t, IPPROTO_ICMPV6, 128), WARD_KV_DENY);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
    /* Without a table: the raw default. */
    ward_kc_tables none = {0};
    assert_int_equal(ask_raw(&none, IPPROTO_ICMP), WARD_KV_DENY);
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
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 53), WARD_KV_DENY);
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
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 22), WARD_KV_DENY);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 23), WARD_KV_ALLOW);
    /* The last rule permits: the fallback is block, UDP included. */
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 53), WARD_KV_DENY);
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

/* Not in ask mode, or nobody to ask while "no-prompter block for all"
 * holds: nothing goes down. */
static void mode_and_prompter(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 80, 80, WARD_ACT_PERMIT);
    ward_settings s;
    ward_engine_settings(e, &s);
    s.no_prompter = WARD_V_BLOCK;
    s.no_prompter_scope = WARD_NP_ALL;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    struct kc_fs fs = {0};
    ward_kc_options o = {
        .prompter = false, .now = KC_NOW, .resolve = kc_resolve, .resolve_ctx = &fs};
    ward_kc_tables t;
    assert_int_equal(ward_kc_compile(e, &o, &t), 0);
    assert_int_equal(t.n, 0);
    ward_kc_tables_free(&t);
    o.prompter = true;
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

static int same_file(void *ctx, const char *path, ward_exe_id *out)
{
    (void)ctx;
    *out = (ward_exe_id){7, strncmp(path, "/opt/", 5) ? 1 : 2};
    return 0;
}

/* Two programs the resolver says are one executable: the kernel cannot tell
 * them apart, so neither gets a table; the third keeps its own. */
static void shared_executable_dropped(void **state)
{
    (void)state;
    ward_engine *e = ward_engine_new();
    assert_non_null(e);
    ward_engine_set_prompter(e, true);
    ward_range pr = {80, 80};
    ward_app_rule r = {.dir = WARD_DIR_OUT,
                       .proto = IPPROTO_TCP,
                       .ports = &pr,
                       .n_ports = 1,
                       .action = WARD_ACT_PERMIT,
                       .provider = WARD_PROVIDER_ADMIN};
    for (size_t i = 2; i < 5; i++) {
        int64_t app = ward_app_add(e, kc_paths[i], NULL);
        assert_true(app > 0);
        assert_true(ward_app_rule_append(e, (uint64_t)app, &r) > 0);
    }
    ward_kc_options o = {.prompter = true, .now = KC_NOW, .resolve = same_file};
    ward_kc_tables t;
    assert_int_equal(ward_kc_compile(e, &o, &t), 0);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.progs[0].path, kc_paths[2]);
    assert_int_equal(t.entries, t.progs[0].n);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

static void filter(ward_engine *e, enum ward_action act, const ward_cond *c, size_t n)
{
    ward_filter_def d = {.layer = WARD_LAYER_CONNECT_OUT,
                         .sublayer = WARD_SUBLAYER_ADMIN,
                         .provider = WARD_PROVIDER_ADMIN,
                         .action = act,
                         .hard = true,
                         .conds = c,
                         .n_conds = n};
    assert_true(ward_filter_add(e, &d) > 0);
}

/* The shipped example's kind of filters (no program named): a program's
 * own ports stay in the kernel, the keys a filter could match ask. */
static void filters_narrowed(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 80, 80, WARD_ACT_PERMIT);
    rule(e, IPPROTO_TCP, 443, 443, WARD_ACT_PERMIT);
    ward_range udp = {IPPROTO_UDP, IPPROTO_UDP}, icmp = {IPPROTO_ICMP, IPPROTO_ICMP};
    ward_range tcp = {IPPROTO_TCP, IPPROTO_TCP}, dns = {53, 53}, smb[2] = {{139, 139}, {445, 445}};
    ward_range uid = {1000, 1000};
    const char *loopback = "loopback", *glob = "/usr/bin/*";
    filter(e, WARD_ACT_PERMIT,
           (ward_cond[]){{.field = WARD_F_PROTO, .n = 1, .v.range = &udp},
                         {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &dns}},
           2);
    filter(e, WARD_ACT_PERMIT, (ward_cond[]){{.field = WARD_F_PROTO, .n = 1, .v.range = &icmp}}, 1);
    filter(e, WARD_ACT_PERMIT,
           (ward_cond[]){{.field = WARD_F_REMOTE_ZONE, .n = 1, .v.str = &loopback}}, 1);
    filter(e, WARD_ACT_BLOCK,
           (ward_cond[]){{.field = WARD_F_PROTO, .n = 1, .v.range = &tcp},
                         {.field = WARD_F_REMOTE_PORT, .n = 2, .v.range = smb}},
           2);
    /* A user condition cannot be known ahead: its ports ask. */
    ward_range smtp = {25, 25};
    filter(e, WARD_ACT_BLOCK,
           (ward_cond[]){{.field = WARD_F_UID, .n = 1, .v.range = &uid},
                         {.field = WARD_F_APP_PATH, .n = 1, .v.str = &glob},
                         {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &smtp}},
           3);
    /* Another program's filter, by a negated path: not curl's. */
    filter(e, WARD_ACT_BLOCK,
           (ward_cond[]){{.field = WARD_F_APP_PATH, .negate = true, .n = 1, .v.str = &kc_paths[0]},
                         {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &uid}},
           2);
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 443), WARD_KV_ALLOW);
    /* The fallback blocks, and no filter of curl's could match TCP 1000:
     * the negated one is another program's, and under "self-traffic pass"
     * the hook lets loopback out whatever the table says. */
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 1000), WARD_KV_DENY);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 445), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 25), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 53), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_ICMP, 0), WARD_KV_ASK);
    /* The loopback filter holds datagram sockets from birth: their first
     * datagram to loopback is queued, not let out by the birth answer. */
    assert_int_equal(ask_kernel(&t, IPPROTO_UDP, 0), WARD_KV_ASK);
    ward_kc_tables_free(&t);
    /* "self-traffic rules": the hook applies the table to loopback, so the
     * loopback permit (any protocol, any port) could overturn every DENY:
     * those ask; curl's own permits stay (a permit cannot undo them). */
    ward_settings st;
    ward_engine_settings(e, &st);
    st.self_traffic = WARD_SELF_RULES;
    assert_int_equal(ward_engine_configure(e, &st), 0);
    compile(e, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 443), WARD_KV_ALLOW);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 1000), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 445), WARD_KV_ASK);
    ward_kc_tables_free(&t);
    st.self_traffic = WARD_SELF_PASS;
    assert_int_equal(ward_engine_configure(e, &st), 0);
    /* A filter that could match anything curl sends keeps it with wardd. */
    filter(e, WARD_ACT_BLOCK, (ward_cond[]){{.field = WARD_F_UID, .n = 1, .v.range = &uid}}, 1);
    compile(e, &t);
    assert_int_equal(t.n, 0);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

/* A loopback filter under both self-traffic settings: "allow loopback tcp
 * port 1000" for a program whose fallback blocks. */
static void loopback_filter_self_traffic(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 80, 80, WARD_ACT_PERMIT);
    const char *loopback = "loopback";
    ward_range tcp = {IPPROTO_TCP, IPPROTO_TCP}, port = {1000, 1000};
    filter(e, WARD_ACT_PERMIT,
           (ward_cond[]){{.field = WARD_F_REMOTE_ZONE, .n = 1, .v.str = &loopback},
                         {.field = WARD_F_PROTO, .n = 1, .v.range = &tcp},
                         {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &port}},
           3);
    /* pass: the hook lets loopback out whatever the table says; elsewhere
     * the filter does not match, so the fallback's DENY holds. */
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 1000), WARD_KV_DENY);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    ward_kc_tables_free(&t);
    /* rules: the table's DENY would refuse what the filter permits. */
    ward_settings st;
    ward_engine_settings(e, &st);
    st.self_traffic = WARD_SELF_RULES;
    assert_int_equal(ward_engine_configure(e, &st), 0);
    compile(e, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 1000), WARD_KV_ASK);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 1001), WARD_KV_DENY);
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

/* Hard blocks of the host: DENY under the self directions for the program
 * a filter names, every program's when it names none, and none where an
 * earlier permit could match. */
static void host_blocks(void **state)
{
    (void)state;
    ward_engine *e = one_app(WARD_FALLBACK_OPPOSITE);
    rule(e, IPPROTO_TCP, 80, 80, WARD_ACT_PERMIT);
    const char *loopback = "loopback", *self = "self", *path = kc_paths[0];
    ward_range tcp = {IPPROTO_TCP, IPPROTO_TCP}, port = {7070, 7070};
    filter(e, WARD_ACT_BLOCK,
           (ward_cond[]){{.field = WARD_F_APP_PATH, .n = 1, .v.str = &path},
                         {.field = WARD_F_REMOTE_ZONE, .n = 1, .v.str = &loopback},
                         {.field = WARD_F_PROTO, .n = 1, .v.range = &tcp}},
           3);
    struct kc_fs fs = {0};
    ward_exe_id exe = kc_exe_of(&fs, 0), other = kc_exe_of(&fs, 1);
    ward_kc_tables t;
    compile(e, &t);
    assert_int_equal(ward_kc_self_lookup(&t, exe, IPPROTO_TCP, 7070, true, false), WARD_KV_DENY);
    assert_int_equal(ward_kc_self_lookup(&t, exe, IPPROTO_TCP, 7070, false, true), WARD_KV_NONE);
    assert_int_equal(ward_kc_self_lookup(&t, exe, IPPROTO_UDP, 53, true, false), WARD_KV_NONE);
    assert_int_equal(ward_kc_self_lookup(&t, other, IPPROTO_TCP, 7070, true, false), WARD_KV_NONE);
    /* The program's own table is untouched (the filter matches no other
     * destination). */
    assert_int_equal(ask_kernel(&t, IPPROTO_TCP, 80), WARD_KV_ALLOW);
    ward_kc_tables_free(&t);
    /* No program named: every program's (dev 0, ino 0), that port only. */
    filter(e, WARD_ACT_BLOCK,
           (ward_cond[]){{.field = WARD_F_REMOTE_ZONE, .n = 1, .v.str = &self},
                         {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &port}},
           2);
    compile(e, &t);
    assert_int_equal(ward_kc_self_lookup(&t, other, IPPROTO_UDP, 7070, false, true), WARD_KV_DENY);
    assert_int_equal(ward_kc_self_lookup(&t, other, IPPROTO_UDP, 7071, false, true), WARD_KV_NONE);
    assert_int_equal(ward_kc_self_lookup(&t, other, IPPROTO_UDP, 7070, true, false), WARD_KV_NONE);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
    /* A permit before the block could win: no entry for its program; the
     * block's own entries for the policy's other programs (not for every
     * program: the permit could match one the policy does not name). */
    e = one_app(WARD_FALLBACK_OPPOSITE);
    assert_true(ward_app_add(e, kc_paths[1], NULL) > 0);
    filter(e, WARD_ACT_PERMIT,
           (ward_cond[]){{.field = WARD_F_APP_PATH, .n = 1, .v.str = &path},
                         {.field = WARD_F_PROTO, .n = 1, .v.range = &tcp}},
           2);
    filter(e, WARD_ACT_BLOCK,
           (ward_cond[]){{.field = WARD_F_REMOTE_ZONE, .n = 1, .v.str = &loopback}}, 1);
    compile(e, &t);
    assert_int_equal(ward_kc_self_lookup(&t, exe, IPPROTO_TCP, 7070, true, false), WARD_KV_NONE);
    assert_int_equal(ward_kc_self_lookup(&t, other, IPPROTO_TCP, 7070, true, false), WARD_KV_DENY);
    assert_int_equal(ward_kc_self_lookup(&t, kc_exe_of(&fs, 2), IPPROTO_TCP, 7070, true, false),
                     WARD_KV_NONE);
    ward_kc_tables_free(&t);
    ward_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(datagrams_held),    cmocka_unit_test(any_protocol_ports),
        cmocka_unit_test(first_match_first), cmocka_unit_test(port_zero_stays),
        cmocka_unit_test(mode_and_prompter), cmocka_unit_test(shared_executable_dropped),
        cmocka_unit_test(filters_narrowed),  cmocka_unit_test(loopback_filter_self_traffic),
        cmocka_unit_test(raw_by_protocol),   cmocka_unit_test(host_blocks),
        cmocka_unit_test(random_policies),
    };
    return cmocka_run_group_tests_name("kcompile", tests, NULL, NULL);
}
