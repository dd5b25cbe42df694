/*
 * test_engine.c — the filter engine: arbitration (one test per row of the
 * table in docs/ENGINE.md), the decision order of docs/DESIGN.md (one test
 * per step), condition semantics, lifetimes and the explain trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ward/engine.h"

/* ---- Helpers ------------------------------------------------------------- */

static ward_ip ip(const char *s)
{
    ward_ip a;
    assert_int_equal(ward_ip_parse(s, &a), 0);
    return a;
}

static ward_request req_out(const char *app, uint8_t proto, const char *to, uint16_t port)
{
    ward_request r = {
        .layer = WARD_LAYER_CONNECT_OUT,
        .dir = WARD_DIR_OUT,
        .proto = proto,
        .local = ip("192.168.1.10"),
        .remote = ip(to),
        .lport = 40000,
        .rport = port,
        .app = {.path = app, .exe = {1, 2}},
        .has_user = true,
        .uid = 1000,
        .gid = 1000,
        .now = 1000000,
        .wday = 1, /* Monday */
        .minute = 10 * 60,
    };
    return r;
}

static ward_engine *engine(void)
{
    ward_engine *e = ward_engine_new();
    assert_non_null(e);
    ward_engine_set_prompter(e, true);
    return e;
}

static const ward_range TCP = {6, 6};

/* A filter of the admin provider; asserts it was added. */
static uint64_t add_filter_in(ward_engine *e, enum ward_layer layer, uint32_t sub, uint32_t weight,
                              enum ward_action act, bool hard, const ward_cond *conds, size_t n,
                              const char *callout)
{
    ward_filter_def d = {
        .layer = layer,
        .sublayer = sub,
        .provider = WARD_PROVIDER_ADMIN,
        .weight = weight,
        .action = act,
        .hard = hard,
        .callout = callout,
        .conds = conds,
        .n_conds = n,
    };
    int64_t id = ward_filter_add(e, &d);
    assert_true(id > 0);
    return (uint64_t)id;
}

/* A filter in `sub` with optional protocol and remote port conditions. */
static uint64_t add_filter(ward_engine *e, uint32_t sub, uint32_t weight, enum ward_action act,
                           bool hard, const ward_range *proto, const ward_range *port,
                           const char *callout)
{
    ward_cond c[2];
    size_t n = 0;
    if (proto)
        c[n++] = (ward_cond){.field = WARD_F_PROTO, .n = 1, .v.range = proto};
    if (port)
        c[n++] = (ward_cond){.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = port};
    return add_filter_in(e, WARD_LAYER_CONNECT_OUT, sub, weight, act, hard, c, n, callout);
}

/* Classifies with both evaluators (and with a trace) and checks they agree. */
static ward_decision classify(ward_engine *e, const ward_request *r)
{
    ward_decision idx, lin, tr;
    ward_trace *t = ward_trace_new();
    assert_int_equal(ward_classify(e, r, &idx, NULL, 0), 0);
    assert_int_equal(ward_classify(e, r, &lin, NULL, WARD_CLASSIFY_LINEAR), 0);
    assert_int_equal(ward_classify(e, r, &tr, t, 0), 0);
    assert_int_equal(idx.verdict, lin.verdict);
    assert_int_equal(idx.reason, lin.reason);
    assert_int_equal(idx.filter_id, lin.filter_id);
    assert_int_equal(idx.verdict, tr.verdict);
    assert_int_equal(idx.filter_id, tr.filter_id);
    ward_trace_free(t);
    return idx;
}

static int sub_low(ward_engine *e)
{
    int id = ward_sublayer_add(e, "low", 0x1000, WARD_SUBLAYER_FILTERS);
    assert_true(id > 0);
    return id;
}

static ward_callout_result callout_ret;
static int callout_calls;

static ward_callout_result test_callout(const ward_request *r, void *ctx)
{
    (void)r;
    (void)ctx;
    callout_calls++;
    return callout_ret;
}

/* A policy where the applications sublayer says nothing: allow-all mode is
 * a decision, so put the apps sublayer's answer out of the way by asking
 * about a layer it does not judge. */
static ward_request req_packet(uint8_t proto, const char *to, uint16_t port)
{
    ward_request r = req_out(NULL, proto, to, port);
    r.layer = WARD_LAYER_PACKET_OUT;
    return r;
}

static uint64_t add_packet_filter(ward_engine *e, uint32_t sub, uint32_t weight,
                                  enum ward_action act, bool hard, const char *callout)
{
    return add_filter_in(e, WARD_LAYER_PACKET_OUT, sub, weight, act, hard, NULL, 0, callout);
}

/* ---- Arbitration: one test per row --------------------------------------- */

static void arb_within_sublayer_highest_weight_first(void **state)
{
    (void)state;
    ward_engine *e = engine();
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 10, WARD_ACT_PERMIT, false, NULL);
    uint64_t hi = add_packet_filter(e, WARD_SUBLAYER_ADMIN, 20, WARD_ACT_BLOCK, false, NULL);
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.filter_id, hi);
    ward_engine_free(e);
}

static void arb_equal_weight_older_first(void **state)
{
    (void)state;
    ward_engine *e = engine();
    uint64_t first = add_packet_filter(e, WARD_SUBLAYER_ADMIN, 5, WARD_ACT_PERMIT, false, NULL);
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 5, WARD_ACT_BLOCK, false, NULL);
    ward_request r = req_packet(1, "8.8.8.8", 8);
    assert_int_equal(classify(e, &r).filter_id, first);
    ward_engine_free(e);
}

