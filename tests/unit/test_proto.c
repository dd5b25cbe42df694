/* The control protocol: every message round-trips; malformed, truncated and
 * oversized input is refused with the right error; over a real unix socket a
 * client that is neither root nor in the admin group changes nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/proto.h"
#include "ring/ring.h"

/* ---- Sample messages ------------------------------------------------------ */

static void sample_event(ward_event *ev, uint64_t n)
{
    memset(ev, 0, sizeof(*ev));
    ev->seq = n;
    ev->time_ns = 1763800000123456789 + (int64_t)n;
    ev->kind = WARD_EVENT_DECISION;
    ev->pid = 4242;
    ev->uid = 1000;
    ev->proto = 6;
    ev->direction = WARD_DIR_OUT;
    ev->verdict = WARD_V_BLOCK;
    ev->layer = WARD_LAYER_CONNECT_OUT;
    ev->reason = WARD_R_APP_RULE;
    ev->lport = 40000;
    ev->rport = 443;
    ev->count = 1;
    ward_ip_parse("10.0.0.2", &ev->local);
    ward_ip_parse("2001:db8::1", &ev->remote);
    ev->filter_id = 17;
    WARD_EVENT_SET(ev, exe, "/usr/bin/curl");
    WARD_EVENT_SET(ev, cmdline, "curl -s https://example.com/\t\"quoted\"");
    WARD_EVENT_SET(ev, domain, "example.com");
    WARD_EVENT_SET(ev, filter, "no-curl");
}

static ward_range ports[] = {{80, 80}, {8000, 8080}};
static ward_range users[] = {{0, 0}, {1000, 1999}};
static ward_cidr remotes[2];
static char *domains[] = {"example.com", "*.example.org"};
static char *zones[] = {"internet"};
static ward_time_window times[] = {{WARD_DAYS_WEEKDAYS, 480, 1080}, {0x41, 1320, 120}};

static void sample_rule(ward_proto_rule *r, uint64_t id)
{
    memset(r, 0, sizeof(*r));
    ward_cidr_parse("10.0.0.0/8", &remotes[0]);
    ward_cidr_parse("fd00::/8", &remotes[1]);
    r->id = id;
    r->program = "/usr/bin/curl";
    r->action = WARD_ACT_PERMIT;
    r->dir = WARD_DIR_OUT;
    r->proto = 6;
    r->ports = ports;
    r->n_ports = 2;
    r->remotes = remotes;
    r->n_remotes = 2;
    r->domains = domains;
    r->n_domains = 2;
    r->zones = zones;
    r->n_zones = 1;
    r->times = times;
    r->n_times = 2;
    r->users = users;
    r->n_users = 2;
    r->provider = "learned";
    r->lifetime.kind = WARD_LIFE_TIMED;
    r->lifetime.expires = 1763900000;
    r->origin = "prompt 7";
}

static ward_event rows[3];
static ward_proto_rule rules[2];

/* One message of each type, built on static storage (not to be freed). */
static char *scan_paths[2] = {"/usr/bin/curl", "/tmp/eicar.com"};
static ward_proto_scan_result scan_results[3] = {
    {"/usr/bin/curl", WARD_SCAN_CLEAN, NULL},
    {"/tmp/eicar.com", WARD_SCAN_INFECTED, "Eicar-Signature"},
    {"/nonexistent", WARD_SCAN_ERROR, "No such file or directory"},
};
static ward_proto_object objects[2] = {
    {.id = 5,
     .name = "no-smtp",
     .layer = "connect-out",
     .sublayer = "admin",
     .weight = 10,
     .action = "block",
     .provider = "admin",
     .runtime = true,
     .text = "filter \"no-smtp\" layer outbound weight 10 block to port 25"},
    {.id = 3, .name = "lab", .weight = 0xd000, .dynamic = true, .runtime = true},
};

