/*
 * test_ids.c — the intrusion detection library: every option of the rule
 * subset on packets built here, errors with file:line:col naming the
 * option, streams split across segments and out of order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ids/ids.h"

static ward_ids *load(const char *text)
{
    char err[512] = "";
    ward_ids *ids = ward_ids_load_text("t.rules", text, strlen(text), err, sizeof(err));
    if (!ids)
        fail_msg("%s", err);
    return ids;
}

/* The error a rule text gets. */
static const char *load_err(const char *text)
{
    static char err[512];
    err[0] = '\0';
    ward_ids *ids = ward_ids_load_text("t.rules", text, strlen(text), err, sizeof(err));
    if (ids) {
        ward_ids_free(ids);
        fail_msg("loaded: %s", text);
    }
    return err;
}

static void v4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = x, a[13] = y, a[14] = z, a[15] = w;
}

/* The default flow: 10.0.0.1:40000 (client) -> 192.168.1.2:80, tcp. */
static struct ward_ids_tuple tuple(uint8_t proto)
{
    struct ward_ids_tuple t = {.proto = proto, .client_port = 40000, .server_port = 80};
    v4(t.client, 10, 0, 0, 1);
    v4(t.server, 192, 168, 1, 2);
    return t;
}

struct got {
    char sids[256];
    struct ward_ids_alert last;
    char msg[128], classtype[64];
};

static void on_alert(const struct ward_ids_alert *a, void *ctx)
{
    struct got *g = ctx;
    size_t n = strlen(g->sids);
    snprintf(g->sids + n, sizeof(g->sids) - n, "%s%u", n ? "," : "", a->sid);
    g->last = *a;
    snprintf(g->msg, sizeof(g->msg), "%s", a->msg);
    snprintf(g->classtype, sizeof(g->classtype), "%s", a->classtype ? a->classtype : "-");
}

static uint32_t seqs[2];

/* Sends data in one direction of f (TCP: the next segment in order). */
static enum ward_ids_action send(ward_ids *ids, ward_ids_flow *f, bool to_server, const char *data,
                                 struct got *g)
{
    struct ward_ids_pkt p = {.to_server = to_server,
                             .established = true,
                             .seq = seqs[to_server ? 0 : 1],
                             .data = (const uint8_t *)data,
                             .len = strlen(data)};
    seqs[to_server ? 0 : 1] += (uint32_t)p.len;
    return ward_ids_inspect(ids, f, &p, 0, on_alert, g);
}

/* The sids one packet to the server raises on a new flow of proto. */
static const char *one(ward_ids *ids, uint8_t proto, const char *data)
{
    static struct got g;
    memset(&g, 0, sizeof(g));
    struct ward_ids_tuple t = tuple(proto);
    ward_ids_flow *f = ward_ids_flow_new(&t, "/usr/bin/curl", 1 << 20, NULL);
    seqs[0] = 1000, seqs[1] = 5000;
    send(ids, f, true, data, &g);
    ward_ids_flow_free(f);
    return g.sids;
}

static void actions(void **state)
{
    ward_ids *ids = load("alert tcp any any -> any any (content:\"alert-me\"; sid:1;)\n"
                         "drop tcp any any -> any any (content:\"drop-me\"; sid:2;)\n"
                         "reject tcp any any -> any any (content:\"reject-me\"; sid:3;)\n"
                         "pass tcp any any -> any any (content:\"pass-me\"; sid:4;)\n");
    assert_int_equal(ward_ids_count(ids), 4);
    struct ward_ids_tuple t = tuple(6);
    struct got g = {0};
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    seqs[0] = 1;
    assert_int_equal(send(ids, f, true, "nothing", &g), WARD_IDS_NONE);
    assert_int_equal(send(ids, f, true, "alert-me", &g), WARD_IDS_ALERT);
    assert_int_equal(send(ids, f, true, "drop-me alert-me", &g), WARD_IDS_DROP);
    assert_int_equal(send(ids, f, true, "reject-me drop-me", &g), WARD_IDS_REJECT);
    assert_string_equal(g.sids, "1,2,3");
    /* pass: nothing reported, the rest of the flow is not inspected. */
    assert_int_equal(send(ids, f, true, "pass-me", &g), WARD_IDS_PASS);
    assert_int_equal(send(ids, f, true, "drop-me", &g), WARD_IDS_PASS);
    assert_string_equal(g.sids, "1,2,3");
    ward_ids_flow_free(f);
    assert_string_equal(ward_ids_action_name(WARD_IDS_REJECT), "reject");
    ward_ids_free(ids);
}

