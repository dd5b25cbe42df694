/*
 * test_urlfilter.c — the web parsers (an HTTP request head in pieces, in
 * absolute form, with a port; a TLS ClientHello's server name, whole, cut
 * short, over two records, without one, and not TLS) and the urlfilter's
 * decisions (deny, allow lists, per program, paths, HTTPS without a path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callout/urlfilter.h"
#include "callout/webparse.h"

static int http(const char *s, ward_web_request *r)
{
    return ward_http_request_parse((const uint8_t *)s, strlen(s), r);
}

static void http_requests(void **state)
{
    ward_web_request r;
    const char *req = "GET /docs/a.html?q=1 HTTP/1.1\r\nUser-Agent: x\r\n"
                      "Host:  WWW.Example.TEST:8081 \r\nAccept: */*\r\n\r\n";
    assert_int_equal(http(req, &r), WARD_WEB_OK);
    assert_string_equal(r.host, "www.example.test");
    assert_string_equal(r.path, "/docs/a.html");
    /* Every shorter prefix needs more. */
    for (size_t n = 0; n < strlen(req); n++)
        assert_int_equal(ward_http_request_parse((const uint8_t *)req, n, &r), WARD_WEB_MORE);
    assert_int_equal(http("POST http://proxy.test:3128/up HTTP/1.0\r\nHost: other\r\n\r\n", &r),
                     WARD_WEB_OK);
    assert_string_equal(r.host, "proxy.test");
    assert_string_equal(r.path, "/up");
    assert_int_equal(http("GET / HTTP/1.1\r\n\r\n", &r), WARD_WEB_OK);
    assert_string_equal(r.host, "");
    assert_int_equal(http("GET /x HTTP/1.1\r\nHost: [fd00::2]:80\r\n\r\n", &r), WARD_WEB_OK);
    assert_string_equal(r.host, "[fd00::2]");
    /* Not HTTP, or not a request this filter can place. */
    assert_int_equal(http("SSH-2.0-OpenSSH_9.2\r\n", &r), WARD_WEB_NONE);
    assert_int_equal(http("get / HTTP/1.1\r\n\r\n", &r), WARD_WEB_NONE);
    assert_int_equal(http("GET / FTP/1.0\r\n", &r), WARD_WEB_NONE);
    assert_int_equal(http("CONNECT host:443 HTTP/1.1\r\n\r\n", &r), WARD_WEB_NONE);
    assert_int_equal(http("GET /x HTTP/1.1\r\nHost: a b\r\n\r\n", &r), WARD_WEB_NONE);
    assert_int_equal(http("ABCDEFGHIJKLMNOPQ / HTTP/1.1", &r), WARD_WEB_NONE);
}

/* A ClientHello naming sni (NULL: no server name extension). */
static size_t hello(uint8_t *out, const char *sni)
{
    uint8_t body[512];
    size_t n = 0;
    body[n++] = 3, body[n++] = 3;
    memset(body + n, 0xab, 32), n += 32;
    body[n++] = 0;                      /* session id */
    body[n++] = 0, body[n++] = 2;       /* cipher suites */
    body[n++] = 0x13, body[n++] = 0x01; /* TLS_AES_128_GCM_SHA256 */
    body[n++] = 1, body[n++] = 0;       /* compression: null */
    size_t ext = n;
    n += 2;
    body[n++] = 0x00, body[n++] = 0x2b; /* supported_versions */
    body[n++] = 0, body[n++] = 3, body[n++] = 2, body[n++] = 3, body[n++] = 4;
    if (sni) {
        size_t l = strlen(sni);
        body[n++] = 0, body[n++] = 0; /* server_name */
        body[n++] = 0, body[n++] = (uint8_t)(l + 5);
        body[n++] = 0, body[n++] = (uint8_t)(l + 3);
        body[n++] = 0; /* host_name */
        body[n++] = 0, body[n++] = (uint8_t)l;
        memcpy(body + n, sni, l), n += l;
    }
    body[ext] = (uint8_t)((n - ext - 2) >> 8), body[ext + 1] = (uint8_t)(n - ext - 2);
    size_t hs = n + 4;
    out[0] = 0x16, out[1] = 3, out[2] = 1, out[3] = (uint8_t)(hs >> 8), out[4] = (uint8_t)hs;
    out[5] = 1, out[6] = 0, out[7] = (uint8_t)(n >> 8), out[8] = (uint8_t)n;
    memcpy(out + 9, body, n);
    return 9 + n;
}

