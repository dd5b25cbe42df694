/*
 * The control protocol's codec: ward_msg <-> one JSON line.
 *
 * The decoder trusts nothing: it bounds the size before parsing, lets
 * json-c validate UTF-8 and nesting, then checks every field's type and
 * range and refuses unknown fields (a typo must not silently do something
 * else; new fields come with a new protocol version).
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

/* ---- Names --------------------------------------------------------------- */

static const char *const type_names[WARD_MSG_COUNT + 1] = {
    /* NULL-terminated */
    [WARD_MSG_HELLO] = "hello",
    [WARD_MSG_STATUS] = "status",
    [WARD_MSG_MODE_GET] = "mode.get",
    [WARD_MSG_MODE_SET] = "mode.set",
    [WARD_MSG_RULES_LIST] = "rules.list",
    [WARD_MSG_RULES_ADD] = "rules.add",
    [WARD_MSG_RULES_DELETE] = "rules.delete",
    [WARD_MSG_RELOAD] = "reload",
    [WARD_MSG_SUBSCRIBE] = "subscribe",
    [WARD_MSG_PROMPT_REGISTER] = "prompt.register",
    [WARD_MSG_PROMPT_ANSWER] = "prompt.answer",
    [WARD_MSG_LOG_QUERY] = "log.query",
    [WARD_MSG_EXPLAIN] = "explain",
    [WARD_MSG_STATS_QUERY] = "stats.query",
    [WARD_MSG_CONNS_LIST] = "conns.list",
    [WARD_MSG_OK] = "ok",
    [WARD_MSG_ERROR] = "error",
    [WARD_MSG_HELLO_REPLY] = "hello.reply",
    [WARD_MSG_STATUS_REPLY] = "status.reply",
    [WARD_MSG_MODE_REPLY] = "mode.reply",
    [WARD_MSG_RULES_REPLY] = "rules.reply",
    [WARD_MSG_RULE_ADDED] = "rules.added",
    [WARD_MSG_SUBSCRIBE_REPLY] = "subscribe.reply",
    [WARD_MSG_LOG_REPLY] = "log.reply",
    [WARD_MSG_EXPLAIN_REPLY] = "explain.reply",
    [WARD_MSG_STATS_REPLY] = "stats.reply",
    [WARD_MSG_CONNS_REPLY] = "conns.reply",
    [WARD_MSG_PROMPT] = "prompt",
    [WARD_MSG_PROMPT_CLOSED] = "prompt.closed",
    [WARD_MSG_CALLOUT_LIST] = "callout.list",
    [WARD_MSG_CALLOUT_REPLY] = "callout.reply",
    [WARD_MSG_FILTER_ADD] = "filter.add",
    [WARD_MSG_FILTER_DELETE] = "filter.delete",
    [WARD_MSG_FILTER_LIST] = "filter.list",
    [WARD_MSG_SUBLAYER_ADD] = "sublayer.add",
    [WARD_MSG_SUBLAYER_DELETE] = "sublayer.delete",
    [WARD_MSG_SUBLAYER_LIST] = "sublayer.list",
    [WARD_MSG_PROVIDER_ADD] = "provider.add",
    [WARD_MSG_PROVIDER_DELETE] = "provider.delete",
    [WARD_MSG_PROVIDER_LIST] = "provider.list",
    [WARD_MSG_LIMITS_LIST] = "limits.list",
    [WARD_MSG_LIMITS_REPLY] = "limits.reply",
    [WARD_MSG_TXN_BEGIN] = "txn.begin",
    [WARD_MSG_TXN_COMMIT] = "txn.commit",
    [WARD_MSG_TXN_ABORT] = "txn.abort",
    [WARD_MSG_OBJECT_ADDED] = "object.added",
    [WARD_MSG_OBJECT_REPLY] = "object.reply",
    [WARD_MSG_SCAN] = "scan",
    [WARD_MSG_SCAN_REPLY] = "scan.reply",
    [WARD_MSG_CALLOUT_LOAD] = "callout.load",
    [WARD_MSG_CALLOUT_UNLOAD] = "callout.unload",
};

static const char *const err_names[WARD_PE_COUNT + 1] = {
    /* NULL-terminated */
    [WARD_PE_OK] = "ok",
    [WARD_PE_BAD_JSON] = "bad_json",
    [WARD_PE_BAD_UTF8] = "bad_utf8",
    [WARD_PE_TOO_DEEP] = "too_deep",
    [WARD_PE_TOO_LARGE] = "too_large",
    [WARD_PE_UNKNOWN_TYPE] = "unknown_type",
    [WARD_PE_BAD_FIELD] = "bad_field",
    [WARD_PE_MISSING_FIELD] = "missing_field",
    [WARD_PE_HELLO_REQUIRED] = "hello_required",
    [WARD_PE_BAD_VERSION] = "bad_version",
    [WARD_PE_FORBIDDEN] = "forbidden",
    [WARD_PE_NOT_FOUND] = "not_found",
    [WARD_PE_BUSY] = "busy",
    [WARD_PE_FAILED] = "failed",
    [WARD_PE_INTERNAL] = "internal",
};

static const char *const mode_names[] = {"ask", "allow-all", "deny-all", NULL};
static const char *const action_names[] = {"allow", "block", NULL};
static const char *const dir_names[] = {"out", "in", "any", NULL};
static const char *const verdict_names[] = {
    "permit", "block", "continue", "defer", "need-more-data", "drop-connection", NULL};
static const char *const layer_names[] = {"connect-out", "accept-in", "bind", "packet-out",
                                          "packet-in",   "dns",       NULL};
static const char *const reason_names[] = {
    "default",      "filter", "callout", "callout-missing", "veto",         "no-prompter",
    "unattributed", "self",   "mode",    "app-rule",        "app-fallback", "app-unknown",
    "app-pin",      NULL};
static const char *const life_names[] = {"persistent", "dynamic",       "timed", "once",
                                         "until-exit", "until-restart", "boot",  NULL};
static const char *const scope_names[] = {"destination", "port", "any", NULL};
static const char *const duration_names[] = {"once",          "minutes", "until-exit",
                                             "until-restart", "forever", NULL};
static const char *const kind_names[] = {"decision", "alert", "lost", "gap", NULL};
static const char *const via_names[] = {"kernel", "shim", NULL}; /* enum ward_via */
/* enum ward_name_src; "" (none) is never sent. */
static const char *const name_src_names[] = {"",    "dns",       "dns-tcp", "mdns", "llmnr",
                                             "sni", "http-host", "shim",    NULL};
/* enum ward_encdns; "" (none) is never sent. */
static const char *const encdns_names[] = {"", "dot", "doh", NULL};
static const char *const scan_names[] = {"clean", "infected", "error", NULL};

_Static_assert(sizeof(verdict_names) / sizeof(*verdict_names) == WARD_V_DROP_CONNECTION + 2,
               "verdict names");
_Static_assert(sizeof(layer_names) / sizeof(*layer_names) == WARD_LAYER_COUNT + 1, "layers");
_Static_assert(sizeof(reason_names) / sizeof(*reason_names) == WARD_R_COUNT + 1, "reasons");
_Static_assert(sizeof(life_names) / sizeof(*life_names) == WARD_LIFE_BOOT + 2, "lifetimes");

static size_t table_len(const char *const *t)
{
    size_t n = 0;
    while (t[n])
        n++;
    return n;
}

static const char *table_name(const char *const *t, unsigned v)
{
    return v < table_len(t) ? t[v] : NULL;
}

static int table_find(const char *const *t, const char *s)
{
    for (int i = 0; s && t[i]; i++)
        if (strcmp(t[i], s) == 0)
            return i;
    return -1;
}

const char *ward_msg_type_name(enum ward_msg_type t)
{
    return (unsigned)t < WARD_MSG_COUNT ? type_names[t] : NULL;
}

bool ward_msg_is_request(enum ward_msg_type t)
{
    return t <= WARD_MSG_CONNS_LIST || t == WARD_MSG_CALLOUT_LIST || t == WARD_MSG_LIMITS_LIST ||
           (t >= WARD_MSG_FILTER_ADD && t <= WARD_MSG_TXN_ABORT) || t == WARD_MSG_SCAN ||
           t == WARD_MSG_CALLOUT_LOAD || t == WARD_MSG_CALLOUT_UNLOAD;
}

const char *ward_proto_err_name(enum ward_proto_err e)
{
    return (unsigned)e < WARD_PE_COUNT ? err_names[e] : "internal";
}

const char *ward_proto_mode_name(enum ward_mode m)
{
    return table_name(mode_names, m);
}
int ward_proto_mode_parse(const char *s)
{
    return table_find(mode_names, s);
}
const char *ward_proto_verdict_name(enum ward_verdict v)
{
    return table_name(verdict_names, v);
}
int ward_proto_verdict_parse(const char *s)
{
    return table_find(verdict_names, s);
}
const char *ward_proto_layer_name(enum ward_layer l)
{
    return table_name(layer_names, l);
}
const char *ward_proto_reason_name(enum ward_reason r)
{
    return table_name(reason_names, r);
}
const char *ward_proto_scope_name(enum ward_scope s)
{
    return table_name(scope_names, s);
}
const char *ward_proto_duration_name(enum ward_duration d)
{
    return table_name(duration_names, d);
}

static const struct {
    const char *name;
    uint8_t num;
} proto_names[] = {{"any", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"icmpv6", 58}};