/* No depth (SIZE_MAX): the whole stream is inspected through a window;
 * what is kept stays small, offset/depth count from the stream's start,
 * and a pattern split over the window's slide still matches. */
static void no_depth(void **state)
{
    ward_ids *ids = load("drop tcp any any -> any any (content:\"LATE-ATTACK\"; sid:1;)\n"
                         "alert tcp any any -> any any (content:\"GET\"; depth:3; sid:2;)\n");
    struct ward_ids_tuple t = tuple(6);
    struct ward_reasm_host host = {.max = 64u << 20};
    struct got g = {0};
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, SIZE_MAX, &host);
    static char chunk[16385];
    memset(chunk, 'a', sizeof(chunk) - 1);
    memcpy(chunk + 100, "GET", 3); /* never at the stream's start */
    seqs[0] = 1;
    for (int i = 0; i < 3 * 64; i++) /* 3 MiB */
        assert_int_equal(send(ids, f, true, chunk, &g), WARD_IDS_NONE);
    assert_false(ward_ids_flow_done(f));
    assert_int_equal(ward_ids_flow_lost(f), 0);
    assert_true(host.held <= (1u << 20)); /* a window, not the stream */
    /* Split over two segments, the second one after a slide. */
    memcpy(chunk + sizeof(chunk) - 6, "LATE-", 5);
    assert_int_equal(send(ids, f, true, chunk, &g), WARD_IDS_NONE);
    assert_int_equal(send(ids, f, true, "ATTACK", &g), WARD_IDS_DROP);
    assert_string_equal(g.sids, "1");
    ward_ids_flow_free(f);
    assert_int_equal(host.held, 0);
    ward_ids_free(ids);
}

static void protocols(void **state)
{
    ward_ids *ids = load("alert tcp any any -> any any (content:\"x\"; sid:1;)\n"
                         "alert udp any any -> any any (content:\"x\"; sid:2;)\n"
                         "alert icmp any any -> any any (content:\"x\"; sid:3;)\n"
                         "alert ip any any -> any any (content:\"x\"; sid:4;)\n");
    assert_string_equal(one(ids, 6, "x"), "1,4");
    assert_string_equal(one(ids, 17, "x"), "2,4");
    assert_string_equal(one(ids, 1, "x"), "3,4");
    assert_string_equal(one(ids, 58, "x"), "3,4");
    assert_string_equal(one(ids, 47, "x"), "4");
    ward_ids_free(ids);
}

static void addresses(void **state)
{
    ward_ids *ids = load("ipvar CLIENTS [10.0.0.0/8,!10.9.0.0/16]\n"
                         "var WEB 192.168.1.2\n"
                         "ipvar NOTWEB !$WEB\n"
                         "alert ip 10.0.0.1 any -> any any (sid:1;)\n"
                         "alert ip 10.0.0.0/24 any -> 192.168.0.0/16 any (sid:2;)\n"
                         "alert ip $CLIENTS any -> $WEB any (sid:3;)\n"
                         "alert ip !10.0.0.1 any -> any any (sid:4;)\n"
                         "alert ip [1.2.3.4,10.0.0.1] any -> any any (sid:5;)\n"
                         "alert ip ![1.2.3.4,10.0.0.0/8] any -> any any (sid:6;)\n"
                         "alert ip any any -> $NOTWEB any (sid:7;)\n"
                         "alert ip any any -> !$NOTWEB any (sid:8;)\n"
                         "alert ip ::1 any -> any any (sid:9;)\n"
                         "alert ip [::ffff:10.0.0.0/104] any -> any any (sid:10;)\n"
                         "alert ip $HOME_NET any -> $EXTERNAL_NET any (sid:11;)\n"
                         "alert ip 192.168.1.2 any -> 10.0.0.1 any (sid:12;)\n"
                         "alert ip [10.0.0.0/8,![10.0.0.0/24]] any -> any any (sid:13;)\n");
    assert_string_equal(one(ids, 17, "x"), "1,2,3,5,8,10,11");
    ward_ids_free(ids);
}

static void ports(void **state)
{
    ward_ids *ids = load("portvar WEB [80,443]\n"
                         "alert tcp any any -> any 80 (sid:1;)\n"
                         "alert tcp any any -> any 81 (sid:2;)\n"
                         "alert tcp any any -> any 70:90 (sid:3;)\n"
                         "alert tcp any 1024: -> any :1023 (sid:4;)\n"
                         "alert tcp any :1023 -> any any (sid:5;)\n"
                         "alert tcp any any -> any [443,8000:8080] (sid:6;)\n"
                         "alert tcp any any -> any !80 (sid:7;)\n"
                         "alert tcp any any -> any $WEB (sid:8;)\n"
                         "alert tcp any any -> any ![$WEB,22] (sid:9;)\n"
                         "alert tcp any any -> any $HTTP_PORTS (sid:10;)\n"
                         "alert tcp any 40000 <> any 80 (sid:11;)\n"
                         "alert tcp any 80 -> any 40000 (sid:12;)\n"
                         "alert tcp any 80 <> any 40000 (sid:13;)\n");
    assert_string_equal(one(ids, 6, "x"), "1,3,4,8,10,11,13");
    ward_ids_free(ids);
}

