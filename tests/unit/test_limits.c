/* Rate limits, quotas and the accounting callout, below the kernel: the
 * policy words (parsed, refused with file:line:col, printed back the same),
 * the limits.reply message, the quota table in SQLite, and the accounting
 * callout's answers. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "callout/accounting.h"
#include "log/quota.h"
#include "policy/policy.h"
#include "proto/proto.h"

static const char limits_conf[] = "set accounting-limit 500MB per day\n"
                                  "app \"/usr/bin/iperf3\" {\n"
                                  "    limit rate 2mbit burst 64KiB\n"
                                  "    quota 10GB per month then alert\n"
                                  "    allow out tcp\n"
                                  "}\n"
                                  "app \"/usr/bin/curl\" {\n"
                                  "    quota 3MiB per week\n"
                                  "}\n";

static ward_policy *load(const char *text)
{
    ward_policy *p = ward_policy_new();
    ward_policy_skip_secrecy(p, true);
    assert_int_equal(ward_policy_load_text(p, "t.conf", text, strlen(text)), 0);
    return p;
}

static void test_words(void **state)
{
    (void)state;
    ward_policy *p = load(limits_conf);
    const ward_policy_extras *x = ward_policy_get_extras(p);
    assert_int_equal(x->accounting_limit, 500000000);
    assert_int_equal(x->accounting_period, WARD_QUOTA_DAY);
    assert_int_equal(x->n_limits, 2);
    const ward_app_limit *l = ward_policy_limit_of(x, "/usr/bin/iperf3");
    assert_non_null(l);
    assert_int_equal(l->rate_bits, 2000000);
    assert_int_equal(l->burst, 65536);
    assert_int_equal(l->quota, 10000000000ull);
    assert_int_equal(l->period, WARD_QUOTA_MONTH);
    assert_true(l->quota_alert);
    l = ward_policy_limit_of(x, "/usr/bin/curl");
    assert_non_null(l);
    assert_int_equal(l->rate_bits, 0);
    assert_int_equal(l->quota, 3u << 20);
    assert_int_equal(l->period, WARD_QUOTA_WEEK);
    assert_false(l->quota_alert); /* blocks by default */
    assert_null(ward_policy_limit_of(x, "/usr/bin/wget"));

    /* Printed, loaded again, printed the same. */
    char *a = ward_policy_format(p, 0, 0);
    assert_non_null(strstr(a, "    limit rate 2mbit burst 64KiB\n"));
    assert_non_null(strstr(a, "    quota 10GB per month then alert\n"));
    assert_non_null(strstr(a, "app \"/usr/bin/curl\" {\n    quota 3MiB per week\n}"));
    assert_non_null(strstr(a, "set accounting-limit 500MB per day\n"));
    ward_policy *q = load(a);
    char *b = ward_policy_format(q, 0, 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    ward_policy_free(q);
    ward_policy_free(p);
}

static void test_units(void **state)
{
    (void)state;
    char b[32];
    ward_policy_fmt_rate(2000000, b, sizeof(b));
    assert_string_equal(b, "2mbit");
    ward_policy_fmt_rate(1500000, b, sizeof(b));
    assert_string_equal(b, "1500kbit");
    ward_policy_fmt_rate(12345, b, sizeof(b));
    assert_string_equal(b, "12345bit");
    ward_policy_fmt_size(1ull << 30, b, sizeof(b));
    assert_string_equal(b, "1GiB");
    ward_policy_fmt_size(2500000, b, sizeof(b));
    assert_string_equal(b, "2500KB");
    ward_policy_fmt_size(1001, b, sizeof(b));
    assert_string_equal(b, "1001B");
    assert_string_equal(ward_policy_period_name(WARD_QUOTA_WEEK), "week");
}

