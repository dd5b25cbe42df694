/*
 * cls_entry.h — a classifier rule and key in the form lookups compare
 * (private to the classifier: classifier.c, cls_tree.c).
 */
#ifndef WARD_ENGINE_CLS_ENTRY_H
#define WARD_ENGINE_CLS_ENTRY_H

#include "engine/classifier.h"

#include <string.h>

/* The packed port/protocol word: lport << 24 | rport << 8 | proto. */
static inline uint64_t pp_word(uint32_t lport, uint32_t rport, uint32_t proto)
{
    return (uint64_t)lport << 24 | (uint64_t)rport << 8 | proto;
}

/* One rule as a lookup checks it: one cache line. Addresses are big-endian
 * words in host order, masked to the rule's own prefix. */
typedef struct entry {
    uint64_t l_hi, l_lo, r_hi, r_lo;
    uint64_t prio, data;
    uint16_t lp_lo, lp_hi, rp_lo, rp_hi;
    uint8_t pr_lo, pr_hi, lplen, rplen;
    uint32_t seq; /* insertion order: breaks ties among equal priorities */
} entry;

/* A key in the form tables hash and entries compare. */
typedef struct kwords {
    uint64_t l_hi, l_lo, r_hi, r_lo, pp;
    uint16_t lport, rport;
    uint8_t proto;
} kwords;

static inline uint64_t load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t mask_hi(unsigned plen)
{
    return plen >= 64 ? ~0ull : plen ? ~0ull << (64 - plen) : 0;
}

static inline uint64_t mask_lo(unsigned plen)
{
    return plen >= 128 ? ~0ull : plen > 64 ? ~0ull << (128 - plen) : 0;
}

static inline bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v - lo <= hi - lo; /* one compare: v < lo wraps around */
}

static inline bool entry_matches(const entry *e, const kwords *k)
{
    return in_range(k->rport, e->rp_lo, e->rp_hi) && in_range(k->lport, e->lp_lo, e->lp_hi) &&
           in_range(k->proto, e->pr_lo, e->pr_hi) &&
           (((k->r_hi ^ e->r_hi) & mask_hi(e->rplen)) | ((k->r_lo ^ e->r_lo) & mask_lo(e->rplen)) |
            ((k->l_hi ^ e->l_hi) & mask_hi(e->lplen)) |
            ((k->l_lo ^ e->l_lo) & mask_lo(e->lplen))) == 0;
}

/* Lexicographic (prio, seq). */
static inline bool entry_before(uint64_t p1, uint32_t s1, uint64_t p2, uint32_t s2)
{
    return p1 < p2 || (p1 == p2 && s1 < s2);
}

/* The key's words (IPv4 addresses as IPv4-mapped). */
static inline void key_words(const cls_key *key, kwords *k)
{
    k->l_hi = load_be64(key->laddr.b);
    k->l_lo = load_be64(key->laddr.b + 8);
    k->r_hi = load_be64(key->raddr.b);
    k->r_lo = load_be64(key->raddr.b + 8);
    k->lport = key->lport;
    k->rport = key->rport;
    k->proto = key->proto;
    k->pp = pp_word(key->lport, key->rport, key->proto);
}

#endif