/* ---- Freeing ------------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void rule_free(ward_proto_rule *r)
{
    free(r->program);
    free(r->ports);
    free(r->users);
    free(r->remotes);
    free_strv(r->domains, r->n_domains);
    free_strv(r->zones, r->n_zones);
    free_strv(r->parents, r->n_parents);
    free(r->times);
    free(r->provider);
    free(r->origin);
    free(r->text);
    memset(r, 0, sizeof(*r));
}

void ward_msg_free(ward_msg *m)
{
    if (!m)
        return;
    switch (m->type) {
    case WARD_MSG_HELLO:
        free(m->u.hello.client);
        break;
    case WARD_MSG_HELLO_REPLY:
        free(m->u.hello_reply.server);
        break;
    case WARD_MSG_RULES_LIST:
        free(m->u.rules_list.provider);
        free(m->u.rules_list.program);
        break;
    case WARD_MSG_RULES_REPLY:
        for (size_t i = 0; m->u.rules_reply.rules && i < m->u.rules_reply.n; i++)
            rule_free(&m->u.rules_reply.rules[i]);
        free(m->u.rules_reply.rules);
        break;
    case WARD_MSG_RULES_ADD:
        rule_free(&m->u.rule);
        break;
    case WARD_MSG_LOG_QUERY:
        free(m->u.log_query.program);
        free(m->u.log_query.domain);
        break;
    case WARD_MSG_LOG_REPLY:
        free(m->u.log_reply.rows);
        break;
    case WARD_MSG_EXPLAIN:
        free(m->u.explain.iface);
        free(m->u.explain.cgroup);
        break;
    case WARD_MSG_EXPLAIN_REPLY:
        free(m->u.explain_reply.filter);
        free(m->u.explain_reply.text);
        break;
    case WARD_MSG_PROMPT_CLOSED:
        free(m->u.prompt_closed.by);
        break;
    case WARD_MSG_PROMPT:
        free(m->u.prompt.av);
        break;
    case WARD_MSG_SCAN:
        for (size_t i = 0; i < m->u.scan.n; i++)
            free(m->u.scan.paths[i]);
        free(m->u.scan.paths);
        break;
    case WARD_MSG_SCAN_REPLY:
        for (size_t i = 0; i < m->u.scan_reply.n; i++) {
            free(m->u.scan_reply.v[i].path);
            free(m->u.scan_reply.v[i].name);
        }
        free(m->u.scan_reply.v);
        break;
    case WARD_MSG_CALLOUT_REPLY:
        for (size_t i = 0; i < m->u.callout_reply.n; i++) {
            free(m->u.callout_reply.callouts[i].name);
            free(m->u.callout_reply.callouts[i].layers);
            free(m->u.callout_reply.callouts[i].path);
        }
        free(m->u.callout_reply.callouts);
        break;
    case WARD_MSG_FILTER_ADD:
    case WARD_MSG_SUBLAYER_ADD:
    case WARD_MSG_PROVIDER_ADD:
        free(m->u.object_add.text);
        break;
    case WARD_MSG_CALLOUT_LOAD:
    case WARD_MSG_CALLOUT_UNLOAD:
        free(m->u.callout_op.callout);
        break;
    case WARD_MSG_OBJECT_REPLY:
        for (size_t i = 0; i < m->u.objects.n; i++) {
            ward_proto_object *x = &m->u.objects.v[i];
            free(x->name);
            free(x->layer);
            free(x->sublayer);
            free(x->action);
            free(x->provider);
            free(x->text);
        }
        free(m->u.objects.v);
        break;
    case WARD_MSG_ERROR:
        free(m->u.error.message);
        break;
    default:
        ward_proto_stats_free(m);
        break;
    }
    memset(&m->u, 0, sizeof(m->u));
}

/* ---- Encoding ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* A JSON string from bytes that may not be UTF-8 (paths, command lines). */
static json_object *jstr(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s), i = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        size_t l = utf8_seq(u + i, n - i);
        if (!l)
            break;
        i += l;
    }
    if (i == n)
        return json_object_new_string_len(s, (int)n);
    char *fixed = malloc(n * 3 + 1);
    if (!fixed)
        return NULL;
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t l = utf8_seq(u + i, n - i);
        if (l) {
            memcpy(fixed + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(fixed + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    json_object *j = json_object_new_string_len(fixed, (int)o);
    free(fixed);
    return j;
}

struct enc {
    bool bad; /* an enum with no wire name, or out of memory */
};

static void put(struct enc *e, json_object *o, const char *key, json_object *v)
{
    if (!v) {
        e->bad = true;
        return;
    }
    json_object_object_add(o, key, v);
}

static void put_str(struct enc *e, json_object *o, const char *key, const char *s)
{
    put(e, o, key, jstr(s));
}

static void put_name(struct enc *e, json_object *o, const char *key, const char *name)
{
    if (!name) {
        e->bad = true;
        return;
    }
    put(e, o, key, json_object_new_string(name));
}

static void put_i64(struct enc *e, json_object *o, const char *key, int64_t v)
{
    put(e, o, key, json_object_new_int64(v));
}

static json_object *enc_ip(const ward_ip *ip)
{
    char b[WARD_CIDR_STRLEN];
    ward_ip_format(ip, b, sizeof(b));
    return json_object_new_string(b);
}

static json_object *enc_strv(char *const *v, size_t n);

static json_object *enc_event(struct enc *e, const ward_event *ev)
{
    json_object *o = json_object_new_object();
    if (!o) {
        e->bad = true;
        return NULL;
    }
    put_i64(e, o, "seq", (int64_t)ev->seq);
    put_i64(e, o, "time_ns", ev->time_ns);
    put_name(e, o, "kind", table_name(kind_names, ev->kind));
    put_i64(e, o, "pid", ev->pid);
    put_i64(e, o, "uid", ev->uid);
    put_str(e, o, "exe", ev->exe);
    put_str(e, o, "cmdline", ev->cmdline);
    if (ev->parents[0]) {
        char buf[WARD_EVENT_PARENTS_MAX];
        const char *v[WARD_MAX_ANCESTORS];
        size_t n = ward_event_parents(ev, buf, v, WARD_MAX_ANCESTORS);
        put(e, o, "parents", enc_strv((char **)v, n));
    }
    put_i64(e, o, "proto", ev->proto);
    put_name(e, o, "direction", ev->direction <= WARD_DIR_IN ? dir_names[ev->direction] : NULL);
    put(e, o, "local", enc_ip(&ev->local));
    put_i64(e, o, "lport", ev->lport);
    put(e, o, "remote", enc_ip(&ev->remote));
    put_i64(e, o, "rport", ev->rport);
    put_str(e, o, "domain", ev->domain);
    if (ev->name_src)
        put_name(e, o, "name_src", table_name(name_src_names, ev->name_src));
    if (ev->encdns)
        put_name(e, o, "encdns", table_name(encdns_names, ev->encdns));
    put_name(e, o, "verdict", table_name(verdict_names, ev->verdict));
    put_name(e, o, "layer", table_name(layer_names, ev->layer));
    put_name(e, o, "reason", table_name(reason_names, ev->reason));
    put_i64(e, o, "filter_id", (int64_t)ev->filter_id);
    put_str(e, o, "filter", ev->filter);
    put_i64(e, o, "count", ev->count);
    if (ev->kind == WARD_EVENT_DECISION)
        put_name(e, o, "via", table_name(via_names, ev->via));
    if (ev->boot) {
        put_i64(e, o, "boot", (int64_t)ev->boot);
        put_i64(e, o, "bseq", (int64_t)ev->bseq);
    }
    return o;
}

static json_object *enc_strv(char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < n; i++)
        json_object_array_add(a, jstr(v[i]));
    return a;
}

/* Ports and uids: N, or [LOW, HIGH]. */
static json_object *enc_ranges(const ward_range *r, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < n; i++) {
        if (r[i].lo == r[i].hi) {
            json_object_array_add(a, json_object_new_int64(r[i].lo));
        } else {
            json_object *pair = json_object_new_array();
            json_object_array_add(pair, json_object_new_int64(r[i].lo));
            json_object_array_add(pair, json_object_new_int64(r[i].hi));
            json_object_array_add(a, pair);
        }
    }
    return a;
}

static json_object *enc_callout(struct enc *e, const ward_proto_callout *c)
{
    json_object *o = json_object_new_object();
    if (!o) {
        e->bad = true;
        return NULL;
    }
    put_str(e, o, "name", c->name);
    put_str(e, o, "layers", c->layers);
    put(e, o, "builtin", json_object_new_boolean(c->builtin));
    if (c->path)
        put_str(e, o, "path", c->path);
    put_i64(e, o, "host_pid", (int64_t)c->host_pid);
    put_i64(e, o, "calls", (int64_t)c->calls);
    put_i64(e, o, "failures", (int64_t)c->failures);
    put_i64(e, o, "restarts", (int64_t)c->restarts);
    put_i64(e, o, "filters", (int64_t)c->filters);
    put_i64(e, o, "cached", (int64_t)c->cached);
    return o;
}

static json_object *enc_object(struct enc *e, const ward_proto_object *x)
{
    json_object *o = json_object_new_object();
    if (!o) {
        e->bad = true;
        return NULL;
    }
    put_i64(e, o, "id", (int64_t)x->id);
    const char *const strs[][2] = {{"name", x->name},         {"layer", x->layer},
                                   {"sublayer", x->sublayer}, {"action", x->action},
                                   {"provider", x->provider}, {"text", x->text}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++)
        if (strs[i][1])
            put_str(e, o, strs[i][0], strs[i][1]);
    put_i64(e, o, "weight", x->weight);
    put(e, o, "dynamic", json_object_new_boolean(x->dynamic));
    put(e, o, "runtime", json_object_new_boolean(x->runtime));
    return o;
}

static json_object *enc_rule(struct enc *e, const ward_proto_rule *r)
{
    json_object *o = json_object_new_object();
    if (!o) {
        e->bad = true;
        return NULL;
    }
    put_i64(e, o, "id", (int64_t)r->id);
    put_str(e, o, "program", r->program);
    if (r->text) {
        /* The rule in the language says everything else. */
        put_str(e, o, "text", r->text);
        if (r->provider)
            put_str(e, o, "provider", r->provider);
        if (r->origin)
            put_str(e, o, "origin", r->origin);
        return o;
    }
    put_name(e, o, "action", table_name(action_names, r->action));
    put_name(e, o, "direction", table_name(dir_names, r->dir));
    const char *pn = NULL;
    for (size_t i = 0; i < sizeof(proto_names) / sizeof(*proto_names); i++)
        if (proto_names[i].num == r->proto)
            pn = proto_names[i].name;
    put(e, o, "proto", pn ? json_object_new_string(pn) : json_object_new_int(r->proto));
    put(e, o, "ports", enc_ranges(r->ports, r->n_ports));
    json_object *remotes = json_object_new_array();
    for (size_t i = 0; remotes && i < r->n_remotes; i++) {
        char b[WARD_CIDR_STRLEN];
        ward_cidr_format(&r->remotes[i], b, sizeof(b));
        json_object_array_add(remotes, json_object_new_string(b));
    }
    put(e, o, "remote", remotes);
    put(e, o, "domains", enc_strv(r->domains, r->n_domains));
    put(e, o, "zones", enc_strv(r->zones, r->n_zones));
    if (r->n_users)
        put(e, o, "users", enc_ranges(r->users, r->n_users));
    if (r->n_parents)
        put(e, o, "parents", enc_strv(r->parents, r->n_parents));
    json_object *times = json_object_new_array();
    for (size_t i = 0; times && i < r->n_times; i++) {
        json_object *t = json_object_new_object();
        put_i64(e, t, "days", r->times[i].days);
        put_i64(e, t, "start", r->times[i].start);
        put_i64(e, t, "end", r->times[i].end);
        json_object_array_add(times, t);
    }
    put(e, o, "times", times);
    put_str(e, o, "provider", r->provider ? r->provider : "admin");
    json_object *life = json_object_new_object();
    if (life) {
        put_name(e, life, "kind", table_name(life_names, r->lifetime.kind));
        if (r->lifetime.kind == WARD_LIFE_TIMED)
            put_i64(e, life, "expires", r->lifetime.expires);
        if (r->lifetime.kind == WARD_LIFE_UNTIL_EXIT) {
            put_i64(e, life, "pid", r->lifetime.pid);
            put_i64(e, life, "start_time", (int64_t)r->lifetime.start_time);
        }
        if (r->lifetime.kind == WARD_LIFE_DYNAMIC)
            put_i64(e, life, "session", (int64_t)r->lifetime.session);
    }
    put(e, o, "lifetime", life);
    if (r->origin)
        put_str(e, o, "origin", r->origin);
    return o;
}

