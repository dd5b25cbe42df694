/*
 * The traffic messages' codec (proto/stats.h): stats.query / stats.reply,
 * conns.list / conns.reply and limits.list / limits.reply, with the same strictness as the rest of
 * the protocol (unknown members refused, every value's type and range checked).
 */
#define _GNU_SOURCE
#include "proto/proto.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const by_names[] = {"program", "remote", NULL};
static const char *const dir_names[] = {"out", "in", NULL};
static const char *const verdict_names[] = {
    "permit", "block", "continue", "defer", "need-more-data", "drop-connection", NULL};

const char *const *ward_proto_stats_keys(int t)
{
    static const char *const query[] = {"type",  "id",      "by",    "since",
                                        "until", "program", "limit", NULL};
    static const char *const reply[] = {"type", "id", "rows", "more", NULL};
    static const char *const list[] = {"type", "id", NULL};
    static const char *const conns[] = {"type", "id", "conns", "more", NULL};
    static const char *const limits[] = {"type", "id", "limits", "more", NULL};
    switch (t) {
    case WARD_MSG_STATS_QUERY:
        return query;
    case WARD_MSG_STATS_REPLY:
        return reply;
    case WARD_MSG_CONNS_LIST:
        return list;
    case WARD_MSG_CONNS_REPLY:
        return conns;
    case WARD_MSG_LIMITS_LIST:
        return list;
    case WARD_MSG_LIMITS_REPLY:
        return limits;
    default:
        return NULL;
    }
}

void ward_proto_stats_free(ward_msg *m)
{
    switch (m->type) {
    case WARD_MSG_STATS_QUERY:
        free(m->u.stats_query.program);
        break;
    case WARD_MSG_STATS_REPLY:
        free(m->u.stats_reply.rows);
        break;
    case WARD_MSG_CONNS_REPLY:
        free(m->u.conns_reply.conns);
        break;
    case WARD_MSG_LIMITS_REPLY:
        free(m->u.limits_reply.rows);
        break;
    default:
        break;
    }
}

/* ---- Encoding ------------------------------------------------------------ */

