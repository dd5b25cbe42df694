/*
 * test_dns.c — DNS messages over TCP (length-prefixed) and answers to
 * queries sent to a multicast group (mDNS, LLMNR) in the outstanding-query
 * table (src/kernel/dns.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/dns.h"

/* An answer: id 0x1234, www.example.com A -> 192.0.2.7, prefixed by its
 * length as over TCP. */
static const uint8_t tcp_answer[] = {
    0,   49,   0x12, 0x34, 0x81, 0x80, 0,   1,   0,   1, 0,   0,   0,   0,   3, 'w', 'w',
    'w', 7,    'e',  'x',  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0,   0, 1,   0,
    1,   0xc0, 0x0c, 0,    1,    0,    1,   0,   0,   0, 60,  0,   4,   192, 0, 2,   7};

static void tcp_whole_message(void **state)
{
    (void)state;
    static ward_dns_msg m;
    assert_int_equal(ward_dns_parse_tcp(tcp_answer, sizeof(tcp_answer), &m), 0);
    assert_true(m.response);
    assert_int_equal(m.id, 0x1234);
    assert_string_equal(m.qname, "www.example.com");
    assert_int_equal(m.nrr, 1);
    assert_int_equal(m.rr[0].addr[15], 7);
}

static void tcp_not_whole(void **state)
{
    (void)state;
    static ward_dns_msg m;
    uint8_t two[2 * sizeof(tcp_answer)];
    memcpy(two, tcp_answer, sizeof(tcp_answer));
    memcpy(two + sizeof(tcp_answer), tcp_answer, sizeof(tcp_answer));
    /* Split over segments, two messages in one, no prefix, nothing. */
    assert_int_equal(ward_dns_parse_tcp(tcp_answer, sizeof(tcp_answer) - 1, &m), -1);
    assert_int_equal(ward_dns_parse_tcp(two, sizeof(two), &m), -1);
    assert_int_equal(ward_dns_parse_tcp(tcp_answer + 2, sizeof(tcp_answer) - 2, &m), -1);
    assert_int_equal(ward_dns_parse_tcp(tcp_answer, 1, &m), -1);
    assert_int_equal(ward_dns_parse_tcp(NULL, 0, &m), -1);
}

static void v4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = x, a[13] = y, a[14] = z, a[15] = w;
}

static void multicast_query_any_responder(void **state)
{
    (void)state;
    static ward_dns_pending t;
    ward_dns_pending_init(&t, 10000);
    ward_dns_query q = {.id = 7, .cport = 40000, .sport = 5355, .qtype = 1};
    strcpy(q.qname, "nas");
    v4(q.client, 10, 0, 0, 1);
    v4(q.server, 224, 0, 0, 252);
    ward_dns_pending_add(&t, &q, 1000);
    ward_dns_query a = q;
    v4(a.server, 10, 0, 0, 9); /* the responder's own address */
    a.sport = 53;
    assert_false(ward_dns_pending_take(&t, &a, 1001)); /* another port */
    a.sport = 5355;
    assert_true(ward_dns_pending_take(&t, &a, 1001));
    assert_false(ward_dns_pending_take(&t, &a, 1002)); /* taken once */
}

static void unicast_query_same_server(void **state)
{
    (void)state;
    static ward_dns_pending t;
    ward_dns_pending_init(&t, 10000);
    ward_dns_query q = {.id = 9, .cport = 40001, .sport = 53, .qtype = 1};
    strcpy(q.qname, "www.example.com");
    v4(q.client, 10, 0, 0, 1);
    v4(q.server, 10, 0, 0, 2);
    ward_dns_pending_add(&t, &q, 1000);
    ward_dns_query a = q;
    v4(a.server, 10, 0, 0, 3);
    assert_false(ward_dns_pending_take(&t, &a, 1001));
    v4(a.server, 10, 0, 0, 2);
    assert_true(ward_dns_pending_take(&t, &a, 1001));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_whole_message),
        cmocka_unit_test(tcp_not_whole),
        cmocka_unit_test(multicast_query_any_responder),
        cmocka_unit_test(unicast_query_same_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
