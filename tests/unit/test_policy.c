/* The policy language and the rule store: loading all-or-nothing, every
 * error reported, suggestions, file secrecy, the learned rules file, and
 * atomic writes surviving a real kill -9 of the writer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/policy.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ward-test-policy.XXXXXX");
    umask(022);
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[8][256];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
    return p;
}

static const char *good =
    "set mode ask\n"
    "zone office = { 10.20.0.0/16 }\n"
    "filter \"ssh-in\" layer inbound weight 10 hard permit tcp to port 22 from lan\n"
    "app \"/usr/bin/ssh\" {\n"
    "    allow out tcp port 22 to office weekdays 08:00-19:00\n"
    "    deny out any\n"
    "}\n";

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(ward_policy_edit_distance("filter", "filter"), 0);
    assert_int_equal(ward_policy_edit_distance("fliter", "filter"), 1); /* a swap counts one */
    assert_int_equal(ward_policy_edit_distance("alow", "allow"), 1);
    assert_int_equal(ward_policy_edit_distance("", "abc"), 3);
}

static void test_load_and_decide(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    const char *f = write_file("good.conf", good, 0644);
    assert_int_equal(ward_policy_load(p, &f, 1), 0);
    ward_engine *e = ward_policy_engine(p);
    assert_non_null(e);
    ward_engine_set_prompter(e, true);
    ward_request r = {.layer = WARD_LAYER_CONNECT_OUT,
                      .dir = WARD_DIR_OUT,
                      .proto = 6,
                      .rport = 22,
                      .lport = 40000,
                      .app.path = "/usr/bin/ssh",
                      .wday = 2,
                      .minute = 600};
    ward_ip_from_v4(&r.remote, 0x0a140304); /* 10.20.3.4: office */
    ward_ip_from_v4(&r.local, 0xc0a8010a);
    ward_decision d;
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    r.wday = 6; /* Saturday: outside the window, the next rule denies */
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    ward_policy_free(p);
}

/* A policy with any error changes nothing: the previous one stays. */
static void test_bad_file_keeps_previous(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    const char *f = write_file("good.conf", good, 0644);
    assert_int_equal(ward_policy_load(p, &f, 1), 0);
    ward_engine *before = ward_policy_engine(p);
    char *text_before = ward_policy_format(p, 0, 0);
    assert_non_null(text_before);

    /* Valid statements first, one error late: nothing of it may apply. */
    const char *bad = write_file("bad.conf",
                                 "set mode deny-all\n"
                                 "filter \"x\" layer outbound weight 1 block tcp\n"
                                 "app \"/usr/bin/y\" {\n    allow out tcp port 99999\n}\n",
                                 0644);
    assert_int_equal(ward_policy_load(p, &bad, 1), 1);
    assert_ptr_equal(ward_policy_engine(p), before);
    char *text_after = ward_policy_format(p, 0, 0);
    assert_string_equal(text_before, text_after);
    assert_non_null(strstr(ward_policy_diagnostics(p), "bad.conf:4:24: error: port 99999"));
    ward_settings s;
    ward_engine_settings(ward_policy_engine(p), &s);
    assert_int_equal(s.mode, WARD_MODE_ASK);

    /* The same for a bad learned file added on top. */
    const char *learned =
        write_file("learned.rules", "app \"/x\" { allow out tcp provider nobody }\n", 0600);
    assert_true(ward_policy_load_more(p, &learned, 1) > 0);
    char *text_more = ward_policy_format(p, 0, 0);
    assert_string_equal(text_before, text_more);
    free(text_before);
    free(text_after);
    free(text_more);
    ward_policy_free(p);
}

static void test_every_error_reported(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    const char *text = "set mdoe ask\n"
                       "zone z = { 10.0.0.0/33 }\n"
                       "fliter \"a\" layer outbound weight 1 permit tcp\n"
                       "app \"/usr/bin/x\" {\n    alow out tcp\n    allow out tcp port 70000\n}\n";
    assert_int_equal(ward_policy_load_text(p, "t.conf", text, strlen(text)), 5);
    const char *d = ward_policy_diagnostics(p);
    assert_non_null(strstr(d, "t.conf:1:5: error: unknown setting 'mdoe'; did you mean 'mode'?"));
    assert_non_null(
        strstr(d, "t.conf:3:1: error: unknown keyword 'fliter'; did you mean 'filter'?"));
    assert_non_null(strstr(d, "did you mean 'allow'?"));
    assert_null(ward_policy_engine(p));
    ward_policy_free(p);
}

