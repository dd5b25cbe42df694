/*
 * traffic.c — bytes and rates from wardd's traffic accounting: `stats.query`
 * (per program, the last five minutes) and `conns.list` (open connections),
 * each asked every two seconds on a connection of its own. When wardd
 * answers either with `unknown_type` (a wardd without accounting) the views
 * show "—" for it and it is not asked again on that connection.
 *
 * The replies are read as plain JSON by traffic_parse.c, apart from the
 * protocol's codec: it and traffic.h are all that knows their shape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ui/top/top.h"

#define POLL_MS 2000

static ward_client *tc; /* its own connection: only our two requests travel on it */
static int64_t next_ms;
/* A reply may come in parts (`more`): the figures are reset by its first. */
static bool stats_cont, conns_cont;
/* When the last stats reply came (0: none yet on this connection). The
 * rates of open connections miss a transfer that ends between two reads of
 * the counters; the growth of a program's totals since the last reply does
 * not, so the sparkline takes that too. */
static int64_t stats_ms;

void traffic_close(struct top *t)
{
    ward_client_close(tc);
    tc = NULL;
    t->tfd = -1;
    t->tlen = 0;
    t->stats_known = t->conns_known = false;
    t->stats_missing = t->conns_missing = false;
    stats_cont = conns_cont = false;
    stats_ms = 0;
}

static void send_line(struct top *t, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = send(t->tfd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            traffic_close(t);
            return;
        }
        off += (size_t)n;
    }
}

void traffic_poll(struct top *t)
{
    if (t->state != LINK_UP || top_now_ms() < next_ms)
        return;
    next_ms = top_now_ms() + POLL_MS;
    if (!tc) {
        char err[256];
        if (!(tc = ward_client_connect(t->sock, "ward-top-traffic", err, sizeof(err))))
            return;
        t->tfd = ward_client_fd(tc);
    }
    char line[256];
    long now = (long)time(NULL);
    if (!t->stats_missing) {
        snprintf(line, sizeof(line),
                 "{\"type\":\"stats.query\",\"id\":1,\"by\":\"program\",\"since\":%ld,"
                 "\"until\":%ld,\"limit\":500}\n",
                 now - TOP_SPARK * TOP_SPARK_SECS, now + 1);
        send_line(t, line);
    }
    if (!t->conns_missing && t->tfd >= 0)
        send_line(t, "{\"type\":\"conns.list\",\"id\":2}\n");
}

const char *traffic_state(const struct top *t)
{
    if (t->stats_missing && t->conns_missing)
        return "— (wardd has no traffic accounting)";
    if (t->stats_known || t->conns_known)
        return "live";
    return "—";
}

static void on_stats(struct top *t, const struct traffic_reply *r)
{
    t->stats_known = true;
    for (size_t i = 0; i < t->n_progs && !stats_cont; i++) {
        t->progs[i].has_traffic = false;
        t->progs[i].bytes_in = t->progs[i].bytes_out = t->progs[i].conns = 0;
    }
    int64_t now = top_now_ms(), secs = stats_ms ? (now - stats_ms + 999) / 1000 : 0;
    for (size_t i = 0; i < r->n_stats; i++) {
        struct top_prog *p = model_prog(t, r->stats[i].program, true);
        if (!p)
            continue;
        uint64_t total = r->stats[i].bytes_in + r->stats[i].bytes_out;
        if (secs > 0 && total > p->bytes_prev)
            model_traffic(p, (double)(total - p->bytes_prev) / (double)secs);
        p->bytes_prev = total;
        p->has_traffic = true;
        p->bytes_in = r->stats[i].bytes_in;
        p->bytes_out = r->stats[i].bytes_out;
        p->conns = r->stats[i].conns;
    }
    if (!r->more)
        stats_ms = now;
    stats_cont = r->more;
}

static void on_conns(struct top *t, struct traffic_reply *r)
{
    t->conns_known = true;
    for (size_t i = 0; i < t->n_progs && !conns_cont; i++)
        t->progs[i].rate_in = t->progs[i].rate_out = 0;
    for (size_t i = 0; i < r->n_conns; i++) {
        struct top_prog *p = model_prog(t, r->conns[i].program, true);
        if (p) {
            p->has_traffic = true;
            p->rate_in += r->conns[i].rate_in;
            p->rate_out += r->conns[i].rate_out;
        }
    }
    if (!conns_cont) {
        free(t->conns);
        t->conns = r->conns; /* now ours */
        t->n_conns = r->n_conns;
        r->conns = NULL;
    } else if (r->n_conns) { /* a later part: appended to the first */
        struct top_conn *all = realloc(t->conns, (t->n_conns + r->n_conns) * sizeof(*all));
        if (all) {
            memcpy(all + t->n_conns, r->conns, r->n_conns * sizeof(*all));
            t->conns = all;
            t->n_conns += r->n_conns;
        }
    }
    conns_cont = r->more;
}

/* One reply line. An error for a request (`unknown_type`: a wardd without
 * accounting): that wardd does not serve it; "—" it is. */
static void on_line(struct top *t, const char *line)
{
    struct traffic_reply r;
    if (traffic_parse(line, &r) < 0)
        return;
    if (r.kind == TRAFFIC_ERROR && r.id == 1)
        t->stats_missing = true;
    else if (r.kind == TRAFFIC_ERROR && r.id == 2)
        t->conns_missing = true;
    else if (r.kind == TRAFFIC_STATS)
        on_stats(t, &r);
    else if (r.kind == TRAFFIC_CONNS)
        on_conns(t, &r);
    traffic_reply_free(&r);
    t->dirty = true;
}

void traffic_readable(struct top *t)
{
    if (t->tfd < 0)
        return;
    if (!t->tbuf && !(t->tbuf = malloc(WARD_PROTO_MAX_MSG + 1)))
        return;
    ssize_t n = recv(t->tfd, t->tbuf + t->tlen, WARD_PROTO_MAX_MSG - t->tlen, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        traffic_close(t);
        return;
    }
    if (n < 0)
        return;
    t->tlen += (size_t)n;
    char *start = t->tbuf, *nl;
    while ((nl = memchr(start, '\n', t->tlen - (size_t)(start - t->tbuf)))) {
        *nl = 0;
        on_line(t, start);
        start = nl + 1;
    }
    t->tlen -= (size_t)(start - t->tbuf);
    memmove(t->tbuf, start, t->tlen);
    if (t->tlen == WARD_PROTO_MAX_MSG)
        t->tlen = 0; /* longer than a message may be: drop it */
}
