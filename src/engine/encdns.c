/*
 * encdns.c — the encrypted-dns condition: which connections carry DNS
 * that the host's resolver (and Ward's DNS layer) never sees.
 *
 * Port 853 is DNS over TLS (TCP) or over QUIC (UDP) whoever the server is:
 * nothing else uses it. Port 443 is DNS over HTTPS only towards a
 * resolver, known by its address or by the name the connection was made
 * to (a DNS answer, the shim): the well-known public resolvers below, and
 * those the policy adds (set encrypted-dns-resolver).
 */
#define _POSIX_C_SOURCE 200809L
#include "engine/internal.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Public resolvers that answer DNS over HTTPS (their plain DNS addresses
 * serve it too). Names cover their DoH front ends. */
/* clang-format off */
static const char *const builtin_addrs[] = {
    /* Google */
    "8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844",
    /* Cloudflare (with its malware and family filters) */
    "1.1.1.1", "1.0.0.1", "1.1.1.2", "1.0.0.2", "1.1.1.3", "1.0.0.3",
    "2606:4700:4700::1111", "2606:4700:4700::1001",
    /* Quad9 */
    "9.9.9.9", "149.112.112.112", "9.9.9.11", "149.112.112.11", "2620:fe::fe", "2620:fe::9",
    /* OpenDNS */
    "208.67.222.222", "208.67.220.220", "2620:119:35::35", "2620:119:53::53",
    /* AdGuard */
    "94.140.14.14", "94.140.15.15", "2a10:50c0::ad1:ff", "2a10:50c0::ad2:ff",
    /* NextDNS (anycast ranges), CleanBrowsing, Mullvad */
    "45.90.28.0/24", "45.90.30.0/24", "185.228.168.9", "185.228.169.9",
    "194.242.2.2", "2a07:e340::2",
};

static const char *const builtin_names[] = {
    "dns.google", "dns.google.com", "8888.google",
    "cloudflare-dns.com", "*.cloudflare-dns.com", "one.one.one.one",
    "dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net",
    "doh.opendns.com", "doh.familyshield.opendns.com",
    "dns.adguard-dns.com", "*.adguard-dns.com", "dns.adguard.com",
    "dns.nextdns.io", "*.dns.nextdns.io", "doh.cleanbrowsing.org",
    "dns.mullvad.net", "*.dns.mullvad.net", "doh.dns.sb",
    "dns0.eu", "*.dns0.eu", "doh.libredns.gr",
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *ward_encdns_name(enum ward_encdns k)
{
    return k == WARD_ENCDNS_DOT ? "dot" : k == WARD_ENCDNS_DOH ? "doh" : NULL;
}

static int add_cidr(ward_engine *e, const ward_cidr *c)
{
    ward_cidr *v = realloc(e->resolver_cidrs, (e->n_resolver_cidrs + 1) * sizeof(*v));
    if (!v)
        return WARD_E_NOMEM;
    e->resolver_cidrs = v;
    v[e->n_resolver_cidrs++] = *c;
    return 0;
}

/* A name: labels of letters, digits, '-' and '_', optionally "*." first. */
static bool resolver_name_ok(const char *s)
{
    if (s[0] == '*' && s[1] == '.')
        s += 2;
    size_t n = strlen(s);
    if (n == 0 || n > 253 || s[0] == '.' || strstr(s, ".."))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

int ward_resolver_add(ward_engine *e, const char *s)
{
    ward_cidr c;
    if (!s || !*s) {
        engine_seterr(e, "resolver: empty");
        return WARD_E_INVAL;
    }
    if (ward_cidr_parse(s, &c) == 0)
        return add_cidr(e, &c);
    if (!resolver_name_ok(s)) {
        engine_seterr(e, "resolver '%s' is neither an address or prefix nor a name", s);
        return WARD_E_INVAL;
    }
    char *dup = strdup(s);
    char **v = dup ? realloc(e->resolver_names, (e->n_resolver_names + 1) * sizeof(*v)) : NULL;
    if (!v) {
        free(dup);
        return WARD_E_NOMEM;
    }
    e->resolver_names = v;
    v[e->n_resolver_names++] = dup;
    return 0;
}

int engine_resolvers_init(ward_engine *e)
{
    for (size_t i = 0; i < NELEM(builtin_addrs); i++) {
        ward_cidr c;
        if (ward_cidr_parse(builtin_addrs[i], &c) < 0 || add_cidr(e, &c) < 0)
            return WARD_E_NOMEM;
    }
    return 0;
}

static bool is_resolver(const ward_engine *e, const ward_request *r)
{
    for (size_t i = 0; i < e->n_resolver_cidrs; i++)
        if (ward_cidr_contains(&e->resolver_cidrs[i], &r->remote))
            return true;
    if (!r->domain)
        return false;
    for (size_t i = 0; i < NELEM(builtin_names); i++)
        if (domain_matches(builtin_names[i], r->domain))
            return true;
    for (size_t i = 0; i < e->n_resolver_names; i++)
        if (domain_matches(e->resolver_names[i], r->domain))
            return true;
    return false;
}

enum ward_encdns ward_encrypted_dns(const ward_engine *e, const ward_request *r)
{
    if (r->layer != WARD_LAYER_CONNECT_OUT || (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP))
        return WARD_ENCDNS_NONE;
    if (r->rport == 853)
        return WARD_ENCDNS_DOT;
    if (r->rport == 443 && is_resolver(e, r))
        return WARD_ENCDNS_DOH;
    return WARD_ENCDNS_NONE;
}