static void enc_body(struct enc *e, json_object *o, const ward_msg *m)
{
    switch (m->type) {
    case WARD_MSG_HELLO: {
        json_object *v = json_object_new_array();
        for (size_t i = 0; v && i < m->u.hello.n_versions && i < 8; i++)
            json_object_array_add(v, json_object_new_int64(m->u.hello.versions[i]));
        put(e, o, "versions", v);
        if (m->u.hello.client)
            put_str(e, o, "client", m->u.hello.client);
        break;
    }
    case WARD_MSG_HELLO_REPLY:
        put_i64(e, o, "version", m->u.hello_reply.version);
        put_str(e, o, "server", m->u.hello_reply.server);
        put(e, o, "admin", json_object_new_boolean(m->u.hello_reply.admin));
        break;
    case WARD_MSG_STATUS_REPLY: {
        const ward_proto_status *s = &m->u.status;
        put_i64(e, o, "version", s->version);
        put_name(e, o, "mode", table_name(mode_names, s->mode));
        put_i64(e, o, "uptime_s", s->uptime_s);
        put_i64(e, o, "filters", (int64_t)s->filters);
        put_i64(e, o, "apps", (int64_t)s->apps);
        put_i64(e, o, "app_rules", (int64_t)s->app_rules);
        put_i64(e, o, "clients", (int64_t)s->clients);
        put_i64(e, o, "prompters", (int64_t)s->prompters);
        put_i64(e, o, "subscribers", (int64_t)s->subscribers);
        put_i64(e, o, "prompts_pending", (int64_t)s->prompts_pending);
        put_i64(e, o, "decisions", (int64_t)s->decisions);
        put_i64(e, o, "log_written", (int64_t)s->log_written);
        put_i64(e, o, "log_dropped", (int64_t)s->log_dropped);
        if (s->proc_source[0])
            put_str(e, o, "proc_source", s->proc_source);
        if (s->tamper_watch[0])
            put_str(e, o, "tamper_watch", s->tamper_watch);
        put_i64(e, o, "proc_execs", (int64_t)s->proc_execs);
        put_i64(e, o, "proc_exits", (int64_t)s->proc_exits);
        put_i64(e, o, "boot", (int64_t)s->boot);
        put_i64(e, o, "lost_last_run", (int64_t)s->lost_last_run);
        put_i64(e, o, "prompt_overflow", (int64_t)s->prompt_overflow);
        put_i64(e, o, "queue_dropped", (int64_t)s->queue_dropped);
        put_i64(e, o, "queue_user_dropped", (int64_t)s->queue_user_dropped);
        put_i64(e, o, "kernel_events", (int64_t)s->kernel_events);
        put_i64(e, o, "kernel_lost", (int64_t)s->kernel_lost);
        put_i64(e, o, "folded", (int64_t)s->folded);
        put_i64(e, o, "ids_rules", (int64_t)s->ids_rules);
        put_i64(e, o, "ids_flows", (int64_t)s->ids_flows);
        put_i64(e, o, "ids_alerts", (int64_t)s->ids_alerts);
        put_i64(e, o, "ids_blocks", (int64_t)s->ids_blocks);
        put_i64(e, o, "ids_lost", (int64_t)s->ids_lost);
        put_i64(e, o, "ids_bypassed", (int64_t)s->ids_bypassed);
        put_i64(e, o, "stream_bound_open", (int64_t)s->stream_bound_open);
        put_i64(e, o, "stream_bound_closed", (int64_t)s->stream_bound_closed);
        if (s->packet_sockets[0])
            put_str(e, o, "packet_sockets", s->packet_sockets);
        if (s->av_mode[0])
            put_str(e, o, "av_mode", s->av_mode);
        if (s->av_state[0])
            put_str(e, o, "av_state", s->av_state);
        if (s->av_engine[0])
            put_str(e, o, "av_engine", s->av_engine);
        if (s->av_error[0])
            put_str(e, o, "av_error", s->av_error);
        put_i64(e, o, "av_sigs", (int64_t)s->av_sigs);
        put_i64(e, o, "av_db_version", (int64_t)s->av_db_version);
        put_i64(e, o, "av_db_time", s->av_db_time);
        put_i64(e, o, "av_scans", (int64_t)s->av_scans);
        put_i64(e, o, "av_cache_hits", (int64_t)s->av_cache_hits);
        put_i64(e, o, "av_infected", (int64_t)s->av_infected);
        put_i64(e, o, "av_restarts", (int64_t)s->av_restarts);
        if (s->mail_state[0])
            put_str(e, o, "mail_state", s->mail_state);
        put_i64(e, o, "mail_port", (int64_t)s->mail_port);
        put_i64(e, o, "mail_listeners", (int64_t)s->mail_listeners);
        put_i64(e, o, "mail_decided", (int64_t)s->mail_decided);
        put_i64(e, o, "mail_tls_failed", (int64_t)s->mail_tls_failed);
        break;
    }
    case WARD_MSG_MODE_SET:
    case WARD_MSG_MODE_REPLY:
        put_name(e, o, "mode", table_name(mode_names, m->u.mode.mode));
        break;
    case WARD_MSG_RULES_LIST:
        if (m->u.rules_list.provider)
            put_str(e, o, "provider", m->u.rules_list.provider);
        if (m->u.rules_list.program)
            put_str(e, o, "program", m->u.rules_list.program);
        break;
    case WARD_MSG_RULES_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.rules_reply.n; i++)
            json_object_array_add(a, enc_rule(e, &m->u.rules_reply.rules[i]));
        put(e, o, "rules", a);
        put(e, o, "more", json_object_new_boolean(m->u.rules_reply.more));
        break;
    }
    case WARD_MSG_RULES_ADD:
        put(e, o, "rule", enc_rule(e, &m->u.rule));
        break;
    case WARD_MSG_CALLOUT_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.callout_reply.n; i++)
            json_object_array_add(a, enc_callout(e, &m->u.callout_reply.callouts[i]));
        put(e, o, "callouts", a);
        put(e, o, "more", json_object_new_boolean(m->u.callout_reply.more));
        break;
    }
    case WARD_MSG_RULES_DELETE:
    case WARD_MSG_RULE_ADDED:
        put_i64(e, o, "rule_id", (int64_t)m->u.rule_id.id);
        break;
    case WARD_MSG_FILTER_ADD:
    case WARD_MSG_SUBLAYER_ADD:
    case WARD_MSG_PROVIDER_ADD:
        put_str(e, o, "text", m->u.object_add.text);
        if (m->u.object_add.dynamic)
            put(e, o, "dynamic", json_object_new_boolean(true));
        break;
    case WARD_MSG_CALLOUT_LOAD:
    case WARD_MSG_CALLOUT_UNLOAD:
        put_str(e, o, "callout", m->u.callout_op.callout);
        break;
    case WARD_MSG_FILTER_DELETE:
    case WARD_MSG_SUBLAYER_DELETE:
    case WARD_MSG_PROVIDER_DELETE:
    case WARD_MSG_OBJECT_ADDED:
        put_i64(e, o, "object_id", (int64_t)m->u.object_id.id);
        break;
    case WARD_MSG_OBJECT_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.objects.n; i++)
            json_object_array_add(a, enc_object(e, &m->u.objects.v[i]));
        put(e, o, "objects", a);
        put(e, o, "more", json_object_new_boolean(m->u.objects.more));
        break;
    }
    case WARD_MSG_SUBSCRIBE_REPLY:
        put_i64(e, o, "version", m->u.subscribe_reply.version);
        put_i64(e, o, "record_size", m->u.subscribe_reply.record_size);
        put_i64(e, o, "capacity", m->u.subscribe_reply.capacity);
        break;
    case WARD_MSG_PROMPT_ANSWER:
        put_i64(e, o, "prompt_id", (int64_t)m->u.answer.prompt_id);
        put_name(e, o, "action", table_name(action_names, m->u.answer.action));
        put_name(e, o, "scope", table_name(scope_names, m->u.answer.scope));
        put_name(e, o, "duration", table_name(duration_names, m->u.answer.duration));
        if (m->u.answer.duration == WARD_DUR_MINUTES)
            put_i64(e, o, "minutes", m->u.answer.minutes);
        if (m->u.answer.pin)
            put(e, o, "pin", json_object_new_boolean(1));
        break;
    case WARD_MSG_LOG_QUERY: {
        const ward_log_filter *f = &m->u.log_query;
        if (f->program)
            put_str(e, o, "program", f->program);
        if (f->since_ns)
            put_i64(e, o, "since_ns", f->since_ns);
        if (f->until_ns)
            put_i64(e, o, "until_ns", f->until_ns);
        if (f->verdict >= 0)
            put_name(e, o, "verdict", table_name(verdict_names, (unsigned)f->verdict));
        if (f->has_remote) {
            char b[WARD_CIDR_STRLEN];
            ward_cidr_format(&f->remote, b, sizeof(b));
            put(e, o, "remote", json_object_new_string(b));
        }
        if (f->domain)
            put_str(e, o, "domain", f->domain);
        if (f->has_uid)
            put_i64(e, o, "uid", f->uid);
        if (f->after_id)
            put_i64(e, o, "after_id", (int64_t)f->after_id);
        if (f->gaps)
            put(e, o, "gaps", json_object_new_boolean(1));
        if (f->limit)
            put_i64(e, o, "limit", f->limit);
        break;
    }
    case WARD_MSG_LOG_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.log_reply.n; i++)
            json_object_array_add(a, enc_event(e, &m->u.log_reply.rows[i]));
        put(e, o, "rows", a);
        put(e, o, "more", json_object_new_boolean(m->u.log_reply.more));
        break;
    }
    case WARD_MSG_EXPLAIN:
        if (m->u.explain.log_id)
            put_i64(e, o, "log_id", (int64_t)m->u.explain.log_id);
        if (m->u.explain.has_conn)
            put(e, o, "conn", enc_event(e, &m->u.explain.conn));
        if (m->u.explain.iface)
            put_str(e, o, "iface", m->u.explain.iface);
        if (m->u.explain.cgroup)
            put_str(e, o, "cgroup", m->u.explain.cgroup);
        if (m->u.explain.has_sha256) {
            char hex[WARD_SHA256_STRLEN];
            put_str(e, o, "sha256", ward_sha256_format(&m->u.explain.sha256, hex, sizeof(hex)));
        }
        if (m->u.explain.has_gid)
            put_i64(e, o, "gid", m->u.explain.gid);
        break;
    case WARD_MSG_EXPLAIN_REPLY:
        put_name(e, o, "verdict", table_name(verdict_names, m->u.explain_reply.verdict));
        put_name(e, o, "reason", table_name(reason_names, m->u.explain_reply.reason));
        put_i64(e, o, "filter_id", (int64_t)m->u.explain_reply.filter_id);
        if (m->u.explain_reply.filter)
            put_str(e, o, "filter", m->u.explain_reply.filter);
        put_str(e, o, "text", m->u.explain_reply.text);
        break;
    case WARD_MSG_PROMPT:
        put_i64(e, o, "prompt_id", (int64_t)m->u.prompt.prompt_id);
        put_i64(e, o, "timeout_s", m->u.prompt.timeout_s);
        put(e, o, "conn", enc_event(e, &m->u.prompt.conn));
        if (m->u.prompt.av)
            put_str(e, o, "av", m->u.prompt.av);
        break;
    case WARD_MSG_SCAN: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.scan.n; i++)
            json_object_array_add(a, jstr(m->u.scan.paths[i]));
        put(e, o, "paths", a);
        break;
    }
    case WARD_MSG_SCAN_REPLY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < m->u.scan_reply.n; i++) {
            const ward_proto_scan_result *r = &m->u.scan_reply.v[i];
            json_object *x = json_object_new_object();
            put_str(e, x, "path", r->path);
            put_name(e, x, "result", table_name(scan_names, r->result));
            if (r->name)
                put_str(e, x, "name", r->name);
            json_object_array_add(a, x);
        }
        put(e, o, "results", a);
        break;
    }
    case WARD_MSG_PROMPT_CLOSED:
        put_i64(e, o, "prompt_id", (int64_t)m->u.prompt_closed.prompt_id);
        put_name(e, o, "verdict", table_name(verdict_names, m->u.prompt_closed.verdict));
        put_str(e, o, "by", m->u.prompt_closed.by);
        break;
    case WARD_MSG_ERROR:
        put_name(e, o, "code", ward_proto_err_name(m->u.error.code));
        put_str(e, o, "message", m->u.error.message);
        break;
    default: /* no body, or a traffic message (proto/stats.c) */
        if (ward_proto_stats_encode(o, m))
            e->bad = true;
        break;
    }
}