/* Paths may hold any bytes: what is not UTF-8 goes out as U+FFFD. */
static json_object *text(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *b = malloc(n * 3 + 1);
    if (!b)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = 0;
        if (u[i] < 0x80)
            l = 1;
        else if (u[i] >= 0xc2 && u[i] <= 0xdf)
            l = 2;
        else if (u[i] >= 0xe0 && u[i] <= 0xef)
            l = 3;
        else if (u[i] >= 0xf0 && u[i] <= 0xf4)
            l = 4;
        for (size_t k = 1; l && k < l; k++)
            if (i + k >= n || (u[i + k] & 0xc0) != 0x80)
                l = 0;
        if (l == 3 && ((u[i] == 0xe0 && u[i + 1] < 0xa0) || (u[i] == 0xed && u[i + 1] >= 0xa0)))
            l = 0; /* overlong, surrogate */
        if (l == 4 && ((u[i] == 0xf0 && u[i + 1] < 0x90) || (u[i] == 0xf4 && u[i + 1] >= 0x90)))
            l = 0;
        if (l) {
            memcpy(b + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(b + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    json_object *j = json_object_new_string_len(b, (int)o);
    free(b);
    return j;
}

static void add(json_object *o, const char *k, json_object *v, bool *bad)
{
    if (!v)
        *bad = true;
    else
        json_object_object_add(o, k, v);
}

static json_object *u64(uint64_t v)
{
    return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static json_object *ip(const ward_ip *a)
{
    char b[WARD_IP_STRLEN];
    ward_ip_format(a, b, sizeof(b));
    return json_object_new_string(b);
}

static json_object *enc_row(const ward_stats_row *r, bool by_remote, bool *bad)
{
    json_object *o = json_object_new_object();
    if (!o)
        return *bad = true, NULL;
    add(o, "program", text(r->program), bad);
    if (by_remote) {
        add(o, "remote", text(r->remote), bad);
        if (r->domain[0])
            add(o, "domain", text(r->domain), bad);
    }
    add(o, "bytes_in", u64(r->bytes_in), bad);
    add(o, "bytes_out", u64(r->bytes_out), bad);
    add(o, "packets_in", u64(r->packets_in), bad);
    add(o, "packets_out", u64(r->packets_out), bad);
    add(o, "conns", u64(r->conns), bad);
    return o;
}

static json_object *enc_conn(const ward_conn_info *c, bool *bad)
{
    json_object *o = json_object_new_object();
    if (!o)
        return *bad = true, NULL;
    const char *vn = (unsigned)c->verdict < 6 ? verdict_names[c->verdict] : NULL;
    add(o, "cookie", u64(c->cookie), bad);
    add(o, "program", text(c->program), bad);
    add(o, "pid", json_object_new_int64(c->pid), bad);
    add(o, "uid", json_object_new_int64(c->uid), bad);
    add(o, "proto", json_object_new_int(c->proto), bad);
    add(o, "dir", json_object_new_string(c->dir == WARD_DIR_IN ? "in" : "out"), bad);
    add(o, "laddr", ip(&c->laddr), bad);
    add(o, "lport", json_object_new_int(c->lport), bad);
    add(o, "raddr", ip(&c->raddr), bad);
    add(o, "rport", json_object_new_int(c->rport), bad);
    add(o, "domain", text(c->domain), bad);
    add(o, "verdict", vn ? json_object_new_string(vn) : NULL, bad);
    add(o, "bytes_in", u64(c->bytes_in), bad);
    add(o, "bytes_out", u64(c->bytes_out), bad);
    add(o, "packets_in", u64(c->packets_in), bad);
    add(o, "packets_out", u64(c->packets_out), bad);
    add(o, "rate_in", u64(c->rate_in), bad);
    add(o, "rate_out", u64(c->rate_out), bad);
    add(o, "since", json_object_new_int64(c->since), bad);
    return o;
}

static const char *const period_names[] = {"none", "day", "week", "month", NULL};

static json_object *enc_limit(const ward_limit_row *r, bool *bad)
{
    json_object *o = json_object_new_object();
    if (!o)
        return *bad = true, NULL;
    add(o, "program", text(r->program), bad);
    add(o, "rate_bits", u64(r->rate_bits), bad);
    add(o, "quota", u64(r->quota), bad);
    add(o, "period", json_object_new_string(period_names[r->period <= 3 ? r->period : 0]), bad);
    add(o, "then", json_object_new_string(r->quota_alert ? "alert" : "block"), bad);
    add(o, "enforced", json_object_new_boolean(r->enforced), bad);
    add(o, "exhausted", json_object_new_boolean(r->exhausted), bad);
    add(o, "period_start", json_object_new_int64(r->period_start), bad);
    add(o, "used", u64(r->used), bad);
    add(o, "dropped", u64(r->dropped), bad);
    add(o, "refused", u64(r->refused), bad);
    return o;
}

int ward_proto_stats_encode(json_object *o, const ward_msg *m)
{
    bool bad = false;
    switch (m->type) {
    case WARD_MSG_STATS_QUERY: {
        const ward_stats_query *q = &m->u.stats_query;
        add(o, "by", json_object_new_string(by_names[q->by == WARD_STATS_BY_REMOTE]), &bad);
        if (q->since)
            add(o, "since", json_object_new_int64(q->since), &bad);
        if (q->until)
            add(o, "until", json_object_new_int64(q->until), &bad);
        if (q->program)
            add(o, "program", text(q->program), &bad);
        if (q->limit)
            add(o, "limit", json_object_new_int64(q->limit), &bad);
        break;
    }
    case WARD_MSG_STATS_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.stats_reply.n; i++) {
            const ward_stats_row *r = &m->u.stats_reply.rows[i];
            json_object_array_add(a, enc_row(r, r->remote[0] != '\0', &bad));
        }
        add(o, "rows", a, &bad);
        add(o, "more", json_object_new_boolean(m->u.stats_reply.more), &bad);
        break;
    }
    case WARD_MSG_CONNS_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.conns_reply.n; i++)
            json_object_array_add(a, enc_conn(&m->u.conns_reply.conns[i], &bad));
        add(o, "conns", a, &bad);
        add(o, "more", json_object_new_boolean(m->u.conns_reply.more), &bad);
        break;
    }
    case WARD_MSG_LIMITS_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.limits_reply.n; i++)
            json_object_array_add(a, enc_limit(&m->u.limits_reply.rows[i], &bad));
        add(o, "limits", a, &bad);
        add(o, "more", json_object_new_boolean(m->u.limits_reply.more), &bad);
        break;
    }
    default:
        break;
    }
    return bad ? -1 : 0;
}

