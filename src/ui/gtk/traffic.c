/*
 * ui/gtk/traffic.c — the traffic accounting messages, all in one place:
 *
 *   {"type":"stats.query","id":N,"by":"program"|"remote","since":UNIX,
 *    "until":UNIX,"program":"/path"}  ->  stats.reply {"rows":[...],"more":..}
 *   {"type":"conns.list","id":N}      ->  conns.reply {"conns":[...],"more":..}
 *
 * They are built and read here as JSON (json-c), whether or not the
 * protocol's codec knows them, so a wardd without accounting (it answers
 * `unknown_type`) only makes the views show "—".
 */
#include <json-c/json.h>
#include <string.h>

#include "ui/gtk/traffic.h"

struct pending {
    wg_stats_fn fn;
    void *ud;
    GPtrArray *rows;
    bool conns;
};

static char *str_of(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return g_strdup(json_object_get_string(v));
}

static uint64_t num_of(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return 0;
    int64_t n = json_object_get_int64(v);
    return n > 0 ? (uint64_t)n : 0;
}

static void stat_row_free(gpointer p)
{
    wg_stat_row *r = p;
    g_free(r->program);
    g_free(r->remote);
    g_free(r->domain);
    g_free(r);
}

static void conn_row_free(gpointer p)
{
    wg_conn_row *r = p;
    g_free(r->program);
    g_free(r->laddr);
    g_free(r->raddr);
    g_free(r->domain);
    g_free(r->dir);
    g_free(r->verdict);
    g_free(r);
}

GPtrArray *wg_stat_rows_new(void)
{
    return g_ptr_array_new_with_free_func(stat_row_free);
}

GPtrArray *wg_conn_rows_new(void)
{
    return g_ptr_array_new_with_free_func(conn_row_free);
}

/* The array member `key` of a reply of type `type`; NULL if it is not one. */
static json_object *reply_array(json_object *root, const char *type, const char *key, bool *more)
{
    json_object *t, *a, *m;
    if (!root || !json_object_object_get_ex(root, "type", &t) ||
        g_strcmp0(json_object_get_string(t), type) != 0 ||
        !json_object_object_get_ex(root, key, &a) || !json_object_is_type(a, json_type_array))
        return NULL;
    *more = json_object_object_get_ex(root, "more", &m) && json_object_get_boolean(m);
    return a;
}

bool wg_traffic_parse_stats(const char *raw, GPtrArray *rows, bool *more)
{
    json_object *root = json_tokener_parse(raw);
    json_object *a = reply_array(root, "stats.reply", "rows", more);
    for (size_t i = 0; a && i < json_object_array_length(a); i++) {
        json_object *o = json_object_array_get_idx(a, i);
        wg_stat_row *r = g_new0(wg_stat_row, 1);
        r->program = str_of(o, "program");
        r->remote = str_of(o, "remote");
        r->domain = str_of(o, "domain");
        r->bytes_in = num_of(o, "bytes_in");
        r->bytes_out = num_of(o, "bytes_out");
        r->packets_in = num_of(o, "packets_in");
        r->packets_out = num_of(o, "packets_out");
        r->conns = num_of(o, "conns");
        g_ptr_array_add(rows, r);
    }
    json_object_put(root);
    return a != NULL;
}

bool wg_traffic_parse_conns(const char *raw, GPtrArray *rows, bool *more)
{
    json_object *root = json_tokener_parse(raw);
    json_object *a = reply_array(root, "conns.reply", "conns", more);
    for (size_t i = 0; a && i < json_object_array_length(a); i++) {
        json_object *o = json_object_array_get_idx(a, i);
        wg_conn_row *r = g_new0(wg_conn_row, 1);
        r->cookie = num_of(o, "cookie");
        r->program = str_of(o, "program");
        r->laddr = str_of(o, "laddr");
        r->raddr = str_of(o, "raddr");
        r->domain = str_of(o, "domain");
        r->dir = str_of(o, "dir");
        r->verdict = str_of(o, "verdict");
        r->pid = (uint32_t)num_of(o, "pid");
        r->uid = (uint32_t)num_of(o, "uid");
        r->proto = (uint8_t)num_of(o, "proto");
        r->lport = (uint16_t)num_of(o, "lport");
        r->rport = (uint16_t)num_of(o, "rport");
        r->bytes_in = num_of(o, "bytes_in");
        r->bytes_out = num_of(o, "bytes_out");
        r->rate_in = num_of(o, "rate_in");
        r->rate_out = num_of(o, "rate_out");
        r->since = (int64_t)num_of(o, "since");
        g_ptr_array_add(rows, r);
    }
    json_object_put(root);
    return a != NULL;
}

static bool on_reply(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    struct pending *p = ud;
    bool more = false;
    bool ok = raw && (p->conns ? wg_traffic_parse_conns(raw, p->rows, &more)
                               : wg_traffic_parse_stats(raw, p->rows, &more));
    if (ok && more)
        return true;
    /* An error (unknown_type from a wardd without accounting, forbidden, a
     * lost connection) is "not known": the views show "—". */
    if (p->fn)
        p->fn(ok, p->rows, p->ud);
    g_ptr_array_unref(p->rows);
    g_free(p);
    return false;
}

static void request(wg_conn *c, const char *type, const char *members, bool conns, wg_stats_fn fn,
                    void *ud)
{
    struct pending *p = g_new0(struct pending, 1);
    p->fn = fn;
    p->ud = ud;
    p->conns = conns;
    p->rows = conns ? wg_conn_rows_new() : wg_stat_rows_new();
    if (wg_conn_request_raw(c, type, members, on_reply, p) < 0)
        on_reply(NULL, NULL, NULL, 0, p);
}

void wg_traffic_stats(wg_conn *c, const char *by, int64_t since, int64_t until, const char *program,
                      wg_stats_fn fn, void *ud)
{
    GString *m = g_string_new(NULL);
    g_string_append_printf(m, "\"by\":\"%s\",\"since\":%lld,\"until\":%lld", by, (long long)since,
                           (long long)until);
    if (program) {
        json_object *s = json_object_new_string(program);
        g_string_append_printf(m, ",\"program\":%s",
                               json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
        json_object_put(s);
    }
    request(c, "stats.query", m->str, false, fn, ud);
    g_string_free(m, TRUE);
}

void wg_traffic_conns(wg_conn *c, wg_stats_fn fn, void *ud)
{
    request(c, "conns.list", NULL, true, fn, ud);
}

char *wg_bytes_text(uint64_t n, bool known)
{
    if (!known)
        return g_strdup("—");
    return g_format_size(n);
}
