/*
 * test_service.c — wardd's decision core: prompts (bursts joined, each
 * waiting connection re-classified, deadlines, the bound on waiting) and
 * learning (scope and duration become the right rule and lifetime).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "service/service.h"

static ward_request conn(const char *app, const char *to, uint16_t rport, uint16_t lport)
{
    ward_request r = {
        .layer = WARD_LAYER_CONNECT_OUT,
        .dir = WARD_DIR_OUT,
        .proto = 6,
        .lport = lport,
        .rport = rport,
        .app = {.path = app},
        .now = 1000,
        .wday = 2,
        .minute = 600,
    };
    ward_ip_parse("10.0.0.2", &r.local);
    ward_ip_parse(to, &r.remote);
    return r;
}

static int released;
static void count_release(void *token, void *ctx)
{
    (void)token;
    (void)ctx;
    released++;
}

struct closed {
    void *tokens[16];
    uint16_t lports[16];
    size_t n;
};

static void on_close(void *token, const ward_request *r, void *ctx)
{
    struct closed *c = ctx;
    c->tokens[c->n] = token;
    c->lports[c->n] = r->lport;
    c->n++;
}

static void prompts_join_bursts(void **state)
{
    (void)state;
    prompt_table *t = prompts_new();
    bool is_new;
    int tok[4];
    ward_request a = conn("/usr/bin/curl", "93.184.216.34", 443, 40001);
    const ward_prompt *p1 = prompts_add(t, &a, 10, 99, &tok[0], 0, 1000, 100, &is_new);
    assert_non_null(p1);
    assert_true(is_new);
    uint64_t id1 = p1->id;
    a.lport = 40002; /* a second connection of the same burst */
    const ward_prompt *p2 = prompts_add(t, &a, 10, 99, &tok[1], 5, 1000, 100, &is_new);
    assert_false(is_new);
    assert_int_equal(p2->id, id1);
    assert_int_equal(p2->n_waiting, 2);
    ward_request b = conn("/usr/bin/curl", "93.184.216.34", 80, 40003); /* another port */
    assert_non_null(prompts_add(t, &b, 10, 99, &tok[2], 10, 1000, 100, &is_new));
    assert_true(is_new);
    ward_request c = conn("/usr/bin/wget", "93.184.216.34", 443, 40004); /* another program */
    assert_non_null(prompts_add(t, &c, 11, 98, &tok[3], 20, 1000, 100, &is_new));
    assert_true(is_new);
    assert_int_equal(prompts_count(t), 3);
    assert_int_equal(prompts_waiting(t), 4);

    struct closed cl = {0};
    assert_int_equal(prompts_close(t, id1, on_close, &cl), 0);
    assert_int_equal(cl.n, 2);
    assert_ptr_equal(cl.tokens[0], &tok[0]);
    assert_int_equal(cl.lports[1], 40002); /* each waiter keeps its own connection */
    assert_int_equal(prompts_close(t, id1, on_close, &cl), WARD_E_NOENT);
    assert_int_equal(prompts_waiting(t), 2);
    released = 0;
    prompts_free(t, count_release, NULL);
    assert_int_equal(released, 2);
}

static void prompts_deadlines_and_bound(void **state)
{
    (void)state;
    prompt_table *t = prompts_new();
    bool is_new;
    int tok;
    assert_int_equal(prompts_next_deadline(t), -1);
    ward_request a = conn("/a", "1.1.1.1", 1, 1), b = conn("/b", "1.1.1.1", 1, 1);
    const ward_prompt *pa = prompts_add(t, &a, 1, 1, &tok, 100, 500, 2, &is_new);
    uint64_t ida = pa->id;
    prompts_add(t, &b, 1, 1, &tok, 200, 100, 2, &is_new);
    assert_int_equal(prompts_next_deadline(t), 300);
    uint64_t ids[4];
    assert_int_equal(prompts_expired(t, 299, ids, 4), 0);
    assert_int_equal(prompts_expired(t, 300, ids, 4), 1);
    assert_int_equal(prompts_expired(t, 600, ids, 4), 2);
    assert_int_equal(ids[0], ida);
    /* Past the bound: refused, the caller applies the default at once. */
    ward_request c = conn("/c", "1.1.1.1", 1, 1);
    assert_null(prompts_add(t, &c, 1, 1, &tok, 0, 100, 2, &is_new));
    prompts_free(t, NULL, NULL);
}

static ward_engine *engine(void)
{
    ward_engine *e = ward_engine_new();
    ward_engine_set_prompter(e, true);
    return e;
}

