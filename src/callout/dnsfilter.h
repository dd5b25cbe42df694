/*
 * callout/dnsfilter.h — the built-in dnsfilter callout's blocklist.
 *
 * Entries, one a line, in any mix of the two common formats:
 *   hosts file       0.0.0.0 ads.example.com tracker.example.net   (any address)
 *   domain list      ads.example.com
 * plus
 *   wildcard         *.example.com        (its subdomains, not itself)
 *   regular expr.    /^ad[0-9]+\./        (PCRE2, matched against the name)
 * '#' starts a comment (also after an entry); a line starting with '!' is a
 * comment. Names have no case and no trailing dot. A hosts file's own names
 * (localhost, broadcasthost, ip6-...) are skipped.
 *
 * A lookup is O(1) in the size of the list: one hash probe for the name and
 * one per label suffix for wildcards; regular expressions are tried after
 * those, each in turn (their cost grows with their own number).
 */
#ifndef WARD_DNSFILTER_H
#define WARD_DNSFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "ward/callout.h"

typedef struct ward_dnsfilter ward_dnsfilter;

ward_dnsfilter *ward_dnsfilter_new(void);
void ward_dnsfilter_free(ward_dnsfilter *f);

/* Adds a list's entries. All or nothing: on an error (reported as
 * "name:line:col: error: ...") nothing of this list is added. 0 or -1. */
int ward_dnsfilter_load_text(ward_dnsfilter *f, const char *name, const char *text, size_t len,
                             char *err, size_t errlen);
/* The same for a file (at most 256 MiB). */
int ward_dnsfilter_load_file(ward_dnsfilter *f, const char *path, char *err, size_t errlen);

enum ward_dnsfilter_hit {
    WARD_DNSF_MISS,
    WARD_DNSF_EXACT,
    WARD_DNSF_WILDCARD,
    WARD_DNSF_REGEX,
};
/* Whether name (any case, trailing dot or not) is on the list. */
enum ward_dnsfilter_hit ward_dnsfilter_match(const ward_dnsfilter *f, const char *name);
/* Names, wildcards and regular expressions held. */
size_t ward_dnsfilter_count(const ward_dnsfilter *f);

/* What the callout answers for a blocked name. */
enum ward_dnsfilter_answer {
    WARD_DNSF_NXDOMAIN, /* "no such name" */
    WARD_DNSF_ZERO,     /* 0.0.0.0 (A) or :: (AAAA) */
};

/* The built-in callout "dnsfilter" (layer dns): blocks (without veto) the
 * names on the list it is given, continues otherwise. wardd gives it the
 * list of the policy in force (NULL: blocks nothing). */
extern const ward_callout ward_dnsfilter_callout;
void ward_dnsfilter_use(const ward_dnsfilter *f);

#endif
