/*
 * fuzz_starttls — libFuzzer target for the STARTTLS state machines of the
 * mail proxy's TLS (src/mailtls/starttls.c). The first byte picks the
 * protocol and the side; the rest is the peer's lines. Whatever comes,
 * what Ward answers is whole CRLF-ended lines with no bare CR or LF (a
 * peer can never inject a line into Ward's answer), with no NUL, and a
 * failure says why. The same bytes as a host name (a client's SNI): what
 * passes is safe as a file name (src/mailtls/host.c).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailtls/internal.h"
#include "mailtls/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void whole_lines(const struct starttls *s)
{
    if (s->out_len >= sizeof(s->out))
        abort();
    for (size_t i = 0; i < s->out_len; i++) {
        char c = s->out[i];
        if (c == '\0' || (c == '\r' && (i + 1 == s->out_len || s->out[i + 1] != '\n')) ||
            (c == '\n' && (i == 0 || s->out[i - 1] != '\r')))
            abort();
    }
    if (s->out_len && s->out[s->out_len - 1] != '\n')
        abort();
}

static void host_name(const uint8_t *data, size_t size)
{
    char in[MAILTLS_HOST_MAX + 8], out[MAILTLS_HOST_MAX + 1];
    size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;
    memcpy(in, data, n);
    in[n] = '\0';
    if (mailtls_host_norm(in, out, sizeof(out)) < 0)
        return;
    static const char safe[] = "abcdefghijklmnopqrstuvwxyz0123456789.-_:";
    if (!out[0] || out[0] == '.' || strstr(out, "..") || strspn(out, safe) != strlen(out))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    host_name(data + 1, size - 1);
    struct starttls s;
    enum ward_mail_proto proto = (enum ward_mail_proto)(data[0] % 3);
    enum starttls_role role = data[0] & 4 ? STARTTLS_TO_SERVER : STARTTLS_TO_CLIENT;
    enum starttls_act act = starttls_init(&s, proto, role, data[0] & 8 ? "mx.example" : NULL);
    whole_lines(&s);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (act == STARTTLS_READ && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        act = starttls_feed(&s, p, len && p[len - 1] == '\r' ? len - 1 : len);
        whole_lines(&s);
        p += len + 1;
    }
    if (act == STARTTLS_FAIL && (!s.why[0] || !memchr(s.why, '\0', sizeof(s.why))))
        abort();
    return 0;
}
