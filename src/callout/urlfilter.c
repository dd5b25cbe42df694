/*
 * urlfilter.c — the built-in urlfilter callout (callout/urlfilter.h).
 */
#define _GNU_SOURCE
#include "callout/urlfilter.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "callout/webparse.h"

struct rule {
    bool deny;
    char *app;  /* NULL: every program */
    char *host; /* "example.com" or "*.example.com" */
    char *path; /* NULL: any path */
};

static struct rule *rules;
static size_t n_rules;

static void rules_free(struct rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].app);
        free(r[i].host);
        free(r[i].path);
    }
    free(r);
}

void ward_urlfilter_clear(void)
{
    rules_free(rules, n_rules);
    rules = NULL;
    n_rules = 0;
}

int ward_urlfilter_set(const ward_urlfilter_rule *in, size_t n)
{
    struct rule *r = calloc(n ? n : 1, sizeof(*r));
    if (!r)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *slash = strchr(in[i].pattern, '/');
        size_t hl = slash ? (size_t)(slash - in[i].pattern) : strlen(in[i].pattern);
        r[i].deny = in[i].deny;
        r[i].host = strndup(in[i].pattern, hl);
        r[i].path = slash ? strdup(slash) : NULL;
        r[i].app = in[i].app && in[i].app[0] ? strdup(in[i].app) : NULL;
        if (!r[i].host || (slash && !r[i].path) || (in[i].app && in[i].app[0] && !r[i].app)) {
            rules_free(r, i + 1);
            return -1;
        }
    }
    ward_urlfilter_clear();
    rules = r;
    n_rules = n;
    return 0;
}

static bool host_match(const char *pattern, const char *host)
{
    if (pattern[0] == '*' && pattern[1] == '.') {
        size_t pl = strlen(pattern + 1), hl = strlen(host); /* ".example.com" */
        return hl > pl && !strcasecmp(host + hl - pl, pattern + 1);
    }
    return !strcasecmp(pattern, host);
}

static bool applies(const struct rule *r, const char *app)
{
    return !r->app || (app && !strcmp(r->app, app));
}

static bool matches(const struct rule *r, const char *host, const char *path)
{
    if (!host || !host_match(r->host, host))
        return false;
    if (!r->path)
        return true;
    return path && fnmatch(r->path, path, 0) == 0;
}

enum ward_callout_verdict ward_urlfilter_decide(const char *app, const char *host, const char *path)
{
    bool allow_list = false, allowed = false;
    for (size_t i = 0; i < n_rules; i++) {
        const struct rule *r = &rules[i];
        if (!applies(r, app))
            continue;
        if (r->deny && matches(r, host, path))
            return WARD_CALLOUT_BLOCK;
        if (!r->deny) {
            allow_list = true;
            allowed = allowed || matches(r, host, path);
        }
    }
    return allowed || !allow_list ? WARD_CALLOUT_PERMIT : WARD_CALLOUT_BLOCK;
}

static bool any_rule_for(const char *app)
{
    for (size_t i = 0; i < n_rules; i++)
        if (applies(&rules[i], app))
            return true;
    return false;
}

static enum ward_callout_verdict classify(const ward_callout_flow *f, const ward_callout_data *d,
                                          void **flow_ctx)
{
    if (f->layer != WARD_CALLOUT_L_STREAM)
        /* Outbound TCP of a program with rules: its requests are read. */
        return f->dir == 0 && f->proto == 6 && any_rule_for(f->app) ? WARD_CALLOUT_NEED_MORE_DATA
                                                                    : WARD_CALLOUT_CONTINUE;
    if (d->dir != 0 || !d->len)
        return WARD_CALLOUT_NEED_MORE_DATA; /* the client speaks first */
    if (d->bytes[0] == 0x16) {
        char sni[WARD_WEB_HOST];
        int rc = ward_tls_sni_parse(d->bytes, d->len, sni, sizeof(sni));
        if (rc == WARD_WEB_MORE)
            return WARD_CALLOUT_NEED_MORE_DATA;
        return ward_urlfilter_decide(f->app, rc == WARD_WEB_OK ? sni : NULL, NULL);
    }
    ward_web_request req;
    int rc = ward_http_request_parse(d->bytes, d->len, &req);
    if (rc == WARD_WEB_MORE)
        return WARD_CALLOUT_NEED_MORE_DATA;
    if (rc != WARD_WEB_OK)
        return ward_urlfilter_decide(f->app, NULL, NULL);
    return ward_urlfilter_decide(f->app, req.host[0] ? req.host : NULL, req.path);
}

const ward_callout ward_urlfilter_callout = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "urlfilter",
    .layers = WARD_CALLOUT_L_CONNECT | WARD_CALLOUT_L_STREAM,
    .classify = classify,
};