static void meta(void **state)
{
    ward_ids *ids = load("alert tcp any any -> any any (msg:\"a \\\"quoted\\\" \\; msg\"; "
                         "reference:url,example.com/x; classtype:attempted-admin; priority:1; "
                         "sid:2000001; rev:7; content:\"x\";)\n"
                         "alert tcp any any -> any any (sid:5; content:\"y\";)\n");
    struct got g = {0};
    struct ward_ids_tuple t = tuple(6);
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    seqs[0] = 1;
    send(ids, f, true, "x", &g);
    assert_int_equal(g.last.sid, 2000001);
    assert_int_equal(g.last.rev, 7);
    assert_int_equal(g.last.priority, 1);
    assert_int_equal(g.last.action, WARD_IDS_ALERT);
    assert_string_equal(g.msg, "a \"quoted\" ; msg");
    assert_string_equal(g.classtype, "attempted-admin");
    send(ids, f, true, "y", &g);
    assert_int_equal(g.last.priority, 3); /* the default */
    assert_string_equal(g.msg, "");
    assert_string_equal(g.classtype, "-");
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

static void content(void **state)
{
    ward_ids *ids = load(
        "alert udp any any -> any any (content:\"GET\"; sid:1;)\n"
        "alert udp any any -> any any (content:\"|47 45|T\"; sid:2;)\n"
        "alert udp any any -> any any (content:\"get\"; nocase; sid:3;)\n"
        "alert udp any any -> any any (content:\"get\"; sid:4;)\n"
        "alert udp any any -> any any (content:\"GET\"; offset:1; sid:5;)\n"
        "alert udp any any -> any any (content:\"/a\"; offset:4; depth:2; sid:6;)\n"
        "alert udp any any -> any any (content:\"/a\"; depth:6; sid:7;)\n"
        "alert udp any any -> any any (content:\"GET\"; content:\"HTTP\"; distance:0; sid:8;)\n"
        "alert udp any any -> any any (content:\"GET\"; content:\"HTTP\"; distance:10; sid:9;)\n"
        "alert udp any any -> any any (content:\"GET\"; content:\"/a\"; within:3; sid:10;)\n"
        "alert udp any any -> any any (content:\"GET\"; content:\"HTTP\"; within:4; sid:11;)\n"
        "alert udp any any -> any any (content:\"GET\"; content:!\"POST\"; sid:12;)\n"
        "alert udp any any -> any any (content:\"GET\"; content:!\"/a\"; sid:13;)\n"
        "alert udp any any -> any any (content:\"|00 ff|\"; sid:14;)\n"
        /* backtracking: the first 'a' fails, the second one leads on */
        "alert udp any any -> any any (content:\"a\"; content:\"b\"; within:2; sid:15;)\n"
        "alert udp any any -> any any (content:\"x\"; content:\"y\"; distance:1; within:2; "
        "sid:16;)\n"
        "alert udp any any -> any any (content:\"HTTP/1.\"; content:\"GET\"; distance:-20; "
        "sid:17;)\n");
    assert_string_equal(one(ids, 17, "GET /a HTTP/1.0"), "1,2,3,6,7,8,10,12,17");
    assert_string_equal(one(ids, 17, "xGET"), "1,2,3,5,12,13");
    assert_string_equal(one(ids, 17, "ab"), "15");
    assert_string_equal(one(ids, 17, "a..ab"), "15");
    assert_string_equal(one(ids, 17, "x.y"), "16");
    assert_string_equal(one(ids, 17, "xy x...y"), "");
    const char bin[] = {'\x01', '\x00', '\xff', '\0'};
    char pkt[8] = "z";
    memcpy(pkt + 1, bin, 1); /* "z\x01": no 00 ff */
    assert_string_equal(one(ids, 17, pkt), "");
    ward_ids_free(ids);
    /* Hex with a NUL: through the packet API directly. */
    ids = load("alert udp any any -> any any (content:\"|00 ff|\"; sid:14;)\n");
    struct ward_ids_tuple t = tuple(17);
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    struct ward_ids_pkt p = {.to_server = true, .data = (const uint8_t *)bin, .len = 3};
    assert_int_equal(ward_ids_inspect(ids, f, &p, 0, NULL, NULL), WARD_IDS_ALERT);
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

static void pcre(void **state)
{
    ward_ids *ids = load("alert udp any any -> any any (pcre:\"/^GET \\/[a-z]+\\.php/\"; sid:1;)\n"
                         "alert udp any any -> any any (pcre:\"/user-agent: *sqlmap/i\"; sid:2;)\n"
                         "alert udp any any -> any any (pcre:\"/^Host/m\"; sid:3;)\n"
                         "alert udp any any -> any any (pcre:\"/a.b/s\"; sid:4;)\n"
                         "alert udp any any -> any any (pcre:\"/ c d /x\"; sid:5;)\n"
                         "alert udp any any -> any any (content:\"GET\"; pcre:\"/x{3}/\"; "
                         "sid:6;)\n");
    assert_string_equal(one(ids, 17, "GET /index.php\nUser-Agent: SQLmap\nHost: a\nb cd"),
                        "1,2,3,4,5");
    assert_string_equal(one(ids, 17, "GET /xxx"), "6");
    assert_string_equal(one(ids, 17, "POST /xxx"), "");
    ward_ids_free(ids);
}

static void flow(void **state)
{
    ward_ids *ids = load("alert tcp any any -> any any (content:\"x\"; flow:to_server; sid:1;)\n"
                         "alert tcp any any <> any any (content:\"x\"; flow:to_client; sid:2;)\n"
                         "alert tcp any any <> any any (content:\"x\"; flow:from_server; sid:3;)\n"
                         "alert tcp any any -> any any (content:\"x\"; flow:established,"
                         "from_client; sid:4;)\n");
    struct ward_ids_tuple t = tuple(6);
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    struct got g = {0};
    struct ward_ids_pkt p = {.to_server = true, .seq = 1, .data = (const uint8_t *)"x", .len = 1};
    ward_ids_inspect(ids, f, &p, 0, on_alert, &g);
    assert_string_equal(g.sids, "1"); /* not established yet */
    p = (struct ward_ids_pkt){
        .seq = 1, .established = true, .data = (const uint8_t *)"x", .len = 1};
    ward_ids_inspect(ids, f, &p, 0, on_alert, &g);
    assert_string_equal(g.sids, "1,2,3");
    ward_ids_flow_free(f);
    f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    memset(&g, 0, sizeof(g));
    p = (struct ward_ids_pkt){
        .to_server = true, .established = true, .seq = 1, .data = (const uint8_t *)"x", .len = 1};
    ward_ids_inspect(ids, f, &p, 0, on_alert, &g);
    assert_string_equal(g.sids, "1,4");
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

static void dsize(void **state)
{
    ward_ids *ids = load("alert udp any any -> any any (dsize:3; sid:1;)\n"
                         "alert udp any any -> any any (dsize:<3; sid:2;)\n"
                         "alert udp any any -> any any (dsize:>3; sid:3;)\n"
                         "alert udp any any -> any any (dsize:2<>4; sid:4;)\n");
    assert_string_equal(one(ids, 17, "ab"), "2,4");
    assert_string_equal(one(ids, 17, "abc"), "1,4");
    assert_string_equal(one(ids, 17, "abcde"), "3");
    ward_ids_free(ids);
}

static void flowbits(void **state)
{
    ward_ids *ids = load(
        "alert tcp any any -> any any (content:\"login\"; flowbits:set,auth; flowbits:noalert; "
        "sid:1;)\n"
        "alert tcp any any -> any any (content:\"cmd\"; flowbits:isset,auth; sid:2;)\n"
        "alert tcp any any -> any any (content:\"anon\"; flowbits:isnotset,auth; sid:3;)\n"
        "alert tcp any any -> any any (content:\"logout\"; flowbits:unset,auth; sid:4;)\n"
        "alert tcp any any -> any any (content:\"cmd2\"; flowbits:isset,auth; sid:5;)\n");
    struct ward_ids_tuple t = tuple(6);
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    struct got g = {0};
    seqs[0] = 1;
    send(ids, f, true, "cmd ", &g); /* before the login: not set */
    assert_string_equal(g.sids, "");
    send(ids, f, true, "login ", &g); /* noalert */
    assert_string_equal(g.sids, "");
    send(ids, f, true, "cmd anon ", &g); /* cmd of the first packet matches now */
    assert_string_equal(g.sids, "2");
    send(ids, f, true, "logout ", &g);
    send(ids, f, true, "cmd2 ", &g);
    assert_string_equal(g.sids, "2,4");
    ward_ids_flow_free(f);
    f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    memset(&g, 0, sizeof(g));
    send(ids, f, true, "anon", &g);
    assert_string_equal(g.sids, "3");
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

/* n packets to the server, one flow each, at times now[i]: the alerts. */
static int count_alerts(ward_ids *ids, int n, const uint64_t *now, uint8_t proto)
{
    int alerts = 0;
    for (int i = 0; i < n; i++) {
        struct got g = {0};
        struct ward_ids_tuple t = tuple(proto);
        t.client_port = (uint16_t)(1000 + i);
        ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
        struct ward_ids_pkt p = {.to_server = true, .data = (const uint8_t *)"scan", .len = 4};
        if (ward_ids_inspect(ids, f, &p, now[i], on_alert, &g) != WARD_IDS_NONE)
            alerts++;
        ward_ids_flow_free(f);
    }
    return alerts;
}

static void threshold(void **state)
{
    uint64_t same[10] = {0}, spread[10];
    for (int i = 0; i < 10; i++)
        spread[i] = (uint64_t)i * 30; /* one every 30 s */
    ward_ids *ids = load("alert udp any any -> any any (content:\"scan\"; "
                         "threshold: type limit, track by_src, count 2, seconds 60; sid:1;)\n");
    assert_int_equal(count_alerts(ids, 10, same, 17), 2);
    ward_ids_free(ids);
    ids = load("alert udp any any -> any any (content:\"scan\"; "
               "threshold: type limit, track by_src, count 2, seconds 60; sid:1;)\n");
    assert_int_equal(count_alerts(ids, 10, spread, 17), 10); /* 2 in every minute */
    ward_ids_free(ids);
    ids = load("alert udp any any -> any any (content:\"scan\"; "
               "threshold: type threshold, track by_dst, count 3, seconds 60; sid:1;)\n");
    assert_int_equal(count_alerts(ids, 10, same, 17), 3); /* the 3rd, 6th, 9th */
    ward_ids_free(ids);
    ids = load("alert udp any any -> any any (content:\"scan\"; "
               "threshold: type both, track by_src, count 3, seconds 60; sid:1;)\n");
    assert_int_equal(count_alerts(ids, 10, same, 17), 1);
    ward_ids_free(ids);
}

static void program(void **state)
{
    ward_ids *ids = load("alert tcp any any -> any any (content:\"x\"; program:\"/usr/bin/curl\"; "
                         "sid:1;)\n"
                         "alert tcp any any -> any any (content:\"x\"; program:\"/usr/bin/*\"; "
                         "sid:2;)\n"
                         "alert tcp any any -> any any (content:\"x\"; program:\"/usr/bin/wget\"; "
                         "sid:3;)\n"
                         "alert tcp any any -> any any (content:\"x\"; program:\"/*\"; sid:4;)\n");
    assert_string_equal(one(ids, 6, "x"), "1,2"); /* one() runs /usr/bin/curl */
    struct ward_ids_tuple t = tuple(6);
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL); /* program unknown */
    struct got g = {0};
    seqs[0] = 1;
    send(ids, f, true, "x", &g);
    assert_string_equal(g.sids, "");
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

static void errors(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"alarm tcp any any -> any any (sid:1;)",
         "t.rules:1:1: error: expected an action: alert, drop, reject or pass"},
        {"alert sctp any any -> any any (sid:1;)",
         "t.rules:1:7: error: expected a protocol: tcp, udp, icmp or ip"},
        {"alert tcp any any => any any (sid:1;)",
         "t.rules:1:19: error: expected a direction: -> or <>"},
        {"alert tcp 10.0.0.300 any -> any any (sid:1;)",
         "t.rules:1:11: error: address is not an IPv4 or IPv6 address"},
        {"alert tcp 10.0.0.0/33 any -> any any (sid:1;)",
         "t.rules:1:20: error: address prefix length out of range"},
        {"alert tcp any 70000 -> any any (sid:1;)",
         "t.rules:1:15: error: port out of range (0-65535)"},
        {"alert tcp any 90:80 -> any any (sid:1;)", "t.rules:1:15: error: port range is empty"},
        {"alert tcp [1.2.3.4,5.6.7.8 any -> any any (sid:1;)",
         "t.rules:1:27: error: address list: expected ',' or ']'"},
        {"alert tcp $NOPE any -> any any (sid:1;)",
         "t.rules:1:11: error: address variable $NOPE is not defined"},
        {"ipvar A 1.2.3.x\n", "t.rules:1:9: error: address is not an IPv4 or IPv6 address"},
        {"alert tcp any any -> any any sid:1;",
         "t.rules:1:30: error: expected '(' and the rule's options"},
        {"alert tcp any any -> any any (sid:1; bogus:2;)",
         "t.rules:1:38: error: unknown option 'bogus'"},
        {"alert tcp any any -> any any (sid:1; fast_pattern;)",
         "t.rules:1:38: error: unknown option 'fast_pattern'"},
        {"alert tcp any any -> any any (msg:\"x\";)", "t.rules:1:39: error: a rule needs a sid"},
        {"alert tcp any any -> any any (sid:1;)\nalert tcp any any -> any any (sid:1;)",
         "t.rules:2:37: error: sid 1 is already used on line 1"},
        {"alert tcp any any -> any any (sid:x;)",
         "t.rules:1:35: error: option 'sid': expected a number"},
        {"alert tcp any any -> any any (sid:1; msg:x;)",
         "t.rules:1:42: error: option 'msg': expected a quoted string"},
        {"alert tcp any any -> any any (sid:1; depth:3;)",
         "t.rules:1:44: error: option 'depth': needs a content before it"},
        {"alert tcp any any -> any any (sid:1; content:\"abcd\"; depth:3;)",
         "t.rules:1:60: error: option 'depth': shorter than its content"},
        {"alert tcp any any -> any any (sid:1; content:\"ab\"; within:3;)",
         "t.rules:1:59: error: option 'within': relative to a previous content, and there is "
         "none"},
        {"alert tcp any any -> any any (sid:1; content:\"a\"; offset:1; content:\"b\"; "
         "distance:1; depth:3;)",
         "t.rules:1:92: error: option 'depth': offset/depth and distance/within cannot be mixed "
         "on one content"},
        {"alert tcp any any -> any any (sid:1; content:\"a|4g|\";)",
         "t.rules:1:50: error: option 'content': bad hex digit between '|'"},
        {"alert tcp any any -> any any (sid:1; content:\"a|41\";)",
         "t.rules:1:48: error: option 'content': '|' opens hex bytes that are never closed"},
        {"alert tcp any any -> any any (sid:1; content:\"\";)",
         "t.rules:1:46: error: option 'content': empty content"},
        {"alert tcp any any -> any any (sid:1; nocase;)",
         "t.rules:1:38: error: option 'nocase': needs a content before it"},
        {"alert tcp any any -> any any (sid:1; pcre:\"/a(/\";)",
         "t.rules:1:47: error: option 'pcre': missing closing parenthesis"},
        {"alert tcp any any -> any any (sid:1; pcre:\"/a/q\";)",
         "t.rules:1:47: error: option 'pcre': unknown flag (i s m x only)"},
        {"alert tcp any any -> any any (sid:1; flow:to_server,sideways;)",
         "t.rules:1:53: error: option 'flow': unknown word (to_server, to_client, from_server, "
         "from_client, established)"},
        {"alert tcp any any -> any any (sid:1; dsize:5<>2;)",
         "t.rules:1:44: error: option 'dsize': range is empty"},
        {"alert tcp any any -> any any (sid:1; flowbits:toggle,x;)",
         "t.rules:1:47: error: option 'flowbits': expected set, isset, unset, isnotset or "
         "noalert"},
        {"alert tcp any any -> any any (sid:1; threshold:type limit, count 1;)",
         "t.rules:1:48: error: option 'threshold': needs type, track, count and seconds"},
        {"alert tcp any any -> any any (sid:1; threshold:type some, track by_src, count 1, "
         "seconds 1;)",
         "t.rules:1:53: error: option 'threshold': type is limit, threshold or both"},
        {"alert tcp any any -> any any (sid:1; program:\"curl\";)",
         "t.rules:1:47: error: option 'program': a program is an absolute path or a glob of one"},
        {"alert tcp any any -> any any (sid:1; priority:0;)",
         "t.rules:1:47: error: option 'priority': number out of range (1 to 255)"},
        {"alert tcp any any -> any any (sid:1; classtype:a b;)",
         "t.rules:1:49: error: option 'classtype': a word of letters, digits, _ - ."},
        {"alert tcp any any -> any any (sid:1; reference:nothing;)",
         "t.rules:1:48: error: option 'reference': expected type,id"},
        {"alert tcp any any -> any any (sid:1; msg:\"x\"", "t.rules:1:42: error: option 'msg': "
                                                           "expected ';' after its value"},
        {"alert tcp any any -> any any (sid:1;) extra",
         "t.rules:1:39: error: trailing text after the options"},
        {"alert icmp any any -> any any (sid:1; flow:established;)",
         "t.rules:1:44: error: option 'flow': only tcp, udp and ip rules have flows"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *e = load_err(cases[i].text);
        if (strcmp(e, cases[i].err) != 0)
            fail_msg("rule %zu: got\n  %s\nwant\n  %s", i, e, cases[i].err);
    }
    /* An error on the last line: nothing of the earlier good lines is kept
     * (no set at all), and the line number counts comments and blanks. */
    assert_string_equal(load_err("# c\n\nalert tcp any any -> any any (sid:1;)\nalert x"),
                        "t.rules:4:7: error: expected a protocol: tcp, udp, icmp or ip");
}

/* ---- streams ---- */

static enum ward_ids_action seg(ward_ids *ids, ward_ids_flow *f, uint32_t seq, const char *data,
                                struct got *g)
{
    struct ward_ids_pkt p = {.to_server = true,
                             .established = true,
                             .seq = seq,
                             .data = (const uint8_t *)data,
                             .len = strlen(data)};
    return ward_ids_inspect(ids, f, &p, 0, on_alert, g);
}

static void stream(void **state)
{
    ward_ids *ids = load("drop tcp any any -> any any (content:\"EVILSTRING\"; sid:1;)\n"
                         "alert tcp any any -> any any (content:\"GET\"; depth:3; "
                         "content:\"evil\"; nocase; distance:0; sid:2;)\n");
    struct ward_ids_tuple t = tuple(6);
    struct got g = {0};
    /* Split across three segments, in order; a SYN fixes the start. */
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    struct ward_ids_pkt syn = {.to_server = true, .syn = true, .seq = 999};
    assert_int_equal(ward_ids_inspect(ids, f, &syn, 0, on_alert, &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1000, "GET /EV", &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1007, "ILST", &g), WARD_IDS_ALERT); /* sid 2: GET ... EVIL */
    assert_int_equal(seg(ids, f, 1011, "RING", &g), WARD_IDS_DROP);
    assert_string_equal(g.sids, "2,1");
    /* Once per stream: the same bytes again raise nothing. */
    assert_int_equal(seg(ids, f, 1015, " EVILSTRING", &g), WARD_IDS_NONE);
    ward_ids_flow_free(f);

    /* Out of order: the tail first, then the middle, then the head. */
    memset(&g, 0, sizeof(g));
    f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    assert_int_equal(ward_ids_inspect(ids, f, &syn, 0, on_alert, &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1011, "RING", &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1007, "ILST", &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1000, "xxx /EV", &g), WARD_IDS_DROP);
    assert_string_equal(g.sids, "1");
    ward_ids_flow_free(f);

    /* Overlap, the first copy wins: a retransmission that rewrites the
     * bytes already seen cannot make (or unmake) a match. */
    memset(&g, 0, sizeof(g));
    f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    assert_int_equal(ward_ids_inspect(ids, f, &syn, 0, on_alert, &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1000, "xxxxEVILST", &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1004, "GOODSTRING", &g), WARD_IDS_DROP); /* only "RING" new */
    ward_ids_flow_free(f);
    memset(&g, 0, sizeof(g));
    f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    assert_int_equal(ward_ids_inspect(ids, f, &syn, 0, on_alert, &g), WARD_IDS_NONE);
    assert_int_equal(seg(ids, f, 1004, "GOOD", &g), WARD_IDS_NONE); /* waits */
    assert_int_equal(seg(ids, f, 1000, "xxxxEVILSTRING", &g), WARD_IDS_NONE);
    assert_string_equal(g.sids, "");
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

/* ---- the reassembler alone ---- */

static void reasm_bounds(void **state)
{
    struct ward_reasm_host host = {.max = 30};
    struct ward_reasm a, b;
    ward_reasm_init(&a, 16, &host);
    ward_reasm_init(&b, 64, &host);
    ward_reasm_start(&a, 0xfffffffa); /* the sequence numbers wrap */
    assert_int_equal(ward_reasm_add(&a, 0xfffffffa, (const uint8_t *)"0123456789", 10), 10);
    assert_int_equal(ward_reasm_add(&a, 4, (const uint8_t *)"abcdefghij", 10), 6); /* flow bound */
    assert_true(ward_reasm_full(&a));
    assert_int_equal(a.lost, 4);
    assert_memory_equal(a.buf, "0123456789abcdef", 16);
    assert_int_equal(host.held, 16);
    /* The host bound: b may hold 14 more bytes; a piece that does not fit
     * is lost whole. */
    ward_reasm_start(&b, 100);
    assert_int_equal(ward_reasm_add(&b, 110, (const uint8_t *)"0123456789", 10), 0); /* waits */
    assert_int_equal(ward_reasm_add(&b, 120, (const uint8_t *)"0123456789", 10), 0); /* over */
    assert_int_equal(b.lost, 10);
    assert_int_equal(host.held, 26);
    ward_reasm_release(&a);
    assert_int_equal(host.held, 10);
    /* Filling the head drains what waits; the lost bytes leave a hole. */
    assert_int_equal(ward_reasm_add(&b, 100, (const uint8_t *)"abcdefghij", 10), 20);
    assert_int_equal(b.len, 20);
    assert_int_equal(host.held, 20);
    assert_int_equal(ward_reasm_add(&b, 80, (const uint8_t *)"old", 3), 0); /* before the start */
    ward_reasm_release(&b);
    assert_int_equal(host.held, 0);
}

static void reasm_overlaps(void **state)
{
    struct ward_reasm r;
    ward_reasm_init(&r, 1024, NULL);
    ward_reasm_start(&r, 0);
    /* Waiting pieces at 4..6 and 10..12; a segment over both takes the gaps. */
    assert_int_equal(ward_reasm_add(&r, 4, (const uint8_t *)"EF", 2), 0);
    assert_int_equal(ward_reasm_add(&r, 10, (const uint8_t *)"KL", 2), 0);
    assert_int_equal(ward_reasm_add(&r, 2, (const uint8_t *)"cdxxghijxxmn", 12), 0);
    assert_int_equal(ward_reasm_add(&r, 0, (const uint8_t *)"ab", 2), 14);
    assert_memory_equal(r.buf, "abcdEFghijKLmn", 14);
    assert_int_equal(r.wait_bytes, 0);
    ward_reasm_release(&r);
}

static void big_set(void **state)
{
    size_t cap = 1000 * 120, n = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(
            text + n, cap - n,
            "alert tcp any any -> any any (content:\"sig%04d-pattern\"; sid:%d;)\n", i, i + 1);
    char err[256];
    ward_ids *ids = ward_ids_load_text("big", text, n, err, sizeof(err));
    free(text);
    assert_non_null(ids);
    assert_int_equal(ward_ids_count(ids), 1000);
    assert_string_equal(one(ids, 6, "..sig0999-pattern.."), "1000");
    assert_string_equal(one(ids, 6, "..sig0999-patter"), "");
    ward_ids_free(ids);
    assert_null(ward_ids_load_file("/nonexistent/ids.rules", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/ids.rules: error: No such file or directory");
}

/* The starter rules (rules/ids/ward.rules) load and catch what they say. */
static void starter(void **state)
{
    const char *root = getenv("WARD_ROOT");
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/rules/ids/ward.rules", root ? root : ".");
    ward_ids *ids = ward_ids_load_file(path, err, sizeof(err));
    if (!ids)
        fail_msg("%s", err);
    assert_string_equal(one(ids, 6, "GET /?q=${jndi:ldap://x/a} HTTP/1.1\r\n"), "9000101");
    assert_string_equal(one(ids, 6, "GET / HTTP/1.1\r\nUser-Agent: sqlmap/1.7\r\n"), "9000004");
    assert_string_equal(one(ids, 6, "GET /../../etc/passwd HTTP/1.1\r\n"), "9000103");
    assert_string_equal(one(ids, 6, "GET /?id=1 UNION ALL SELECT 1 HTTP/1.1\r\n"), "9000104");
    assert_string_equal(one(ids, 6, "GET / HTTP/1.1\r\nUser-Agent: curl/8\r\n"), "");
    /* EICAR in a response, split over two segments. */
    static const char eicar[] =
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    struct ward_ids_tuple t = tuple(6);
    ward_ids_flow *f = ward_ids_flow_new(&t, NULL, 1 << 20, NULL);
    struct got g = {0};
    seqs[1] = 7;
    char head[64];
    snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n\r\n%.20s", eicar);
    assert_int_equal(send(ids, f, false, head, &g), WARD_IDS_NONE);
    assert_int_equal(send(ids, f, false, eicar + 20, &g), WARD_IDS_DROP);
    assert_string_equal(g.sids, "9000201");
    ward_ids_flow_free(f);
    ward_ids_free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(actions),      cmocka_unit_test(protocols),
        cmocka_unit_test(addresses),    cmocka_unit_test(ports),
        cmocka_unit_test(meta),         cmocka_unit_test(content),
        cmocka_unit_test(pcre),         cmocka_unit_test(flow),
        cmocka_unit_test(dsize),        cmocka_unit_test(flowbits),
        cmocka_unit_test(threshold),    cmocka_unit_test(program),
        cmocka_unit_test(errors),       cmocka_unit_test(stream),
        cmocka_unit_test(reasm_bounds), cmocka_unit_test(reasm_overlaps),
        cmocka_unit_test(big_set),      cmocka_unit_test(starter),
        cmocka_unit_test(no_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