static ward_msg sample(enum ward_msg_type t)
{
    ward_msg m = {.type = t, .id = 7};
    switch (t) {
    case WARD_MSG_HELLO:
        m.u.hello.versions[0] = 1;
        m.u.hello.versions[1] = 2;
        m.u.hello.n_versions = 2;
        m.u.hello.client = "ward-cli";
        break;
    case WARD_MSG_HELLO_REPLY:
        m.u.hello_reply.version = 1;
        m.u.hello_reply.server = "wardd 0.1";
        m.u.hello_reply.admin = true;
        break;
    case WARD_MSG_STATUS_REPLY:
        m.u.status = (ward_proto_status){1,
                                         WARD_MODE_DENY_ALL,
                                         3600,
                                         10,
                                         4,
                                         12,
                                         3,
                                         1,
                                         2,
                                         0,
                                         99999,
                                         99000,
                                         999,
                                         "tracepoints",
                                         123,
                                         120,
                                         1764680000123,
                                         2500,
                                         7,
                                         12,
                                         1,
                                         5000,
                                         3,
                                         4990,
                                         "logged",
                                         18,
                                         40,
                                         2,
                                         1,
                                         65536,
                                         7,
                                         3,
                                         4,

                                         "fentry",
                                         "scan-before-allow",
                                         "running",
                                         "1.4.6",
                                         2,
                                         0,
                                         1764680000,
                                         "",
                                         3,
                                         1,
                                         1,
                                         0,
                                         "running",
                                         10025,
                                         1,
                                         12,
                                         2};
        break;
    case WARD_MSG_MODE_SET:
    case WARD_MSG_MODE_REPLY:
        m.u.mode.mode = WARD_MODE_ALLOW_ALL;
        break;
    case WARD_MSG_RULES_LIST:
        m.u.rules_list.provider = "learned";
        m.u.rules_list.program = "/usr/bin/curl";
        break;
    case WARD_MSG_RULES_REPLY:
        sample_rule(&rules[0], 5);
        sample_rule(&rules[1], 6);
        rules[1].action = WARD_ACT_BLOCK;
        rules[1].dir = WARD_DIR_ANY;
        rules[1].proto = 132; /* no name: sent as a number */
        rules[1].lifetime =
            (ward_lifetime){.kind = WARD_LIFE_UNTIL_EXIT, .pid = 77, .start_time = 123456};
        rules[1].origin = NULL;
        rules[1].provider = "admin";
        m.u.rules_reply.rules = rules;
        m.u.rules_reply.n = 2;
        m.u.rules_reply.more = true;
        break;
    case WARD_MSG_RULES_ADD:
        sample_rule(&m.u.rule, 0);
        break;
    case WARD_MSG_RULES_DELETE:
    case WARD_MSG_RULE_ADDED:
        m.u.rule_id.id = 12;
        break;
    case WARD_MSG_SUBSCRIBE_REPLY:
        m.u.subscribe_reply.version = WARD_RING_VERSION;
        m.u.subscribe_reply.record_size = sizeof(ward_event);
        m.u.subscribe_reply.capacity = 4096;
        break;
    case WARD_MSG_PROMPT_ANSWER:
        m.u.answer.prompt_id = 3;
        m.u.answer.action = WARD_ACT_PERMIT;
        m.u.answer.scope = WARD_SCOPE_PORT;
        m.u.answer.duration = WARD_DUR_MINUTES;
        m.u.answer.minutes = 30;
        m.u.answer.pin = true;
        break;
    case WARD_MSG_LOG_QUERY:
        m.u.log_query.program = "/usr/bin/*";
        m.u.log_query.since_ns = 1;
        m.u.log_query.until_ns = 2000000000000000000;
        m.u.log_query.verdict = WARD_V_BLOCK;
        m.u.log_query.has_remote = true;
        ward_cidr_parse("192.168.0.0/16", &m.u.log_query.remote);
        m.u.log_query.domain = "*.example.com";
        m.u.log_query.has_uid = true;
        m.u.log_query.uid = 1000;
        m.u.log_query.after_id = 50;
        m.u.log_query.limit = 100;
        break;
    case WARD_MSG_LOG_REPLY:
        for (int i = 0; i < 3; i++)
            sample_event(&rows[i], (uint64_t)i + 1);
        rows[2].kind = WARD_EVENT_ALERT;
        rows[2].direction = WARD_DIR_IN;
        rows[2].count = 250;
        const char *chain[] = {"/usr/bin/sh", "/usr/sbin/cron"};
        ward_event_set_parents(&rows[0], chain, 2);
        rows[1].name_src = WARD_NAME_MDNS;
        m.u.log_reply.rows = rows;
        m.u.log_reply.n = 3;
        break;
    case WARD_MSG_EXPLAIN:
        m.u.explain.has_conn = true;
        sample_event(&m.u.explain.conn, 0);
        m.u.explain.iface = "eth0";
        m.u.explain.cgroup = "/user.slice";
        m.u.explain.has_sha256 = true;
        memset(m.u.explain.sha256.b, 0xab, sizeof(m.u.explain.sha256.b));
        m.u.explain.has_gid = true;
        m.u.explain.gid = 100;
        break;
    case WARD_MSG_EXPLAIN_REPLY:
        m.u.explain_reply.verdict = WARD_V_BLOCK;
        m.u.explain_reply.reason = WARD_R_APP_FALLBACK;
        m.u.explain_reply.filter_id = 17;
        m.u.explain_reply.filter = "no-curl";
        m.u.explain_reply.text = "step 1: ...\nstep 2: ...\n";
        break;
    case WARD_MSG_PROMPT:
        m.id = 0;
        m.u.prompt.prompt_id = 9;
        m.u.prompt.timeout_s = 30;
        sample_event(&m.u.prompt.conn, 0);
        m.u.prompt.conn.verdict = WARD_V_DEFER;
        m.u.prompt.av = "infected: Ward.Test.Eicar.UNOFFICIAL";
        break;
    case WARD_MSG_PROMPT_CLOSED:
        m.id = 0;
        m.u.prompt_closed.prompt_id = 9;
        m.u.prompt_closed.verdict = WARD_V_PERMIT;
        m.u.prompt_closed.by = "answer";
        break;
    case WARD_MSG_ERROR:
        m.u.error.code = WARD_PE_FORBIDDEN;
        m.u.error.message = "nope";
        break;
    case WARD_MSG_FILTER_ADD:
    case WARD_MSG_SUBLAYER_ADD:
    case WARD_MSG_PROVIDER_ADD:
        m.u.object_add.text = "filter \"x\" layer outbound block to port 25";
        m.u.object_add.dynamic = true;
        break;
    case WARD_MSG_FILTER_DELETE:
    case WARD_MSG_SUBLAYER_DELETE:
    case WARD_MSG_PROVIDER_DELETE:
    case WARD_MSG_OBJECT_ADDED:
        m.u.object_id.id = 42;
        break;
    case WARD_MSG_OBJECT_REPLY:
        m.u.objects.v = objects;
        m.u.objects.n = 2;
        break;
    case WARD_MSG_CALLOUT_LOAD:
        m.u.callout_op.callout = "/usr/lib/ward/callouts/portguard.so";
        break;
    case WARD_MSG_CALLOUT_UNLOAD:
        m.u.callout_op.callout = "portguard";
        break;
    case WARD_MSG_SCAN:
        m.u.scan.paths = scan_paths;
        m.u.scan.n = 2;
        break;
    case WARD_MSG_SCAN_REPLY:
        m.u.scan_reply.v = scan_results;
        m.u.scan_reply.n = 3;
        break;
    default:
        break;
    }
    return m;
}

static char *encode(const ward_msg *m, size_t *len)
{
    char *s;
    assert_int_equal(ward_proto_encode(m, &s, len), WARD_PE_OK);
    return s;
}

static enum ward_proto_err decode_str(const char *s, ward_msg *m)
{
    char err[256];
    enum ward_proto_err e = ward_proto_decode(s, strlen(s), m, err, sizeof(err));
    if (e != WARD_PE_OK)
        assert_true(err[0] != '\0');
    return e;
}

/* ---- Codec ---------------------------------------------------------------- */

/* A connection's chain on one line: the program, then its parents; cut
 * short, never past the buffer. */
static void test_event_chain(void **state)
{
    (void)state;
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    char buf[128];
    ward_event_chain(&ev, " < ", buf, sizeof(buf));
    assert_string_equal(buf, "?");
    WARD_EVENT_SET(&ev, exe, "/usr/bin/curl");
    ward_event_chain(&ev, " ← ", buf, sizeof(buf));
    assert_string_equal(buf, "/usr/bin/curl");
    const char *chain[] = {"/usr/bin/bash", "/usr/sbin/sshd"};
    ward_event_set_parents(&ev, chain, 2);
    ward_event_chain(&ev, " ← ", buf, sizeof(buf));
    assert_string_equal(buf, "/usr/bin/curl ← /usr/bin/bash ← /usr/sbin/sshd");
    char small[20];
    memset(small, 'x', sizeof(small));
    ward_event_chain(&ev, " < ", small, sizeof(small));
    assert_string_equal(small, "/usr/bin/curl < /us");
    ward_event_chain(&ev, " < ", small, 1);
    assert_string_equal(small, "");
}

static void test_round_trip_every_type(void **state)
{
    for (int t = 0; t < WARD_MSG_COUNT; t++) {
        ward_msg m = sample((enum ward_msg_type)t);
        size_t len, len2;
        char *a = encode(&m, &len);
        assert_true(len > 0 && a[len - 1] == '\n');
        assert_null(memchr(a, '\n', len - 1));
        ward_msg back;
        char err[256];
        enum ward_proto_err e = ward_proto_decode(a, len, &back, err, sizeof(err));
        if (e != WARD_PE_OK)
            fail_msg("%s: %s: %s", ward_msg_type_name((enum ward_msg_type)t), err, a);
        assert_int_equal(back.type, t);
        assert_int_equal(back.id, m.id);
        char *b = encode(&back, &len2);
        assert_int_equal(len, len2);
        assert_memory_equal(a, b, len);
        ward_msg_free(&back);
        free(a);
        free(b);
    }
}

