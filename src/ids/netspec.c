/*
 * netspec.c — address and port sets of a rule's header: any, one address
 * or prefix (IPv4 or IPv6), one port or range, variables, lists and
 * negation, parsed into the tree of internal.h.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ids/internal.h"
#include "ids/parse.h"

void ids_spec_free(struct spec *s)
{
    for (size_t i = 0; i < s->n_kids; i++)
        ids_spec_free(&s->kids[i]);
    free(s->kids);
    s->kids = NULL;
    s->n_kids = 0;
}

static bool in_prefix(const struct spec *s, const uint8_t a[16])
{
    unsigned full = s->bits / 8, rest = s->bits % 8;
    if (memcmp(s->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (s->addr[full] & mask) == (a[full] & mask);
}

/* The node's own test, before its negation. */
static bool node_match(const struct spec *s, const uint8_t *addr, uint16_t port)
{
    switch (s->kind) {
    case SPEC_ANY:
        return true;
    case SPEC_CIDR:
        return addr && in_prefix(s, addr);
    case SPEC_PORTS:
        return port >= s->lo && port <= s->hi;
    case SPEC_LIST: {
        bool plain = false, hit = false;
        for (size_t i = 0; i < s->n_kids; i++) {
            const struct spec *k = &s->kids[i];
            bool m = node_match(k, addr, port);
            if (k->neg && m)
                return false;
            if (!k->neg) {
                plain = true;
                hit = hit || m;
            }
        }
        return hit || !plain;
    }
    }
    return false;
}

static bool spec_match(const struct spec *s, const uint8_t *addr, uint16_t port)
{
    return node_match(s, addr, port) != s->neg;
}

bool ids_spec_addr(const struct spec *s, const uint8_t addr[16])
{
    return spec_match(s, addr, 0);
}

bool ids_spec_port(const struct spec *s, uint16_t port)
{
    return spec_match(s, NULL, port);
}

/* ---- parsing ---- */

#define VAR_DEPTH 8

struct sp {
    struct ids_lex *L;
    const char *s;
    size_t n, pos;
    size_t col; /* where the token starts in the line: errors point there */
    bool ports;
    bool in_var; /* parsing a variable's value: errors point at its $NAME */
    int depth;
};

static size_t sp_at(const struct sp *p)
{
    return p->in_var ? p->col : p->col + p->pos;
}

static int sp_fail(struct sp *p, const char *what)
{
    return ids_fail(p->L, sp_at(p), "%s %s", p->ports ? "port" : "address", what);
}

static int parse_node(struct sp *p, struct spec *out);

static bool is_word(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int parse_var(struct sp *p, struct spec *out)
{
    size_t b = ++p->pos;
    while (p->pos < p->n && is_word(p->s[p->pos]))
        p->pos++;
    char name[64];
    size_t nl = p->pos - b;
    if (nl == 0 || nl >= sizeof(name)) {
        p->pos = b - 1;
        return sp_fail(p, "variable: bad name");
    }
    memcpy(name, p->s + b, nl);
    name[nl] = '\0';
    const struct ids_var *v = ids_var_find(p->L, name, p->ports);
    if (!v || p->depth >= VAR_DEPTH) {
        p->pos = b - 1;
        return ids_fail(p->L, sp_at(p), "%s variable $%s %s", p->ports ? "port" : "address", name,
                        v ? "nests too deep" : "is not defined");
    }
    struct sp sub = {.L = p->L,
                     .s = v->value,
                     .n = strlen(v->value),
                     .col = p->in_var ? p->col : p->col + b - 1,
                     .ports = p->ports,
                     .in_var = true,
                     .depth = p->depth + 1};
    if (parse_node(&sub, out) < 0)
        return -1;
    if (sub.pos != sub.n) {
        ids_spec_free(out);
        p->pos = b - 1;
        return sp_fail(p, "variable: trailing text in its value");
    }
    return 0;
}

static int parse_port(struct sp *p, struct spec *out)
{
    long v[2] = {0, 65535};
    bool have[2] = {false, false};
    int side = 0;
    size_t b = p->pos;
    while (p->pos < p->n && p->s[p->pos] != ',' && p->s[p->pos] != ']') {
        char c = p->s[p->pos];
        if (c == ':' && side == 0) {
            side = 1;
        } else if (c >= '0' && c <= '9') {
            long d = c - '0';
            long cur = have[side] ? v[side] : 0;
            if (cur * 10 + d > 65535) {
                p->pos = b;
                return sp_fail(p, "out of range (0-65535)");
            }
            v[side] = cur * 10 + d;
            have[side] = true;
        } else {
            return sp_fail(p, "expected a number, a range a:b, a list or any");
        }
        p->pos++;
    }
    if (!have[0] && !have[1]) {
        p->pos = b;
        return sp_fail(p, "expected a number, a range a:b, a list or any");
    }
    out->kind = SPEC_PORTS;
    out->lo = (uint16_t)(have[0] ? v[0] : 0);
    out->hi = (uint16_t)(side == 0 ? out->lo : have[1] ? v[1] : 65535);
    if (out->lo > out->hi) {
        p->pos = b;
        return sp_fail(p, "range is empty");
    }
    return 0;
}

static int parse_addr(struct sp *p, struct spec *out)
{
    size_t b = p->pos;
    while (p->pos < p->n && p->s[p->pos] != ',' && p->s[p->pos] != ']')
        p->pos++;
    char tok[64];
    size_t tl = p->pos - b;
    if (tl == 0 || tl >= sizeof(tok)) {
        p->pos = b;
        return sp_fail(p, "expected an address, a prefix, a list or any");
    }
    memcpy(tok, p->s + b, tl);
    tok[tl] = '\0';
    char *slash = strchr(tok, '/');
    if (slash)
        *slash = '\0';
    out->kind = SPEC_CIDR;
    struct in_addr a4;
    int maxbits;
    if (inet_pton(AF_INET, tok, &a4) == 1) {
        memset(out->addr, 0, 10);
        out->addr[10] = out->addr[11] = 0xff;
        memcpy(out->addr + 12, &a4, 4);
        maxbits = 32;
    } else if (inet_pton(AF_INET6, tok, out->addr) == 1) {
        maxbits = 128;
    } else {
        p->pos = b;
        return sp_fail(p, "is not an IPv4 or IPv6 address");
    }
    int bits = maxbits;
    if (slash) {
        char *end;
        long l = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || l < 0 || l > maxbits) {
            p->pos = b + (size_t)(slash - tok) + 1;
            return sp_fail(p, "prefix length out of range");
        }
        bits = (int)l;
    }
    out->bits = (uint8_t)(bits + 128 - maxbits);
    return 0;
}

