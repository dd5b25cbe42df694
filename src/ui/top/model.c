/*
 * model.c — what ward top knows about programs: decisions and alerts from
 * the event ring (or the user's own log rows), counted per program, with a
 * sparkline of the last minutes.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui/top/top.h"

static int64_t bucket_now(void)
{
    return (int64_t)time(NULL) / TOP_SPARK_SECS;
}

/* Moves p's sparklines so that their last bucket is `now`. */
static void shift(struct top_prog *p, int64_t now)
{
    int64_t by = now - p->spark_at;
    if (by <= 0)
        return;
    if (by >= TOP_SPARK) {
        memset(p->spark, 0, sizeof(p->spark));
        memset(p->spark_bytes, 0, sizeof(p->spark_bytes));
    } else {
        size_t k = (size_t)by;
        memmove(p->spark, p->spark + k, (TOP_SPARK - k) * sizeof(*p->spark));
        memset(p->spark + TOP_SPARK - k, 0, k * sizeof(*p->spark));
        memmove(p->spark_bytes, p->spark_bytes + k, (TOP_SPARK - k) * sizeof(*p->spark_bytes));
        memset(p->spark_bytes + TOP_SPARK - k, 0, k * sizeof(*p->spark_bytes));
    }
    p->spark_at = now;
}

struct top_prog *model_prog(struct top *t, const char *exe, bool create)
{
    const char *name = exe && exe[0] ? exe : "(unattributed)";
    for (size_t i = 0; i < t->n_progs; i++)
        if (!strcmp(t->progs[i].exe, name))
            return &t->progs[i];
    if (!create)
        return NULL;
    if (t->n_progs == t->cap_progs) {
        size_t cap = t->cap_progs ? t->cap_progs * 2 : 32;
        struct top_prog *v = realloc(t->progs, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->progs = v;
        t->cap_progs = cap;
    }
    struct top_prog *p = &t->progs[t->n_progs++];
    memset(p, 0, sizeof(*p));
    WARD_EVENT_SET(p, exe, name);
    p->spark_at = bucket_now();
    return p;
}

void model_event(struct top *t, const ward_event *ev)
{
    if (ev->kind != WARD_EVENT_DECISION && ev->kind != WARD_EVENT_ALERT)
        return;
    t->recent[t->recent_head] = *ev;
    t->recent_head = (t->recent_head + 1) % TOP_RECENT;
    if (t->n_recent < TOP_RECENT)
        t->n_recent++;
    if (ev->kind == WARD_EVENT_ALERT) {
        if (t->n_alerts == TOP_MAX_ALERTS) { /* a flood of alerts: keep the newest */
            memmove(t->alerts, t->alerts + 1, (t->n_alerts - 1) * sizeof(*t->alerts));
            t->n_alerts--;
        }
        if (t->n_alerts == t->cap_alerts) {
            size_t cap = t->cap_alerts ? t->cap_alerts * 2 : 16;
            ward_event *v = realloc(t->alerts, cap * sizeof(*v));
            if (!v)
                return;
            t->alerts = v;
            t->cap_alerts = cap;
        }
        t->alerts[t->n_alerts++] = *ev;
    }
    struct top_prog *p = model_prog(t, ev->exe, true);
    if (!p)
        return;
    shift(p, bucket_now());
    int64_t age = bucket_now() - ev->time_ns / 1000000000 / TOP_SPARK_SECS;
    uint32_t n = ev->count ? ev->count : 1;
    if (ev->kind == WARD_EVENT_ALERT) {
        p->alerts++;
        return;
    }
    if (age >= 0 && age < TOP_SPARK)
        p->spark[TOP_SPARK - 1 - age] += n;
    if (ev->verdict == WARD_V_PERMIT)
        p->permits += n;
    else
        p->blocks += n;
    if (ev->time_ns >= p->last_ns) {
        p->last_ns = ev->time_ns;
        ward_ip_format(&ev->remote, p->last_remote, sizeof(p->last_remote));
        WARD_EVENT_SET(p, last_domain, ev->domain);
        p->last_port = ev->direction == WARD_DIR_IN ? ev->lport : ev->rport;
        p->last_verdict = ev->verdict;
        p->pid = ev->pid;
        p->uid = ev->uid;
        ward_event_chain(ev, TOP_CHAIN_SEP, p->chain, sizeof(p->chain));
    }
}

void model_tick(struct top *t)
{
    int64_t now = bucket_now();
    for (size_t i = 0; i < t->n_progs; i++) {
        struct top_prog *p = &t->progs[i];
        if (p->spark_at != now) {
            shift(p, now);
            t->dirty = true;
        }
        if (p->has_traffic)
            model_traffic(p, p->rate_in + p->rate_out);
    }
}

void model_traffic(struct top_prog *p, double bytes_per_s)
{
    shift(p, bucket_now());
    if (bytes_per_s > p->spark_bytes[TOP_SPARK - 1])
        p->spark_bytes[TOP_SPARK - 1] = bytes_per_s;
}

static enum top_sort sort_key;

static int cmp(const void *a, const void *b)
{
    const struct top_prog *x = *(struct top_prog *const *)a, *y = *(struct top_prog *const *)b;
    switch (sort_key) {
    case SORT_NAME:
        break;
    case SORT_BLOCKS:
        if (x->blocks != y->blocks)
            return x->blocks < y->blocks ? 1 : -1;
        break;
    case SORT_TRAFFIC: {
        double rx = x->rate_in + x->rate_out, ry = y->rate_in + y->rate_out;
        if (rx != ry)
            return rx < ry ? 1 : -1;
        if (x->bytes_in + x->bytes_out != y->bytes_in + y->bytes_out)
            return x->bytes_in + x->bytes_out < y->bytes_in + y->bytes_out ? 1 : -1;
        break;
    }
    case SORT_ACTIVITY:
    default:
        if (x->last_ns != y->last_ns)
            return x->last_ns < y->last_ns ? 1 : -1;
        break;
    }
    return strcmp(x->exe, y->exe);
}

size_t model_sorted(struct top *t, struct top_prog **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_progs && n < max; i++)
        if (!t->filter[0] || strcasestr(t->progs[i].exe, t->filter) ||
            strcasestr(t->progs[i].last_domain, t->filter))
            out[n++] = &t->progs[i];
    sort_key = t->sort;
    qsort(out, n, sizeof(*out), cmp);
    return n;
}

void model_free_rules(ward_proto_rule **v, size_t *n)
{
    /* A reply message owns a list of rules the same way: let it free them. */
    ward_msg m = {.type = WARD_MSG_RULES_REPLY};
    m.u.rules_reply.rules = *v;
    m.u.rules_reply.n = *n;
    ward_msg_free(&m);
    *v = NULL;
    *n = 0;
}

void model_free(struct top *t)
{
    free(t->progs);
    free(t->alerts);
    free(t->conns);
    free(t->log);
    free(t->dlog);
    model_free_rules(&t->rules, &t->n_rules);
    model_free_rules(&t->drules, &t->n_drules);
}
