/*
 * dns.c — DNS message parsing and outstanding queries (pure; see dns.h).
 *
 * Every read is bounds-checked; compression pointers must point strictly
 * backwards (so they cannot loop) and a name is at most 255 bytes on the
 * wire, 63 per label.
 */
#include <string.h>

#include "kernel/dns.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read the name at *off into out (lower case, dots); advance *off past it
 * in the message (not past the pointer's target). -1 if malformed. */
static int read_name(const uint8_t *p, size_t len, size_t *off, char *out)
{
    size_t pos = *off, olen = 0, wire = 0;
    bool jumped = false;
    int hops = 0;
    out[0] = '\0';
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = p[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ++hops > 32)
                return -1;
            size_t target = (size_t)(l & 0x3f) << 8 | p[pos + 1];
            if (target >= pos)
                return -1; /* forward or self pointer: refuse (no loops) */
            if (!jumped)
                *off = pos + 2;
            jumped = true;
            pos = target;
            continue;
        }
        if (l & 0xc0)
            return -1; /* 0x40 / 0x80: extended labels, not supported */
        if (l == 0) {
            if (!jumped)
                *off = pos + 1;
            break;
        }
        if (pos + 1 + l > len)
            return -1;
        wire += (size_t)l + 1;
        if (wire > 255)
            return -1;
        if (olen) {
            out[olen++] = '.';
        }
        for (size_t i = 0; i < l; i++) {
            char c = (char)p[pos + 1 + i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c == '\0')
                c = '?';
            out[olen++] = c;
        }
        out[olen] = '\0';
        pos += 1 + (size_t)l;
    }
    return 0;
}

int ward_dns_parse(const uint8_t *p, size_t len, ward_dns_msg *m)
{
    memset(m, 0, sizeof(*m));
    if (!p || len < 12)
        return -1;
    m->id = rd16(p);
    m->response = p[2] & 0x80;
    m->opcode = (p[2] >> 3) & 0x0f;
    m->rcode = p[3] & 0x0f;
    m->qdcount = rd16(p + 4);
    m->ancount = rd16(p + 6);
    size_t off = 12;
    char name[WARD_DNS_NAME_MAX];
    for (unsigned i = 0; i < m->qdcount; i++) {
        if (read_name(p, len, &off, name) || off + 4 > len)
            return -1;
        if (i == 0) {
            memcpy(m->qname, name, sizeof(name));
            m->qtype = rd16(p + off);
            m->qclass = rd16(p + off + 2);
        }
        off += 4;
    }
    for (unsigned i = 0; i < m->ancount; i++) {
        if (read_name(p, len, &off, name) || off + 10 > len)
            return -1;
        uint16_t type = rd16(p + off), klass = rd16(p + off + 2);
        uint32_t ttl = rd32(p + off + 4);
        uint16_t rdlen = rd16(p + off + 8);
        off += 10;
        if (off + rdlen > len)
            return -1;
        size_t rdoff = off;
        off += rdlen;
        if (m->nrr == WARD_DNS_MAX_RR)
            continue;
        ward_dns_rr *rr = &m->rr[m->nrr];
        if (type == WARD_DNS_A && rdlen == 4) {
            memset(rr->addr, 0, 10);
            rr->addr[10] = rr->addr[11] = 0xff;
            memcpy(rr->addr + 12, p + rdoff, 4);
        } else if (type == WARD_DNS_AAAA && rdlen == 16) {
            memcpy(rr->addr, p + rdoff, 16);
        } else if (type == WARD_DNS_CNAME) {
            size_t t = rdoff;
            if (read_name(p, rdoff + rdlen, &t, rr->target))
                return -1;
        } else {
            continue;
        }
        memcpy(rr->name, name, sizeof(name));
        rr->type = type;
        rr->klass = klass;
        rr->ttl = ttl;
        m->nrr++;
    }
    return 0;
}

int ward_dns_parse_tcp(const uint8_t *p, size_t len, ward_dns_msg *m)
{
    if (!p || len < 2 || (size_t)rd16(p) + 2 != len) {
        memset(m, 0, sizeof(*m));
        return -1;
    }
    return ward_dns_parse(p + 2, len - 2, m);
}

bool ward_dns_name_match(const char *pattern, const char *name)
{
    if (!strncmp(pattern, "*.", 2)) {
        size_t pl = strlen(pattern + 1), nl = strlen(name); /* ".example.com" */
        return nl > pl && !strcmp(name + nl - pl, pattern + 1);
    }
    return !strcmp(pattern, name);
}