static void test_round_trip_fields(void **state)
{
    ward_msg m = sample(WARD_MSG_LOG_REPLY), back;
    size_t len;
    char *s = encode(&m, &len);
    assert_int_equal(decode_str(s, &back), WARD_PE_OK);
    assert_int_equal(back.u.log_reply.n, 3);
    assert_memory_equal(&back.u.log_reply.rows[0], &rows[0], sizeof(ward_event));
    assert_memory_equal(&back.u.log_reply.rows[2], &rows[2], sizeof(ward_event));
    ward_msg_free(&back);
    free(s);

    m = sample(WARD_MSG_RULES_ADD);
    s = encode(&m, &len);
    assert_int_equal(decode_str(s, &back), WARD_PE_OK);
    ward_proto_rule *r = &back.u.rule;
    assert_string_equal(r->program, "/usr/bin/curl");
    assert_int_equal(r->n_ports, 2);
    assert_int_equal(r->ports[1].lo, 8000);
    assert_int_equal(r->ports[1].hi, 8080);
    assert_memory_equal(&r->remotes[1], &remotes[1], sizeof(ward_cidr));
    assert_string_equal(r->domains[1], "*.example.org");
    assert_int_equal(r->times[1].start, 1320);
    assert_int_equal(r->lifetime.kind, WARD_LIFE_TIMED);
    assert_int_equal(r->lifetime.expires, 1763900000);
    assert_string_equal(r->provider, "learned");
    assert_int_equal(r->n_users, 2);
    assert_int_equal(r->users[1].lo, 1000);
    assert_int_equal(r->users[1].hi, 1999);
    ward_msg_free(&back);
    free(s);

    m = sample(WARD_MSG_EXPLAIN);
    s = encode(&m, &len);
    assert_int_equal(decode_str(s, &back), WARD_PE_OK);
    assert_string_equal(back.u.explain.iface, "eth0");
    assert_string_equal(back.u.explain.cgroup, "/user.slice");
    assert_true(back.u.explain.has_sha256);
    assert_memory_equal(&back.u.explain.sha256, &m.u.explain.sha256, sizeof(ward_sha256));
    assert_true(back.u.explain.has_gid);
    assert_int_equal(back.u.explain.gid, 100);
    ward_msg_free(&back);
    free(s);
    /* Without a described connection they have nothing to describe. */
    assert_int_equal(
        decode_str("{\"type\":\"explain\",\"id\":1,\"log_id\":4,\"iface\":\"lo\"}", &back),
        WARD_PE_BAD_FIELD);

    /* A minimal rule gets the defaults. */
    assert_int_equal(
        decode_str("{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/bin/nc\","
                   "\"action\":\"block\",\"proto\":17,\"ports\":[53]}}",
                   &back),
        WARD_PE_OK);
    assert_int_equal(back.u.rule.dir, WARD_DIR_OUT);
    assert_int_equal(back.u.rule.proto, 17);
    assert_int_equal(back.u.rule.lifetime.kind, WARD_LIFE_PERSISTENT);
    assert_null(back.u.rule.provider);
    ward_msg_free(&back);
}

/* filter.*, sublayer.*, provider.*, txn.*: fields, strictness, who may send them. */
static void test_runtime_messages(void **state)
{
    ward_msg m = sample(WARD_MSG_OBJECT_REPLY), back;
    size_t len;
    char *s = encode(&m, &len);
    assert_int_equal(decode_str(s, &back), WARD_PE_OK);
    assert_int_equal(back.u.objects.n, 2);
    assert_string_equal(back.u.objects.v[0].text, objects[0].text);
    assert_string_equal(back.u.objects.v[0].layer, "connect-out");
    assert_int_equal(back.u.objects.v[1].weight, 0xd000);
    assert_true(back.u.objects.v[1].dynamic);
    assert_null(back.u.objects.v[1].text);
    assert_false(back.u.objects.more);
    ward_msg_free(&back);
    free(s);

    /* `more`: a part of a longer list; optional, false when absent. */
    for (int t = 0; t < 3; t++) {
        static const char *const lists[] = {
            "object.reply\",\"objects", "callout.reply\",\"callouts", "limits.reply\",\"limits"};
        char line[128];
        snprintf(line, sizeof(line), "{\"type\":\"%s\":[],\"id\":2,\"more\":true}", lists[t]);
        assert_int_equal(decode_str(line, &back), WARD_PE_OK);
        assert_true(t == 0   ? back.u.objects.more
                    : t == 1 ? back.u.callout_reply.more
                             : back.u.limits_reply.more);
        ward_msg_free(&back);
        snprintf(line, sizeof(line), "{\"type\":\"%s\":[],\"id\":2}", lists[t]);
        assert_int_equal(decode_str(line, &back), WARD_PE_OK);
        ward_msg_free(&back);
        snprintf(line, sizeof(line), "{\"type\":\"%s\":[],\"id\":2,\"more\":1}", lists[t]);
        assert_int_equal(decode_str(line, &back), WARD_PE_BAD_FIELD);
    }

    assert_int_equal(
        decode_str("{\"type\":\"filter.add\",\"id\":1,\"text\":\"filter block\"}", &back),
        WARD_PE_OK);
    assert_string_equal(back.u.object_add.text, "filter block");
    assert_false(back.u.object_add.dynamic);
    ward_msg_free(&back);
    assert_int_equal(decode_str("{\"type\":\"filter.add\",\"id\":1}", &back),
                     WARD_PE_MISSING_FIELD);
    assert_int_equal(
        decode_str("{\"type\":\"filter.add\",\"id\":1,\"text\":\"x\",\"weight\":3}", &back),
        WARD_PE_BAD_FIELD);
    assert_int_equal(decode_str("{\"type\":\"filter.delete\",\"id\":1,\"object_id\":0}", &back),
                     WARD_PE_BAD_FIELD);
    assert_int_equal(decode_str("{\"type\":\"txn.begin\",\"id\":1,\"text\":\"x\"}", &back),
                     WARD_PE_BAD_FIELD);
    assert_int_equal(decode_str("{\"type\":\"object.added\",\"id\":1,\"object_id\":0}", &back),
                     WARD_PE_OK); /* staged in a transaction */

    /* provider.*: the same fields as sublayer.* */
    assert_int_equal(decode_str("{\"type\":\"provider.add\",\"id\":1,\"text\":\"provider fleet\","
                                "\"dynamic\":true}",
                                &back),
                     WARD_PE_OK);
    assert_int_equal(back.type, WARD_MSG_PROVIDER_ADD);
    assert_string_equal(back.u.object_add.text, "provider fleet");
    assert_true(back.u.object_add.dynamic);
    ward_msg_free(&back);
    assert_int_equal(decode_str("{\"type\":\"provider.add\",\"id\":1}", &back),
                     WARD_PE_MISSING_FIELD);
    assert_int_equal(decode_str("{\"type\":\"provider.delete\",\"id\":1,\"object_id\":3}", &back),
                     WARD_PE_OK);
    assert_int_equal(back.type, WARD_MSG_PROVIDER_DELETE);
    assert_int_equal(back.u.object_id.id, 3);
    ward_msg_free(&back);
    assert_int_equal(decode_str("{\"type\":\"provider.delete\",\"id\":1,\"object_id\":0}", &back),
                     WARD_PE_BAD_FIELD);
    assert_int_equal(decode_str("{\"type\":\"provider.list\",\"id\":1,\"text\":\"x\"}", &back),
                     WARD_PE_BAD_FIELD);

    static const enum ward_msg_type admin_only[] = {
        WARD_MSG_FILTER_ADD,      WARD_MSG_FILTER_DELETE, WARD_MSG_SUBLAYER_ADD,
        WARD_MSG_SUBLAYER_DELETE, WARD_MSG_PROVIDER_ADD,  WARD_MSG_PROVIDER_DELETE,
        WARD_MSG_TXN_BEGIN,       WARD_MSG_TXN_COMMIT,    WARD_MSG_TXN_ABORT};
    for (size_t i = 0; i < sizeof(admin_only) / sizeof(*admin_only); i++) {
        assert_false(ward_proto_allowed(admin_only[i], WARD_AUTH_READ));
        assert_true(ward_proto_allowed(admin_only[i], WARD_AUTH_ADMIN));
    }
    assert_true(ward_proto_allowed(WARD_MSG_FILTER_LIST, WARD_AUTH_READ));
    assert_true(ward_proto_allowed(WARD_MSG_SUBLAYER_LIST, WARD_AUTH_READ));
    assert_true(ward_proto_allowed(WARD_MSG_PROVIDER_LIST, WARD_AUTH_READ));
    assert_false(ward_proto_allowed(WARD_MSG_OBJECT_REPLY, WARD_AUTH_ADMIN));
}

