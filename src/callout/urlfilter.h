/*
 * callout/urlfilter.h — the built-in urlfilter callout: where a program's
 * web requests go (HTTP Host and path, the TLS server name of HTTPS), held
 * against allow and deny lists, per program or for all.
 *
 * A pattern is HOST or HOST/PATH: HOST is a name ("example.com": that name)
 * or a wildcard ("*.example.com": its subdomains), PATH a glob from '/'
 * (its '*' matches any characters, '/' too), matched against the path
 * without its query. HTTPS shows only the host: a pattern with a path never
 * matches it. For a request of program APP:
 *   1. a deny rule (of APP, or of all programs) that matches: block;
 *   2. an allow rule that matches: permit;
 *   3. allow rules that apply to APP but none matched: block (an allow
 *      list lets only what is on it);
 *   4. otherwise: permit.
 * The first request of a connection decides it (the flow then leaves the
 * stream layer). A connection that is neither HTTP nor TLS, or TLS without
 * a server name, has no host: only step 3 can block it.
 */
#ifndef WARD_URLFILTER_H
#define WARD_URLFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "ward/callout.h"

typedef struct ward_urlfilter_rule {
    bool deny;
    const char *app;     /* NULL or "": every program */
    const char *pattern; /* HOST[/PATH] */
} ward_urlfilter_rule;

/* Replaces the rules (copied). 0, or -1 out of memory (the old ones stay). */
int ward_urlfilter_set(const ward_urlfilter_rule *rules, size_t n);
void ward_urlfilter_clear(void);

/* The decision for a request of app to host (NULL: none known) and path
 * (NULL: not known, as for HTTPS): WARD_CALLOUT_PERMIT or _BLOCK. */
enum ward_callout_verdict ward_urlfilter_decide(const char *app, const char *host,
                                                const char *path);

/* "urlfilter": layers connect (a program with rules: need more data; others:
 * continue) and stream (the request decides). */
extern const ward_callout ward_urlfilter_callout;

#endif
