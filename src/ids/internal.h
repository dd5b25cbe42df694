/*
 * ids/internal.h — a parsed rule and a loaded set, shared by the parser,
 * the compiler and the matcher of src/ids.
 */
#ifndef WARD_IDS_INTERNAL_H
#define WARD_IDS_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ids/ids.h"

/* An address or port set: a tree of lists, each node possibly negated. A
 * list matches when one of its plain members does (or it has none) and
 * none of its negated members does. */
enum spec_kind { SPEC_ANY, SPEC_CIDR, SPEC_PORTS, SPEC_LIST };
struct spec {
    enum spec_kind kind;
    bool neg;
    uint8_t addr[16]; /* SPEC_CIDR, IPv4 mapped */
    uint8_t bits;     /* prefix length over the 16 bytes */
    uint16_t lo, hi;  /* SPEC_PORTS */
    struct spec *kids;
    size_t n_kids;
};

struct content {
    uint8_t *bytes;
    size_t len;
    bool nocase, neg;
    bool has_offset, has_depth, has_distance, has_within;
    int32_t offset, depth, distance, within;
};

enum flowbit_op { FB_SET, FB_ISSET, FB_UNSET, FB_ISNOTSET, FB_NOALERT };
struct flowbit {
    enum flowbit_op op;
    uint32_t bit; /* index into the set's flowbit names */
};

enum dsize_op { DSIZE_NONE, DSIZE_EQ, DSIZE_LT, DSIZE_GT, DSIZE_RANGE };
enum thr_type { THR_NONE, THR_LIMIT, THR_THRESHOLD, THR_BOTH };

struct rule {
    enum ward_ids_action action;
    uint8_t proto; /* 0: ip (any) */
    struct spec src, sport, dst, dport;
    bool both_ways; /* <> */
    char *msg, *classtype, *program;
    uint32_t sid, rev, priority;
    struct content *contents;
    size_t n_contents;
    pcre2_code **pcres;
    size_t n_pcres;
    bool flow_to_server, flow_to_client, flow_established;
    enum dsize_op dsize;
    uint32_t dsize_a, dsize_b;
    struct flowbit *flowbits;
    size_t n_flowbits;
    bool noalert;
    enum thr_type thr;
    bool thr_by_dst;
    uint32_t thr_count, thr_seconds;
    int32_t fast; /* index of the content the prefilter looks for, -1: none */
    unsigned line;
};

/* Threshold state: one entry per rule and tracked address. */
struct thr_entry {
    uint32_t rule;
    uint8_t addr[16];
    uint64_t start;
    uint32_t count;
    bool used;
};

struct ward_ids {
    uint64_t gen; /* unique per loaded set: flows bound to another reset */
    struct rule *rules;
    size_t n_rules;
    char **bits; /* flowbit names */
    size_t n_bits;
    const struct ids_hs *hs; /* Hyperscan's calls, set with db */
    void *db;                /* hs_database_t, NULL: no content to look for */
    void *scratch;           /* hs_scratch_t */
    uint32_t *always;        /* rules without a prefilter pattern */
    size_t n_always;
    uint8_t *cand; /* per rule: a candidate in the current scan */
    size_t max_fast;
    pcre2_match_data *md;
    struct thr_entry *thr;
    size_t thr_cap;
};

/* parse.c: the rules of text into ids (all or nothing). 0 or -1, err set. */
int ids_parse(ward_ids *ids, const char *name, const char *text, size_t len, char *err,
              size_t errlen);
void ids_rule_free(struct rule *r);
void ids_spec_free(struct spec *s);
/* compile.c: the Hyperscan prefilter of a parsed set. 0 or -1, err set. */
int ids_compile(ward_ids *ids, const char *name, char *err, size_t errlen);
/* netspec.c: whether an address / port is in a set. */
bool ids_spec_addr(const struct spec *s, const uint8_t addr[16]);
bool ids_spec_port(const struct spec *s, uint16_t port);

#endif
