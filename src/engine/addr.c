/*
 * addr.c — addresses, prefixes and the built-in zones.
 *
 * Every address is kept in the 16-byte form with IPv4 mapped into
 * ::ffff:0:0/96, so one comparison serves both families and a connection
 * made through an IPv4-mapped IPv6 socket matches IPv4 rules.
 */
#define _POSIX_C_SOURCE 200809L
#include "engine/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void ward_ip_from_v4(ward_ip *ip, uint32_t addr)
{
    memcpy(ip->b, v4_prefix, 12);
    ip->b[12] = (uint8_t)(addr >> 24);
    ip->b[13] = (uint8_t)(addr >> 16);
    ip->b[14] = (uint8_t)(addr >> 8);
    ip->b[15] = (uint8_t)addr;
}

bool ward_ip_is_v4(const ward_ip *ip)
{
    return memcmp(ip->b, v4_prefix, 12) == 0;
}

int ward_ip_parse(const char *s, ward_ip *ip)
{
    struct in_addr a4;
    if (!s)
        return WARD_E_INVAL;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        ward_ip_from_v4(ip, ntohl(a4.s_addr));
        return 0;
    }
    if (inet_pton(AF_INET6, s, ip->b) == 1)
        return 0;
    return WARD_E_INVAL;
}

static void cidr_mask(ward_ip *ip, unsigned plen)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
        if (bits < 8)
            ip->b[i] &= (uint8_t)(0xff00u >> bits);
    }
}

int ward_cidr_parse(const char *s, ward_cidr *c)
{
    char buf[WARD_CIDR_STRLEN + 8];
    if (!s || strlen(s) >= sizeof(buf))
        return WARD_E_INVAL;
    strcpy(buf, s);
    char *slash = strchr(buf, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        const char *digits = slash + 1;
        if (*digits < '0' || *digits > '9')
            return WARD_E_INVAL;
        plen = strtol(digits, &end, 10);
        if (*end)
            return WARD_E_INVAL;
    }
    if (ward_ip_parse(buf, &c->ip) < 0)
        return WARD_E_INVAL;
    /* A dotted quad counts prefix bits in IPv4; "::ffff:a.b.c.d/n" is IPv6 syntax. */
    bool v4_syntax = strchr(buf, ':') == NULL;
    long max = v4_syntax ? 32 : 128;
    if (plen < 0)
        plen = max;
    if (plen > max)
        return WARD_E_INVAL;
    c->plen = (uint8_t)(v4_syntax ? 96 + plen : plen);
    ward_ip masked = c->ip;
    cidr_mask(&masked, c->plen);
    if (memcmp(&masked, &c->ip, sizeof(masked)) != 0)
        return WARD_E_INVAL; /* host bits set: almost always a typo */
    return 0;
}

char *ward_ip_format(const ward_ip *ip, char *buf, size_t len)
{
    if (ward_ip_is_v4(ip))
        snprintf(buf, len, "%u.%u.%u.%u", ip->b[12], ip->b[13], ip->b[14], ip->b[15]);
    else if (!inet_ntop(AF_INET6, ip->b, buf, (socklen_t)len) && len)
        buf[0] = '\0';
    return buf;
}

char *ward_cidr_format(const ward_cidr *c, char *buf, size_t len)
{
    char ip[WARD_IP_STRLEN];
    ward_ip_format(&c->ip, ip, sizeof(ip));
    bool v4 = ward_ip_is_v4(&c->ip) && c->plen >= 96;
    unsigned plen = v4 ? c->plen - 96u : c->plen;
    if (plen == (v4 ? 32u : 128u))
        snprintf(buf, len, "%s", ip);
    else
        snprintf(buf, len, "%s/%u", ip, plen);
    return buf;
}

bool ward_cidr_contains(const ward_cidr *c, const ward_ip *ip)
{
    unsigned full = c->plen / 8, rest = c->plen % 8;
    if (memcmp(c->ip.b, ip->b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (c->ip.b[full] & mask) == (ip->b[full] & mask);
}

/* ---- Built-in zones ------------------------------------------------------ */

#define V4(a, b, c, d, len)                                                                        \
    {                                                                                              \
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d}}, 96 + (len)                       \
    }
#define END                                                                                        \
    {                                                                                              \
        {{0}}, 255                                                                                 \
    }

static const ward_cidr zone_loopback[] = {
    V4(127, 0, 0, 0, 8), {{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}, 128}, END};
static const ward_cidr zone_lan[] = {
    V4(10, 0, 0, 0, 8),     V4(172, 16, 0, 0, 12), V4(192, 168, 0, 0, 16), V4(100, 64, 0, 0, 10),
    V4(169, 254, 0, 0, 16), {{{0xfc}}, 7},         {{{0xfe, 0x80}}, 10},   END};
static const ward_cidr zone_multicast[] = {
    V4(224, 0, 0, 0, 4), V4(255, 255, 255, 255, 32), {{{0xff}}, 8}, END};
/* Never routed on the internet: unspecified and reserved. */
static const ward_cidr zone_special[] = {V4(0, 0, 0, 0, 8), V4(240, 0, 0, 0, 4), {{{0}}, 128}, END};

static bool in_list(const ward_cidr *list, const ward_ip *ip)
{
    for (; list->plen != 255; list++)
        if (ward_cidr_contains(list, ip))
            return true;
    return false;
}