/* Each mistake at its file:line:col; the policy in force stays. */
static void test_errors(void **state)
{
    (void)state;
    ward_policy *p = load(limits_conf);
    char *before = ward_policy_format(p, 0, 0);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"app \"/x\" {\n    limit rate 2mbits\n}\n",
         "t.conf:2:16: error: a rate expected (e.g. 500kbit, 2mbit, 1gbit), not '2mbits'"},
        {"app \"/x\" {\n    limit 2mbit\n}\n", "t.conf:2:11: error: 'rate' expected after 'limit'"},
        {"app \"/x\" {\n    limit rate 1kbit\n}\n",
         "t.conf:2:16: error: rate 1kbit is out of range (8kbit to 400gbit)"},
        {"app \"/x\" {\n    limit rate 1mbit burst 10B\n}\n",
         "t.conf:2:28: error: burst 10B is out of range (1500B to 1GiB)"},
        {"app \"/x\" {\n    quota 10GB per year\n}\n",
         "t.conf:2:20: error: unknown period 'year' (one of: day, week, month)"},
        {"app \"/x\" {\n    quota 10GB\n}\n",
         "t.conf:2:11: error: quota: 'per day', 'per week' or 'per month' expected after '10GB'"},
        {"app \"/x\" {\n    quota 10 per day\n}\n",
         "t.conf:2:11: error: quota: a size expected (e.g. 500MB, 10GB, 2GiB), not '10'"},
        {"app \"/x\" {\n    quota 1GB per day then shout\n}\n",
         "t.conf:2:28: error: unknown outcome 'shout' (one of: block, alert)"},
        {"app \"/x\" {\n    limit rate 1mbit\n}\napp \"/x\" {\n    limit rate 2mbit\n}\n",
         "t.conf:5:5: error: app '/x' has a rate limit already"},
        {"app \"/x\" {\n    quota 1GB per day\n    quota 2GB per day\n}\n",
         "t.conf:3:5: error: app '/x' has a quota already"},
        {"app \"/x\" {\n    limit rate 1mbit now\n}\n",
         "t.conf:2:22: error: unexpected 'now' after the limit"},
        {"set accounting-limit 1GB per day\nset accounting-limit 2GB per day\n",
         "t.conf:2:5: error: 'set accounting-limit' is given twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ward_policy_load_text(p, "t.conf", bad[i].text, strlen(bad[i].text)), 1);
        if (!strstr(ward_policy_diagnostics(p), bad[i].msg))
            fail_msg("%s\nwanted: %s", ward_policy_diagnostics(p), bad[i].msg);
        char *after = ward_policy_format(p, 0, 0);
        assert_string_equal(before, after);
        free(after);
    }
    free(before);
    ward_policy_free(p);
}

static void test_limits_reply(void **state)
{
    (void)state;
    ward_limit_row rows[2] = {{.program = "/usr/bin/iperf3",
                               .rate_bits = 2000000,
                               .quota = 10000000000ull,
                               .period = WARD_QUOTA_MONTH,
                               .quota_alert = true,
                               .enforced = true,
                               .exhausted = false,
                               .period_start = 1764547200,
                               .used = 123456,
                               .dropped = 7,
                               .refused = 0},
                              {.program = "/usr/bin/curl",
                               .quota = 1000,
                               .period = 1,
                               .exhausted = true,
                               .used = 2000,
                               .refused = 3}};
    ward_msg m = {.type = WARD_MSG_LIMITS_REPLY, .id = 9};
    m.u.limits_reply.rows = rows;
    m.u.limits_reply.n = 2;
    char *line;
    size_t len;
    assert_int_equal(ward_proto_encode(&m, &line, &len), WARD_PE_OK);
    assert_non_null(strstr(line, "\"type\":\"limits.reply\""));
    ward_msg b;
    char err[256];
    assert_int_equal(ward_proto_decode(line, len, &b, err, sizeof(err)), WARD_PE_OK);
    assert_int_equal(b.u.limits_reply.n, 2);
    assert_memory_equal(&b.u.limits_reply.rows[0], &rows[0], sizeof(rows[0]));
    assert_memory_equal(&b.u.limits_reply.rows[1], &rows[1], sizeof(rows[1]));
    ward_msg_free(&b);
    free(line);
    const char *req = "{\"type\":\"limits.list\",\"id\":1}";
    assert_int_equal(ward_proto_decode(req, strlen(req), &b, err, sizeof(err)), WARD_PE_OK);
    assert_int_equal(b.type, WARD_MSG_LIMITS_LIST);
    assert_true(ward_msg_is_request(WARD_MSG_LIMITS_LIST));
    assert_true(ward_proto_allowed(WARD_MSG_LIMITS_LIST, WARD_AUTH_READ));
    ward_msg_free(&b);
    const char *odd = "{\"type\":\"limits.reply\",\"id\":1,\"limits\":[{\"program\":\"/x\","
                      "\"rate_bits\":0,\"quota\":1,\"period\":\"year\",\"then\":\"block\","
                      "\"enforced\":true,\"exhausted\":false,\"period_start\":0,\"used\":0,"
                      "\"dropped\":0,\"refused\":0}]}";
    assert_int_not_equal(ward_proto_decode(odd, strlen(odd), &b, err, sizeof(err)), WARD_PE_OK);
    ward_msg_free(&b);
}