static void tls_sni(void **state)
{
    uint8_t p[600], two[700];
    char sni[256];
    size_t n = hello(p, "WWW.Example.test");
    assert_int_equal(ward_tls_sni_parse(p, n, sni, sizeof(sni)), WARD_WEB_OK);
    assert_string_equal(sni, "www.example.test");
    for (size_t k = 0; k < n; k++)
        assert_int_equal(ward_tls_sni_parse(p, k, sni, sizeof(sni)), WARD_WEB_MORE);
    /* The same handshake over two records. */
    size_t hs = n - 5, cut = 20;
    memcpy(two, p, 5 + cut);
    two[3] = 0, two[4] = (uint8_t)cut;
    two[5 + cut] = 0x16, two[6 + cut] = 3, two[7 + cut] = 1;
    two[8 + cut] = (uint8_t)((hs - cut) >> 8), two[9 + cut] = (uint8_t)(hs - cut);
    memcpy(two + 10 + cut, p + 5 + cut, hs - cut);
    assert_int_equal(ward_tls_sni_parse(two, n + 5, sni, sizeof(sni)), WARD_WEB_OK);
    assert_string_equal(sni, "www.example.test");
    assert_int_equal(ward_tls_sni_parse(two, 5 + cut + 3, sni, sizeof(sni)), WARD_WEB_MORE);
    n = hello(p, NULL);
    assert_int_equal(ward_tls_sni_parse(p, n, sni, sizeof(sni)), WARD_WEB_NO_SNI);
    /* Not a ClientHello, lengths that lie, a name that is not one. */
    assert_int_equal(ward_tls_sni_parse((const uint8_t *)"GET / HTTP/1.1", 14, sni, 256),
                     WARD_WEB_NONE);
    n = hello(p, "a.test");
    p[5] = 2; /* ServerHello */
    assert_int_equal(ward_tls_sni_parse(p, n, sni, sizeof(sni)), WARD_WEB_NONE);
    n = hello(p, "a.test");
    p[9 + 2 + 32] = 200; /* a session id longer than the message */
    assert_int_equal(ward_tls_sni_parse(p, n, sni, sizeof(sni)), WARD_WEB_NONE);
    n = hello(p, "a/b.test");
    assert_int_equal(ward_tls_sni_parse(p, n, sni, sizeof(sni)), WARD_WEB_NONE);
}

static void decisions(void **state)
{
    const ward_urlfilter_rule rules[] = {
        {true, NULL, "evil.test"},
        {true, "/usr/bin/curl", "www.example.test/private/*"},
        {false, "/usr/bin/wget", "*.example.test"},
        {false, "/usr/bin/wget", "docs.test/public/*"},
    };
    assert_int_equal(ward_urlfilter_set(rules, 4), 0);
    const char *curl = "/usr/bin/curl", *wget = "/usr/bin/wget";
    assert_int_equal(ward_urlfilter_decide(curl, "www.example.test", "/index.html"),
                     WARD_CALLOUT_PERMIT);
    assert_int_equal(ward_urlfilter_decide(curl, "www.example.test", "/private/x/y"),
                     WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_urlfilter_decide(curl, "www.example.test", NULL), WARD_CALLOUT_PERMIT);
    assert_int_equal(ward_urlfilter_decide(curl, "EVIL.test", "/"), WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_urlfilter_decide(wget, "evil.test", NULL), WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_urlfilter_decide(curl, NULL, NULL), WARD_CALLOUT_PERMIT);
    /* wget has an allow list. */
    assert_int_equal(ward_urlfilter_decide(wget, "www.example.test", "/private/x"),
                     WARD_CALLOUT_PERMIT);
    assert_int_equal(ward_urlfilter_decide(wget, "example.test", "/"), WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_urlfilter_decide(wget, "docs.test", "/public/a"), WARD_CALLOUT_PERMIT);
    assert_int_equal(ward_urlfilter_decide(wget, "docs.test", "/secret"), WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_urlfilter_decide(wget, "docs.test", NULL), WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_urlfilter_decide(wget, NULL, NULL), WARD_CALLOUT_BLOCK);

    /* The callout: connect asks for the stream only of programs with rules. */
    ward_callout_flow f = {.layer = WARD_CALLOUT_L_CONNECT, .proto = 6, .app = wget};
    ward_callout_data d = {0};
    void *ctx = NULL;
    const ward_callout *c = &ward_urlfilter_callout;
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_NEED_MORE_DATA);
    f.app = "/usr/bin/other";
    ward_urlfilter_set(rules + 2, 2);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_CONTINUE);
    f.app = wget;
    f.layer = WARD_CALLOUT_L_STREAM;
    const char *part = "GET /public/a HTTP/1.1\r\nHost: docs.test\r\n";
    d.bytes = (const uint8_t *)part;
    d.len = strlen(part);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_NEED_MORE_DATA);
    const char *whole = "GET /public/a HTTP/1.1\r\nHost: docs.test\r\n\r\n";
    d.bytes = (const uint8_t *)whole;
    d.len = strlen(whole);
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_PERMIT);
    uint8_t p[600];
    d.bytes = p;
    d.len = hello(p, "other.test");
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_BLOCK);
    d.len = hello(p, "www.example.test");
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_PERMIT);
    d.dir = 1; /* the server's bytes: the client's request decides */
    assert_int_equal(c->classify(&f, &d, &ctx), WARD_CALLOUT_NEED_MORE_DATA);
    assert_null(ctx);
    ward_urlfilter_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_requests),
        cmocka_unit_test(tls_sni),
        cmocka_unit_test(decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
