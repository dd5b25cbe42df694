/*
 * traffic.c — bytes and rates from wardd's traffic accounting: `stats.query`
 * (per program, the last five minutes) and `conns.list` (open connections),
 * each asked every two seconds on a connection of its own. When wardd
 * answers either with `unknown_type` (a wardd without accounting) the views
 * show "—" for it and it is not asked again on that connection.
 *
 * The replies are read as plain JSON here, apart from the protocol's codec,
 * so this one file is all that knows their shape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
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

void traffic_close(struct top *t)
{
    ward_client_close(tc);
    tc = NULL;
    t->tfd = -1;
    t->tlen = 0;
    t->stats_known = t->conns_known = false;
    t->stats_missing = t->conns_missing = false;
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

static uint64_t u64(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static double dbl(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static void str(json_object *o, const char *k, char *buf, size_t len)
{
    json_object *v;
    const char *s = json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
    snprintf(buf, len, "%s", s && json_object_is_type(v, json_type_string) ? s : "");
}

static void on_stats(struct top *t, json_object *rows)
{
    t->stats_known = true;
    for (size_t i = 0; i < t->n_progs; i++) {
        t->progs[i].has_traffic = false;
        t->progs[i].bytes_in = t->progs[i].bytes_out = t->progs[i].conns = 0;
    }
    size_t n = json_object_array_length(rows);
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(rows, i);
        char prog[WARD_EVENT_EXE_MAX];
        str(r, "program", prog, sizeof(prog));
        struct top_prog *p = model_prog(t, prog, true);
        if (!p)
            continue;
        p->has_traffic = true;
        p->bytes_in = u64(r, "bytes_in");
        p->bytes_out = u64(r, "bytes_out");
        p->conns = u64(r, "conns");
    }
}

static void on_conns(struct top *t, json_object *arr)
{
    t->conns_known = true;
    size_t n = json_object_array_length(arr);
    struct top_conn *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < t->n_progs; i++)
        t->progs[i].rate_in = t->progs[i].rate_out = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        struct top_conn *c = &v[i];
        c->cookie = u64(o, "cookie");
        str(o, "program", c->program, sizeof(c->program));
        c->pid = (uint32_t)u64(o, "pid");
        c->uid = (uint32_t)u64(o, "uid");
        c->proto = (uint8_t)u64(o, "proto");
        str(o, "dir", c->dir, sizeof(c->dir));
        str(o, "laddr", c->laddr, sizeof(c->laddr));
        str(o, "raddr", c->raddr, sizeof(c->raddr));
        c->lport = (uint16_t)u64(o, "lport");
        c->rport = (uint16_t)u64(o, "rport");
        str(o, "domain", c->domain, sizeof(c->domain));
        str(o, "verdict", c->verdict, sizeof(c->verdict));
        c->bytes_in = u64(o, "bytes_in");
        c->bytes_out = u64(o, "bytes_out");
        c->rate_in = dbl(o, "rate_in");
        c->rate_out = dbl(o, "rate_out");
        c->since = (int64_t)u64(o, "since");
        struct top_prog *p = model_prog(t, c->program, true);
        if (p) {
            p->has_traffic = true;
            p->rate_in += c->rate_in;
            p->rate_out += c->rate_out;
        }
    }
    free(t->conns);
    t->conns = v;
    t->n_conns = n;
}

/* One reply line. `unknown_type` (or any error) for a request: that wardd
 * does not serve it; "—" it is. */
static void on_line(struct top *t, const char *line)
{
    json_object *o = json_tokener_parse(line), *v;
    if (!o)
        return;
    const char *type = json_object_object_get_ex(o, "type", &v) ? json_object_get_string(v) : "";
    int64_t id = json_object_object_get_ex(o, "id", &v) ? json_object_get_int64(v) : 0;
    if (!strcmp(type, "error")) {
        if (id == 1)
            t->stats_missing = true;
        else if (id == 2)
            t->conns_missing = true;
    } else if (!strcmp(type, "stats.reply") && json_object_object_get_ex(o, "rows", &v) &&
               json_object_is_type(v, json_type_array)) {
        on_stats(t, v);
    } else if (!strcmp(type, "conns.reply") && json_object_object_get_ex(o, "conns", &v) &&
               json_object_is_type(v, json_type_array)) {
        on_conns(t, v);
    }
    json_object_put(o);
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