/* A load stops after WARD_POLICY_MAX_ERRORS errors, and text that is not
 * text is refused without being quoted. */
static void test_error_cap_and_binary(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    char text[4000] = "";
    for (int i = 0; i < 500; i++)
        strcat(text, "foo\n");
    assert_int_equal(ward_policy_load_text(p, "t.conf", text, strlen(text)),
                     WARD_POLICY_MAX_ERRORS);
    assert_non_null(strstr(ward_policy_diagnostics(p), "too many errors (20), stopping"));
    static const char bin[] = "set mode ask\nSECRET\x01\n";
    assert_int_equal(ward_policy_load_text(p, "b.conf", bin, sizeof(bin) - 1), 1);
    assert_non_null(
        strstr(ward_policy_diagnostics(p), "b.conf:2:7: error: 'b.conf' is not a text"));
    assert_null(strstr(ward_policy_diagnostics(p), "SECRET"));
    ward_policy_free(p);
}

static size_t n_rules(ward_policy *p)
{
    ward_engine_stats st;
    ward_engine_stats_get(ward_policy_engine(p), &st);
    return st.app_rules;
}

/* ward rules add: one rule of the language into the live engine, all or
 * nothing, with the policy's zones and the given provider and session. */
static void test_add_rule(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    assert_int_equal(ward_policy_load_text(p, "g.conf", good, strlen(good)), 0);
    ward_engine *e = ward_policy_engine(p);
    int learned = ward_provider_find(e, "learned");
    int64_t app = ward_app_find(e, "/usr/bin/ssh");
    assert_true(learned > 0 && app > 0);
    char err[2048];
    ward_rule_text rt = {.name = "rule",
                         .text = "allow out tcp port { 443, 8443 } to office weekdays "
                                 "08:00-19:00 domain \"*.example.com\" session 99",
                         .app_id = (uint64_t)app,
                         .program = "/usr/bin/ssh",
                         .provider = (uint32_t)learned,
                         .session = 7};
    size_t before = n_rules(p);
    int64_t id = ward_policy_add_rule(p, e, &rt, err, sizeof(err));
    assert_true(id > 0);
    assert_int_equal(n_rules(p), before + 1);
    ward_app_rule r;
    uint64_t rid;
    assert_int_equal(ward_app_rule_at(e, (uint64_t)app, 2, &rid, &r), 0);
    assert_int_equal(rid, (uint64_t)id);
    assert_int_equal(r.provider, (uint32_t)learned);
    assert_int_equal(r.lifetime.kind, WARD_LIFE_DYNAMIC);
    assert_int_equal(r.lifetime.session, 7); /* the caller's session, not 99 */
    assert_int_equal(r.n_ports, 2);
    assert_int_equal(r.n_times, 1);
    assert_int_equal(r.n_zones, 1);
    assert_int_equal(r.n_domains, 1);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"allow out tcp port 70000", "rule:1:20: error: port 70000 is out of range"},
        {"allow out tcp to ofice", "did you mean 'office'?"},
        {"allow out tcp port 1 deny out udp", "one rule expected"},
        {"permit out tcp", "'allow' or 'deny'"},
        {"allow out tcp\x01", "not a text file"},
        {"allow out tcp boot", "'boot' applies to filters"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rt.text = bad[i].text;
        assert_true(ward_policy_add_rule(p, e, &rt, err, sizeof(err)) < 0);
        if (!strstr(err, bad[i].want))
            fail_msg("%s: got %s", bad[i].text, err);
        assert_int_equal(n_rules(p), before + 1);
    }
    ward_policy_free(p);
}

/* One filter or sublayer statement added to a live engine: the id and
 * kind, a dynamic lifetime for the caller's session, errors at
 * name:line:col, nothing half-applied. */
