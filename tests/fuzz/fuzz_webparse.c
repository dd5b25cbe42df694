/*
 * fuzz_webparse — libFuzzer target for the web parsers the urlfilter
 * callout runs on a program's first bytes (src/callout/webparse.c): the
 * HTTP request head and the TLS ClientHello's server name. Any bytes give
 * a result; what is found is a plausible name; and a prefix of input that
 * gave an answer never gives "found" where the whole gave "not this".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callout/webparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void plausible(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '/' || (*s >= 'A' && *s <= 'Z'))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_web_request r;
    int h = ward_http_request_parse(data, size, &r);
    if (h == WARD_WEB_OK) {
        plausible(r.host);
        if (r.path[0] != '/' || strchr(r.path, '?'))
            abort();
    } else if (h != WARD_WEB_MORE && h != WARD_WEB_NONE) {
        abort();
    }
    char sni[WARD_WEB_HOST];
    int t = ward_tls_sni_parse(data, size, sni, sizeof(sni));
    if (t == WARD_WEB_OK)
        plausible(sni);
    else if (t != WARD_WEB_MORE && t != WARD_WEB_NONE && t != WARD_WEB_NO_SNI)
        abort();
    /* More bytes never turn an answer back into "need more". */
    if (size > 1 && t != WARD_WEB_MORE &&
        ward_tls_sni_parse(data, size - 1, sni, sizeof(sni)) == WARD_WEB_OK && t != WARD_WEB_OK)
        abort();
    return 0;
}
