/* prompts.c — the questions waiting for an answer (see service.h). */
#define _POSIX_C_SOURCE 200809L
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

/* A request with its strings (and digest) owned, each on the heap so the
 * request can be moved. */
struct owned_req {
    ward_request r;
};

struct waiter {
    void *token;
    struct owned_req req;
};

struct prompt {
    ward_prompt pub; /* pub.req points into first.req */
    struct waiter *w;
    size_t n, cap;
};

struct prompt_table {
    struct prompt **v; /* oldest first */
    size_t n, cap;
    size_t waiting;
    uint64_t next_id;
};

static char *dup_or_null(const char *s, bool *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = true;
    return d;
}

static void req_free(struct owned_req *o)
{
    free((char *)o->r.domain);
    free((char *)o->r.iface);
    free((char *)o->r.app.path);
    free((char *)o->r.app.cmdline);
    free((char *)o->r.cgroup);
    free((ward_sha256 *)o->r.app.sha256);
    for (size_t i = 0; i < o->r.app.n_ancestors; i++)
        free((char *)o->r.app.ancestors[i]);
    free((char **)o->r.app.ancestors);
    memset(o, 0, sizeof(*o));
}

static int req_copy(struct owned_req *o, const ward_request *r)
{
    bool fail = false;
    o->r = *r;
    o->r.domain = dup_or_null(r->domain, &fail);
    o->r.iface = dup_or_null(r->iface, &fail);
    o->r.app.path = dup_or_null(r->app.path, &fail);
    o->r.app.cmdline = dup_or_null(r->app.cmdline, &fail);
    o->r.cgroup = dup_or_null(r->cgroup, &fail);
    o->r.app.sha256 = NULL;
    o->r.app.ancestors = NULL;
    o->r.app.n_ancestors = 0;
    char **chain = r->app.n_ancestors ? calloc(r->app.n_ancestors, sizeof(char *)) : NULL;
    if (r->app.n_ancestors && !chain)
        fail = true;
    for (size_t i = 0; chain && i < r->app.n_ancestors; i++)
        chain[o->r.app.n_ancestors++] = dup_or_null(r->app.ancestors[i], &fail);
    o->r.app.ancestors = (const char *const *)chain;
    if (r->app.sha256) {
        ward_sha256 *sha = malloc(sizeof(*sha));
        if (sha)
            *sha = *r->app.sha256;
        else
            fail = true;
        o->r.app.sha256 = sha;
    }
    if (fail) {
        req_free(o);
        return -1;
    }
    return 0;
}

prompt_table *prompts_new(void)
{
    prompt_table *t = calloc(1, sizeof(*t));
    if (t)
        t->next_id = 1;
    return t;
}

static void prompt_free(struct prompt *p, void (*release)(void *, void *), void *ctx)
{
    for (size_t i = 0; i < p->n; i++) {
        if (release)
            release(p->w[i].token, ctx);
        req_free(&p->w[i].req);
    }
    free(p->w);
    free(p);
}

void prompts_free(prompt_table *t, void (*release)(void *token, void *ctx), void *ctx)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        prompt_free(t->v[i], release, ctx);
    free(t->v);
    free(t);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The same question: program, direction, protocol, remote address and the
 * port that names the service. */
static bool same_question(const ward_request *a, const ward_request *b)
{
    uint16_t pa = a->dir == WARD_DIR_IN ? a->lport : a->rport;
    uint16_t pb = b->dir == WARD_DIR_IN ? b->lport : b->rport;
    return a->layer == b->layer && a->dir == b->dir && a->proto == b->proto && pa == pb &&
           memcmp(&a->remote, &b->remote, sizeof(a->remote)) == 0 &&
           same_str(a->app.path, b->app.path);
}

static int waiter_add(struct prompt *p, const ward_request *r, void *token)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        struct waiter *w = realloc(p->w, cap * sizeof(*w));
        if (!w)
            return -1;
        p->w = w;
        p->cap = cap;
    }
    if (req_copy(&p->w[p->n].req, r) < 0)
        return -1;
    p->w[p->n].token = token;
    p->n++;
    p->pub.n_waiting = p->n;
    p->pub.req = p->w[0].req.r;
    return 0;
}

const ward_prompt *prompts_add(prompt_table *t, const ward_request *r, uint32_t pid,
                               uint64_t start_time, void *token, int64_t now_ms, int64_t timeout_ms,
                               size_t max_waiting, bool *is_new)
{
    *is_new = false;
    if (t->waiting >= max_waiting)
        return NULL;
    for (size_t i = 0; i < t->n; i++) {
        struct prompt *p = t->v[i];
        if (same_question(&p->pub.req, r)) {
            if (waiter_add(p, r, token) < 0)
                return NULL;
            t->waiting++;
            return &p->pub;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct prompt **v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    struct prompt *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (waiter_add(p, r, token) < 0) {
        free(p->w);
        free(p);
        return NULL;
    }
    p->pub.id = t->next_id++;
    p->pub.pid = pid;
    p->pub.start_time = start_time;
    p->pub.opened_ms = now_ms;
    p->pub.deadline_ms = now_ms + timeout_ms;
    t->v[t->n++] = p;
    t->waiting++;
    *is_new = true;
    return &p->pub;
}

static struct prompt *find(const prompt_table *t, uint64_t id, size_t *at)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i]->pub.id == id) {
            if (at)
                *at = i;
            return t->v[i];
        }
    }
    return NULL;
}

const ward_prompt *prompts_get(const prompt_table *t, uint64_t id)
{
    struct prompt *p = find(t, id, NULL);
    return p ? &p->pub : NULL;
}

size_t prompts_count(const prompt_table *t)
{
    return t->n;
}

size_t prompts_waiting(const prompt_table *t)
{
    return t->waiting;
}

const ward_prompt *prompts_at(const prompt_table *t, size_t i)
{
    return i < t->n ? &t->v[i]->pub : NULL;
}

int prompts_close(prompt_table *t, uint64_t id,
                  void (*fn)(void *token, const ward_request *r, void *ctx), void *ctx)
{
    size_t at;
    struct prompt *p = find(t, id, &at);
    if (!p)
        return WARD_E_NOENT;
    /* Unlink first: fn may add new prompts (a re-classified connection can
     * defer again under another question). */
    memmove(&t->v[at], &t->v[at + 1], (t->n - at - 1) * sizeof(*t->v));
    t->n--;
    t->waiting -= p->n;
    for (size_t i = 0; i < p->n; i++)
        if (fn)
            fn(p->w[i].token, &p->w[i].req.r, ctx);
    prompt_free(p, NULL, NULL);
    return 0;
}

int64_t prompts_next_deadline(const prompt_table *t)
{
    int64_t best = -1;
    for (size_t i = 0; i < t->n; i++)
        if (best < 0 || t->v[i]->pub.deadline_ms < best)
            best = t->v[i]->pub.deadline_ms;
    return best;
}

size_t prompts_expired(const prompt_table *t, int64_t now_ms, uint64_t *ids, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < max; i++)
        if (t->v[i]->pub.deadline_ms <= now_ms)
            ids[n++] = t->v[i]->pub.id;
    return n;
}