static void test_encoder_repairs_utf8(void **state)
{
    ward_msg m = sample(WARD_MSG_PROMPT), back;
    WARD_EVENT_SET(&m.u.prompt.conn, exe, "/tmp/\xff\xfe-bad\xc3");
    size_t len;
    char *s = encode(&m, &len);
    assert_int_equal(decode_str(s, &back), WARD_PE_OK);
    assert_string_equal(back.u.prompt.conn.exe, "/tmp/\xef\xbf\xbd\xef\xbf\xbd-bad\xef\xbf\xbd");
    ward_msg_free(&back);
    free(s);
}

static void test_encoder_bounds(void **state)
{
    ward_msg m = sample(WARD_MSG_ERROR);
    char *big = malloc(WARD_PROTO_MAX_MSG);
    memset(big, 'x', WARD_PROTO_MAX_MSG - 1);
    big[WARD_PROTO_MAX_MSG - 1] = '\0';
    m.u.error.message = big;
    char *s;
    size_t len;
    assert_int_equal(ward_proto_encode(&m, &s, &len), WARD_PE_TOO_LARGE);
    assert_null(s);
    free(big);
    m = sample(WARD_MSG_MODE_SET);
    m.u.mode.mode = (enum ward_mode)9;
    assert_int_equal(ward_proto_encode(&m, &s, &len), WARD_PE_BAD_FIELD);
}

struct bad {
    const char *text;
    enum ward_proto_err want;
};

static void test_malformed(void **state)
{
    static const struct bad cases[] = {
        {"", WARD_PE_BAD_JSON},
        {"{", WARD_PE_BAD_JSON},
        {"{\"type\":\"status\",\"id\":1", WARD_PE_BAD_JSON},
        {"[]", WARD_PE_BAD_JSON},
        {"42", WARD_PE_BAD_JSON},
        {"null", WARD_PE_BAD_JSON},
        {"{\"type\":\"status\",\"id\":1} x", WARD_PE_BAD_JSON},
        {"{\"type\":\"status\",\"id\":1}{\"type\":\"status\",\"id\":2}", WARD_PE_BAD_JSON},
        {"{'type':'status','id':1}", WARD_PE_BAD_JSON},
        {"{\"type\":\"status\",\"id\":1,}", WARD_PE_BAD_JSON},
        {"{\"type\":\"status\"}", WARD_PE_MISSING_FIELD},
        {"{\"id\":1}", WARD_PE_MISSING_FIELD},
        {"{\"type\":\"nope\",\"id\":1}", WARD_PE_UNKNOWN_TYPE},
        {"{\"type\":7,\"id\":1}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":-1}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":1.5}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":\"1\"}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":4294967296}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":99999999999999999999999}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":1,\"extra\":true}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"mode.set\",\"id\":1}", WARD_PE_MISSING_FIELD},
        {"{\"type\":\"mode.set\",\"id\":1,\"mode\":2}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"mode.set\",\"id\":1,\"mode\":\"loud\"}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"mode.set\",\"id\":1,\"mode\":\"ask\\u0000x\"}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"hello\",\"id\":1,\"versions\":[]}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"hello\",\"id\":1,\"versions\":[\"1\"]}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"hello\",\"id\":1,\"versions\":1}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1}", WARD_PE_MISSING_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":[]}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"action\":\"allow\"}}",
         WARD_PE_MISSING_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"\",\"action\":\"allow\"}}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/a\",\"action\":\"allow\","
         "\"ports\":[[90,80]]}}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/a\",\"action\":\"allow\","
         "\"ports\":[70000]}}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/a\",\"action\":\"allow\","
         "\"remote\":[\"10.0.0.1/8\"]}}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/a\",\"action\":\"allow\","
         "\"proto\":\"sctp\"}}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/a\",\"action\":\"allow\","
         "\"lifetime\":{\"kind\":\"timed\"}}}",
         WARD_PE_MISSING_FIELD},
        {"{\"type\":\"rules.add\",\"id\":1,\"rule\":{\"program\":\"/a\",\"action\":\"allow\","
         "\"times\":[{\"days\":200,\"start\":0,\"end\":1}]}}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"rules.delete\",\"id\":1,\"rule_id\":0}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"prompt.answer\",\"id\":1,\"prompt_id\":1,\"action\":\"allow\","
         "\"scope\":\"any\",\"duration\":\"minutes\"}",
         WARD_PE_MISSING_FIELD},
        {"{\"type\":\"prompt.answer\",\"id\":1,\"prompt_id\":1,\"action\":\"allow\","
         "\"scope\":\"any\",\"duration\":\"once\",\"minutes\":5}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"prompt.answer\",\"id\":1,\"prompt_id\":1,\"action\":\"allow\","
         "\"scope\":\"everywhere\",\"duration\":\"once\"}",
         WARD_PE_BAD_FIELD},
        {"{\"type\":\"log.query\",\"id\":1,\"remote\":\"not-an-ip\"}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"log.query\",\"id\":1,\"limit\":1000000}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"explain\",\"id\":1}", WARD_PE_MISSING_FIELD},
        {"{\"type\":\"explain\",\"id\":1,\"conn\":{\"direction\":\"any\"}}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"explain\",\"id\":1,\"conn\":{\"exe\":5}}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"explain\",\"id\":1,\"conn\":{\"remote\":\"1.2.3\"}}", WARD_PE_BAD_FIELD},
        {"{\"type\":\"status\",\"id\":1,\"x\":\"\xff\xfe\"}", WARD_PE_BAD_UTF8},
        {"{\"type\":\"status\",\"id\":1,\"x\":\"\xc0\xaf\"}", WARD_PE_BAD_UTF8},
        {"{\"type\":\"status\",\"id\":1,\"x\":\"\xed\xa0\x80\"}", WARD_PE_BAD_UTF8},
        {"{\"type\":\"status\",\"id\":1,\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}", WARD_PE_TOO_DEEP},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        ward_msg m;
        enum ward_proto_err e = decode_str(cases[i].text, &m);
        if (e != cases[i].want)
            fail_msg("case %zu %s: got %s want %s", i, cases[i].text, ward_proto_err_name(e),
                     ward_proto_err_name(cases[i].want));
        ward_msg_free(&m);
    }
    /* The id survives an error so the reply can carry it. */
    ward_msg m;
    assert_int_equal(decode_str("{\"type\":\"mode.set\",\"id\":77,\"mode\":1}", &m),
                     WARD_PE_BAD_FIELD);
    assert_int_equal(m.id, 77);
    /* A NUL byte inside the buffer. */
    static const char nul[] = "{\"type\":\"status\",\"id\":1}\0";
    assert_int_equal(ward_proto_decode(nul, sizeof(nul) - 1, &m, NULL, 0), WARD_PE_BAD_JSON);
}