static enum ward_verdict verdict(ward_engine *e, const ward_request *r)
{
    ward_decision d;
    assert_int_equal(ward_classify(e, r, &d, NULL, 0), 0);
    return d.verdict;
}

static void learn_scopes(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = conn("/usr/bin/curl", "93.184.216.34", 443, 40000);
    assert_int_equal(verdict(e, &r), WARD_V_DEFER);
    ward_answer dest = {WARD_ACT_PERMIT, WARD_SCOPE_DESTINATION, WARD_DUR_FOREVER, 0};
    assert_true(ward_learn(e, &r, 10, 99, &dest, 1000) > 0);
    assert_int_equal(verdict(e, &r), WARD_V_PERMIT);
    ward_request other = conn("/usr/bin/curl", "93.184.216.35", 443, 40000);
    assert_int_equal(verdict(e, &other), WARD_V_DEFER); /* asked again, not blocked */
    ward_request port = conn("/usr/bin/curl", "93.184.216.34", 80, 40000);
    assert_int_equal(verdict(e, &port), WARD_V_DEFER);

    ward_answer byport = {WARD_ACT_BLOCK, WARD_SCOPE_PORT, WARD_DUR_FOREVER, 0};
    assert_true(ward_learn(e, &port, 10, 99, &byport, 1000) > 0);
    ward_request port2 = conn("/usr/bin/curl", "8.8.8.8", 80, 40000);
    assert_int_equal(verdict(e, &port2), WARD_V_BLOCK);

    /* A domain, when known, is what the rule names. */
    ward_request named = conn("/usr/bin/git", "140.82.112.3", 443, 40000);
    named.domain = "github.com";
    assert_true(ward_learn(e, &named, 10, 99, &dest, 1000) > 0);
    ward_request named2 = conn("/usr/bin/git", "140.82.112.4", 443, 40000);
    named2.domain = "github.com";
    assert_int_equal(verdict(e, &named2), WARD_V_PERMIT);

    ward_answer any = {WARD_ACT_PERMIT, WARD_SCOPE_ANY, WARD_DUR_FOREVER, 0};
    ward_request u = conn("/usr/bin/udp", "1.2.3.4", 53, 40000);
    u.proto = 17;
    assert_true(ward_learn(e, &u, 10, 99, &any, 1000) > 0);
    ward_request u2 = conn("/usr/bin/udp", "5.6.7.8", 9999, 1);
    assert_int_equal(verdict(e, &u2), WARD_V_PERMIT);
    ward_engine_free(e);
}

static void learn_durations(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = conn("/usr/bin/curl", "93.184.216.34", 443, 40000);
    ward_answer once = {WARD_ACT_PERMIT, WARD_SCOPE_DESTINATION, WARD_DUR_ONCE, 0};
    assert_true(ward_learn(e, &r, 10, 99, &once, 1000) > 0);
    assert_int_equal(verdict(e, &r), WARD_V_PERMIT);
    assert_int_equal(verdict(e, &r), WARD_V_DEFER); /* used */

    ward_answer five = {WARD_ACT_BLOCK, WARD_SCOPE_DESTINATION, WARD_DUR_MINUTES, 5};
    assert_true(ward_learn(e, &r, 10, 99, &five, 1000) > 0);
    r.now = 1299;
    assert_int_equal(verdict(e, &r), WARD_V_BLOCK);
    r.now = 1300;
    assert_int_equal(verdict(e, &r), WARD_V_DEFER);

    ward_answer exit = {WARD_ACT_PERMIT, WARD_SCOPE_ANY, WARD_DUR_UNTIL_EXIT, 0};
    assert_true(ward_learn(e, &r, 10, 99, &exit, 1000) > 0);
    /* It holds for the process that was asked, and no other. */
    assert_int_equal(verdict(e, &r), WARD_V_DEFER); /* process not known */
    r.app.pid = 10;
    r.app.start_time = 99;
    assert_int_equal(verdict(e, &r), WARD_V_PERMIT);
    r.app.start_time = 98; /* the same pid, another process */
    assert_int_equal(verdict(e, &r), WARD_V_DEFER);
    r.app.pid = 11;
    r.app.start_time = 99;
    assert_int_equal(verdict(e, &r), WARD_V_DEFER);
    r.app.pid = 10;
    r.app.start_time = 99;
    assert_int_equal(ward_engine_process_exited(e, 10, 98), 0);
    assert_int_equal(ward_engine_process_exited(e, 10, 99), 1);
    assert_int_equal(verdict(e, &r), WARD_V_DEFER);

    ward_answer bad = {WARD_ACT_PERMIT, WARD_SCOPE_ANY, WARD_DUR_MINUTES, 0};
    assert_int_equal(ward_learn(e, &r, 10, 99, &bad, 1000), WARD_E_INVAL);
    ward_request anon = conn(NULL, "1.1.1.1", 1, 1);
    assert_int_equal(ward_learn(e, &anon, 10, 99, &once, 1000), WARD_E_INVAL);
    ward_engine_free(e);
}