/* Two sublayers, one filter each: the rows of docs/ENGINE.md's table. */
static void arb_table(void **state)
{
    (void)state;
    static const struct {
        const char *row;
        enum ward_action hi;
        bool hi_hard;
        enum ward_action lo;
        bool lo_hard;
        enum ward_verdict want;
        bool lower_wins;
    } rows[] = {
        {"soft permit, then block: block overrides permit", WARD_ACT_PERMIT, false, WARD_ACT_BLOCK,
         false, WARD_V_BLOCK, true},
        {"hard permit, then hard block: the permit stands", WARD_ACT_PERMIT, true, WARD_ACT_BLOCK,
         true, WARD_V_PERMIT, false},
        {"soft block, then permit: the permit overrides", WARD_ACT_BLOCK, false, WARD_ACT_PERMIT,
         false, WARD_V_PERMIT, true},
        {"soft block, then hard block: the hard one decides", WARD_ACT_BLOCK, false, WARD_ACT_BLOCK,
         true, WARD_V_BLOCK, true},
        {"hard block, then hard permit: final", WARD_ACT_BLOCK, true, WARD_ACT_PERMIT, true,
         WARD_V_BLOCK, false},
        {"soft permit, then hard permit: the hard one decides", WARD_ACT_PERMIT, false,
         WARD_ACT_PERMIT, true, WARD_V_PERMIT, true},
        {"soft permit, then soft permit: the first stands", WARD_ACT_PERMIT, false, WARD_ACT_PERMIT,
         false, WARD_V_PERMIT, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ward_engine *e = engine();
        int low = sub_low(e);
        uint64_t hi =
            add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, rows[i].hi, rows[i].hi_hard, NULL);
        uint64_t lo = add_packet_filter(e, (uint32_t)low, 1, rows[i].lo, rows[i].lo_hard, NULL);
        ward_request r = req_packet(1, "8.8.8.8", 8);
        ward_decision d = classify(e, &r);
        if (d.verdict != rows[i].want || d.filter_id != (rows[i].lower_wins ? lo : hi))
            fail_msg("%s: got %s by #%llu", rows[i].row, ward_verdict_name(d.verdict),
                     (unsigned long long)d.filter_id);
        ward_engine_free(e);
    }
}

static void arb_veto_overturns_hard_permit(void **state)
{
    (void)state;
    ward_engine *e = engine();
    int low = sub_low(e);
    assert_int_equal(ward_callout_register(e, "ids", test_callout, NULL), 0);
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_PERMIT, true, NULL);
    uint64_t c = add_packet_filter(e, (uint32_t)low, 1, WARD_ACT_CALLOUT, false, "ids");
    callout_ret = (ward_callout_result){WARD_V_BLOCK, true};
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_VETO);
    assert_int_equal(d.filter_id, c);
    /* A plain callout block (no veto) does not overturn it. */
    callout_ret = (ward_callout_result){WARD_V_BLOCK, false};
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    ward_engine_free(e);
}

static void arb_hard_block_is_final(void **state)
{
    (void)state;
    ward_engine *e = engine();
    int low = sub_low(e);
    assert_int_equal(ward_callout_register(e, "count", test_callout, NULL), 0);
    uint64_t b = add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_BLOCK, true, NULL);
    add_packet_filter(e, (uint32_t)low, 1, WARD_ACT_CALLOUT, false, "count");
    callout_ret = (ward_callout_result){WARD_V_PERMIT, false};
    callout_calls = 0;
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.filter_id, b);
    assert_int_equal(callout_calls, 0); /* nothing below a hard block is evaluated */
    ward_engine_free(e);
}

static void arb_callout_continue_passes_on(void **state)
{
    (void)state;
    ward_engine *e = engine();
    assert_int_equal(ward_callout_register(e, "watch", test_callout, NULL), 0);
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 9, WARD_ACT_CALLOUT, false, "watch");
    uint64_t b = add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_BLOCK, false, NULL);
    callout_ret = (ward_callout_result){WARD_V_CONTINUE, false};
    callout_calls = 0;
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.filter_id, b);
    assert_true(callout_calls >= 1);
    ward_engine_free(e);
}

static void arb_unregistered_callout_blocks(void **state)
{
    (void)state;
    ward_engine *e = engine();
    uint64_t c = add_packet_filter(e, WARD_SUBLAYER_ADMIN, 9, WARD_ACT_CALLOUT, false, "nope");
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_PERMIT, false, NULL);
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_CALLOUT_MISSING);
    assert_int_equal(d.filter_id, c);
    ward_engine_free(e);
}

static void arb_callout_verdicts_defer_nmd_drop(void **state)
{
    (void)state;
    ward_engine *e = engine();
    int low = sub_low(e);
    assert_int_equal(ward_callout_register(e, "c", test_callout, NULL), 0);
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_CALLOUT, false, "c");
    uint64_t lowp = add_packet_filter(e, (uint32_t)low, 1, WARD_ACT_PERMIT, false, NULL);
    ward_request r = req_packet(1, "8.8.8.8", 8);

    callout_ret = (ward_callout_result){WARD_V_DEFER, false};
    assert_int_equal(classify(e, &r).verdict, WARD_V_DEFER); /* a permit does not answer */
    callout_ret = (ward_callout_result){WARD_V_NEED_MORE_DATA, false};
    assert_int_equal(classify(e, &r).verdict, WARD_V_NEED_MORE_DATA);
    callout_ret = (ward_callout_result){WARD_V_DROP_CONNECTION, false};
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_DROP_CONNECTION);
    assert_true(d.hard);
    /* defer above, block below: the block wins, nobody needs asking */
    ward_filter_remove(e, lowp);
    add_packet_filter(e, (uint32_t)low, 1, WARD_ACT_BLOCK, false, NULL);
    callout_ret = (ward_callout_result){WARD_V_DEFER, false};
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

