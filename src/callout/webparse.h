/*
 * callout/webparse.h — what a web client's first bytes say about where it
 * goes: the Host and path of an HTTP/1.x request, the server name (SNI) of
 * a TLS ClientHello. Pure, and fed untrusted bytes: each reads at most len
 * bytes and says when it needs more of them (tests/fuzz/fuzz_webparse.c).
 */
#ifndef WARD_WEBPARSE_H
#define WARD_WEBPARSE_H

#include <stddef.h>
#include <stdint.h>

enum ward_web_result {
    WARD_WEB_MORE = 0,   /* so far so good: more bytes are needed */
    WARD_WEB_OK = 1,     /* found */
    WARD_WEB_NONE = -1,  /* not this protocol, or malformed */
    WARD_WEB_NO_SNI = 2, /* a complete ClientHello without a server name */
};

#define WARD_WEB_HOST     256
#define WARD_WEB_PATH     1024
#define WARD_WEB_HEAD_MAX 16384 /* an HTTP request head longer than this is refused */

typedef struct ward_web_request {
    char host[WARD_WEB_HOST]; /* lower case, no port; "" when the request names none */
    char path[WARD_WEB_PATH]; /* from '/', without the query; "/" when absent */
} ward_web_request;

/* An HTTP/1.x request head (method, target, version, headers up to the
 * empty line). The host is the Host header's, or the target's when it is
 * in absolute form (http://host/path). */
int ward_http_request_parse(const uint8_t *p, size_t len, ward_web_request *out);

/* The server name of a TLS ClientHello, which may span several records:
 * sni gets it in lower case. */
int ward_tls_sni_parse(const uint8_t *p, size_t len, char *sni, size_t snilen);

#endif