static void test_truncated_and_oversized(void **state)
{
    for (int t = 0; t < WARD_MSG_COUNT; t++) {
        ward_msg m = sample((enum ward_msg_type)t), back;
        size_t len;
        char *s = encode(&m, &len);
        for (size_t cut = 0; cut + 1 < len; cut++) {
            enum ward_proto_err e = ward_proto_decode(s, cut, &back, NULL, 0);
            if (e == WARD_PE_OK)
                fail_msg("%s: prefix of %zu bytes decoded", ward_msg_type_name(m.type), cut);
            ward_msg_free(&back);
        }
        free(s);
    }
    size_t n = WARD_PROTO_MAX_MSG + 10;
    char *big = malloc(n);
    memset(big, ' ', n);
    memcpy(big, "{\"type\":\"status\",\"id\":1}", 24);
    ward_msg m;
    assert_int_equal(ward_proto_decode(big, n, &m, NULL, 0), WARD_PE_TOO_LARGE);
    /* Exactly the maximum with its newline is accepted. */
    big[WARD_PROTO_MAX_MSG - 1] = '\n';
    assert_int_equal(ward_proto_decode(big, WARD_PROTO_MAX_MSG, &m, NULL, 0), WARD_PE_OK);
    free(big);
}

static void test_auth_table(void **state)
{
    for (int t = 0; t < WARD_MSG_COUNT; t++) {
        bool req = ward_msg_is_request((enum ward_msg_type)t);
        assert_int_equal(ward_proto_allowed((enum ward_msg_type)t, WARD_AUTH_ADMIN), req);
    }
    static const enum ward_msg_type denied[] = {
        WARD_MSG_MODE_SET,  WARD_MSG_RULES_ADD, WARD_MSG_RULES_DELETE, WARD_MSG_RELOAD,
        WARD_MSG_SUBSCRIBE, WARD_MSG_SCAN,      WARD_MSG_CALLOUT_LOAD, WARD_MSG_CALLOUT_UNLOAD};
    for (size_t i = 0; i < sizeof(denied) / sizeof(*denied); i++)
        assert_false(ward_proto_allowed(denied[i], WARD_AUTH_READ));
    assert_true(ward_proto_allowed(WARD_MSG_STATUS, WARD_AUTH_READ));
    assert_true(ward_proto_allowed(WARD_MSG_RULES_LIST, WARD_AUTH_READ));
    assert_false(ward_proto_allowed(WARD_MSG_OK, WARD_AUTH_READ));
    /* Anyone may register and answer; the server narrows it to their own. */
    assert_true(ward_proto_allowed(WARD_MSG_PROMPT_REGISTER, WARD_AUTH_READ));
    assert_true(ward_proto_allowed(WARD_MSG_PROMPT_ANSWER, WARD_AUTH_READ));
}

/* The owner of the asking process answers its prompts; admins answer all. */
static void test_auth_prompt_owner(void **state)
{
    ward_peer user = {.uid = 1000, .auth = WARD_AUTH_READ};
    ward_peer other = {.uid = 1001, .auth = WARD_AUTH_READ};
    ward_peer admin = {.uid = 1002, .auth = WARD_AUTH_ADMIN};
    assert_true(ward_proto_may_answer(&user, 1000));
    assert_false(ward_proto_may_answer(&other, 1000));
    assert_false(ward_proto_may_answer(&user, 0));
    assert_false(ward_proto_may_answer(&user, WARD_UID_UNKNOWN));
    assert_true(ward_proto_may_answer(&admin, 1000));
    assert_true(ward_proto_may_answer(&admin, WARD_UID_UNKNOWN));
}

/* ---- A real server -------------------------------------------------------- */