enum ward_proto_err ward_proto_encode(const ward_msg *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const char *tn = ward_msg_type_name(m->type);
    if (!tn)
        return WARD_PE_BAD_FIELD;
    json_object *o = json_object_new_object();
    if (!o)
        return WARD_PE_INTERNAL;
    struct enc e = {false};
    put(&e, o, "type", json_object_new_string(tn));
    put_i64(&e, o, "id", m->id);
    enc_body(&e, o, m);
    if (e.bad) {
        json_object_put(o);
        return WARD_PE_BAD_FIELD;
    }
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    enum ward_proto_err rc = WARD_PE_OK;
    if (!s) {
        rc = WARD_PE_INTERNAL;
    } else if (n + 1 > WARD_PROTO_MAX_MSG) {
        rc = WARD_PE_TOO_LARGE;
    } else if (!(*out = malloc(n + 2))) {
        rc = WARD_PE_INTERNAL;
    } else {
        memcpy(*out, s, n);
        (*out)[n] = '\n';
        (*out)[n + 1] = '\0'; /* not counted: a C string for logs and tests */
        *len = n + 1;
    }
    json_object_put(o);
    return rc;
}

char *ward_proto_event_json(const ward_event *ev)
{
    struct enc e = {false};
    json_object *o = enc_event(&e, ev);
    char *out = NULL;
    if (o && !e.bad) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        out = s ? strdup(s) : NULL;
    }
    json_object_put(o);
    return out;
}

/* ---- Decoding ------------------------------------------------------------ */

struct dec {
    char *err;
    size_t errlen;
    enum ward_proto_err code;
};

__attribute__((format(printf, 3, 4))) static bool fail(struct dec *d, enum ward_proto_err code,
                                                       const char *fmt, ...)
{
    if (d->code == WARD_PE_OK) {
        d->code = code;
        if (d->err && d->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(d->err, d->errlen, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

/* Refuses members not in `allowed` (NULL-terminated). */
static bool only_keys(struct dec *d, json_object *o, const char *what, const char *const *allowed)
{
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        if (table_find(allowed, key) < 0)
            return fail(d, WARD_PE_BAD_FIELD, "%s: unknown field \"%.64s\"", what, key);
    }
    return true;
}

/* Fetches a member; *v NULL when absent (error if required). */
static bool member(struct dec *d, json_object *o, const char *key, bool required, json_object **v)
{
    *v = NULL;
    if (!json_object_object_get_ex(o, key, v) || !*v) {
        *v = NULL;
        if (required)
            return fail(d, WARD_PE_MISSING_FIELD, "missing field \"%s\"", key);
    }
    return true;
}

static bool get_i64(struct dec *d, json_object *o, const char *key, bool required, int64_t min,
                    int64_t max, int64_t *out)
{
    json_object *v;
    if (!member(d, o, key, required, &v))
        return false;
    if (!v)
        return true;
    if (!json_object_is_type(v, json_type_int))
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" must be an integer", key);
    errno = 0;
    int64_t x = json_object_get_int64(v);
    /* json-c clamps values beyond int64 and keeps large positives as uint64 */
    if (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" is out of range", key);
    if (x < min || x > max)
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" is out of range (%" PRId64 "..%" PRId64 ")", key,
                    min, max);
    *out = x;
    return true;
}

static bool get_u32(struct dec *d, json_object *o, const char *key, bool required, uint32_t max,
                    uint32_t *out)
{
    int64_t x = *out;
    if (!get_i64(d, o, key, required, 0, max, &x))
        return false;
    *out = (uint32_t)x;
    return true;
}

static bool get_u64(struct dec *d, json_object *o, const char *key, bool required, uint64_t *out)
{
    int64_t x = (int64_t)*out;
    if (!get_i64(d, o, key, required, 0, INT64_MAX, &x))
        return false;
    *out = (uint64_t)x;
    return true;
}

static bool get_bool(struct dec *d, json_object *o, const char *key, bool required, bool *out)
{
    json_object *v;
    if (!member(d, o, key, required, &v))
        return false;
    if (!v)
        return true;
    if (!json_object_is_type(v, json_type_boolean))
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" must be true or false", key);
    *out = json_object_get_boolean(v);
    return true;
}

/* A string value: no NUL inside, at most max bytes. */
static bool str_value(struct dec *d, json_object *v, const char *key, size_t max, const char **s)
{
    if (!json_object_is_type(v, json_type_string))
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" must be a string", key);
    int n = json_object_get_string_len(v);
    *s = json_object_get_string(v);
    if (n < 0 || (size_t)n > max)
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" is longer than %zu bytes", key, max);
    if (memchr(*s, '\0', (size_t)n))
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" holds a NUL character", key);
    return true;
}

static bool get_str(struct dec *d, json_object *o, const char *key, bool required, size_t max,
                    char **out)
{
    json_object *v;
    const char *s;
    if (!member(d, o, key, required, &v))
        return false;
    if (!v)
        return true;
    if (!str_value(d, v, key, max, &s))
        return false;
    if (!(*out = strdup(s)))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    return true;
}

/* Into a fixed buffer of cap bytes (NUL included). */
static bool get_fixed(struct dec *d, json_object *o, const char *key, char *buf, size_t cap)
{
    json_object *v;
    const char *s;
    if (!member(d, o, key, false, &v))
        return false;
    if (!v)
        return true;
    if (!str_value(d, v, key, cap - 1, &s))
        return false;
    memcpy(buf, s, strlen(s) + 1);
    return true;
}

static bool get_enum(struct dec *d, json_object *o, const char *key, bool required,
                     const char *const *table, int *out)
{
    json_object *v;
    const char *s;
    if (!member(d, o, key, required, &v))
        return false;
    if (!v)
        return true;
    if (!str_value(d, v, key, 64, &s))
        return false;
    int i = table_find(table, s);
    if (i < 0)
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\": unknown value \"%.32s\"", key, s);
    *out = i;
    return true;
}

#define GET_ENUM(d, o, key, req, table, lvalue)                                                    \
    ({                                                                                             \
        int _v = (int)(lvalue);                                                                    \
        bool _ok = get_enum(d, o, key, req, table, &_v);                                           \
        if (_ok)                                                                                   \
            (lvalue) = _v;                                                                         \
        _ok;                                                                                       \
    })

static bool get_ip(struct dec *d, json_object *o, const char *key, ward_ip *out)
{
    json_object *v;
    const char *s;
    if (!member(d, o, key, false, &v))
        return false;
    if (!v)
        return true;
    if (!str_value(d, v, key, WARD_IP_STRLEN, &s))
        return false;
    if (ward_ip_parse(s, out) != 0)
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\": not an IP address", key);
    return true;
}

/* An array member with at most max elements; *a NULL when absent. */
static bool get_array(struct dec *d, json_object *o, const char *key, bool required, size_t max,
                      json_object **a, size_t *n)
{
    *n = 0;
    if (!member(d, o, key, required, a))
        return false;
    if (!*a)
        return true;
    if (!json_object_is_type(*a, json_type_array))
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" must be an array", key);
    *n = json_object_array_length(*a);
    if (*n > max)
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" has more than %zu elements", key, max);
    return true;
}