static void test_add_object(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    assert_int_equal(ward_policy_load_text(p, "g.conf", good, strlen(good)), 0);
    ward_engine *e = ward_policy_engine(p);
    ward_engine_stats st;
    ward_engine_stats_get(e, &st);
    size_t filters = st.filters;
    char err[2048];
    int kind = 0;
    ward_object_text ot = {.name = "sublayer", .text = "sublayer lab weight 0xd000"};
    int64_t sub = ward_policy_add_object(p, e, &ot, &kind, err, sizeof(err));
    assert_true(sub > 0);
    assert_int_equal(kind, WARD_OBJ_SUBLAYER);
    assert_int_equal(ward_sublayer_find(e, "lab"), sub);

    ot = (ward_object_text){.name = "filter",
                            .text = "filter \"rt\" layer outbound sublayer lab weight 7 hard "
                                    "block to office port 25",
                            .session = 9,
                            .dynamic = true};
    int64_t id = ward_policy_add_object(p, e, &ot, &kind, err, sizeof(err));
    assert_true(id > 0);
    assert_int_equal(kind, WARD_OBJ_FILTER);
    ward_filter_def d;
    assert_int_equal(ward_filter_get(e, (uint64_t)id, &d), 0);
    assert_string_equal(d.name, "rt");
    assert_int_equal(d.sublayer, (uint32_t)sub);
    assert_int_equal(d.lifetime.kind, WARD_LIFE_DYNAMIC);
    assert_int_equal(d.lifetime.session, 9);
    char *text = ward_policy_format_filter(e, (uint64_t)id);
    assert_non_null(text);
    assert_non_null(strstr(text, "filter \"rt\" layer outbound sublayer lab weight 7 hard block"));
    free(text);

    /* A provider: added, named by nothing, removed again. */
    ot.text = "provider fleet";
    int64_t prov = ward_policy_add_object(p, e, &ot, &kind, err, sizeof(err));
    assert_true(prov > (int64_t)WARD_PROVIDER_LEARNED);
    assert_int_equal(kind, WARD_OBJ_PROVIDER);
    assert_int_equal(ward_provider_find(e, "fleet"), prov);
    assert_int_equal(ward_policy_remove_object(e, kind, prov), 0);
    assert_null(ward_provider_name(e, (uint32_t)prov));
    assert_int_equal(ward_provider_remove(e, WARD_PROVIDER_ADMIN), WARD_E_NOENT);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"filter layer outbound weight x block", "filter:1:30: error: filter weight"},
        {"filter layer outbound blok", "did you mean 'block'?"},
        {"filter layer outbound block to ofice", "did you mean 'office'?"},
        {"filter layer outbound block sublayer nolab", "unknown sublayer 'nolab'"},
        {"filter layer outbound block filter layer inbound block", "unexpected 'filter'"},
        {"allow out tcp", "'filter', 'sublayer' or 'provider'"},
        {"provider admin", "provider 'admin' is built in"},
        {"filter layer outbound block until-restart", "a dynamic filter has no other lifetime"},
        {"sublayer lab weight 1", "defined twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ot.text = bad[i].text;
        assert_true(ward_policy_add_object(p, e, &ot, &kind, err, sizeof(err)) < 0);
        if (!strstr(err, bad[i].want))
            fail_msg("%s: got %s", bad[i].text, err);
        ward_engine_stats_get(e, &st);
        assert_int_equal(st.filters, filters + 1); /* nothing half-applied */
    }
    assert_int_equal(ward_sublayer_remove(e, (uint32_t)sub), 0);
    ward_engine_stats_get(e, &st);
    assert_int_equal(st.filters, filters); /* the sublayer took its filter */
    ward_policy_free(p);
}

static void test_secrecy(void **state)
{
    (void)state;
    const char *f = write_file("open.conf", good, 0666);
    ward_policy *p = ward_policy_new();
    assert_int_equal(ward_policy_load(p, &f, 1), 1);
    assert_non_null(strstr(ward_policy_diagnostics(p), "writable by group or others"));
    chmod(f, 0644);
    assert_int_equal(ward_policy_load(p, &f, 1), 0);
    if (geteuid() == 0) {
        /* Owned by someone else: refused, unless that owner is trusted. */
        assert_int_equal(chown(f, 4242, 4242), 0);
        assert_int_equal(ward_policy_load(p, &f, 1), 1);
        assert_non_null(strstr(ward_policy_diagnostics(p), "owned by uid 4242"));
        ward_policy_trust_uid(p, 4242);
        assert_int_equal(ward_policy_load(p, &f, 1), 0);
    }
    ward_policy_free(p);
}