/* ---- Decoding ------------------------------------------------------------ */

struct sdec {
    char *err;
    size_t errlen;
    int code;
};

__attribute__((format(printf, 3, 4))) static bool sfail(struct sdec *d, int code, const char *fmt,
                                                        ...)
{
    if (!d->code) {
        d->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err, d->errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool only(struct sdec *d, json_object *o, const char *what, const char *const *keys)
{
    json_object_object_foreach(o, k, v)
    {
        (void)v;
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = strcmp(keys[i], k) == 0;
        if (!known)
            return sfail(d, WARD_PE_BAD_FIELD, "%s: unknown member \"%.32s\"", what, k);
    }
    return true;
}

/* An integer member in [min, max]; absent: *out unchanged (or an error). */
static bool num(struct sdec *d, json_object *o, const char *k, bool required, int64_t min,
                int64_t max, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return required ? sfail(d, WARD_PE_MISSING_FIELD, "\"%s\" is required", k) : true;
    if (!json_object_is_type(v, json_type_int))
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": not an integer", k);
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (errno || x < min || x > max)
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": out of range", k);
    *out = x;
    return true;
}

static bool unum(struct sdec *d, json_object *o, const char *k, bool required, uint64_t *out)
{
    int64_t x = 0;
    if (!num(d, o, k, required, 0, INT64_MAX, &x))
        return false;
    *out = (uint64_t)x;
    return true;
}

/* A string member into a fixed buffer (or a heap copy when heap is given). */
static bool str(struct sdec *d, json_object *o, const char *k, bool required, char *buf, size_t cap,
                char **heap)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return required ? sfail(d, WARD_PE_MISSING_FIELD, "\"%s\" is required", k) : true;
    if (!json_object_is_type(v, json_type_string))
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": not a string", k);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (n >= cap || memchr(s, '\0', n))
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": too long or holds a NUL", k);
    if (heap) {
        if (!(*heap = strdup(s)))
            return sfail(d, WARD_PE_INTERNAL, "out of memory");
    } else {
        memcpy(buf, s, n + 1);
    }
    return true;
}

static bool name(struct sdec *d, json_object *o, const char *k, const char *const *names, int *out)
{
    char b[32] = "";
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return true;
    if (!str(d, o, k, false, b, sizeof(b), NULL))
        return false;
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], b)) {
            *out = i;
            return true;
        }
    return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": unknown value \"%s\"", k, b);
}

static bool boolean(struct sdec *d, json_object *o, const char *k, bool *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return sfail(d, WARD_PE_MISSING_FIELD, "\"%s\" is required", k);
    if (!json_object_is_type(v, json_type_boolean))
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": not a boolean", k);
    *out = json_object_get_boolean(v);
    return true;
}

static bool addr(struct sdec *d, json_object *o, const char *k, ward_ip *out)
{
    char b[WARD_IP_STRLEN] = "";
    if (!str(d, o, k, true, b, sizeof(b), NULL))
        return false;
    if (ward_ip_parse(b, out) != 0)
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": not an address", k);
    return true;
}