static void arb_nothing_matches_layer_default(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_DEFAULT);
    ward_settings s;
    ward_engine_settings(e, &s);
    s.layer_default[WARD_LAYER_PACKET_OUT] = WARD_V_BLOCK;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

/* ---- The decision order (docs/DESIGN.md) --------------------------------- */

static uint64_t app_rule(ward_engine *e, const char *path, enum ward_direction dir, uint8_t proto,
                         uint16_t port, const char *zone, const ward_time_window *tw,
                         enum ward_action act)
{
    int64_t app = ward_app_find(e, path);
    if (app < 0)
        app = ward_app_add(e, path, NULL);
    assert_true(app > 0);
    ward_range pr = {port, port};
    ward_app_rule r = {
        .dir = dir,
        .proto = proto,
        .ports = port ? &pr : NULL,
        .n_ports = port ? 1 : 0,
        .zones = zone ? &zone : NULL,
        .n_zones = zone ? 1 : 0,
        .times = tw,
        .n_times = tw ? 1 : 0,
        .action = act,
        .provider = WARD_PROVIDER_ADMIN,
    };
    int64_t id = ward_app_rule_append(e, (uint64_t)app, &r);
    assert_true(id > 0);
    return (uint64_t)id;
}

static void step1_no_prompter(void **state)
{
    (void)state;
    ward_engine *e = engine();
    app_rule(e, "/usr/bin/curl", WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_BLOCK);
    ward_engine_set_prompter(e, false);
    ward_request r = req_out("/usr/bin/curl", 6, "93.184.216.34", 443);
    ward_decision d = classify(e, &r);
    /* Nobody watching does not open a deny rule, whatever the outcome. */
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    ward_settings s;
    ward_engine_settings(e, &s);
    assert_int_equal(s.no_prompter, WARD_V_PERMIT);
    assert_int_equal(s.no_prompter_scope, WARD_NP_QUESTIONS);
    /* A pass before the rules would override them: refused. */
    s.no_prompter_scope = WARD_NP_ALL;
    assert_int_equal(ward_engine_configure(e, &s), WARD_E_INVAL);
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_RULE);
    /* A cautious host blocks everything while nobody watches. */
    s.no_prompter = WARD_V_BLOCK;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    ward_request ok = req_out("/usr/bin/curl", 6, "93.184.216.34", 80); /* fallback: permit */
    d = classify(e, &ok);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_NO_PROMPTER);
    ward_engine_set_prompter(e, true);
    assert_int_equal(classify(e, &ok).verdict, WARD_V_PERMIT);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

static void step1_no_prompter_questions_only(void **state)
{
    (void)state;
    ward_engine *e = engine();
    app_rule(e, "/usr/bin/curl", WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_PERMIT);
    ward_engine_set_prompter(e, false);
    ward_settings s;
    ward_engine_settings(e, &s);
    s.no_prompter = WARD_V_BLOCK;
    s.no_prompter_scope = WARD_NP_QUESTIONS;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    ward_request r = req_out("/usr/bin/curl", 6, "93.184.216.34", 443);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT); /* the rules still apply */
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    r.rport = 80;
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK); /* fallback: opposite */
    ward_request u = req_out("/opt/unknown", 6, "93.184.216.34", 443);
    d = classify(e, &u);
    assert_int_equal(d.verdict, WARD_V_BLOCK); /* would be asked: nobody to ask */
    assert_int_equal(d.reason, WARD_R_NO_PROMPTER);
    ward_engine_set_prompter(e, true);
    assert_int_equal(classify(e, &u).verdict, WARD_V_DEFER);
    s.no_prompter_scope = (enum ward_np_scope)7;
    assert_int_equal(ward_engine_configure(e, &s), WARD_E_INVAL);
    ward_engine_free(e);
}

/* `parent`: a rule holds only when an ancestor runs one of its programs
 * (exact or glob); a process with no known ancestors never matches it. */