struct fake_daemon {
    ward_server *srv;
    ward_ring *ring;
    pthread_t thread;
    volatile int stop;
    enum ward_mode mode;
    int mutations; /* policy-changing requests that reached the handler */
    uint32_t last_query_uid;
    bool last_query_has_uid;
    char dir[64], path[96];
    ward_conn *push_target;
    int pushes_refused;
    /* fork() copies the sanitizer's allocator locks as they are: the server
     * thread is parked (holding none) while a test forks. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool hold, held;
};

static void push_many(ward_conn *c, void *ctx)
{
    struct fake_daemon *d = ctx;
    if (c == d->push_target)
        return;
    ward_msg p = {.type = WARD_MSG_PROMPT};
    sample_event(&p.u.prompt.conn, 0);
    for (int i = 0; i < 10000; i++) {
        p.u.prompt.prompt_id = (uint64_t)i + 1;
        if (ward_conn_send(c, &p, NULL, 0) < 0) {
            d->pushes_refused++;
            break;
        }
    }
}

static void on_msg(ward_server *s, ward_conn *c, const ward_msg *m, void *ctx)
{
    struct fake_daemon *d = ctx;
    ward_msg r = {.id = m->id};
    switch (m->type) {
    case WARD_MSG_STATUS:
        r.type = WARD_MSG_STATUS_REPLY;
        r.u.status.version = 1;
        r.u.status.mode = d->mode;
        r.u.status.clients = ward_server_clients(s);
        ward_conn_send(c, &r, NULL, 0);
        break;
    case WARD_MSG_MODE_GET:
    case WARD_MSG_MODE_SET:
        if (m->type == WARD_MSG_MODE_SET) {
            d->mode = m->u.mode.mode;
            d->mutations++;
        }
        r.type = WARD_MSG_MODE_REPLY;
        r.u.mode.mode = d->mode;
        ward_conn_send(c, &r, NULL, 0);
        break;
    case WARD_MSG_RULES_ADD:
        d->mutations++;
        r.type = WARD_MSG_RULE_ADDED;
        r.u.rule_id.id = 100;
        ward_conn_send(c, &r, NULL, 0);
        break;
    case WARD_MSG_RULES_LIST: {
        /* Enough rules to need several replies. */
        static ward_proto_rule many[400];
        for (size_t i = 0; i < 400; i++)
            sample_rule(&many[i], i + 1);
        ward_conn_send_rules(c, m->id, many, 400);
        break;
    }
    case WARD_MSG_FILTER_LIST: {
        /* 1500 filters with long texts: several times one message. */
        enum { N_FILTERS = 1500 };
        static ward_proto_object many[N_FILTERS];
        static char text[N_FILTERS][160];
        for (size_t i = 0; i < N_FILTERS; i++) {
            snprintf(text[i], sizeof(text[i]),
                     "filter \"runtime-filter-with-a-long-name-%05zu\" layer connect-out "
                     "block to port %zu",
                     i, 1000 + i);
            many[i] = (ward_proto_object){
                .id = i + 1, .name = "f", .layer = "connect-out", .text = text[i]};
        }
        ward_conn_send_objects(c, m->id, many, N_FILTERS);
        break;
    }
    case WARD_MSG_SUBSCRIBE: {
        uint32_t sub;
        int efd = ward_ring_subscribe(d->ring, &sub);
        int fds[2] = {ward_ring_memfd(d->ring), efd};
        r.type = WARD_MSG_SUBSCRIBE_REPLY;
        r.u.subscribe_reply.version = WARD_RING_VERSION;
        r.u.subscribe_reply.record_size = sizeof(ward_event);
        r.u.subscribe_reply.capacity = ward_ring_capacity(d->ring);
        ward_conn_send(c, &r, fds, 2);
        close(efd);
        ward_event ev;
        sample_event(&ev, 0);
        ward_ring_write(d->ring, &ev);
        ward_ring_notify(d->ring);
        break;
    }
    case WARD_MSG_LOG_QUERY: {
        d->last_query_has_uid = m->u.log_query.has_uid;
        d->last_query_uid = m->u.log_query.uid;
        ward_event ev[2];
        sample_event(&ev[0], 1);
        sample_event(&ev[1], 2);
        ward_conn_send_log_rows(c, m->id, ev, 2);
        break;
    }
    case WARD_MSG_RULES_DELETE:
        if (m->u.rule_id.id == 999) {
            /* The test's trigger: push a flood of prompts to the others. */
            d->push_target = c;
            ward_server_foreach(s, push_many, d);
        }
        /* fall through */
    case WARD_MSG_RELOAD:
    case WARD_MSG_PROMPT_REGISTER:
    case WARD_MSG_PROMPT_ANSWER:
        d->mutations++;
        ward_conn_send_ok(c, m->id);
        break;
    default:
        ward_conn_send_error(c, m->id, WARD_PE_NOT_FOUND, "not in this test");
    }
}

static void *server_thread(void *arg)
{
    struct fake_daemon *d = arg;
    while (!d->stop) {
        pthread_mutex_lock(&d->mu);
        while (d->hold) {
            d->held = true;
            pthread_cond_broadcast(&d->cv);
            pthread_cond_wait(&d->cv, &d->mu);
        }
        d->held = false;
        pthread_mutex_unlock(&d->mu);
        ward_server_run(d->srv, 20);
    }
    return NULL;
}