/* An answer about a program whose file is not the one at its path is held
 * for that process alone, whatever duration was chosen: the file at the
 * path never gains rights from it. */
static void learn_unverified(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = conn("/usr/bin/curl (not the file at this path)", "93.184.216.34", 443, 1);
    r.app.unverified = true;
    r.app.pid = 10;
    r.app.start_time = 99;
    ward_answer forever = {WARD_ACT_PERMIT, WARD_SCOPE_ANY, WARD_DUR_FOREVER, 0};
    int64_t id = ward_learn(e, &r, 10, 99, &forever, 1000);
    assert_true(id > 0);
    ward_app_info a;
    assert_int_equal(ward_app_at(e, 0, &a), 0);
    ward_app_rule rule;
    uint64_t rid;
    assert_int_equal(ward_app_rule_at(e, a.id, 0, &rid, &rule), 0);
    assert_int_equal(rule.lifetime.kind, WARD_LIFE_UNTIL_EXIT);
    assert_int_equal(rule.lifetime.pid, 10);
    assert_int_equal(verdict(e, &r), WARD_V_PERMIT);
    ward_request real = conn("/usr/bin/curl", "93.184.216.34", 443, 1);
    real.app.pid = 12;
    real.app.start_time = 5;
    assert_int_equal(verdict(e, &real), WARD_V_DEFER); /* the real file: still unknown */
    r.app.pid = 11; /* another process of the same file: asked again */
    assert_int_equal(verdict(e, &r), WARD_V_DEFER);
    assert_int_equal(ward_engine_process_exited(e, 10, 99), 1);
    ward_engine_free(e);
}

static size_t rules_of(ward_engine *e, const char *path)
{
    int64_t id = ward_app_find(e, path);
    ward_app_info a = {0};
    for (size_t i = 0; id > 0 && i < ward_app_count(e); i++)
        if (ward_app_at(e, i, &a) == 0 && a.id == (uint64_t)id)
            return a.n_rules;
    return 0;
}

static void learn_no_duplicates(void **state)
{
    (void)state;
    ward_engine *e = engine();
    ward_request r = conn("/usr/bin/curl", "93.184.216.34", 443, 40000);
    ward_answer forever = {WARD_ACT_PERMIT, WARD_SCOPE_PORT, WARD_DUR_FOREVER, 0};
    int64_t first = ward_learn(e, &r, 10, 99, &forever, 1000);
    assert_true(first > 0);
    assert_int_equal(ward_learn(e, &r, 10, 99, &forever, 1000), first); /* the rule in force */
    ward_answer restart = {WARD_ACT_PERMIT, WARD_SCOPE_PORT, WARD_DUR_UNTIL_RESTART, 0};
    assert_int_equal(ward_learn(e, &r, 10, 99, &restart, 1000), first); /* it lasts longer */
    assert_int_equal(rules_of(e, "/usr/bin/curl"), 1);
    ward_answer five = {WARD_ACT_BLOCK, WARD_SCOPE_DESTINATION, WARD_DUR_MINUTES, 5};
    ward_answer ten = {WARD_ACT_BLOCK, WARD_SCOPE_DESTINATION, WARD_DUR_MINUTES, 10};
    assert_true(ward_learn(e, &r, 10, 99, &ten, 1000) > 0);
    assert_true(ward_learn(e, &r, 10, 99, &five, 1000) > 0); /* covered by ten */
    assert_int_equal(rules_of(e, "/usr/bin/curl"), 2);
    assert_true(ward_learn(e, &r, 10, 99, &ten, 1200) > 0); /* outlives: replaces */
    assert_int_equal(rules_of(e, "/usr/bin/curl"), 2);
    ward_answer deny = {WARD_ACT_BLOCK, WARD_SCOPE_PORT, WARD_DUR_FOREVER, 0};
    assert_true(ward_learn(e, &r, 10, 99, &deny, 1000) != first); /* another action */
    assert_int_equal(rules_of(e, "/usr/bin/curl"), 3);
    ward_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prompts_join_bursts), cmocka_unit_test(prompts_deadlines_and_bound),
        cmocka_unit_test(learn_scopes),        cmocka_unit_test(learn_durations),
        cmocka_unit_test(learn_unverified),    cmocka_unit_test(learn_no_duplicates),
    };
    return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
