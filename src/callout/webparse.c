/*
 * webparse.c — the HTTP request head and the TLS ClientHello's server name
 * (callout/webparse.h). Every length is checked against what is there
 * before it is used; a name must be a plausible host name to be returned.
 */
#include "callout/webparse.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* ---- Names ------------------------------------------------------------------ */

/* Copies a host name in lower case; false when it is empty, too long or
 * holds a character no host name (or IP literal) has. */
static bool host_copy(char *dst, size_t dlen, const char *s, size_t n)
{
    if (!n || n >= dlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ':' && c != '[' && c != ']')
            return false;
        dst[i] = (char)tolower(c);
    }
    dst[n] = '\0';
    return true;
}

/* A Host value "name", "name:port", "[v6]" or "[v6]:port" without the port. */
static size_t host_len(const char *s, size_t n)
{
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        return close ? (size_t)(close - s) + 1 : n;
    }
    const char *colon = memchr(s, ':', n);
    return colon ? (size_t)(colon - s) : n;
}

/* ---- HTTP ------------------------------------------------------------------- */

static const uint8_t *find(const uint8_t *p, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(p + i, s, n))
            return p + i;
    return NULL;
}

static bool path_copy(ward_web_request *out, const char *s, size_t n)
{
    size_t q = 0;
    while (q < n && s[q] != '?' && s[q] != '#')
        q++;
    if (!q) {
        strcpy(out->path, "/");
        return true;
    }
    if (s[0] != '/' || q >= sizeof(out->path))
        return false;
    for (size_t i = 0; i < q; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    memcpy(out->path, s, q);
    out->path[q] = '\0';
    return true;
}

int ward_http_request_parse(const uint8_t *p, size_t len, ward_web_request *out)
{
    memset(out, 0, sizeof(*out));
    /* The method: upper-case letters and a space. */
    size_t m = 0;
    while (m < len && m < 16 && p[m] >= 'A' && p[m] <= 'Z')
        m++;
    if (m == len)
        return m < 16 ? WARD_WEB_MORE : WARD_WEB_NONE;
    if (!m || p[m] != ' ')
        return WARD_WEB_NONE;
    const uint8_t *end = find(p, len < WARD_WEB_HEAD_MAX ? len : WARD_WEB_HEAD_MAX, "\r\n\r\n");
    if (!end) {
        /* The request line, as far as it came, must still look like one. */
        const uint8_t *eol = find(p, len, "\r\n");
        if (len >= WARD_WEB_HEAD_MAX || (eol && !find(p, (size_t)(eol - p), " HTTP/1.")))
            return WARD_WEB_NONE;
        return WARD_WEB_MORE;
    }
    size_t head = (size_t)(end - p) + 2; /* through the last header's \r\n */
    const uint8_t *eol = find(p, head, "\r\n");
    const uint8_t *t = p + m + 1;
    const uint8_t *sp = memchr(t, ' ', (size_t)(eol - t));
    if (!sp || (size_t)(eol - sp) < 9 || memcmp(sp + 1, "HTTP/1.", 7) != 0)
        return WARD_WEB_NONE;
    const char *target = (const char *)t;
    size_t tlen = (size_t)(sp - t);
    /* Absolute form: http://host[:port]/path */
    if (tlen > 7 && !strncasecmp(target, "http://", 7)) {
        const char *h = target + 7;
        size_t rest = tlen - 7, hl = 0;
        while (hl < rest && h[hl] != '/' && h[hl] != '?')
            hl++;
        if (!host_copy(out->host, sizeof(out->host), h, host_len(h, hl)))
            return WARD_WEB_NONE;
        target = h + hl;
        tlen = rest - hl;
    } else if (tlen && target[0] != '/') {
        return WARD_WEB_NONE; /* CONNECT host:port, OPTIONS *: not a path */
    }
    if (!path_copy(out, target, tlen))
        return WARD_WEB_NONE;
    /* The headers: Host, unless the target named it. */
    for (const uint8_t *l = eol + 2; l < p + head;) {
        const uint8_t *le = find(l, (size_t)(p + head - l), "\r\n");
        if (!le)
            break;
        size_t ll = (size_t)(le - l);
        if (!out->host[0] && ll > 5 && !strncasecmp((const char *)l, "host:", 5)) {
            const char *v = (const char *)l + 5;
            size_t vl = ll - 5;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (!host_copy(out->host, sizeof(out->host), v, host_len(v, vl)))
                return WARD_WEB_NONE;
        }
        l = le + 2;
    }
    return WARD_WEB_OK;
}

/* ---- TLS -------------------------------------------------------------------- */

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The server_name extension's first host_name. */
static int sni_of(const uint8_t *e, size_t n, char *sni, size_t snilen)
{
    if (n < 2 || be16(e) + 2u > n)
        return WARD_WEB_NONE;
    size_t list = be16(e);
    for (size_t i = 2; i + 3 <= 2 + list;) {
        unsigned type = e[i], nl = be16(e + i + 1);
        if (i + 3 + nl > 2 + list)
            return WARD_WEB_NONE;
        if (type == 0)
            return host_copy(sni, snilen, (const char *)e + i + 3, nl) ? WARD_WEB_OK
                                                                       : WARD_WEB_NONE;
        i += 3 + nl;
    }
    return WARD_WEB_NO_SNI;
}

int ward_tls_sni_parse(const uint8_t *p, size_t len, char *sni, size_t snilen)
{
    /* The handshake bytes, gathered from the records they span. */
    uint8_t hs[WARD_WEB_HEAD_MAX];
    size_t n = 0, need = 0;
    if (snilen)
        sni[0] = '\0';
    for (size_t off = 0;;) {
        if (len - off < 5)
            return len > off && p[off] != 0x16 ? WARD_WEB_NONE : WARD_WEB_MORE;
        if (p[off] != 0x16 || p[off + 1] != 3)
            return WARD_WEB_NONE; /* not a handshake record */
        size_t rl = be16(p + off + 3);
        if (!rl || rl > 16384 + 256)
            return WARD_WEB_NONE;
        size_t have = len - off - 5 < rl ? len - off - 5 : rl;
        if (n + have > sizeof(hs))
            return WARD_WEB_NONE;
        memcpy(hs + n, p + off + 5, have);
        n += have;
        if (n >= 4 && !need) {
            if (hs[0] != 1) /* ClientHello */
                return WARD_WEB_NONE;
            need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
            if (need > sizeof(hs))
                return WARD_WEB_NONE;
        }
        if (need && n >= need)
            break;
        if (have < rl)
            return WARD_WEB_MORE;
        off += 5 + rl;
    }
    /* ClientHello: version, random, session id, cipher suites, compression,
     * extensions. */
    const uint8_t *b = hs + 4;
    size_t bl = need - 4, i = 2 + 32;
    if (bl < i + 1)
        return WARD_WEB_NONE;
    i += 1 + b[i]; /* session id */
    if (bl < i + 2)
        return WARD_WEB_NONE;
    i += 2 + be16(b + i); /* cipher suites */
    if (bl < i + 1)
        return WARD_WEB_NONE;
    i += 1 + b[i]; /* compression methods */
    if (bl < i + 2)
        return i == bl ? WARD_WEB_NO_SNI : WARD_WEB_NONE; /* no extensions at all */
    size_t el = be16(b + i);
    i += 2;
    if (bl < i + el)
        return WARD_WEB_NONE;
    for (size_t x = i; x + 4 <= i + el;) {
        unsigned type = be16(b + x), xl = be16(b + x + 2);
        if (x + 4 + xl > i + el)
            return WARD_WEB_NONE;
        if (type == 0)
            return sni_of(b + x + 4, xl, sni, snilen);
        x += 4 + xl;
    }
    return WARD_WEB_NO_SNI;
}