bool ward_dns_answers_question(const ward_dns_msg *m, size_t i)
{
    /* The chain of names from the question through CNAMEs, bounded. */
    const char *want = m->qname;
    for (int hop = 0; hop < 8; hop++) {
        if (!strcmp(m->rr[i].name, want))
            return true;
        const char *next = NULL;
        for (size_t j = 0; j < m->nrr && !next; j++)
            if (m->rr[j].type == WARD_DNS_CNAME && !strcmp(m->rr[j].name, want))
                next = m->rr[j].target;
        if (!next)
            return false;
        want = next;
    }
    return false;
}

void ward_dns_pending_init(ward_dns_pending *t, int64_t timeout_ms)
{
    memset(t, 0, sizeof(*t));
    t->timeout_ms = timeout_ms;
}

void ward_dns_pending_add(ward_dns_pending *t, const ward_dns_query *q, int64_t now_ms)
{
    /* A free or expired slot, else the oldest (round robin). */
    size_t slot = t->next % WARD_DNS_PENDING;
    for (size_t i = 0; i < WARD_DNS_PENDING; i++) {
        const ward_dns_query *x = &t->q[i];
        if (!x->when_ms || now_ms - x->when_ms > t->timeout_ms) {
            slot = i;
            break;
        }
    }
    t->q[slot] = *q;
    t->q[slot].when_ms = now_ms ? now_ms : 1;
    t->next++;
}

bool ward_dns_pending_take(ward_dns_pending *t, const ward_dns_query *a, int64_t now_ms)
{
    return ward_dns_pending_take_query(t, a, now_ms, NULL);
}

/* 224.0.0.0/4 (stored IPv4-mapped) or ff00::/8. */
static bool multicast(const uint8_t a[16])
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    return a[0] == 0xff || (!memcmp(a, mapped, 12) && (a[12] & 0xf0) == 0xe0);
}

bool ward_dns_pending_take_query(ward_dns_pending *t, const ward_dns_query *a, int64_t now_ms,
                                 ward_dns_query *found)
{
    for (size_t i = 0; i < WARD_DNS_PENDING; i++) {
        ward_dns_query *x = &t->q[i];
        if (!x->when_ms || now_ms - x->when_ms > t->timeout_ms)
            continue;
        if (x->id == a->id && x->cport == a->cport && x->sport == a->sport &&
            !memcmp(x->client, a->client, 16) &&
            (!memcmp(x->server, a->server, 16) || multicast(x->server)) && x->qtype == a->qtype &&
            !strcmp(x->qname, a->qname)) {
            if (found)
                *found = *x;
            x->when_ms = 0;
            return true;
        }
    }
    return false;
}

size_t ward_dns_block_reply(const uint8_t *p, size_t len, bool zero, uint8_t *out, size_t cap)
{
    char name[WARD_DNS_NAME_MAX];
    size_t off = 12;
    if (!p || len < 12 || rd16(p + 4) < 1 || read_name(p, len, &off, name) < 0 || off + 4 > len)
        return 0;
    /* The question is copied as the query had it. */
    size_t qend = off + 4;
    uint16_t qtype = rd16(p + off), qclass = rd16(p + off + 2);
    size_t rdlen = !zero ? 0 : qtype == WARD_DNS_A ? 4 : qtype == WARD_DNS_AAAA ? 16 : 0;
    size_t need = qend + (rdlen ? 12 + rdlen : 0);
    if (need > cap)
        return 0;
    memcpy(out, p, qend);
    out[2] = (uint8_t)(0x80 | (p[2] & 0x79));  /* a response; the opcode and RD kept */
    out[3] = (uint8_t)(0x80 | (zero ? 0 : 3)); /* RA; NOERROR or NXDOMAIN */
    out[4] = 0, out[5] = 1;                    /* one question */
    out[6] = 0, out[7] = rdlen ? 1 : 0;        /* the answer, if any */
    memset(out + 8, 0, 4);                     /* no authority, no additional records */
    if (rdlen) {
        uint8_t *a = out + qend;
        a[0] = 0xc0, a[1] = 12; /* the question's name */
        a[2] = (uint8_t)(qtype >> 8), a[3] = (uint8_t)qtype;
        a[4] = (uint8_t)(qclass >> 8), a[5] = (uint8_t)qclass;
        a[6] = a[7] = a[8] = 0, a[9] = 60; /* TTL 60 s */
        a[10] = 0, a[11] = (uint8_t)rdlen;
        memset(a + 12, 0, rdlen);
    }
    return need;
}