static void app_rule_parent(void **state)
{
    (void)state;
    ward_engine *e = engine();
    int64_t app = ward_app_add(e, "/usr/bin/curl", NULL);
    assert_true(app > 0);
    const char *cron[] = {"/usr/sbin/cron", "/usr/lib/*/anacron"};
    ward_app_rule r = {.dir = WARD_DIR_OUT,
                       .parents = cron,
                       .n_parents = 2,
                       .action = WARD_ACT_PERMIT,
                       .provider = WARD_PROVIDER_ADMIN};
    assert_true(ward_app_rule_append(e, (uint64_t)app, &r) > 0);
    const char *relative[] = {"cron"};
    r.parents = relative;
    r.n_parents = 1;
    assert_int_equal(ward_app_rule_append(e, (uint64_t)app, &r), WARD_E_INVAL);
    ward_request q = req_out("/usr/bin/curl", 6, "93.184.216.34", 443);
    /* No ancestors: the rule does not hold, and its opposite is the fallback. */
    assert_int_equal(classify(e, &q).verdict, WARD_V_BLOCK);
    const char *from_shell[] = {"/usr/bin/bash", "/usr/bin/sshd", "/sbin/init"};
    q.app.ancestors = from_shell;
    q.app.n_ancestors = 3;
    assert_int_equal(classify(e, &q).verdict, WARD_V_BLOCK);
    const char *from_cron[] = {"/usr/bin/sh", "/usr/sbin/cron", "/sbin/init"};
    q.app.ancestors = from_cron; /* the grandparent counts too */
    ward_decision d = classify(e, &q);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    const char *from_anacron[] = {"/usr/lib/x86_64-linux-gnu/anacron"};
    q.app.ancestors = from_anacron;
    q.app.n_ancestors = 1;
    assert_int_equal(classify(e, &q).verdict, WARD_V_PERMIT);
    ward_trace *t = ward_trace_new();
    q.app.ancestors = from_shell;
    q.app.n_ancestors = 3;
    assert_int_equal(ward_classify(e, &q, &d, t, 0), 0);
    char buf[4096];
    ward_trace_format(t, buf, sizeof(buf));
    assert_non_null(strstr(buf, "no ancestor is the rule's parent (parent /usr/bin/bash)"));
    assert_non_null(strstr(buf, "parent /usr/sbin/cron,/usr/lib/*/anacron"));
    ward_trace_free(t);
    ward_engine_free(e);
}

static void step2_unattributed(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = req_out(NULL, 6, "93.184.216.34", 443);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_UNATTRIBUTED);
    ward_settings s;
    ward_engine_settings(e, &s);
    s.unattributed = WARD_V_BLOCK;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

static void step3_self(void **state)
{
    (void)state;
    ward_engine *e = engine();
    app_rule(e, "/usr/bin/curl", WARD_DIR_ANY, 0, 0, NULL, NULL, WARD_ACT_BLOCK);
    ward_ip me = ip("192.168.1.10");
    assert_int_equal(ward_engine_set_self(e, &me, 1), 0);
    ward_request r = req_out("/usr/bin/curl", 6, "192.168.1.10", 80);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_SELF);
    r.remote = ip("127.0.0.1");
    assert_int_equal(classify(e, &r).reason, WARD_R_SELF);
    r.remote = ip("::1");
    assert_int_equal(classify(e, &r).reason, WARD_R_SELF);
    r.remote = ip("192.168.1.11");
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

static void step4_modes(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = req_out("/usr/bin/curl", 6, "93.184.216.34", 443);
    ward_settings s;
    ward_engine_settings(e, &s);
    s.mode = WARD_MODE_DENY_ALL;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_MODE);
    s.mode = WARD_MODE_ALLOW_ALL;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    s.mode = WARD_MODE_ASK;
    assert_int_equal(ward_engine_configure(e, &s), 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_DEFER);
    ward_engine_free(e);
}

static void step5_unknown_program_defers(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = req_out("/opt/new", 6, "93.184.216.34", 443);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_DEFER);
    assert_int_equal(d.reason, WARD_R_APP_UNKNOWN);
    /* a program entry with no rules is still unknown */
    assert_true(ward_app_add(e, "/opt/new", NULL) > 0);
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_UNKNOWN);
    ward_engine_free(e);
}

static void step5_first_full_match_wins(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *ff = "/usr/bin/firefox";
    uint64_t r1 = app_rule(e, ff, WARD_DIR_OUT, 6, 80, "internet", NULL, WARD_ACT_PERMIT);
    uint64_t r2 = app_rule(e, ff, WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_PERMIT);
    app_rule(e, ff, WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_BLOCK);
    ward_request r = req_out(ff, 6, "93.184.216.34", 80);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    assert_int_equal(d.filter_id, r1);
    r.rport = 443;
    assert_int_equal(classify(e, &r).filter_id, r2); /* the second, not the third */
    ward_engine_free(e);
}

static void step5_each_check_can_fail(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *p = "/usr/bin/ssh";
    ward_time_window office = {WARD_DAYS_WEEKDAYS, 8 * 60, 19 * 60};
    uint64_t rule = app_rule(e, p, WARD_DIR_OUT, 6, 22, "lan", &office, WARD_ACT_PERMIT);
    ward_request ok = req_out(p, 6, "10.1.2.3", 22);
    assert_int_equal(classify(e, &ok).filter_id, rule);
    assert_int_equal(classify(e, &ok).verdict, WARD_V_PERMIT);

    ward_request r = ok;
    r.dir = WARD_DIR_IN;
    r.lport = 22;
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_FALLBACK); /* direction */
    r = ok;
    r.proto = 17;
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_FALLBACK); /* protocol */
    r = ok;
    r.rport = 2222;
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_FALLBACK); /* port */
    r = ok;
    r.wday = 0;
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_FALLBACK); /* time: Sunday */
    r = ok;
    r.minute = 20 * 60;
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_FALLBACK); /* time: evening */
    r = ok;
    r.remote = ip("93.184.216.34");
    ward_decision d = classify(e, &r); /* network type */
    assert_int_equal(d.reason, WARD_R_APP_FALLBACK);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

static void step5_opposite_of_last_rule(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *p = "/usr/bin/telemetry";
    app_rule(e, p, WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_PERMIT);
    uint64_t last = app_rule(e, p, WARD_DIR_OUT, 17, 53, NULL, NULL, WARD_ACT_BLOCK);
    ward_request r = req_out(p, 6, "93.184.216.34", 8080);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT); /* last was block: default permit */
    assert_int_equal(d.reason, WARD_R_APP_FALLBACK);
    assert_int_equal(d.filter_id, last);
    ward_engine_free(e);
}