static bool is_object(struct dec *d, json_object *v, const char *key)
{
    if (!v || !json_object_is_type(v, json_type_object))
        return fail(d, WARD_PE_BAD_FIELD, "\"%s\" must be an object", key);
    return true;
}

static const char *const event_keys[] = {
    "seq",    "time_ns", "kind",   "pid",   "uid",    "exe",     "cmdline",  "proto",  "direction",
    "local",  "lport",   "remote", "rport", "domain", "verdict", "layer",    "reason", "filter_id",
    "filter", "count",   "boot",   "bseq",  "via",    "parents", "name_src", "encdns", NULL};

/* "parents": the ancestor chain, an array of paths nearest first. */
static bool dec_parents(struct dec *d, json_object *o, ward_event *ev)
{
    json_object *a;
    size_t n;
    const char *v[WARD_MAX_ANCESTORS];
    if (!get_array(d, o, "parents", false, WARD_MAX_ANCESTORS, &a, &n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!str_value(d, json_object_array_get_idx(a, i), "parents", WARD_EVENT_EXE_MAX, &v[i]))
            return false;
    ward_event_set_parents(ev, v, n);
    return true;
}

static bool dec_event(struct dec *d, json_object *o, const char *what, ward_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->uid = WARD_UID_UNKNOWN;
    if (!is_object(d, o, what) || !only_keys(d, o, what, event_keys))
        return false;
    uint32_t u8s[3] = {0, 0, 0}, ports[2] = {0, 0}, count = 0;
    int64_t t = 0;
    if (!get_u64(d, o, "seq", false, &ev->seq) ||
        !get_i64(d, o, "time_ns", false, INT64_MIN, INT64_MAX, &t) ||
        !GET_ENUM(d, o, "kind", false, kind_names, ev->kind) ||
        !get_u32(d, o, "pid", false, UINT32_MAX, &ev->pid) ||
        !get_u32(d, o, "uid", false, UINT32_MAX, &ev->uid) ||
        !get_fixed(d, o, "exe", ev->exe, sizeof(ev->exe)) ||
        !get_fixed(d, o, "cmdline", ev->cmdline, sizeof(ev->cmdline)) ||
        !get_u32(d, o, "proto", false, 255, &u8s[0]) ||
        !GET_ENUM(d, o, "direction", false, dir_names, ev->direction) ||
        !get_ip(d, o, "local", &ev->local) || !get_u32(d, o, "lport", false, 65535, &ports[0]) ||
        !get_ip(d, o, "remote", &ev->remote) || !get_u32(d, o, "rport", false, 65535, &ports[1]) ||
        !get_fixed(d, o, "domain", ev->domain, sizeof(ev->domain)) ||
        !GET_ENUM(d, o, "verdict", false, verdict_names, ev->verdict) ||
        !GET_ENUM(d, o, "layer", false, layer_names, ev->layer) ||
        !GET_ENUM(d, o, "reason", false, reason_names, ev->reason) ||
        !get_u64(d, o, "filter_id", false, &ev->filter_id) ||
        !get_fixed(d, o, "filter", ev->filter, sizeof(ev->filter)) ||
        !get_u32(d, o, "count", false, UINT32_MAX, &count) ||
        !get_u64(d, o, "boot", false, &ev->boot) || !get_u64(d, o, "bseq", false, &ev->bseq) ||
        !GET_ENUM(d, o, "via", false, via_names, ev->via) || !dec_parents(d, o, ev) ||
        !GET_ENUM(d, o, "name_src", false, name_src_names, ev->name_src) ||
        !GET_ENUM(d, o, "encdns", false, encdns_names, ev->encdns))
        return false;
    if (!ev->domain[0] && ev->name_src)
        return fail(d, WARD_PE_BAD_FIELD, "\"name_src\" without a \"domain\"");
    if (ev->direction > WARD_DIR_IN)
        return fail(d, WARD_PE_BAD_FIELD, "\"direction\" of a connection is out or in");
    if (ev->via && ev->kind != WARD_EVENT_DECISION)
        return fail(d, WARD_PE_BAD_FIELD, "\"via\" belongs to a decision");
    ev->time_ns = t;
    ev->proto = (uint8_t)u8s[0];
    ev->lport = (uint16_t)ports[0];
    ev->rport = (uint16_t)ports[1];
    ev->count = count;
    return true;
}

static bool dec_strv(struct dec *d, json_object *o, const char *key, char ***out, size_t *n)
{
    json_object *a;
    size_t len;
    if (!get_array(d, o, key, false, WARD_PROTO_MAX_LIST, &a, &len) || !a)
        return d->code == WARD_PE_OK;
    if (len && !(*out = calloc(len, sizeof(char *))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < len; i++) {
        const char *s;
        if (!str_value(d, json_object_array_get_idx(a, i), key, 255, &s))
            return false;
        if (!*s)
            return fail(d, WARD_PE_BAD_FIELD, "\"%s\": empty string", key);
        if (!((*out)[i] = strdup(s)))
            return fail(d, WARD_PE_INTERNAL, "out of memory");
        (*n)++;
    }
    return true;
}

/* One value of a list of ranges ("ports", "users"): N or [LOW, HIGH]. */
static bool dec_range(struct dec *d, json_object *v, const char *key, int64_t max, ward_range *r)
{
    if (json_object_is_type(v, json_type_int)) {
        int64_t x = json_object_get_int64(v);
        if (x < 0 || x > max)
            return fail(d, WARD_PE_BAD_FIELD, "\"%s\": value out of range", key);
        r->lo = r->hi = (uint32_t)x;
        return true;
    }
    if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2) {
        json_object *a = json_object_array_get_idx(v, 0), *b = json_object_array_get_idx(v, 1);
        if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int)) {
            int64_t lo = json_object_get_int64(a), hi = json_object_get_int64(b);
            if (lo < 0 || hi > max || lo > hi)
                return fail(d, WARD_PE_BAD_FIELD, "\"%s\": bad range", key);
            r->lo = (uint32_t)lo;
            r->hi = (uint32_t)hi;
            return true;
        }
    }
    return fail(d, WARD_PE_BAD_FIELD, "\"%s\": a value is a number or [low, high]", key);
}