bool ip_is_self(const ward_engine *e, const ward_ip *ip)
{
    for (size_t i = 0; i < e->n_self; i++)
        if (memcmp(&e->self[i], ip, sizeof(*ip)) == 0)
            return true;
    return false;
}

static const struct zone *user_zone(const ward_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_zones; i++)
        if (strcmp(e->zones[i].name, name) == 0)
            return &e->zones[i];
    return NULL;
}

bool zone_contains(const ward_engine *e, const char *name, const ward_ip *ip)
{
    /* Built-in names dispatch on their first letter: this runs for every
     * rule that names a network type. */
    switch (name[0]) {
    case 'a':
        if (strcmp(name, "any") == 0)
            return true;
        break;
    case 'l':
        if (strcmp(name, "loopback") == 0)
            return in_list(zone_loopback, ip);
        if (strcmp(name, "lan") == 0)
            return in_list(zone_lan, ip);
        break;
    case 'm':
        if (strcmp(name, "multicast") == 0)
            return in_list(zone_multicast, ip);
        break;
    case 's':
        if (strcmp(name, "self") == 0)
            return ip_is_self(e, ip);
        break;
    case 'i':
        if (strcmp(name, "internet") == 0)
            return !in_list(zone_loopback, ip) && !in_list(zone_lan, ip) &&
                   !in_list(zone_multicast, ip) && !in_list(zone_special, ip) && !ip_is_self(e, ip);
        break;
    }
    const struct zone *z = user_zone(e, name);
    if (!z)
        return false;
    for (size_t i = 0; i < z->n; i++)
        if (ward_cidr_contains(&z->cidrs[i], ip))
            return true;
    return false;
}

static const char *const builtin_zones[] = {"any",  "loopback", "lan", "multicast",
                                            "self", "internet", NULL};

bool ward_zone_exists(const ward_engine *e, const char *name)
{
    for (const char *const *b = builtin_zones; *b; b++)
        if (strcmp(*b, name) == 0)
            return true;
    return user_zone(e, name) != NULL;
}

const ward_cidr *ward_zone_builtin_cidrs(const char *name, size_t *n)
{
    const ward_cidr *l = !strcmp(name, "loopback")    ? zone_loopback
                         : !strcmp(name, "lan")       ? zone_lan
                         : !strcmp(name, "multicast") ? zone_multicast
                                                      : NULL;
    *n = 0;
    if (l)
        while (l[*n].plen != 255)
            (*n)++;
    return l;
}

bool ward_zone_contains(const ward_engine *e, const char *name, const ward_ip *ip)
{
    return zone_contains(e, name, ip);
}

int ward_zone_define(ward_engine *e, const char *name, const ward_cidr *cidrs, size_t n)
{
    if (!name || !*name || strlen(name) >= WARD_MAX_NAME || n > WARD_MAX_VALUES || (n && !cidrs)) {
        engine_seterr(e, "zone: bad name or too many prefixes");
        return WARD_E_INVAL;
    }
    for (const char *const *b = builtin_zones; *b; b++) {
        if (strcmp(*b, name) == 0) {
            engine_seterr(e, "zone %s is built in and cannot be redefined", name);
            return WARD_E_EXIST;
        }
    }
    ward_cidr *copy = NULL;
    if (n) {
        copy = malloc(n * sizeof(*copy));
        if (!copy)
            return WARD_E_NOMEM;
        memcpy(copy, cidrs, n * sizeof(*copy));
    }
    struct zone *z = (struct zone *)user_zone(e, name);
    if (z) {
        free(z->cidrs);
        z->cidrs = copy;
        z->n = n;
        return 0;
    }
    struct zone *zones = realloc(e->zones, (e->n_zones + 1) * sizeof(*zones));
    char *nm = strdup(name);
    if (!zones || !nm) {
        if (zones)
            e->zones = zones;
        free(copy);
        free(nm);
        return WARD_E_NOMEM;
    }
    e->zones = zones;
    e->zones[e->n_zones++] = (struct zone){.name = nm, .cidrs = copy, .n = n};
    return 0;
}

int ward_engine_set_self(ward_engine *e, const ward_ip *ips, size_t n)
{
    ward_ip *copy = NULL;
    if (n > WARD_MAX_VALUES)
        return WARD_E_LIMIT;
    if (n) {
        copy = malloc(n * sizeof(*copy));
        if (!copy)
            return WARD_E_NOMEM;
        memcpy(copy, ips, n * sizeof(*copy));
    }
    free(e->self);
    e->self = copy;
    e->n_self = n;
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int ward_sha256_parse(const char *s, ward_sha256 *h)
{
    if (!s || strlen(s) != 64)
        return WARD_E_INVAL;
    for (int i = 0; i < 32; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return WARD_E_INVAL;
        h->b[i] = (uint8_t)(hi << 4 | lo);
    }
    return WARD_OK;
}

char *ward_sha256_format(const ward_sha256 *h, char *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i = 0;
    for (; i < 32 && 2 * i + 2 < len; i++) {
        buf[2 * i] = digits[h->b[i] >> 4];
        buf[2 * i + 1] = digits[h->b[i] & 0xf];
    }
    if (len)
        buf[2 * i < len ? 2 * i : len - 1] = '\0';
    return buf;
}