static void step5_fallbacks(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *p = "/usr/bin/learned";
    app_rule(e, p, WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_PERMIT);
    ward_request r = req_out(p, 6, "93.184.216.34", 80);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK); /* the classic fallback */
    uint64_t app = (uint64_t)ward_app_find(e, p);
    assert_int_equal(ward_app_set_fallback(e, app, WARD_FALLBACK_ASK), 0);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_DEFER);
    assert_int_equal(d.reason, WARD_R_APP_FALLBACK);
    assert_int_equal(ward_app_set_fallback(e, app, WARD_FALLBACK_PERMIT), 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    assert_int_equal(ward_app_set_fallback(e, app, WARD_FALLBACK_BLOCK), 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    r.rport = 443;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT); /* rules still first */
    assert_int_equal(ward_app_set_fallback(e, 999999, WARD_FALLBACK_ASK), WARD_E_NOENT);
    ward_engine_free(e);
}

static void step5_pin(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_sha256 pin = {{1, 2, 3}}, other = {{9}};
    int64_t app = ward_app_add(e, "/usr/bin/pinned", &pin);
    assert_true(app > 0);
    ward_app_rule rule = {
        .dir = WARD_DIR_ANY, .action = WARD_ACT_PERMIT, .provider = WARD_PROVIDER_ADMIN};
    assert_true(ward_app_rule_append(e, (uint64_t)app, &rule) > 0);
    ward_request r = req_out("/usr/bin/pinned", 6, "93.184.216.34", 443);
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_PIN); /* digest unknown */
    r.app.sha256 = &other;
    assert_int_equal(classify(e, &r).reason, WARD_R_APP_PIN);
    assert_int_equal(classify(e, &r).verdict, WARD_V_DEFER);
    r.app.sha256 = &pin;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    ward_engine_free(e);
}

static void app_rule_once_is_consumed(void **state)
{
    (void)state;
    ward_engine *e = engine();
    int64_t app = ward_app_add(e, "/usr/bin/x", NULL);
    ward_app_rule rule = {.dir = WARD_DIR_ANY,
                          .action = WARD_ACT_PERMIT,
                          .provider = WARD_PROVIDER_LEARNED,
                          .lifetime = {.kind = WARD_LIFE_ONCE}};
    assert_true(ward_app_rule_append(e, (uint64_t)app, &rule) > 0);
    ward_request r = req_out("/usr/bin/x", 6, "93.184.216.34", 443);
    ward_decision d;
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_DEFER); /* used up: ask again */
    ward_engine_free(e);
}

static void apps_and_filters_arbitrate(void **state)
{
    (void)state;
    /* An admin hard block above beats an application permit; an admin soft
     * block is overridden by the lower applications sublayer's permit. */
    ward_engine *e = engine();
    app_rule(e, "/usr/bin/curl", WARD_DIR_OUT, 6, 443, NULL, NULL, WARD_ACT_PERMIT);
    uint64_t f = add_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_BLOCK, false, &TCP, NULL, NULL);
    ward_request r = req_out("/usr/bin/curl", 6, "93.184.216.34", 443);
    ward_decision d = classify(e, &r);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    ward_filter_remove(e, f);
    add_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_BLOCK, true, &TCP, NULL, NULL);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    ward_engine_free(e);
}

/* ---- Conditions ---------------------------------------------------------- */

static void time_windows(void **state)
{
    (void)state;
    ward_time_window fri_night = {1u << 5, 22 * 60, 2 * 60};
    ward_engine *e = engine();
    ward_cond c = {.field = WARD_F_TIME, .n = 1, .v.time = &fri_night};
    ward_request r = req_packet(1, "8.8.8.8", 8);
    r.wday = 5;
    r.minute = 23 * 60;
    assert_true(ward_filter_add(e, &(ward_filter_def){.layer = WARD_LAYER_PACKET_OUT,
                                                      .sublayer = WARD_SUBLAYER_ADMIN,
                                                      .provider = WARD_PROVIDER_ADMIN,
                                                      .action = WARD_ACT_BLOCK,
                                                      .conds = &c,
                                                      .n_conds = 1}) > 0);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK); /* Friday 23:00 */
    r.wday = 6;
    r.minute = 60;
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK); /* Saturday 01:00 */
    r.minute = 2 * 60;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT); /* Saturday 02:00: over */
    r.wday = 5;
    r.minute = 60;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT); /* Friday 01:00: Thursday's */
    r.wday = 6;
    r.minute = 23 * 60;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT); /* Saturday evening */
    ward_engine_free(e);
}

