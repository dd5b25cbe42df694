/*
 * traffic_parse.c — `stats.reply` and `conns.reply` lines into plain data
 * (traffic.h). Lenient on purpose: a member missing or of another type
 * reads as 0 or "", so a wardd that adds members or a merge that renames one
 * shows less, never breaks the screen.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/top/traffic.h"

static uint64_t u64(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    int64_t n = json_object_get_int64(v);
    return n > 0 ? (uint64_t)n : 0;
}

static double dbl(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) ||
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return 0;
    double d = json_object_get_double(v);
    return d > 0 ? d : 0;
}

static void str(json_object *o, const char *k, char *buf, size_t len)
{
    json_object *v;
    const char *s = json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
                        ? json_object_get_string(v)
                        : "";
    snprintf(buf, len, "%s", s);
}

static int stats(json_object *rows, struct traffic_reply *out)
{
    size_t n = json_object_array_length(rows);
    if (!(out->stats = calloc(n ? n : 1, sizeof(*out->stats))))
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(rows, i);
        struct top_stat *s = &out->stats[out->n_stats];
        if (!json_object_is_type(r, json_type_object))
            continue;
        str(r, "program", s->program, sizeof(s->program));
        s->bytes_in = u64(r, "bytes_in");
        s->bytes_out = u64(r, "bytes_out");
        s->conns = u64(r, "conns");
        out->n_stats++;
    }
    return 0;
}

static int conns(json_object *arr, struct traffic_reply *out)
{
    size_t n = json_object_array_length(arr);
    if (!(out->conns = calloc(n ? n : 1, sizeof(*out->conns))))
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        struct top_conn *c = &out->conns[out->n_conns];
        if (!json_object_is_type(o, json_type_object))
            continue;
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
        out->n_conns++;
    }
    return 0;
}

int traffic_parse(const char *line, struct traffic_reply *out)
{
    memset(out, 0, sizeof(*out));
    json_object *o = json_tokener_parse(line), *v;
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return -1;
    }
    const char *type =
        json_object_object_get_ex(o, "type", &v) && json_object_is_type(v, json_type_string)
            ? json_object_get_string(v)
            : "";
    out->id = (int64_t)u64(o, "id");
    out->more = json_object_object_get_ex(o, "more", &v) &&
                json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
    int rc = 0;
    if (!strcmp(type, "error")) {
        out->kind = TRAFFIC_ERROR;
    } else if (!strcmp(type, "stats.reply") && json_object_object_get_ex(o, "rows", &v) &&
               json_object_is_type(v, json_type_array)) {
        out->kind = TRAFFIC_STATS;
        rc = stats(v, out);
    } else if (!strcmp(type, "conns.reply") && json_object_object_get_ex(o, "conns", &v) &&
               json_object_is_type(v, json_type_array)) {
        out->kind = TRAFFIC_CONNS;
        rc = conns(v, out);
    }
    json_object_put(o);
    if (rc < 0)
        traffic_reply_free(out);
    return rc;
}

void traffic_reply_free(struct traffic_reply *r)
{
    free(r->stats);
    free(r->conns);
    memset(r, 0, sizeof(*r));
}