static void test_quota_db(void **state)
{
    (void)state;
    char path[] = "/tmp/ward-test-quota.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    ward_quota_db *q = ward_quota_db_open(path, err, sizeof(err));
    assert_non_null(q);
    uint64_t used, kused;
    ward_quota_db_get(q, "/usr/bin/curl", WARD_QUOTA_DAY, 1000, &used, &kused);
    assert_int_equal(used, 0);
    assert_int_equal(kused, 0);
    ward_quota_use u[2] = {{"/usr/bin/curl", WARD_QUOTA_DAY, 1000, 4242, 42},
                           {"/usr/bin/wget", WARD_QUOTA_MONTH, 500, 7, 0}};
    assert_int_equal(ward_quota_db_put(q, u, 2), 0);
    ward_quota_db_close(q);
    /* Read back by another handle: what a restarted wardd sees. */
    q = ward_quota_db_open(path, err, sizeof(err));
    assert_non_null(q);
    ward_quota_db_get(q, "/usr/bin/curl", WARD_QUOTA_DAY, 1000, &used, &kused);
    assert_int_equal(used, 4242);
    assert_int_equal(kused, 42);
    ward_quota_db_get(q, "/usr/bin/wget", WARD_QUOTA_MONTH, 500, &used, &kused);
    assert_int_equal(used, 7);
    /* Another period, or another kind of period: nothing used yet. */
    ward_quota_db_get(q, "/usr/bin/curl", WARD_QUOTA_DAY, 2000, &used, &kused);
    assert_int_equal(used, 0);
    ward_quota_db_get(q, "/usr/bin/curl", WARD_QUOTA_WEEK, 1000, &used, &kused);
    assert_int_equal(used, 0);
    u[0].start = 2000;
    u[0].used = 1;
    assert_int_equal(ward_quota_db_put(q, u, 1), 0);
    ward_quota_db_get(q, "/usr/bin/curl", WARD_QUOTA_DAY, 2000, &used, &kused);
    assert_int_equal(used, 1);
    ward_quota_db_close(q);
    char wal[64];
    unlink(path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", path);
    unlink(wal);
}

static void test_accounting_callout(void **state)
{
    (void)state;
    const ward_callout *c = &ward_accounting_callout;
    assert_string_equal(c->name, "accounting");
    assert_int_equal(c->layers, WARD_CALLOUT_L_CONNECT | WARD_CALLOUT_L_ACCEPT);
    ward_callout_flow f = {.app = "/usr/bin/hog"};
    ward_callout_data d = {0};
    void *ctx = NULL;
    ward_accounting_reset(100);
    assert_int_equal(ward_accounting_period(), 100);
    ward_accounting_set_limit(0);
    ward_accounting_add("/usr/bin/hog", 5000);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_CONTINUE); /* no limit */
    ward_accounting_set_limit(6000);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_CONTINUE);
    ward_accounting_add("/usr/bin/hog", 1000);
    assert_int_equal(ward_accounting_used("/usr/bin/hog"), 6000);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_BLOCK_NO_VETO);
    ward_callout_flow other = {.app = "/usr/bin/quiet"}, unknown = {0};
    assert_int_equal(c->classify(&other, &d, &ctx), WARD_CALLOUT_CONTINUE);
    assert_int_equal(c->classify(&unknown, &d, &ctx), WARD_CALLOUT_CONTINUE);
    assert_null(ctx);
    /* A new period: counted afresh. */
    ward_accounting_reset(200);
    assert_int_equal(ward_accounting_used("/usr/bin/hog"), 0);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_CONTINUE);
    /* Many programs: the table stays bounded and answers for those it holds. */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "/p/%d", i);
        ward_accounting_add(name, 1);
    }
    assert_int_equal(ward_accounting_used("/p/0"), 1);
    ward_accounting_free();
    ward_accounting_set_limit(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),    cmocka_unit_test(test_units),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_limits_reply),
        cmocka_unit_test(test_quota_db), cmocka_unit_test(test_accounting_callout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