static void zones(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_cidr office[2];
    assert_int_equal(ward_cidr_parse("10.20.0.0/16", &office[0]), 0);
    assert_int_equal(ward_cidr_parse("fd00:20::/32", &office[1]), 0);
    assert_int_equal(ward_zone_define(e, "office", office, 2), 0);
    assert_int_equal(ward_zone_define(e, "lan", office, 1), WARD_E_EXIST);
    ward_ip me = ip("203.0.113.5");
    ward_engine_set_self(e, &me, 1);
    struct {
        const char *zone, *addr;
        bool in;
    } cases[] = {
        {"office", "10.20.3.4", true},      {"office", "10.21.0.1", false},
        {"office", "fd00:20::1", true},     {"office", "::ffff:10.20.0.9", true},
        {"lan", "192.168.0.1", true},       {"lan", "172.31.255.255", true},
        {"lan", "172.32.0.1", false},       {"lan", "fe80::1", true},
        {"lan", "fd12::1", true},           {"loopback", "127.9.9.9", true},
        {"loopback", "::1", true},          {"internet", "93.184.216.34", true},
        {"internet", "10.0.0.1", false},    {"internet", "2606:4700::1", true},
        {"internet", "203.0.113.5", false}, {"self", "203.0.113.5", true},
        {"multicast", "224.0.0.251", true}, {"internet", "ff02::fb", false},
        {"nosuch", "10.20.3.4", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ward_ip a = ip(cases[i].addr);
        if (ward_zone_contains(e, cases[i].zone, &a) != cases[i].in)
            fail_msg("zone %s, %s: expected %d", cases[i].zone, cases[i].addr, cases[i].in);
    }
    ward_engine_free(e);
}

static void addresses(void **state)
{
    (void)state;
    ward_cidr c;
    char buf[WARD_CIDR_STRLEN];
    assert_int_equal(ward_cidr_parse("10.0.0.0/8", &c), 0);
    assert_int_equal(c.plen, 104);
    ward_ip mapped = ip("::ffff:10.1.2.3"), plain = ip("10.1.2.3");
    assert_memory_equal(&mapped, &plain, sizeof(plain));
    assert_true(ward_cidr_contains(&c, &mapped));
    assert_string_equal(ward_cidr_format(&c, buf, sizeof(buf)), "10.0.0.0/8");
    assert_int_equal(ward_cidr_parse("10.0.0.1/8", &c), WARD_E_INVAL); /* host bits */
    assert_int_equal(ward_cidr_parse("10.0.0.0/33", &c), WARD_E_INVAL);
    assert_int_equal(ward_cidr_parse("10.0.0.0/", &c), WARD_E_INVAL);
    assert_int_equal(ward_cidr_parse("10.0.0/8", &c), WARD_E_INVAL);
    assert_int_equal(ward_cidr_parse("2001:db8::/32", &c), 0);
    assert_string_equal(ward_cidr_format(&c, buf, sizeof(buf)), "2001:db8::/32");
    assert_false(ward_cidr_contains(&c, &plain));
    assert_int_equal(ward_cidr_parse("1.2.3.4", &c), 0);
    assert_int_equal(c.plen, 128);
    assert_string_equal(ward_cidr_format(&c, buf, sizeof(buf)), "1.2.3.4");
    assert_int_equal(ward_cidr_parse("::/0", &c), 0);
    assert_true(ward_cidr_contains(&c, &plain));
}

static void ports_and_domains(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_range ports[] = {{1000, 2000}, {443, 443}};
    const char *doms[] = {"*.example.com", "exact.org"};
    ward_cond c[] = {
        {.field = WARD_F_REMOTE_PORT, .n = 2, .v.range = ports},
        {.field = WARD_F_REMOTE_DOMAIN, .n = 2, .v.str = doms},
    };
    assert_true(ward_filter_add(e, &(ward_filter_def){.layer = WARD_LAYER_CONNECT_OUT,
                                                      .sublayer = WARD_SUBLAYER_ADMIN,
                                                      .provider = WARD_PROVIDER_ADMIN,
                                                      .action = WARD_ACT_BLOCK,
                                                      .hard = true,
                                                      .conds = c,
                                                      .n_conds = 2}) > 0);
    struct {
        uint16_t port;
        const char *domain;
        bool blocked;
    } cases[] = {
        {443, "www.example.com", true},
        {1500, "a.b.example.com", true},
        {2000, "EXAMPLE.example.COM.", true},
        {999, "www.example.com", false},
        {443, "example.com", false},
        {443, "badexample.com", false},
        {443, "exact.org", true},
        {443, "sub.exact.org", false},
        {443, NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ward_request r = req_out("/usr/bin/curl", 6, "93.184.216.34", cases[i].port);
        r.domain = cases[i].domain;
        ward_engine_set_prompter(e, false); /* apps sublayer: pass */
        bool blocked = classify(e, &r).verdict == WARD_V_BLOCK;
        if (blocked != cases[i].blocked)
            fail_msg("port %u domain %s: expected blocked=%d", cases[i].port,
                     cases[i].domain ? cases[i].domain : "(none)", cases[i].blocked);
    }
    ward_engine_free(e);
}

static void program_conditions(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_engine_set_prompter(e, false);
    const char *paths[] = {"/usr/lib/*/helper"};
    const char *cmd[] = {"* --upload *"};
    ward_range uids[] = {{1000, 1999}};
    const char *cg[] = {"/user.slice/"};
    ward_cond c[] = {
        {.field = WARD_F_APP_PATH, .n = 1, .v.str = paths},
        {.field = WARD_F_CMDLINE, .n = 1, .v.str = cmd},
        {.field = WARD_F_UID, .n = 1, .v.range = uids},
        {.field = WARD_F_CGROUP, .n = 1, .v.str = cg},
    };
    assert_true(ward_filter_add(e, &(ward_filter_def){.layer = WARD_LAYER_CONNECT_OUT,
                                                      .sublayer = WARD_SUBLAYER_ADMIN,
                                                      .provider = WARD_PROVIDER_ADMIN,
                                                      .action = WARD_ACT_BLOCK,
                                                      .hard = true,
                                                      .conds = c,
                                                      .n_conds = 4}) > 0);
    ward_request r = req_out("/usr/lib/x86_64/helper", 6, "93.184.216.34", 443);
    r.app.cmdline = "helper --upload /home";
    r.cgroup = "/user.slice/user-1000.slice";
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    r.cgroup = "/user.slicex";
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    r.cgroup = "/user.slice";
    r.uid = 0;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    r.uid = 1000;
    r.app.cmdline = NULL; /* unknown: a condition on it does not hold */
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    ward_engine_free(e);
}

static void negated_condition(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *z[] = {"lan"};
    ward_cond c = {.field = WARD_F_REMOTE_ZONE, .negate = true, .n = 1, .v.str = z};
    assert_true(ward_filter_add(e, &(ward_filter_def){.layer = WARD_LAYER_PACKET_OUT,
                                                      .sublayer = WARD_SUBLAYER_ADMIN,
                                                      .provider = WARD_PROVIDER_ADMIN,
                                                      .action = WARD_ACT_BLOCK,
                                                      .conds = &c,
                                                      .n_conds = 1}) > 0);
    ward_request r = req_packet(1, "8.8.8.8", 8);
    assert_int_equal(classify(e, &r).verdict, WARD_V_BLOCK);
    r.remote = ip("10.0.0.1");
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT);
    ward_engine_free(e);
}

static void layer_schema_refuses_fields(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *p[] = {"/bin/ping"};
    ward_cond c = {.field = WARD_F_APP_PATH, .n = 1, .v.str = p};
    ward_filter_def d = {.layer = WARD_LAYER_PACKET_IN,
                         .sublayer = WARD_SUBLAYER_ADMIN,
                         .provider = WARD_PROVIDER_ADMIN,
                         .action = WARD_ACT_BLOCK,
                         .conds = &c,
                         .n_conds = 1};
    assert_int_equal(ward_filter_add(e, &d), WARD_E_FIELD);
    assert_non_null(strstr(ward_engine_error(e), "offers no condition app-path"));
    d.sublayer = WARD_SUBLAYER_APPLICATIONS;
    d.layer = WARD_LAYER_CONNECT_OUT;
    assert_int_equal(ward_filter_add(e, &d), WARD_E_NOENT); /* not a filter sublayer */
    ward_range bad = {10, 70000};
    ward_cond cb = {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &bad};
    d.sublayer = WARD_SUBLAYER_ADMIN;
    d.conds = &cb;
    assert_int_equal(ward_filter_add(e, &d), WARD_E_INVAL);
    const char *nz[] = {"nowhere"};
    ward_cond cz = {.field = WARD_F_REMOTE_ZONE, .n = 1, .v.str = nz};
    d.conds = &cz;
    assert_int_equal(ward_filter_add(e, &d), WARD_E_NOENT);
    ward_engine_free(e);
}

/* ---- Lifetimes and providers --------------------------------------------- */

static void lifetimes(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_filter_def d = {.layer = WARD_LAYER_PACKET_OUT,
                         .sublayer = WARD_SUBLAYER_ADMIN,
                         .provider = WARD_PROVIDER_ADMIN,
                         .action = WARD_ACT_BLOCK};
    d.lifetime = (ward_lifetime){.kind = WARD_LIFE_TIMED, .expires = 2000};
    int64_t timed = ward_filter_add(e, &d);
    ward_request r = req_packet(1, "8.8.8.8", 8);
    r.now = 1999;
    assert_int_equal(classify(e, &r).filter_id, (uint64_t)timed);
    r.now = 2000;
    assert_int_equal(classify(e, &r).verdict, WARD_V_PERMIT); /* expired: ignored */
    assert_int_equal(ward_engine_expire(e, 2000), 1);

    d.lifetime = (ward_lifetime){.kind = WARD_LIFE_DYNAMIC, .session = 7};
    assert_true(ward_filter_add(e, &d) > 0);
    d.lifetime = (ward_lifetime){.kind = WARD_LIFE_UNTIL_EXIT, .pid = 42, .start_time = 99};
    assert_true(ward_filter_add(e, &d) > 0);
    assert_int_equal(ward_engine_end_session(e, 8), 0);
    assert_int_equal(ward_engine_end_session(e, 7), 1);
    assert_int_equal(ward_engine_process_exited(e, 42, 98), 0); /* pid reused: not it */
    assert_int_equal(ward_engine_process_exited(e, 42, 99), 1);

    int fleet = ward_provider_add(e, "fleet");
    assert_true(fleet > 2);
    d.provider = (uint32_t)fleet;
    d.lifetime = (ward_lifetime){0};
    ward_filter_add(e, &d);
    ward_filter_add(e, &d);
    int64_t app = ward_app_add(e, "/bin/x", NULL);
    ward_app_rule rule = {
        .dir = WARD_DIR_ANY, .action = WARD_ACT_PERMIT, .provider = (uint32_t)fleet};
    ward_app_rule_append(e, (uint64_t)app, &rule);
    assert_int_equal(ward_provider_flush(e, (uint32_t)fleet), 3);
    ward_engine_stats st;
    ward_engine_stats_get(e, &st);
    assert_int_equal(st.filters, 0);
    assert_int_equal(st.app_rules, 0);
    ward_engine_free(e);
}

/* ---- Explain ------------------------------------------------------------- */

static void explain_trace(void **state)
{
    (void)state;
    ward_engine *e = engine();
    const char *tele[] = {"telemetry.example.net"};
    ward_cond c = {.field = WARD_F_REMOTE_DOMAIN, .n = 1, .v.str = tele};
    int64_t f = ward_filter_add(e, &(ward_filter_def){.name = "no-telemetry",
                                                      .layer = WARD_LAYER_CONNECT_OUT,
                                                      .sublayer = WARD_SUBLAYER_ADMIN,
                                                      .provider = WARD_PROVIDER_ADMIN,
                                                      .weight = 100,
                                                      .action = WARD_ACT_BLOCK,
                                                      .hard = true,
                                                      .conds = &c,
                                                      .n_conds = 1,
                                                      .origin = "ward.conf:7"});
    assert_true(f > 0);
    app_rule(e, "/usr/bin/curl", WARD_DIR_OUT, 6, 80, NULL, NULL, WARD_ACT_PERMIT);
    uint64_t r443 =
        app_rule(e, "/usr/bin/curl", WARD_DIR_OUT, 6, 443, "internet", NULL, WARD_ACT_PERMIT);
    ward_request r = req_out("/usr/bin/curl", 6, "93.184.216.34", 443);
    r.domain = "example.com";
    ward_trace *t = ward_trace_new();
    ward_decision d;
    assert_int_equal(ward_classify(e, &r, &d, t, 0), 0);
    assert_int_equal(d.filter_id, r443);
    char buf[8192];
    size_t need = ward_trace_format(t, buf, sizeof(buf));
    assert_true(need < sizeof(buf));
    print_message("%s", buf);
    assert_non_null(strstr(buf, "request: connect-out tcp 192.168.1.10:40000 -> "
                                "93.184.216.34:443 (example.com) by /usr/bin/curl"));
    assert_non_null(strstr(buf, "filter 1 \"no-telemetry\" weight 100 at ward.conf:7: no match: "
                                "remote-domain example.com is not one of telemetry.example.net"));
    assert_non_null(strstr(buf, "no match: port"));
    assert_non_null(strstr(buf, "matches: permit"));
    assert_non_null(strstr(buf, "decision: permit (soft), reason app-rule, in sublayer "
                                "applications"));
    /* A step per candidate, each with the field that failed. */
    bool saw_field = false;
    for (size_t i = 0; i < ward_trace_count(t); i++) {
        const ward_trace_step *s = ward_trace_at(t, i);
        if (s->kind == WARD_STEP_FILTER && s->outcome == WARD_OUT_NO_MATCH)
            saw_field = s->field == WARD_F_REMOTE_DOMAIN;
    }
    assert_true(saw_field);
    /* Truncated output still says how much it needed. */
    char small[16];
    assert_int_equal(ward_trace_format(t, small, sizeof(small)), need);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    ward_trace_free(t);
    ward_engine_free(e);
}

static void explain_override_is_marked(void **state)
{
    (void)state;
    ward_engine *e = engine();
    int low = sub_low(e);
    add_packet_filter(e, WARD_SUBLAYER_ADMIN, 1, WARD_ACT_BLOCK, false, NULL);
    add_packet_filter(e, (uint32_t)low, 1, WARD_ACT_PERMIT, false, NULL);
    ward_request r = req_packet(1, "8.8.8.8", 8);
    ward_trace *t = ward_trace_new();
    ward_decision d;
    ward_classify(e, &r, &d, t, 0);
    char buf[4096];
    ward_trace_format(t, buf, sizeof(buf));
    assert_non_null(strstr(buf, "sublayer says block (soft): taken [later overridden]"));
    assert_non_null(strstr(buf, "taken: a permit overrides the soft block above"));
    ward_trace_free(t);
    ward_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arb_within_sublayer_highest_weight_first),
        cmocka_unit_test(arb_equal_weight_older_first),
        cmocka_unit_test(arb_table),
        cmocka_unit_test(arb_veto_overturns_hard_permit),
        cmocka_unit_test(arb_hard_block_is_final),
        cmocka_unit_test(arb_callout_continue_passes_on),
        cmocka_unit_test(arb_unregistered_callout_blocks),
        cmocka_unit_test(arb_callout_verdicts_defer_nmd_drop),
        cmocka_unit_test(arb_nothing_matches_layer_default),
        cmocka_unit_test(step1_no_prompter),
        cmocka_unit_test(step1_no_prompter_questions_only),
        cmocka_unit_test(step2_unattributed),
        cmocka_unit_test(step3_self),
        cmocka_unit_test(step4_modes),
        cmocka_unit_test(step5_unknown_program_defers),
        cmocka_unit_test(step5_first_full_match_wins),
        cmocka_unit_test(step5_each_check_can_fail),
        cmocka_unit_test(step5_opposite_of_last_rule),
        cmocka_unit_test(step5_fallbacks),
        cmocka_unit_test(step5_pin),
        cmocka_unit_test(app_rule_once_is_consumed),
        cmocka_unit_test(apps_and_filters_arbitrate),
        cmocka_unit_test(time_windows),
        cmocka_unit_test(zones),
        cmocka_unit_test(addresses),
        cmocka_unit_test(ports_and_domains),
        cmocka_unit_test(program_conditions),
        cmocka_unit_test(negated_condition),
        cmocka_unit_test(layer_schema_refuses_fields),
        cmocka_unit_test(app_rule_parent),
        cmocka_unit_test(lifetimes),
        cmocka_unit_test(explain_trace),
        cmocka_unit_test(explain_override_is_marked),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