static int start_daemon(void **state)
{
    struct fake_daemon *d = calloc(1, sizeof(*d));
    strcpy(d->dir, "/tmp/ward-proto-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    chmod(d->dir, 0755); /* the unprivileged client must reach the socket */
    snprintf(d->path, sizeof(d->path), "%s/control.sock", d->dir);
    d->ring = ward_ring_create(64);
    ward_server_config cfg = {.path = d->path,
                              .admin_gid = 4242, /* stands for group `ward` */
                              .max_clients = 8,
                              .max_out = 1 << 20,
                              .on_msg = on_msg,
                              .ctx = d};
    char err[256];
    d->srv = ward_server_new(&cfg, err, sizeof(err));
    if (!d->srv)
        fail_msg("server: %s", err);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_create(&d->thread, NULL, server_thread, d);
    *state = d;
    return 0;
}

static int stop_daemon(void **state)
{
    struct fake_daemon *d = *state;
    d->stop = 1;
    pthread_join(d->thread, NULL);
    ward_server_free(d->srv);
    ward_ring_destroy(d->ring);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    struct stat st;
    assert_int_equal(stat(d->path, &st), -1); /* the socket is removed */
    rmdir(d->dir);
    free(d);
    return 0;
}

static ward_client *connect_ok(struct fake_daemon *d)
{
    char err[256];
    ward_client *c = ward_client_connect(d->path, "test", err, sizeof(err));
    if (!c)
        fail_msg("connect: %s", err);
    return c;
}

static ward_msg call(ward_client *c, ward_msg req)
{
    ward_msg rep;
    assert_int_equal(ward_client_call(c, &req, &rep, NULL, NULL, 5000), 1);
    return rep;
}

static void test_socket_admin(void **state)
{
    struct fake_daemon *d = *state;
    ward_client *c = connect_ok(d);
    assert_true(ward_client_admin(c));
    assert_int_equal(ward_client_version(c), WARD_PROTO_VERSION);
    ward_msg req = {.type = WARD_MSG_MODE_SET};
    req.u.mode.mode = WARD_MODE_DENY_ALL;
    ward_msg rep = call(c, req);
    assert_int_equal(rep.type, WARD_MSG_MODE_REPLY);
    assert_int_equal(rep.u.mode.mode, WARD_MODE_DENY_ALL);
    assert_int_equal(d->mode, WARD_MODE_DENY_ALL);

    /* A multi-part reply: 400 rules do not fit one message. */
    rep = call(c, (ward_msg){.type = WARD_MSG_RULES_LIST});
    size_t total = 0, parts = 0;
    for (;;) {
        assert_int_equal(rep.type, WARD_MSG_RULES_REPLY);
        total += rep.u.rules_reply.n;
        parts++;
        bool more = rep.u.rules_reply.more;
        ward_msg_free(&rep);
        if (!more)
            break;
        assert_int_equal(ward_client_recv(c, &rep, NULL, NULL, 5000), 1);
    }
    assert_int_equal(total, 400);
    assert_true(parts > 1);

    /* object.reply in parts too: every filter once, in order. */
    rep = call(c, (ward_msg){.type = WARD_MSG_FILTER_LIST});
    total = parts = 0;
    for (;;) {
        assert_int_equal(rep.type, WARD_MSG_OBJECT_REPLY);
        for (size_t i = 0; i < rep.u.objects.n; i++)
            assert_int_equal(rep.u.objects.v[i].id, ++total);
        parts++;
        bool more = rep.u.objects.more;
        ward_msg_free(&rep);
        if (!more)
            break;
        assert_int_equal(ward_client_recv(c, &rep, NULL, NULL, 5000), 1);
    }
    assert_int_equal(total, 1500);
    assert_true(parts > 2);

    /* Subscribe: the reply carries the ring's memfd and an eventfd. */
    ward_msg sreq = {.type = WARD_MSG_SUBSCRIBE};
    int fds[WARD_PROTO_MAX_FDS];
    size_t nfds = 0;
    assert_int_equal(ward_client_call(c, &sreq, &rep, fds, &nfds, 5000), 1);
    assert_int_equal(rep.type, WARD_MSG_SUBSCRIBE_REPLY);
    assert_int_equal(nfds, 2);
    ward_ring_reader *rd = ward_ring_reader_open(fds[0], true);
    assert_non_null(rd);
    ward_event ev;
    for (int i = 0; i < 100 && ward_ring_read(rd, &ev, NULL) == 0; i++)
        usleep(10000);
    assert_string_equal(ev.exe, "/usr/bin/curl");
    ward_ring_reader_close(rd);
    close(fds[0]);
    close(fds[1]);

    /* Admins' log queries are not narrowed. */
    rep = call(c, (ward_msg){.type = WARD_MSG_LOG_QUERY, .u.log_query = {.verdict = -1}});
    assert_int_equal(rep.type, WARD_MSG_LOG_REPLY);
    assert_int_equal(rep.u.log_reply.n, 2);
    assert_false(d->last_query_has_uid);
    ward_msg_free(&rep);
    ward_client_close(c);
}

static int raw_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Reads one reply line from a raw socket. */
static void raw_reply(int fd, ward_msg *m)
{
    char buf[4096];
    size_t n = 0;
    while (n < sizeof(buf)) {
        ssize_t r = read(fd, buf + n, 1);
        assert_int_equal(r, 1);
        if (buf[n++] == '\n')
            break;
    }
    assert_int_equal(ward_proto_decode(buf, n, m, NULL, 0), WARD_PE_OK);
}

static void raw_send(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void expect_error(int fd, enum ward_proto_err code)
{
    ward_msg m;
    raw_reply(fd, &m);
    assert_int_equal(m.type, WARD_MSG_ERROR);
    if (m.u.error.code != code)
        fail_msg("got %s (%s), want %s", ward_proto_err_name(m.u.error.code), m.u.error.message,
                 ward_proto_err_name(code));
    ward_msg_free(&m);
}

static void test_socket_malformed(void **state)
{
    struct fake_daemon *d = *state;
    int fd = raw_connect(d->path);
    raw_send(fd, "{\"type\":\"status\",\"id\":1}\n");
    expect_error(fd, WARD_PE_HELLO_REQUIRED);
    raw_send(fd, "{\"type\":\"hello\",\"id\":2,\"versions\":[99]}\n");
    expect_error(fd, WARD_PE_BAD_VERSION);
    raw_send(fd, "{\"type\":\"hello\",\"id\":3,\"versions\":[1]}\n");
    ward_msg m;
    raw_reply(fd, &m);
    assert_int_equal(m.type, WARD_MSG_HELLO_REPLY);
    ward_msg_free(&m);
    raw_send(fd, "this is not json\n");
    expect_error(fd, WARD_PE_BAD_JSON);
    raw_send(fd, "{\"type\":\"ok\",\"id\":4}\n");
    expect_error(fd, WARD_PE_UNKNOWN_TYPE);
    raw_send(fd, "{\"type\":\"mode.set\",\"id\":5,\"mode\":\"\xff\"}\n");
    expect_error(fd, WARD_PE_BAD_UTF8);
    /* An oversized line: one error, then the connection goes on. */
    size_t n = 3 * WARD_PROTO_MAX_MSG;
    char *big = malloc(n);
    memset(big, 'a', n);
    big[n - 1] = '\n';
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, big + off, n - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    free(big);
    expect_error(fd, WARD_PE_TOO_LARGE);
    raw_send(fd, "{\"type\":\"status\",\"id\":6}\n");
    raw_reply(fd, &m);
    assert_int_equal(m.type, WARD_MSG_STATUS_REPLY);
    assert_int_equal(m.id, 6);
    ward_msg_free(&m);
    /* Several requests in one write, and one split across writes. */
    raw_send(fd, "{\"type\":\"mode.get\",\"id\":7}\n{\"type\":\"mode.get\",\"id\":8}\n{\"type\"");
    raw_reply(fd, &m);
    assert_int_equal(m.id, 7);
    raw_reply(fd, &m);
    assert_int_equal(m.id, 8);
    raw_send(fd, ":\"mode.get\",\"id\":9}\n");
    raw_reply(fd, &m);
    assert_int_equal(m.id, 9);
    /* Half-closed: the answer still arrives. */
    raw_send(fd, "{\"type\":\"mode.get\",\"id\":10}\n");
    shutdown(fd, SHUT_WR);
    raw_reply(fd, &m);
    assert_int_equal(m.id, 10);
    close(fd);
}

/* Requests written in random-sized pieces, with garbage lines among them:
 * every line gets exactly one reply, in order. */
static void test_socket_chunked(void **state)
{
    struct fake_daemon *d = *state;
    int fd = raw_connect(d->path);
    size_t cap = 1 << 20, len = 0;
    char *stream = malloc(cap);
    len += (size_t)snprintf(stream, cap, "{\"type\":\"hello\",\"id\":1,\"versions\":[1]}\n");
    for (int i = 2; i < 400; i++) {
        if (i % 7 == 0)
            len +=
                (size_t)snprintf(stream + len, cap - len, "{\"type\":\"mode.get\",\"id\":%d,\n", i);
        else
            len +=
                (size_t)snprintf(stream + len, cap - len, "{\"type\":\"mode.get\",\"id\":%d}\n", i);
    }
    unsigned seed = 12345;
    for (size_t off = 0; off < len;) {
        size_t n = 1 + (size_t)(rand_r(&seed) % 700);
        if (n > len - off)
            n = len - off;
        assert_int_equal(write(fd, stream + off, n), (ssize_t)n);
        off += n;
        if (rand_r(&seed) % 4 == 0)
            usleep(100);
    }
    free(stream);
    ward_msg m;
    raw_reply(fd, &m);
    assert_int_equal(m.type, WARD_MSG_HELLO_REPLY);
    ward_msg_free(&m);
    for (int i = 2; i < 400; i++) {
        raw_reply(fd, &m);
        if (i % 7 == 0) {
            assert_int_equal(m.type, WARD_MSG_ERROR);
            assert_int_equal(m.u.error.code, WARD_PE_BAD_JSON);
        } else {
            assert_int_equal(m.type, WARD_MSG_MODE_REPLY);
            assert_int_equal(m.id, i);
        }
        ward_msg_free(&m);
    }
    close(fd);
}

/* Runs in a child as an unprivileged user; returns a bitmask of failures. */
static int unprivileged_client(const char *path, bool expect_admin)
{
    int bad = 0;
    char err[256];
    ward_client *c = ward_client_connect(path, "nobody", err, sizeof(err));
    if (!c)
        return 1;
    if (ward_client_admin(c) != expect_admin)
        bad |= 2;
    ward_msg req = {.type = WARD_MSG_MODE_SET}, rep;
    req.u.mode.mode = WARD_MODE_ALLOW_ALL;
    ward_msg reqs[8] = {req,
                        {.type = WARD_MSG_RULES_ADD},
                        {.type = WARD_MSG_RULES_DELETE, .u.rule_id.id = 1},
                        {.type = WARD_MSG_RELOAD},
                        {.type = WARD_MSG_SUBSCRIBE},
                        {.type = WARD_MSG_PROMPT_REGISTER},
                        {.type = WARD_MSG_PROMPT_ANSWER},
                        {.type = WARD_MSG_MODE_GET}};
    reqs[1].u.rule = (ward_proto_rule){.program = "/bin/sh", .action = WARD_ACT_PERMIT};
    reqs[6].u.answer.prompt_id = 1;
    for (int i = 0; i < 7; i++) {
        if (ward_client_call(c, &reqs[i], &rep, NULL, NULL, 5000) != 1)
            return bad | 4;
        bool forbidden = rep.type == WARD_MSG_ERROR && rep.u.error.code == WARD_PE_FORBIDDEN;
        /* Prompts reach wardd from anyone: it narrows them to the peer's own. */
        bool want_forbidden = !expect_admin && reqs[i].type != WARD_MSG_PROMPT_REGISTER &&
                              reqs[i].type != WARD_MSG_PROMPT_ANSWER;
        if (forbidden != want_forbidden)
            bad |= 8 << i;
        ward_msg_free(&rep);
    }
    /* Reading is allowed. */
    if (ward_client_call(c, &reqs[7], &rep, NULL, NULL, 5000) != 1 ||
        rep.type != WARD_MSG_MODE_REPLY)
        bad |= 1 << 16;
    ward_msg_free(&rep);
    ward_msg ex = {.type = WARD_MSG_EXPLAIN, .u.explain.log_id = 3};
    if (ward_client_call(c, &ex, &rep, NULL, NULL, 5000) != 1 ||
        (rep.type == WARD_MSG_ERROR && rep.u.error.code == WARD_PE_FORBIDDEN) == expect_admin)
        bad |= 1 << 18;
    ward_msg_free(&rep);
    ward_msg q = {.type = WARD_MSG_LOG_QUERY, .u.log_query = {.verdict = -1}};
    if (ward_client_call(c, &q, &rep, NULL, NULL, 5000) != 1 || rep.type != WARD_MSG_LOG_REPLY)
        bad |= 1 << 17;
    ward_msg_free(&rep);
    ward_client_close(c);
    return bad;
}

static void run_as(struct fake_daemon *d, uid_t uid, gid_t gid, bool expect_admin)
{
    pthread_mutex_lock(&d->mu);
    d->hold = true;
    while (!d->held)
        pthread_cond_wait(&d->cv, &d->mu);
    pid_t pid = fork();
    if (pid != 0) {
        d->hold = false;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
    }
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
            _exit(100);
        _exit(unprivileged_client(d->path, expect_admin) ? 1 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_socket_unprivileged(void **state)
{
    struct fake_daemon *d = *state;
    if (geteuid() != 0)
        skip();
    d->mode = WARD_MODE_ASK;
    int before = d->mutations;
    run_as(d, 65534, 65534, false); /* nobody:nogroup */
    /* Only its prompt.register and prompt.answer reached wardd (which
     * narrows them to its own processes). */
    assert_int_equal(d->mutations, before + 2);
    before = d->mutations;
    assert_int_equal(d->mode, WARD_MODE_ASK);
    /* Its log query was narrowed to its own rows. */
    assert_true(d->last_query_has_uid);
    assert_int_equal(d->last_query_uid, 65534);

    /* The same uid with the admin group may. */
    run_as(d, 65534, 4242, true);
    assert_int_equal(d->mutations, before + 6); /* subscribe is not one */
    assert_int_equal(d->mode, WARD_MODE_ALLOW_ALL);
}

static void test_socket_limits(void **state)
{
    struct fake_daemon *d = *state;
    /* More clients than allowed: the extra ones are told busy and closed. */
    int fds[12];
    for (int i = 0; i < 12; i++)
        fds[i] = raw_connect(d->path);
    usleep(100000);
    int busy = 0;
    for (int i = 0; i < 12; i++) {
        char buf[256];
        struct timeval tv = {0, 200000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ssize_t n = read(fds[i], buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            busy += strstr(buf, "\"busy\"") != NULL;
        }
    }
    assert_int_equal(busy, 4);
    for (int i = 0; i < 12; i++)
        close(fds[i]);
    usleep(100000);

    /* A client that sends many requests and never reads: it is paused
     * (not read from) once its replies pile up, and the server keeps serving
     * others. */
    int fd = raw_connect(d->path);
    int sz = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    raw_send(fd, "{\"type\":\"hello\",\"id\":1,\"versions\":[1]}\n");
    ward_msg hello;
    raw_reply(fd, &hello); /* accepted (the closed clients above are reaped) */
    assert_int_equal(hello.type, WARD_MSG_HELLO_REPLY);
    ward_msg_free(&hello);
    for (int i = 0; i < 200; i++)
        raw_send(fd, "{\"type\":\"rules.list\",\"id\":2}\n");
    usleep(300000);
    ward_client *c = connect_ok(d);
    ward_msg rep = call(c, (ward_msg){.type = WARD_MSG_STATUS});
    assert_int_equal(rep.type, WARD_MSG_STATUS_REPLY);
    assert_int_equal(rep.u.status.clients, 2);
    /* Pushes to it beyond max_out disconnect it. */
    ward_msg trig = {.type = WARD_MSG_RULES_DELETE, .u.rule_id.id = 999};
    rep = call(c, trig);
    assert_int_equal(rep.type, WARD_MSG_OK);
    assert_int_equal(d->pushes_refused, 1);
    rep = call(c, (ward_msg){.type = WARD_MSG_STATUS});
    assert_int_equal(rep.u.status.clients, 1); /* the hog is gone */
    ward_client_close(c);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_chain),
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_fields),
        cmocka_unit_test(test_runtime_messages),
        cmocka_unit_test(test_encoder_repairs_utf8),
        cmocka_unit_test(test_encoder_bounds),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated_and_oversized),
        cmocka_unit_test(test_auth_table),
        cmocka_unit_test(test_auth_prompt_owner),
        cmocka_unit_test_setup_teardown(test_socket_admin, start_daemon, stop_daemon),
        cmocka_unit_test_setup_teardown(test_socket_malformed, start_daemon, stop_daemon),
        cmocka_unit_test_setup_teardown(test_socket_chunked, start_daemon, stop_daemon),
        cmocka_unit_test_setup_teardown(test_socket_unprivileged, start_daemon, stop_daemon),
        cmocka_unit_test_setup_teardown(test_socket_limits, start_daemon, stop_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