/* The array member k of objects: its length, or -1. */
static int64_t objects(struct sdec *d, json_object *o, const char *k, json_object **arr)
{
    if (!json_object_object_get_ex(o, k, arr))
        return sfail(d, WARD_PE_MISSING_FIELD, "\"%s\" is required", k), -1;
    if (!json_object_is_type(*arr, json_type_array))
        return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": not an array", k), -1;
    size_t n = json_object_array_length(*arr);
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(*arr, i), json_type_object))
            return sfail(d, WARD_PE_BAD_FIELD, "\"%s\": not an array of objects", k), -1;
    return (int64_t)n;
}

static const char *const row_keys[] = {"program",     "remote",    "domain",
                                       "bytes_in",    "bytes_out", "packets_in",
                                       "packets_out", "conns",     NULL};
static const char *const conn_keys[] = {
    "cookie",     "program",     "pid",     "uid",      "proto",   "dir",      "laddr",
    "lport",      "raddr",       "rport",   "domain",   "verdict", "bytes_in", "bytes_out",
    "packets_in", "packets_out", "rate_in", "rate_out", "since",   NULL};

static bool dec_row(struct sdec *d, json_object *o, ward_stats_row *r)
{
    return only(d, o, "rows", row_keys) &&
           str(d, o, "program", true, r->program, sizeof(r->program), NULL) &&
           str(d, o, "remote", false, r->remote, sizeof(r->remote), NULL) &&
           str(d, o, "domain", false, r->domain, sizeof(r->domain), NULL) &&
           unum(d, o, "bytes_in", true, &r->bytes_in) &&
           unum(d, o, "bytes_out", true, &r->bytes_out) &&
           unum(d, o, "packets_in", true, &r->packets_in) &&
           unum(d, o, "packets_out", true, &r->packets_out) && unum(d, o, "conns", true, &r->conns);
}

static bool dec_conn(struct sdec *d, json_object *o, ward_conn_info *c)
{
    int64_t pid = 0, uid = 0, proto = 0, lport = 0, rport = 0;
    int dir = 0, verdict = 0;
    bool ok = only(d, o, "conns", conn_keys) && unum(d, o, "cookie", true, &c->cookie) &&
              str(d, o, "program", true, c->program, sizeof(c->program), NULL) &&
              num(d, o, "pid", true, 0, UINT32_MAX, &pid) &&
              num(d, o, "uid", true, 0, UINT32_MAX, &uid) &&
              num(d, o, "proto", true, 0, 255, &proto) && name(d, o, "dir", dir_names, &dir) &&
              addr(d, o, "laddr", &c->laddr) && num(d, o, "lport", true, 0, 65535, &lport) &&
              addr(d, o, "raddr", &c->raddr) && num(d, o, "rport", true, 0, 65535, &rport) &&
              str(d, o, "domain", false, c->domain, sizeof(c->domain), NULL) &&
              name(d, o, "verdict", verdict_names, &verdict) &&
              unum(d, o, "bytes_in", true, &c->bytes_in) &&
              unum(d, o, "bytes_out", true, &c->bytes_out) &&
              unum(d, o, "packets_in", true, &c->packets_in) &&
              unum(d, o, "packets_out", true, &c->packets_out) &&
              unum(d, o, "rate_in", true, &c->rate_in) &&
              unum(d, o, "rate_out", true, &c->rate_out) &&
              num(d, o, "since", true, 0, INT64_MAX, &c->since);
    c->pid = (uint32_t)pid;
    c->uid = (uint32_t)uid;
    c->proto = (uint8_t)proto;
    c->lport = (uint16_t)lport;
    c->rport = (uint16_t)rport;
    c->dir = dir ? WARD_DIR_IN : WARD_DIR_OUT;
    c->verdict = (enum ward_verdict)verdict;
    return ok;
}

static const char *const limit_keys[] = {"program", "rate_bits", "quota",     "period",
                                         "then",    "enforced",  "exhausted", "period_start",
                                         "used",    "dropped",   "refused",   NULL};
static const char *const then_names[] = {"block", "alert", NULL};