static bool dec_ranges(struct dec *d, json_object *o, const char *key, int64_t max,
                       ward_range **out, size_t *n_out)
{
    json_object *a;
    size_t n;
    if (!get_array(d, o, key, false, WARD_PROTO_MAX_LIST, &a, &n))
        return false;
    if (n && !(*out = calloc(n, sizeof(**out))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++, (*n_out)++)
        if (!dec_range(d, json_object_array_get_idx(a, i), key, max, &(*out)[i]))
            return false;
    return true;
}

static const char *const rule_keys[] = {
    "id",    "program", "action", "direction", "proto",    "ports",  "remote", "domains", "zones",
    "users", "parents", "times",  "provider",  "lifetime", "origin", "text",   NULL};
static const char *const life_keys[] = {"kind", "expires", "pid", "start_time", "session", NULL};
static const char *const time_keys[] = {"days", "start", "end", NULL};

static bool dec_lifetime(struct dec *d, json_object *o, ward_lifetime *l)
{
    memset(l, 0, sizeof(*l));
    json_object *v;
    if (!member(d, o, "lifetime", false, &v))
        return false;
    if (!v)
        return true; /* persistent */
    if (!is_object(d, v, "lifetime") || !only_keys(d, v, "lifetime", life_keys) ||
        !GET_ENUM(d, v, "kind", true, life_names, l->kind))
        return false;
    bool timed = l->kind == WARD_LIFE_TIMED, exit = l->kind == WARD_LIFE_UNTIL_EXIT;
    int64_t exp = 0;
    if (!get_i64(d, v, "expires", timed, 0, INT64_MAX, &exp) ||
        !get_u32(d, v, "pid", exit, UINT32_MAX, &l->pid) ||
        !get_u64(d, v, "start_time", false, &l->start_time) ||
        !get_u64(d, v, "session", false, &l->session))
        return false;
    l->expires = exp;
    return true;
}

static bool dec_rule(struct dec *d, json_object *o, ward_proto_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->dir = WARD_DIR_OUT;
    if (!is_object(d, o, "rule") || !only_keys(d, o, "rule", rule_keys))
        return false;
    json_object *tv;
    if (!member(d, o, "text", false, &tv))
        return false;
    bool text = tv != NULL;
    if (!get_u64(d, o, "id", false, &r->id) ||
        !get_str(d, o, "program", true, WARD_EVENT_EXE_MAX - 1, &r->program) ||
        !get_str(d, o, "text", false, 4096, &r->text) ||
        !GET_ENUM(d, o, "action", !text, action_names, r->action) ||
        !GET_ENUM(d, o, "direction", false, dir_names, r->dir) ||
        !get_str(d, o, "provider", false, 64, &r->provider) ||
        !get_str(d, o, "origin", false, 256, &r->origin) || !dec_lifetime(d, o, &r->lifetime))
        return false;
    if (!*r->program)
        return fail(d, WARD_PE_BAD_FIELD, "\"program\" is empty");
    if (text) {
        /* The text is the whole rule: fields beside it would be ignored. */
        static const char *const with_text[] = {"id",     "program", "provider",
                                                "origin", "text",    NULL};
        if (!only_keys(d, o, "rule", with_text))
            return false;
    }
    json_object *v;
    if (!member(d, o, "proto", false, &v))
        return false;
    if (v && json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        size_t i, n = sizeof(proto_names) / sizeof(*proto_names);
        for (i = 0; i < n && strcmp(s, proto_names[i].name) != 0; i++)
            ;
        if (i == n)
            return fail(d, WARD_PE_BAD_FIELD, "\"proto\": unknown protocol");
        r->proto = proto_names[i].num;
    } else if (v) {
        uint32_t p = 0;
        if (!get_u32(d, o, "proto", true, 255, &p))
            return false;
        r->proto = (uint8_t)p;
    }
    json_object *a;
    size_t n;
    if (!dec_ranges(d, o, "ports", 65535, &r->ports, &r->n_ports) ||
        !dec_ranges(d, o, "users", UINT32_MAX - 1, &r->users, &r->n_users))
        return false;
    if (!get_array(d, o, "remote", false, WARD_PROTO_MAX_LIST, &a, &n))
        return false;
    if (n && !(r->remotes = calloc(n, sizeof(*r->remotes))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++, r->n_remotes++) {
        const char *s;
        if (!str_value(d, json_object_array_get_idx(a, i), "remote", WARD_CIDR_STRLEN, &s))
            return false;
        if (ward_cidr_parse(s, &r->remotes[i]) != 0)
            return fail(d, WARD_PE_BAD_FIELD, "\"remote\": not an address or prefix");
    }
    if (!dec_strv(d, o, "domains", &r->domains, &r->n_domains) ||
        !dec_strv(d, o, "zones", &r->zones, &r->n_zones) ||
        !dec_strv(d, o, "parents", &r->parents, &r->n_parents))
        return false;
    if (!get_array(d, o, "times", false, WARD_PROTO_MAX_LIST, &a, &n))
        return false;
    if (n && !(r->times = calloc(n, sizeof(*r->times))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++, r->n_times++) {
        json_object *t = json_object_array_get_idx(a, i);
        uint32_t days = 0, start = 0, end = 0;
        if (!is_object(d, t, "times") || !only_keys(d, t, "times", time_keys) ||
            !get_u32(d, t, "days", true, WARD_DAYS_ALL, &days) ||
            !get_u32(d, t, "start", true, 1440, &start) || !get_u32(d, t, "end", true, 1440, &end))
            return false;
        r->times[i] = (ward_time_window){(uint8_t)days, (uint16_t)start, (uint16_t)end};
    }
    return true;
}

/* What a described connection carries beyond its event: only with "conn". */
static bool dec_explain_extra(struct dec *d, json_object *o, ward_msg *m)
{
    json_object *g, *sha;
    const char *hex;
    if (!get_str(d, o, "iface", false, 15, &m->u.explain.iface) ||
        !get_str(d, o, "cgroup", false, WARD_PROTO_MAX_STR, &m->u.explain.cgroup) ||
        !member(d, o, "gid", false, &g) ||
        !get_u32(d, o, "gid", false, UINT32_MAX - 1, &m->u.explain.gid) ||
        !member(d, o, "sha256", false, &sha))
        return false;
    m->u.explain.has_gid = g != NULL;
    if (sha) {
        if (!str_value(d, sha, "sha256", 64, &hex))
            return false;
        if (ward_sha256_parse(hex, &m->u.explain.sha256) != 0)
            return fail(d, WARD_PE_BAD_FIELD, "\"sha256\": 64 hex digits expected");
        m->u.explain.has_sha256 = true;
    }
    if ((m->u.explain.iface || m->u.explain.cgroup || m->u.explain.has_sha256 ||
         m->u.explain.has_gid) &&
        !m->u.explain.has_conn)
        return fail(d, WARD_PE_BAD_FIELD,
                    "\"iface\", \"cgroup\", \"sha256\" and \"gid\" go with \"conn\"");
    return true;
}

static bool dec_callouts(struct dec *d, json_object *o, ward_msg *m)
{
    static const char *const keys[] = {"name",     "layers", "builtin",  "path",
                                       "host_pid", "calls",  "failures", "restarts",
                                       "filters",  "cached", NULL};
    json_object *a;
    size_t n;
    if (!get_array(d, o, "callouts", true, 1024, &a, &n) ||
        !get_bool(d, o, "more", false, &m->u.callout_reply.more))
        return false;
    if (n && !(m->u.callout_reply.callouts = calloc(n, sizeof(ward_proto_callout))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ward_proto_callout *c = &m->u.callout_reply.callouts[m->u.callout_reply.n++];
        json_object *co = json_object_array_get_idx(a, i);
        if (!is_object(d, co, "callout") || !only_keys(d, co, "callout", keys) ||
            !get_str(d, co, "name", true, 63, &c->name) ||
            !get_str(d, co, "layers", true, 64, &c->layers) ||
            !get_bool(d, co, "builtin", true, &c->builtin) ||
            !get_str(d, co, "path", false, WARD_PROTO_MAX_STR, &c->path) ||
            !get_u64(d, co, "host_pid", true, &c->host_pid) ||
            !get_u64(d, co, "calls", true, &c->calls) ||
            !get_u64(d, co, "failures", true, &c->failures) ||
            !get_u64(d, co, "restarts", true, &c->restarts) ||
            !get_u64(d, co, "filters", true, &c->filters) ||
            !get_u64(d, co, "cached", false, &c->cached))
            return false;
    }
    return true;
}

static bool dec_objects(struct dec *d, json_object *o, ward_msg *m)
{
    static const char *const keys[] = {"id",      "name",   "layer",    "sublayer",
                                       "weight",  "action", "provider", "dynamic",
                                       "runtime", "text",   NULL};
    json_object *a;
    size_t n;
    if (!get_array(d, o, "objects", true, 100000, &a, &n) ||
        !get_bool(d, o, "more", false, &m->u.objects.more))
        return false;
    if (n && !(m->u.objects.v = calloc(n, sizeof(ward_proto_object))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ward_proto_object *x = &m->u.objects.v[m->u.objects.n++];
        json_object *xo = json_object_array_get_idx(a, i);
        if (!is_object(d, xo, "object") || !only_keys(d, xo, "object", keys) ||
            !get_u64(d, xo, "id", true, &x->id) || !get_str(d, xo, "name", false, 256, &x->name) ||
            !get_str(d, xo, "layer", false, 64, &x->layer) ||
            !get_str(d, xo, "sublayer", false, 256, &x->sublayer) ||
            !get_u32(d, xo, "weight", true, UINT32_MAX, &x->weight) ||
            !get_str(d, xo, "action", false, 64, &x->action) ||
            !get_str(d, xo, "provider", false, 256, &x->provider) ||
            !get_bool(d, xo, "dynamic", true, &x->dynamic) ||
            !get_bool(d, xo, "runtime", true, &x->runtime) ||
            !get_str(d, xo, "text", false, WARD_PROTO_MAX_STR, &x->text))
            return false;
    }
    return true;
}

static bool dec_rules(struct dec *d, json_object *o, ward_msg *m)
{
    json_object *a;
    size_t n;
    if (!get_array(d, o, "rules", true, 100000, &a, &n) ||
        !get_bool(d, o, "more", true, &m->u.rules_reply.more))
        return false;
    if (n && !(m->u.rules_reply.rules = calloc(n, sizeof(ward_proto_rule))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        m->u.rules_reply.n++;
        if (!dec_rule(d, json_object_array_get_idx(a, i), &m->u.rules_reply.rules[i]))
            return false;
    }
    return true;
}

static bool dec_log_query(struct dec *d, json_object *o, ward_log_filter *f)
{
    f->verdict = -1;
    const char *rem = NULL;
    json_object *v;
    int64_t uid = -1;
    if (!get_str(d, o, "program", false, WARD_EVENT_EXE_MAX - 1, &f->program) ||
        !get_i64(d, o, "since_ns", false, 0, INT64_MAX, &f->since_ns) ||
        !get_i64(d, o, "until_ns", false, 0, INT64_MAX, &f->until_ns) ||
        !get_enum(d, o, "verdict", false, verdict_names, &f->verdict) ||
        !get_str(d, o, "domain", false, WARD_EVENT_DOMAIN_MAX - 1, &f->domain) ||
        !get_i64(d, o, "uid", false, 0, UINT32_MAX, &uid) ||
        !get_u64(d, o, "after_id", false, &f->after_id) ||
        !get_u32(d, o, "limit", false, WARD_PROTO_MAX_ROWS, &f->limit) ||
        !get_bool(d, o, "gaps", false, &f->gaps) || !member(d, o, "remote", false, &v))
        return false;
    if (v) {
        if (!str_value(d, v, "remote", WARD_CIDR_STRLEN, &rem))
            return false;
        if (ward_cidr_parse(rem, &f->remote) != 0)
            return fail(d, WARD_PE_BAD_FIELD, "\"remote\": not an address or prefix");
        f->has_remote = true;
    }
    if (uid >= 0) {
        f->has_uid = true;
        f->uid = (uint32_t)uid;
    }
    return true;
}

static bool dec_scan(struct dec *d, json_object *o, ward_msg *m)
{
    json_object *a;
    size_t n;
    if (!get_array(d, o, "paths", true, WARD_PROTO_MAX_SCAN, &a, &n))
        return false;
    if (n == 0)
        return fail(d, WARD_PE_BAD_FIELD, "\"paths\" is empty");
    if (!(m->u.scan.paths = calloc(n, sizeof(char *))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++, m->u.scan.n++) {
        const char *s;
        if (!str_value(d, json_object_array_get_idx(a, i), "paths", WARD_PROTO_MAX_STR, &s))
            return false;
        if (!*s)
            return fail(d, WARD_PE_BAD_FIELD, "\"paths\": an empty path");
        if (!(m->u.scan.paths[i] = strdup(s)))
            return fail(d, WARD_PE_INTERNAL, "out of memory");
    }
    return true;
}

static bool dec_scan_reply(struct dec *d, json_object *o, ward_msg *m)
{
    json_object *a;
    size_t n;
    if (!get_array(d, o, "results", true, WARD_PROTO_MAX_SCAN, &a, &n))
        return false;
    if (n && !(m->u.scan_reply.v = calloc(n, sizeof(ward_proto_scan_result))))
        return fail(d, WARD_PE_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *x = json_object_array_get_idx(a, i);
        ward_proto_scan_result *r = &m->u.scan_reply.v[i];
        m->u.scan_reply.n = i + 1; /* counted first: a half-read entry is freed too */
        if (!json_object_is_type(x, json_type_object))
            return fail(d, WARD_PE_BAD_FIELD, "\"results\": not an object");
        static const char *const keys[] = {"path", "result", "name", NULL};
        if (!only_keys(d, x, "results", keys) ||
            !get_str(d, x, "path", true, WARD_PROTO_MAX_STR, &r->path) ||
            !GET_ENUM(d, x, "result", true, scan_names, r->result) ||
            !get_str(d, x, "name", false, 512, &r->name))
            return false;
    }
    return true;
}

/* Per type: the members allowed besides "type" and "id". */
static const char *const *body_keys(enum ward_msg_type t)
{
    static const char *const none[] = {"type", "id", NULL};
    static const char *const hello[] = {"type", "id", "versions", "client", NULL};
    static const char *const hello_reply[] = {"type", "id", "version", "server", "admin", NULL};
    static const char *const status_reply[] = {"type",
                                               "id",
                                               "version",
                                               "mode",
                                               "uptime_s",
                                               "filters",
                                               "apps",
                                               "app_rules",
                                               "clients",
                                               "prompters",
                                               "subscribers",
                                               "prompts_pending",
                                               "decisions",
                                               "log_written",
                                               "log_dropped",
                                               "proc_source",
                                               "tamper_watch",
                                               "proc_execs",
                                               "proc_exits",
                                               "boot",
                                               "lost_last_run",
                                               "prompt_overflow",
                                               "queue_dropped",
                                               "queue_user_dropped",
                                               "kernel_events",
                                               "kernel_lost",
                                               "folded",
                                               "packet_sockets",
                                               "ids_rules",
                                               "ids_flows",
                                               "ids_alerts",
                                               "ids_blocks",
                                               "ids_lost",
                                               "ids_bypassed",
                                               "stream_bound_open",
                                               "stream_bound_closed",
                                               "av_mode",
                                               "av_state",
                                               "av_engine",
                                               "av_error",
                                               "av_sigs",
                                               "av_db_version",
                                               "av_db_time",
                                               "av_scans",
                                               "av_cache_hits",
                                               "av_infected",
                                               "av_restarts",
                                               "mail_state",
                                               "mail_port",
                                               "mail_listeners",
                                               "mail_decided",
                                               "mail_tls_failed",
                                               NULL};
    static const char *const mode[] = {"type", "id", "mode", NULL};
    static const char *const rules_list[] = {"type", "id", "provider", "program", NULL};
    static const char *const rules_reply[] = {"type", "id", "rules", "more", NULL};
    static const char *const rules_add[] = {"type", "id", "rule", NULL};
    static const char *const rule_id[] = {"type", "id", "rule_id", NULL};
    static const char *const sub_reply[] = {"type",        "id",       "version",
                                            "record_size", "capacity", NULL};
    static const char *const answer[] = {"type",     "id",      "prompt_id", "action", "scope",
                                         "duration", "minutes", "pin",       NULL};
    static const char *const log_query[] = {"type",    "id",     "program", "since_ns", "until_ns",
                                            "verdict", "remote", "domain",  "uid",      "after_id",
                                            "limit",   "gaps",   NULL};
    static const char *const log_reply[] = {"type", "id", "rows", "more", NULL};
    static const char *const explain[] = {"type",   "id",     "log_id", "conn", "iface",
                                          "cgroup", "sha256", "gid",    NULL};
    static const char *const explain_reply[] = {"type",      "id",     "verdict", "reason",
                                                "filter_id", "filter", "text",    NULL};
    static const char *const prompt[] = {"type", "id", "prompt_id", "timeout_s",
                                         "conn", "av", NULL};
    static const char *const scan[] = {"type", "id", "paths", NULL};
    static const char *const scan_reply[] = {"type", "id", "results", NULL};
    static const char *const prompt_closed[] = {"type", "id", "prompt_id", "verdict", "by", NULL};
    static const char *const error[] = {"type", "id", "code", "message", NULL};
    static const char *const callout_reply[] = {"type", "id", "callouts", "more", NULL};
    static const char *const object_add[] = {"type", "id", "text", "dynamic", NULL};
    static const char *const callout_op[] = {"type", "id", "callout", NULL};
    static const char *const object_id[] = {"type", "id", "object_id", NULL};
    static const char *const objects[] = {"type", "id", "objects", "more", NULL};
    switch (t) {
    case WARD_MSG_FILTER_ADD:
    case WARD_MSG_SUBLAYER_ADD:
    case WARD_MSG_PROVIDER_ADD:
        return object_add;
    case WARD_MSG_FILTER_DELETE:
    case WARD_MSG_SUBLAYER_DELETE:
    case WARD_MSG_PROVIDER_DELETE:
    case WARD_MSG_OBJECT_ADDED:
        return object_id;
    case WARD_MSG_OBJECT_REPLY:
        return objects;
    case WARD_MSG_CALLOUT_LOAD:
    case WARD_MSG_CALLOUT_UNLOAD:
        return callout_op;
    case WARD_MSG_CALLOUT_REPLY:
        return callout_reply;
    case WARD_MSG_HELLO:
        return hello;
    case WARD_MSG_HELLO_REPLY:
        return hello_reply;
    case WARD_MSG_STATUS_REPLY:
        return status_reply;
    case WARD_MSG_MODE_SET:
    case WARD_MSG_MODE_REPLY:
        return mode;
    case WARD_MSG_RULES_LIST:
        return rules_list;
    case WARD_MSG_RULES_REPLY:
        return rules_reply;
    case WARD_MSG_RULES_ADD:
        return rules_add;
    case WARD_MSG_RULES_DELETE:
    case WARD_MSG_RULE_ADDED:
        return rule_id;
    case WARD_MSG_SUBSCRIBE_REPLY:
        return sub_reply;
    case WARD_MSG_PROMPT_ANSWER:
        return answer;
    case WARD_MSG_LOG_QUERY:
        return log_query;
    case WARD_MSG_LOG_REPLY:
        return log_reply;
    case WARD_MSG_EXPLAIN:
        return explain;
    case WARD_MSG_EXPLAIN_REPLY:
        return explain_reply;
    case WARD_MSG_PROMPT:
        return prompt;
    case WARD_MSG_PROMPT_CLOSED:
        return prompt_closed;
    case WARD_MSG_ERROR:
        return error;
    case WARD_MSG_SCAN:
        return scan;
    case WARD_MSG_SCAN_REPLY:
        return scan_reply;
    default: {
        const char *const *stats = ward_proto_stats_keys(t);
        return stats ? stats : none;
    }
    }
}

static bool dec_body(struct dec *d, json_object *o, ward_msg *m)
{
    json_object *a, *v;
    size_t n;
    switch (m->type) {
    case WARD_MSG_HELLO:
        if (!get_array(d, o, "versions", true, 8, &a, &n) ||
            !get_str(d, o, "client", false, 64, &m->u.hello.client))
            return false;
        if (n == 0)
            return fail(d, WARD_PE_BAD_FIELD, "\"versions\" is empty");
        for (size_t i = 0; i < n; i++) {
            json_object *x = json_object_array_get_idx(a, i);
            int64_t ver = json_object_is_type(x, json_type_int) ? json_object_get_int64(x) : -1;
            if (ver < 1 || ver > 65535)
                return fail(d, WARD_PE_BAD_FIELD, "\"versions\": not a version number");
            m->u.hello.versions[m->u.hello.n_versions++] = (uint32_t)ver;
        }
        return true;
    case WARD_MSG_HELLO_REPLY:
        return get_u32(d, o, "version", true, 65535, &m->u.hello_reply.version) &&
               get_str(d, o, "server", true, 64, &m->u.hello_reply.server) &&
               get_bool(d, o, "admin", true, &m->u.hello_reply.admin);
    case WARD_MSG_STATUS_REPLY: {
        ward_proto_status *s = &m->u.status;
        return get_u32(d, o, "version", true, 65535, &s->version) &&
               GET_ENUM(d, o, "mode", true, mode_names, s->mode) &&
               get_i64(d, o, "uptime_s", true, 0, INT64_MAX, &s->uptime_s) &&
               get_u64(d, o, "filters", true, &s->filters) &&
               get_u64(d, o, "apps", true, &s->apps) &&
               get_u64(d, o, "app_rules", true, &s->app_rules) &&
               get_u64(d, o, "clients", true, &s->clients) &&
               get_u64(d, o, "prompters", true, &s->prompters) &&
               get_u64(d, o, "subscribers", true, &s->subscribers) &&
               get_u64(d, o, "prompts_pending", true, &s->prompts_pending) &&
               get_u64(d, o, "decisions", true, &s->decisions) &&
               get_u64(d, o, "log_written", true, &s->log_written) &&
               get_u64(d, o, "log_dropped", true, &s->log_dropped) &&
               get_fixed(d, o, "proc_source", s->proc_source, sizeof(s->proc_source)) &&
               get_fixed(d, o, "tamper_watch", s->tamper_watch, sizeof(s->tamper_watch)) &&
               get_u64(d, o, "proc_execs", false, &s->proc_execs) &&
               get_u64(d, o, "proc_exits", false, &s->proc_exits) &&
               get_u64(d, o, "boot", false, &s->boot) &&
               get_u64(d, o, "lost_last_run", false, &s->lost_last_run) &&
               get_u64(d, o, "prompt_overflow", false, &s->prompt_overflow) &&
               get_u64(d, o, "queue_dropped", false, &s->queue_dropped) &&
               get_u64(d, o, "queue_user_dropped", false, &s->queue_user_dropped) &&
               get_u64(d, o, "kernel_events", false, &s->kernel_events) &&
               get_u64(d, o, "kernel_lost", false, &s->kernel_lost) &&
               get_u64(d, o, "folded", false, &s->folded) &&
               get_u64(d, o, "ids_rules", false, &s->ids_rules) &&
               get_u64(d, o, "ids_flows", false, &s->ids_flows) &&
               get_u64(d, o, "ids_alerts", false, &s->ids_alerts) &&
               get_u64(d, o, "ids_blocks", false, &s->ids_blocks) &&
               get_u64(d, o, "ids_lost", false, &s->ids_lost) &&
               get_u64(d, o, "ids_bypassed", false, &s->ids_bypassed) &&
               get_u64(d, o, "stream_bound_open", false, &s->stream_bound_open) &&
               get_u64(d, o, "stream_bound_closed", false, &s->stream_bound_closed) &&
               get_fixed(d, o, "packet_sockets", s->packet_sockets, sizeof(s->packet_sockets)) &&
               get_fixed(d, o, "av_mode", s->av_mode, sizeof(s->av_mode)) &&
               get_fixed(d, o, "av_state", s->av_state, sizeof(s->av_state)) &&
               get_fixed(d, o, "av_engine", s->av_engine, sizeof(s->av_engine)) &&
               get_fixed(d, o, "av_error", s->av_error, sizeof(s->av_error)) &&
               get_u64(d, o, "av_sigs", false, &s->av_sigs) &&
               get_u64(d, o, "av_db_version", false, &s->av_db_version) &&
               get_i64(d, o, "av_db_time", false, INT64_MIN, INT64_MAX, &s->av_db_time) &&
               get_u64(d, o, "av_scans", false, &s->av_scans) &&
               get_u64(d, o, "av_cache_hits", false, &s->av_cache_hits) &&
               get_u64(d, o, "av_infected", false, &s->av_infected) &&
               get_u64(d, o, "av_restarts", false, &s->av_restarts) &&
               get_fixed(d, o, "mail_state", s->mail_state, sizeof(s->mail_state)) &&
               get_u64(d, o, "mail_port", false, &s->mail_port) &&
               get_u64(d, o, "mail_listeners", false, &s->mail_listeners) &&
               get_u64(d, o, "mail_decided", false, &s->mail_decided) &&
               get_u64(d, o, "mail_tls_failed", false, &s->mail_tls_failed);
    }
    case WARD_MSG_MODE_SET:
    case WARD_MSG_MODE_REPLY:
        return GET_ENUM(d, o, "mode", true, mode_names, m->u.mode.mode);
    case WARD_MSG_RULES_LIST:
        return get_str(d, o, "provider", false, 64, &m->u.rules_list.provider) &&
               get_str(d, o, "program", false, WARD_EVENT_EXE_MAX - 1, &m->u.rules_list.program);
    case WARD_MSG_RULES_REPLY:
        return dec_rules(d, o, m);
    case WARD_MSG_CALLOUT_REPLY:
        return dec_callouts(d, o, m);
    case WARD_MSG_FILTER_ADD:
    case WARD_MSG_SUBLAYER_ADD:
    case WARD_MSG_PROVIDER_ADD:
        return get_str(d, o, "text", true, WARD_PROTO_MAX_STR, &m->u.object_add.text) &&
               get_bool(d, o, "dynamic", false, &m->u.object_add.dynamic);
    case WARD_MSG_CALLOUT_LOAD:
    case WARD_MSG_CALLOUT_UNLOAD:
        return get_str(d, o, "callout", true, 4095, &m->u.callout_op.callout);
    case WARD_MSG_FILTER_DELETE:
    case WARD_MSG_SUBLAYER_DELETE:
    case WARD_MSG_PROVIDER_DELETE:
    case WARD_MSG_OBJECT_ADDED:
        if (!get_u64(d, o, "object_id", true, &m->u.object_id.id))
            return false;
        if (m->u.object_id.id == 0 && m->type != WARD_MSG_OBJECT_ADDED)
            return fail(d, WARD_PE_BAD_FIELD, "\"object_id\" must be positive");
        return true;
    case WARD_MSG_OBJECT_REPLY:
        return dec_objects(d, o, m);
    case WARD_MSG_RULES_ADD:
        if (!member(d, o, "rule", true, &v))
            return false;
        return dec_rule(d, v, &m->u.rule);
    case WARD_MSG_RULES_DELETE:
    case WARD_MSG_RULE_ADDED:
        if (!get_u64(d, o, "rule_id", true, &m->u.rule_id.id))
            return false;
        if (m->u.rule_id.id == 0)
            return fail(d, WARD_PE_BAD_FIELD, "\"rule_id\" must be positive");
        return true;
    case WARD_MSG_SUBSCRIBE_REPLY:
        return get_u32(d, o, "version", true, UINT32_MAX, &m->u.subscribe_reply.version) &&
               get_u32(d, o, "record_size", true, UINT32_MAX, &m->u.subscribe_reply.record_size) &&
               get_u32(d, o, "capacity", true, UINT32_MAX, &m->u.subscribe_reply.capacity);
    case WARD_MSG_PROMPT_ANSWER: {
        bool minutes = false;
        if (!get_u64(d, o, "prompt_id", true, &m->u.answer.prompt_id) ||
            !GET_ENUM(d, o, "action", true, action_names, m->u.answer.action) ||
            !GET_ENUM(d, o, "scope", true, scope_names, m->u.answer.scope) ||
            !GET_ENUM(d, o, "duration", true, duration_names, m->u.answer.duration))
            return false;
        minutes = m->u.answer.duration == WARD_DUR_MINUTES;
        if (!minutes && json_object_object_get_ex(o, "minutes", NULL))
            return fail(d, WARD_PE_BAD_FIELD, "\"minutes\" only goes with duration \"minutes\"");
        if (!get_u32(d, o, "minutes", minutes, 525600, &m->u.answer.minutes))
            return false;
        if (minutes && m->u.answer.minutes == 0)
            return fail(d, WARD_PE_BAD_FIELD, "\"minutes\" must be 1 to 525600");
        return get_bool(d, o, "pin", false, &m->u.answer.pin);
    }
    case WARD_MSG_LOG_QUERY:
        return dec_log_query(d, o, &m->u.log_query);
    case WARD_MSG_LOG_REPLY:
        if (!get_array(d, o, "rows", true, 100000, &a, &n) ||
            !get_bool(d, o, "more", true, &m->u.log_reply.more))
            return false;
        if (n && !(m->u.log_reply.rows = calloc(n, sizeof(ward_event))))
            return fail(d, WARD_PE_INTERNAL, "out of memory");
        for (size_t i = 0; i < n; i++, m->u.log_reply.n++)
            if (!dec_event(d, json_object_array_get_idx(a, i), "rows", &m->u.log_reply.rows[i]))
                return false;
        return true;
    case WARD_MSG_EXPLAIN:
        if (!get_u64(d, o, "log_id", false, &m->u.explain.log_id) ||
            !member(d, o, "conn", false, &v))
            return false;
        if (v) {
            if (!dec_event(d, v, "conn", &m->u.explain.conn))
                return false;
            m->u.explain.has_conn = true;
        }
        if (!m->u.explain.log_id == !m->u.explain.has_conn)
            return fail(d, m->u.explain.has_conn ? WARD_PE_BAD_FIELD : WARD_PE_MISSING_FIELD,
                        "explain takes one of \"log_id\" or \"conn\"");
        return dec_explain_extra(d, o, m);
    case WARD_MSG_EXPLAIN_REPLY:
        return GET_ENUM(d, o, "verdict", true, verdict_names, m->u.explain_reply.verdict) &&
               GET_ENUM(d, o, "reason", true, reason_names, m->u.explain_reply.reason) &&
               get_u64(d, o, "filter_id", true, &m->u.explain_reply.filter_id) &&
               get_str(d, o, "filter", false, WARD_EVENT_NAME_MAX - 1,
                       &m->u.explain_reply.filter) &&
               get_str(d, o, "text", true, WARD_PROTO_MAX_MSG, &m->u.explain_reply.text);
    case WARD_MSG_PROMPT:
        return get_u64(d, o, "prompt_id", true, &m->u.prompt.prompt_id) &&
               get_u32(d, o, "timeout_s", true, 86400, &m->u.prompt.timeout_s) &&
               member(d, o, "conn", true, &v) && dec_event(d, v, "conn", &m->u.prompt.conn) &&
               get_str(d, o, "av", false, 512, &m->u.prompt.av);
    case WARD_MSG_SCAN:
        return dec_scan(d, o, m);
    case WARD_MSG_SCAN_REPLY:
        return dec_scan_reply(d, o, m);
    case WARD_MSG_PROMPT_CLOSED:
        return get_u64(d, o, "prompt_id", true, &m->u.prompt_closed.prompt_id) &&
               GET_ENUM(d, o, "verdict", true, verdict_names, m->u.prompt_closed.verdict) &&
               get_str(d, o, "by", true, 64, &m->u.prompt_closed.by);
    case WARD_MSG_ERROR:
        return GET_ENUM(d, o, "code", true, err_names, m->u.error.code) &&
               get_str(d, o, "message", true, WARD_PROTO_MAX_STR, &m->u.error.message);
    default: { /* no body, or a traffic message (proto/stats.c) */
        char err[256];
        int e = ward_proto_stats_decode(o, m, err, sizeof(err));
        return e ? fail(d, (enum ward_proto_err)e, "%s", err) : true;
    }
    }
}

enum ward_proto_err ward_proto_decode(const char *buf, size_t len, ward_msg *out, char *err,
                                      size_t errlen)
{
    struct dec d = {err, errlen, WARD_PE_OK};
    memset(out, 0, sizeof(*out));
    if (err && errlen)
        err[0] = '\0';
    if (len && buf[len - 1] == '\n')
        len--;
    if (len + 1 > WARD_PROTO_MAX_MSG) {
        fail(&d, WARD_PE_TOO_LARGE, "message longer than %u bytes", WARD_PROTO_MAX_MSG);
        return d.code;
    }
    /* json-c would stop at a NUL; a raw newline means two messages. */
    if (memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
        fail(&d, WARD_PE_BAD_JSON, "a NUL or newline inside the message");
        return d.code;
    }
    /* Checked here rather than by json-c, whose check lets some bytes by. */
    for (size_t i = 0; i < len;) {
        size_t l = utf8_seq((const unsigned char *)buf + i, len - i);
        if (!l) {
            fail(&d, WARD_PE_BAD_UTF8, "not valid UTF-8 at byte %zu", i);
            return d.code;
        }
        i += l;
    }
    json_tokener *tok = json_tokener_new_ex(WARD_PROTO_MAX_DEPTH);
    if (!tok) {
        fail(&d, WARD_PE_INTERNAL, "out of memory");
        return d.code;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!o || je != json_tokener_success) {
        if (je == json_tokener_error_depth)
            fail(&d, WARD_PE_TOO_DEEP, "nested deeper than %d", WARD_PROTO_MAX_DEPTH);
        else if (je == json_tokener_error_parse_utf8_string)
            fail(&d, WARD_PE_BAD_UTF8, "not valid UTF-8");
        else if (je == json_tokener_continue)
            fail(&d, WARD_PE_BAD_JSON, "truncated JSON");
        else
            fail(&d, WARD_PE_BAD_JSON, "%s", json_tokener_error_desc(je));
        json_object_put(o);
        return d.code;
    }
    if (end != len) {
        fail(&d, WARD_PE_BAD_JSON, "bytes after the JSON object");
    } else if (!json_object_is_type(o, json_type_object)) {
        fail(&d, WARD_PE_BAD_JSON, "a message is a JSON object");
    } else {
        int64_t id = 0;
        const char *tn = NULL;
        json_object *tv;
        if (get_i64(&d, o, "id", true, 0, UINT32_MAX, &id))
            out->id = (uint32_t)id;
        if (d.code == WARD_PE_OK && member(&d, o, "type", true, &tv) &&
            str_value(&d, tv, "type", 64, &tn)) {
            int t = table_find(type_names, tn);
            if (t < 0) {
                fail(&d, WARD_PE_UNKNOWN_TYPE, "unknown message type \"%.32s\"", tn);
            } else {
                out->type = (enum ward_msg_type)t;
                if (only_keys(&d, o, tn, body_keys(out->type)))
                    dec_body(&d, o, out);
            }
        }
    }
    json_object_put(o);
    if (d.code != WARD_PE_OK) {
        uint32_t id = out->id;
        ward_msg_free(out);
        memset(out, 0, sizeof(*out));
        out->id = id;
    }
    return d.code;
}