static void test_learned_roundtrip(void **state)
{
    (void)state;
    ward_policy *p = ward_policy_new();
    const char *f = write_file("admin.conf", good, 0644);
    const char *l =
        write_file("learned.rules",
                   "app \"/usr/bin/wget\" fallback ask {\n"
                   "    allow out tcp port 443 to 93.184.216.34 provider learned\n"
                   "}\n"
                   "app \"/usr/bin/ssh\" {\n"
                   "    allow out tcp port 2222 provider learned until-exit pid 9 start 7\n"
                   "    allow out tcp port 2223 provider learned until-restart\n"
                   "}\n",
                   0600);
    assert_int_equal(ward_policy_load(p, &f, 1), 0);
    assert_int_equal(ward_policy_load_more(p, &l, 1), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/saved.rules", dir);
    assert_int_equal(ward_store_save_learned(p, path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *learned_only = ward_policy_format(p, WARD_PRINT_PROVIDER_ONLY, WARD_PROVIDER_LEARNED);
    assert_null(strstr(learned_only, "office")); /* the admin's rules are not in it */

    /* Reading the saved file back on top of the admin's gives the same policy. */
    ward_policy *q = ward_policy_new();
    const char *saved = path;
    assert_int_equal(ward_policy_load(q, &f, 1), 0);
    assert_int_equal(ward_policy_load_more(q, &saved, 1), 0);
    char *a = ward_policy_format(p, 0, 0), *b = ward_policy_format(q, 0, 0);
    /* ... except what dies with the daemon: the until-restart rule. */
    char *line = strstr(a, "    allow out tcp port 2223 provider learned until-restart\n");
    assert_non_null(line);
    memmove(line, line + strlen("    allow out tcp port 2223 provider learned until-restart\n"),
            strlen(line + strlen("    allow out tcp port 2223 provider learned until-restart\n")) +
                1);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(learned_only);
    ward_policy_free(q);
    ward_policy_free(p);
}

/* Two versions of the learned file; a writer alternates between them. */
static char *version(int v)
{
    size_t cap = 64 * 1024, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "app \"/usr/bin/prog-%d-%d\" {\n"
                                "    allow out tcp port %d provider learned\n}\n",
                                v, i, 1000 + i);
    return s;
}

static void test_kill9_during_write(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s/learned.rules", dir);
    char *v[2] = {version(0), version(1)};
    assert_int_equal(ward_atomic_write(path, v[0], strlen(v[0]), 0600), 0);
    srand((unsigned)time(NULL));
    int killed_mid_run = 0;
    for (int iter = 0; iter < 40; iter++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int k = 0;; k++)
                if (ward_atomic_write(path, v[k & 1], strlen(v[k & 1]), 0600) < 0)
                    _exit(3);
        }
        struct timespec ts = {0, (long)(rand() % 20000) * 1000};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        killed_mid_run += WIFSIGNALED(status);

        /* The file is exactly one of the two versions, and loads. */
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char buf[64 * 1024];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        assert_true(strcmp(buf, v[0]) == 0 || strcmp(buf, v[1]) == 0);
        ward_policy *p = ward_policy_new();
        const char *pp = path;
        assert_int_equal(ward_policy_load(p, &pp, 1), 0);
        ward_policy_free(p);
    }
    assert_int_equal(killed_mid_run, 40);
    free(v[0]);
    free(v[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_add_object),
        cmocka_unit_test(test_load_and_decide),
        cmocka_unit_test(test_bad_file_keeps_previous),
        cmocka_unit_test(test_every_error_reported),
        cmocka_unit_test(test_error_cap_and_binary),
        cmocka_unit_test(test_add_rule),
        cmocka_unit_test(test_secrecy),
        cmocka_unit_test(test_learned_roundtrip),
        cmocka_unit_test(test_kill9_during_write),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