static bool dec_limit(struct sdec *d, json_object *o, ward_limit_row *r)
{
    int period = 0, then = 0;
    bool ok = only(d, o, "limits", limit_keys) &&
              str(d, o, "program", true, r->program, sizeof(r->program), NULL) &&
              unum(d, o, "rate_bits", true, &r->rate_bits) &&
              unum(d, o, "quota", true, &r->quota) && name(d, o, "period", period_names, &period) &&
              name(d, o, "then", then_names, &then) && boolean(d, o, "enforced", &r->enforced) &&
              boolean(d, o, "exhausted", &r->exhausted) &&
              num(d, o, "period_start", true, 0, INT64_MAX, &r->period_start) &&
              unum(d, o, "used", true, &r->used) && unum(d, o, "dropped", true, &r->dropped) &&
              unum(d, o, "refused", true, &r->refused);
    r->period = (uint8_t)period;
    r->quota_alert = then == 1;
    return ok;
}

int ward_proto_stats_decode(json_object *o, ward_msg *m, char *err, size_t errlen)
{
    struct sdec d = {err, errlen, 0};
    json_object *a;
    int64_t n;
    switch (m->type) {
    case WARD_MSG_STATS_QUERY: {
        ward_stats_query *q = &m->u.stats_query;
        int by = 0;
        int64_t limit = 0;
        if (name(&d, o, "by", by_names, &by) &&
            num(&d, o, "since", false, 0, INT64_MAX, &q->since) &&
            num(&d, o, "until", false, 0, INT64_MAX, &q->until) &&
            str(&d, o, "program", false, NULL, WARD_EVENT_EXE_MAX, &q->program) &&
            num(&d, o, "limit", false, 1, 100000, &limit)) {
            q->by = by ? WARD_STATS_BY_REMOTE : WARD_STATS_BY_PROGRAM;
            q->limit = (uint32_t)limit;
        }
        break;
    }
    case WARD_MSG_STATS_REPLY:
        if ((n = objects(&d, o, "rows", &a)) < 0 || !boolean(&d, o, "more", &m->u.stats_reply.more))
            break;
        if (n && !(m->u.stats_reply.rows = calloc((size_t)n, sizeof(ward_stats_row)))) {
            sfail(&d, WARD_PE_INTERNAL, "out of memory");
            break;
        }
        for (int64_t i = 0; i < n; i++, m->u.stats_reply.n++)
            if (!dec_row(&d, json_object_array_get_idx(a, (size_t)i), &m->u.stats_reply.rows[i]))
                break;
        break;
    case WARD_MSG_CONNS_REPLY:
        if ((n = objects(&d, o, "conns", &a)) < 0 ||
            !boolean(&d, o, "more", &m->u.conns_reply.more))
            break;
        if (n && !(m->u.conns_reply.conns = calloc((size_t)n, sizeof(ward_conn_info)))) {
            sfail(&d, WARD_PE_INTERNAL, "out of memory");
            break;
        }
        for (int64_t i = 0; i < n; i++, m->u.conns_reply.n++)
            if (!dec_conn(&d, json_object_array_get_idx(a, (size_t)i), &m->u.conns_reply.conns[i]))
                break;
        break;
    case WARD_MSG_LIMITS_REPLY:
        if ((n = objects(&d, o, "limits", &a)) < 0 ||
            (json_object_object_get_ex(o, "more", NULL) &&
             !boolean(&d, o, "more", &m->u.limits_reply.more)))
            break;
        if (n > 4096) {
            sfail(&d, WARD_PE_BAD_FIELD, "\"limits\": too many");
            break;
        }
        if (n && !(m->u.limits_reply.rows = calloc((size_t)n, sizeof(ward_limit_row)))) {
            sfail(&d, WARD_PE_INTERNAL, "out of memory");
            break;
        }
        for (int64_t i = 0; i < n; i++, m->u.limits_reply.n++)
            if (!dec_limit(&d, json_object_array_get_idx(a, (size_t)i), &m->u.limits_reply.rows[i]))
                break;
        break;
    default:
        break;
    }
    return d.code;
}