static int parse_list(struct sp *p, struct spec *out)
{
    out->kind = SPEC_LIST;
    p->pos++; /* [ */
    for (;;) {
        if (out->n_kids >= 1024)
            return sp_fail(p, "list: too many members");
        struct spec *k = realloc(out->kids, (out->n_kids + 1) * sizeof(*k));
        if (!k)
            return sp_fail(p, "list: out of memory");
        out->kids = k;
        memset(&k[out->n_kids], 0, sizeof(*k));
        if (parse_node(p, &k[out->n_kids]) < 0) {
            ids_spec_free(&k[out->n_kids]);
            return -1;
        }
        out->n_kids++;
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == ']') {
            p->pos++;
            return 0;
        }
        return sp_fail(p, "list: expected ',' or ']'");
    }
}

static int parse_node(struct sp *p, struct spec *out)
{
    memset(out, 0, sizeof(*out));
    if (p->pos < p->n && p->s[p->pos] == '!') {
        out->neg = true;
        p->pos++;
    }
    if (p->depth > VAR_DEPTH + 16)
        return sp_fail(p, "nests too deep");
    if (p->pos >= p->n)
        return sp_fail(p, "is missing");
    const char *c = p->s + p->pos;
    size_t rest = p->n - p->pos;
    bool neg = out->neg;
    out->neg = false;
    int rc;
    if (rest >= 3 && !strncmp(c, "any", 3) && (rest == 3 || c[3] == ',' || c[3] == ']')) {
        p->pos += 3;
        out->kind = SPEC_ANY;
        rc = 0;
    } else if (*c == '$') {
        rc = parse_var(p, out);
    } else if (*c == '[') {
        p->depth++;
        rc = parse_list(p, out);
        p->depth--;
    } else {
        rc = p->ports ? parse_port(p, out) : parse_addr(p, out);
    }
    if (rc == 0 && neg) {
        /* !X is a one-member list, negated: X may be negated itself. */
        struct spec *k = malloc(sizeof(*k));
        if (!k) {
            ids_spec_free(out);
            return sp_fail(p, "out of memory");
        }
        *k = *out;
        memset(out, 0, sizeof(*out));
        out->kind = SPEC_LIST;
        out->neg = true;
        out->kids = k;
        out->n_kids = 1;
    }
    return rc;
}

int ids_spec_parse(struct ids_lex *L, const char *tok, size_t n, size_t col, bool ports,
                   struct spec *out)
{
    struct sp p = {.L = L, .s = tok, .n = n, .col = col, .ports = ports};
    if (parse_node(&p, out) < 0) {
        ids_spec_free(out);
        return -1;
    }
    if (p.pos != n) {
        ids_spec_free(out);
        return sp_fail(&p, "has trailing text");
    }
    return 0;
}
