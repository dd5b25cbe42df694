/* The traffic messages (stats.query/stats.reply, conns.list/conns.reply):
 * every field round-trips; unknown members, bad values and ranges are
 * refused; a path that is not UTF-8 goes out repaired. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

static char *encode(const ward_msg *m)
{
    char *line;
    size_t len;
    assert_int_equal(ward_proto_encode(m, &line, &len), WARD_PE_OK);
    return line;
}

static enum ward_proto_err decode(const char *s, ward_msg *out)
{
    char err[256];
    return ward_proto_decode(s, strlen(s), out, err, sizeof(err));
}

static void test_query_round_trip(void **state)
{
    (void)state;
    ward_msg m = {.type = WARD_MSG_STATS_QUERY, .id = 7};
    m.u.stats_query.by = WARD_STATS_BY_REMOTE;
    m.u.stats_query.since = 1763800000;
    m.u.stats_query.until = 1763900000;
    m.u.stats_query.program = "/usr/bin/curl";
    m.u.stats_query.limit = 50;
    char *a = encode(&m);
    assert_non_null(strstr(a, "\"type\":\"stats.query\""));
    ward_msg b;
    assert_int_equal(decode(a, &b), WARD_PE_OK);
    assert_int_equal(b.u.stats_query.by, WARD_STATS_BY_REMOTE);
    assert_int_equal(b.u.stats_query.since, 1763800000);
    assert_int_equal(b.u.stats_query.until, 1763900000);
    assert_string_equal(b.u.stats_query.program, "/usr/bin/curl");
    assert_int_equal(b.u.stats_query.limit, 50);
    assert_false(b.u.stats_query.has_uid); /* the server's to set */
    ward_msg_free(&b);
    free(a);
    /* Everything optional: by program, the whole time. */
    assert_int_equal(decode("{\"type\":\"stats.query\",\"id\":1}", &b), WARD_PE_OK);
    assert_int_equal(b.u.stats_query.by, WARD_STATS_BY_PROGRAM);
    assert_null(b.u.stats_query.program);
    ward_msg_free(&b);
}

static void test_reply_round_trip(void **state)
{
    (void)state;
    ward_stats_row rows[2] = {0};
    strcpy(rows[0].program, "/usr/bin/curl");
    strcpy(rows[0].remote, "10.0.0.2");
    strcpy(rows[0].domain, "example.org");
    rows[0].bytes_in = 3000000;
    rows[0].bytes_out = 4000;
    rows[0].packets_in = 100;
    rows[0].packets_out = 90;
    rows[0].conns = 2;
    strcpy(rows[1].program, "/usr/bin/nc");
    strcpy(rows[1].remote, "fd00::2");
    ward_msg m = {.type = WARD_MSG_STATS_REPLY, .id = 9};
    m.u.stats_reply.rows = rows;
    m.u.stats_reply.n = 2;
    m.u.stats_reply.more = true;
    char *a = encode(&m);
    ward_msg b;
    assert_int_equal(decode(a, &b), WARD_PE_OK);
    assert_int_equal(b.u.stats_reply.n, 2);
    assert_true(b.u.stats_reply.more);
    assert_memory_equal(&b.u.stats_reply.rows[0], &rows[0], sizeof(rows[0]));
    assert_memory_equal(&b.u.stats_reply.rows[1], &rows[1], sizeof(rows[1]));
    ward_msg_free(&b);
    free(a);

    ward_conn_info c = {.cookie = 4123, .pid = 42, .uid = 1000, .proto = 6, .dir = WARD_DIR_IN};
    strcpy(c.program, "/usr/bin/sshd");
    ward_ip_parse("10.0.0.1", &c.laddr);
    ward_ip_parse("2001:db8::7", &c.raddr);
    c.lport = 22;
    c.rport = 50000;
    strcpy(c.domain, "host.example");
    c.verdict = WARD_V_PERMIT;
    c.bytes_in = 1;
    c.bytes_out = 2;
    c.packets_in = 3;
    c.packets_out = 4;
    c.rate_in = 5;
    c.rate_out = 6;
    c.since = 1763800000;
    m = (ward_msg){.type = WARD_MSG_CONNS_REPLY, .id = 10};
    m.u.conns_reply.conns = &c;
    m.u.conns_reply.n = 1;
    a = encode(&m);
    assert_non_null(strstr(a, "\"dir\":\"in\""));
    assert_non_null(strstr(a, "\"raddr\":\"2001:db8::7\""));
    assert_int_equal(decode(a, &b), WARD_PE_OK);
    assert_int_equal(b.u.conns_reply.n, 1);
    assert_memory_equal(&b.u.conns_reply.conns[0], &c, sizeof(c));
    ward_msg_free(&b);
    free(a);
}

static void test_strict(void **state)
{
    (void)state;
    ward_msg b;
    static const struct {
        const char *in;
        enum ward_proto_err want;
    } cases[] = {
        {"{\"type\":\"stats.query\",\"id\":1,\"by\":\"color\"}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.query\",\"id\":1,\"uid\":0}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.query\",\"id\":1,\"limit\":0}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.query\",\"id\":1,\"since\":-1}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.query\",\"id\":1,\"since\":1.5}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.query\",\"id\":1,\"program\":7}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"conns.list\",\"id\":1,\"all\":true}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.reply\",\"id\":1,\"rows\":[]}", WARD_PE_MISSING_FIELD},
        {"{\"type\":\"stats.reply\",\"id\":1,\"rows\":[1],\"more\":false}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"stats.reply\",\"id\":1,\"rows\":[{\"program\":\"x\"}],\"more\":false}",
         WARD_PE_MISSING_FIELD},
        {"{\"type\":\"conns.reply\",\"id\":1,\"conns\":[{\"cookie\":1,\"program\":\"x\",\"pid\":1,"
         "\"uid\":1,\"proto\":300}],\"more\":false}",
         WARD_PE_BAD_FIELD},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        enum ward_proto_err e = decode(cases[i].in, &b);
        if (e != cases[i].want)
            fail_msg("%s: got %s", cases[i].in, ward_proto_err_name(e));
        ward_msg_free(&b);
    }
    /* Requests any peer may send; the server narrows them to the peer's uid. */
    assert_true(ward_proto_allowed(WARD_MSG_STATS_QUERY, WARD_AUTH_READ));
    assert_true(ward_proto_allowed(WARD_MSG_CONNS_LIST, WARD_AUTH_READ));
    assert_true(ward_msg_is_request(WARD_MSG_CONNS_LIST));
    assert_false(ward_msg_is_request(WARD_MSG_STATS_REPLY));
}

static void test_bad_utf8_repaired(void **state)
{
    (void)state;
    ward_stats_row r = {0};
    strcpy(r.program, "/opt/\xff\xfe/bin");
    ward_msg m = {.type = WARD_MSG_STATS_REPLY, .id = 3};
    m.u.stats_reply.rows = &r;
    m.u.stats_reply.n = 1;
    char *a = encode(&m);
    assert_non_null(strstr(a, "/opt/\xef\xbf\xbd\xef\xbf\xbd/bin"));
    ward_msg b;
    assert_int_equal(decode(a, &b), WARD_PE_OK);
    ward_msg_free(&b);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_round_trip),
        cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_bad_utf8_repaired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
