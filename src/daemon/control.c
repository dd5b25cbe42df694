/*
 * control.c — the control protocol's requests, one handler each, dispatched
 * from a table. The server (src/proto) has already decoded the message,
 * checked the hello and the peer's right to send it (SO_PEERCRED).
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct wardd_client *client(ward_conn *c)
{
    struct wardd_client *cl = ward_conn_data(c);
    if (!cl && (cl = calloc(1, sizeof(*cl))))
        ward_conn_set_data(c, cl);
    return cl;
}

void wardd_rule_to_proto(const struct wardd *d, const char *program, uint64_t id,
                         const ward_app_rule *r, ward_proto_rule *out)
{
    *out = (ward_proto_rule){
        .id = id,
        .program = (char *)program,
        .action = r->action,
        .dir = r->dir,
        .proto = r->proto,
        .ports = (ward_range *)r->ports,
        .n_ports = r->n_ports,
        .remotes = (ward_cidr *)r->addrs,
        .n_remotes = r->n_addrs,
        .domains = (char **)r->domains,
        .n_domains = r->n_domains,
        .zones = (char **)r->zones,
        .n_zones = r->n_zones,
        .users = (ward_range *)r->users,
        .n_users = r->n_users,
        .parents = (char **)r->parents,
        .n_parents = r->n_parents,
        .times = (ward_time_window *)r->times,
        .n_times = r->n_times,
        .provider = (char *)ward_provider_name(d->engine, r->provider),
        .lifetime = r->lifetime,
        .origin = (char *)r->origin,
    };
}

static void on_status(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_engine_stats st;
    ward_engine_stats_get(d->engine, &st);
    ward_settings s;
    ward_engine_settings(d->engine, &s);
    ward_log_stats ls;
    ward_log_stats_get(d->log, &ls);
    ward_msg r = {.type = WARD_MSG_STATUS_REPLY, .id = m->id};
    r.u.status = (ward_proto_status){
        .version = WARD_PROTO_VERSION,
        .mode = s.mode,
        .uptime_s = (wardd_now_ms() - d->started_ms) / 1000,
        .filters = st.filters,
        .apps = st.apps,
        .app_rules = st.app_rules,
        .clients = ward_server_clients(d->server),
        .prompters = d->prompters,
        .subscribers = ward_ring_subscribers(d->ring),
        .prompts_pending = prompts_count(d->prompts),
        .decisions = d->decisions,
        .log_written = ls.written,
        .log_dropped = ls.dropped,
        .boot = d->boot,
        .lost_last_run = d->lost_last_run,
        .prompt_overflow = d->prompt_overflow,
        .kernel_events = d->kev_received,
        .kernel_lost = wardd_kevents_lost(d),
        .folded = d->folded,
    };
    snprintf(r.u.status.tamper_watch, sizeof(r.u.status.tamper_watch), "%s",
             d->tamper_watch ? d->tamper_watch : "none");
    snprintf(r.u.status.proc_source, sizeof(r.u.status.proc_source), "%s",
             wardd_procs_source_name(d));
    wardd_ids_status(d, &r.u.status);
    proctab_events(d->procs, &r.u.status.proc_execs, &r.u.status.proc_exits);
    ward_kstats ks;
    if (d->kernel && ward_kernel_stats(d->kernel, &ks) == 0) {
        r.u.status.queue_dropped = ks.queue_dropped;
        r.u.status.queue_user_dropped = ks.user_dropped;
        snprintf(r.u.status.packet_sockets, sizeof(r.u.status.packet_sockets), "%s",
                 ks.packet_sockets == WARD_KPACKET_LOGGED ? "logged" : "unseen");
    }
    wardd_av_status(d, &r.u.status);
    wardd_mail_status(d, &r.u.status);
    ward_conn_send(c, &r, NULL, 0);
}

static void mode_reply(struct wardd *d, ward_conn *c, uint32_t id)
{
    ward_settings s;
    ward_engine_settings(d->engine, &s);
    ward_msg r = {.type = WARD_MSG_MODE_REPLY, .id = id};
    r.u.mode.mode = s.mode;
    ward_conn_send(c, &r, NULL, 0);
}

static void on_mode_get(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    mode_reply(d, c, m->id);
}

static void on_mode_set(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_settings s;
    ward_engine_settings(d->engine, &s);
    s.mode = m->u.mode.mode;
    if (ward_engine_configure(d->engine, &s) < 0) {
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "%s", ward_engine_error(d->engine));
        return;
    }
    wardd_log(LOG_INFO, "work mode %s (uid %u)", ward_mode_name(s.mode), ward_conn_peer(c)->uid);
    wardd_commit(d, WARDD_CHANGED_SETTINGS);
    mode_reply(d, c, m->id);
}

static void on_rules_list(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    const char *prov = m->u.rules_list.provider, *prog = m->u.rules_list.program;
    int want_prov = prov ? ward_provider_find(d->engine, prov) : 0;
    if (prov && want_prov < 0) {
        ward_conn_send_error(c, m->id, WARD_PE_NOT_FOUND, "no provider %s", prov);
        return;
    }
    ward_engine_stats st;
    ward_engine_stats_get(d->engine, &st);
    ward_proto_rule *rules = calloc(st.app_rules + 1, sizeof(*rules));
    if (!rules) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < ward_app_count(d->engine); i++) {
        ward_app_info a;
        ward_app_at(d->engine, i, &a);
        if (prog && strcmp(prog, a.path) != 0)
            continue;
        for (size_t k = 0; k < a.n_rules && n < st.app_rules; k++) {
            ward_app_rule r;
            uint64_t id;
            ward_app_rule_at(d->engine, a.id, k, &id, &r);
            if (want_prov > 0 && r.provider != (uint32_t)want_prov)
                continue;
            wardd_rule_to_proto(d, a.path, id, &r, &rules[n++]);
        }
    }
    ward_conn_send_rules(c, m->id, rules, n);
    free(rules);
}

/* A prompter registered or went away: step 1 of the decision order. */
static void prompter_count_changed(struct wardd *d)
{
    ward_engine_set_prompter(d->engine, d->prompters > 0);
    wardd_commit(d, WARDD_CHANGED_SETTINGS); /* step 1 depends on it */
    if (prompts_count(d->prompts) > 0) {
        /* Nobody is left who may answer them: the policy's "no prompter"
         * outcome (a user's prompter answers for their own processes only). */
        ward_settings s;
        ward_engine_settings(d->engine, &s);
        wardd_prompts_resolve_orphans(d, s.no_prompter, "no-prompter");
    }
}

/* Persistent rules over the protocol are the learned provider's: the
 * administrator's live in the policy files. */
static bool persists(const ward_lifetime *l)
{
    return l->kind == WARD_LIFE_PERSISTENT || l->kind == WARD_LIFE_BOOT;
}

static void refuse_persistent(ward_conn *c, uint32_t id, const char *prov)
{
    ward_conn_send_error(c, id, WARD_PE_FAILED,
                         "persistent rules of provider %s belong in the policy files; use "
                         "provider learned or a dynamic, timed or until-restart lifetime",
                         prov);
}

/* The rule as policy text, parsed with the policy's own grammar. */
static int64_t add_rule_text(struct wardd *d, ward_conn *c, const ward_msg *m, uint64_t app,
                             int provider)
{
    const ward_proto_rule *pr = &m->u.rule;
    char err[4096];
    ward_rule_text rt = {.name = "rule",
                         .text = pr->text,
                         .app_id = app,
                         .program = pr->program,
                         .provider = (uint32_t)provider,
                         .session = ward_conn_session(c)};
    int64_t id = ward_policy_add_rule(d->policy, d->engine, &rt, err, sizeof(err));
    if (id < 0) {
        ward_conn_send_failed(c, m->id, "", err);
        return -1;
    }
    ward_app_info a = {0};
    ward_app_get(d->engine, app, &a);
    ward_app_rule r;
    ward_app_rule_at(d->engine, app, a.n_rules - 1, NULL, &r);
    const char *prov = ward_provider_name(d->engine, r.provider);
    if (persists(&r.lifetime) && (!prov || strcmp(prov, "learned") != 0)) {
        ward_app_rule_remove(d->engine, (uint64_t)id);
        refuse_persistent(c, m->id, prov ? prov : "?");
        return -1;
    }
    return id;
}

static void on_rules_add(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    const ward_proto_rule *pr = &m->u.rule;
    const char *prov = pr->provider ? pr->provider : "learned";
    ward_lifetime life = pr->lifetime;
    if (life.kind == WARD_LIFE_DYNAMIC)
        life.session = ward_conn_session(c); /* gone when this client disconnects */
    if (!pr->text && persists(&life) && strcmp(prov, "learned") != 0) {
        refuse_persistent(c, m->id, prov);
        return;
    }
    int provider = ward_provider_find(d->engine, prov);
    if (provider < 0)
        provider = ward_provider_add(d->engine, prov);
    int64_t app = ward_app_find(d->engine, pr->program);
    bool new_app = app < 0;
    if (new_app)
        app = ward_app_add(d->engine, pr->program, NULL);
    if (provider < 0 || app < 0) {
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "%s", ward_engine_error(d->engine));
        return;
    }
    int64_t id;
    if (pr->text) {
        id = add_rule_text(d, c, m, (uint64_t)app, provider);
    } else {
        ward_app_rule r = ward_proto_rule_view(pr);
        r.provider = (uint32_t)provider;
        r.lifetime = life;
        r.origin = pr->origin ? pr->origin : "control";
        id = ward_app_rule_append(d->engine, (uint64_t)app, &r);
        if (id < 0)
            ward_conn_send_error(c, m->id, WARD_PE_FAILED, "%s", ward_engine_error(d->engine));
    }
    if (id < 0) {
        if (new_app)
            ward_app_remove(d->engine, (uint64_t)app);
        return;
    }
    if (new_app)
        ward_app_set_fallback(d->engine, (uint64_t)app, WARD_FALLBACK_ASK);
    ward_app_info a = {0};
    ward_app_rule added = {0};
    ward_app_get(d->engine, (uint64_t)app, &a);
    ward_app_rule_at(d->engine, (uint64_t)app, a.n_rules - 1, NULL, &added);
    bool learned = persists(&added.lifetime) || added.lifetime.kind == WARD_LIFE_TIMED ||
                   added.lifetime.kind == WARD_LIFE_UNTIL_EXIT;
    if (life.kind == WARD_LIFE_UNTIL_EXIT)
        wardd_until_exit_sweep(d); /* its process is watched, or the rule ends now */
    wardd_commit(d, WARDD_CHANGED_RULES | (learned ? WARDD_CHANGED_LEARNED : 0));
    wardd_log(LOG_INFO, "rule %lld added for %s by uid %u", (long long)id, pr->program,
              ward_conn_peer(c)->uid);
    ward_msg reply = {.type = WARD_MSG_RULE_ADDED, .id = m->id};
    reply.u.rule_id.id = (uint64_t)id;
    ward_conn_send(c, &reply, NULL, 0);
}

static void on_rules_delete(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    if (ward_app_rule_remove(d->engine, m->u.rule_id.id) < 0) {
        ward_conn_send_error(c, m->id, WARD_PE_NOT_FOUND, "no rule %llu",
                             (unsigned long long)m->u.rule_id.id);
        return;
    }
    wardd_commit(d, WARDD_CHANGED_RULES | WARDD_CHANGED_LEARNED);
    ward_conn_send_ok(c, m->id);
}

/* Answered when the parse, off the loop, is done (reload.c). */
static void on_reload(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    wardd_reload_request(d, c, m->id);
}

static void on_subscribe(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    struct wardd_client *cl = client(c);
    if (!cl || cl->subscribed) {
        ward_conn_send_error(c, m->id, WARD_PE_BUSY, "already subscribed");
        return;
    }
    int efd = ward_ring_subscribe(d->ring, &cl->sub_id);
    if (efd < 0) {
        ward_conn_send_error(c, m->id, WARD_PE_BUSY, "too many subscribers");
        return;
    }
    cl->subscribed = true;
    ward_msg r = {.type = WARD_MSG_SUBSCRIBE_REPLY, .id = m->id};
    r.u.subscribe_reply.version = 1;
    r.u.subscribe_reply.record_size = sizeof(ward_event);
    r.u.subscribe_reply.capacity = ward_ring_capacity(d->ring);
    int fds[2] = {ward_ring_memfd(d->ring), efd};
    ward_conn_send(c, &r, fds, 2);
    close(efd); /* the message holds its own copy */
}

static void on_prompt_register(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    struct wardd_client *cl = client(c);
    if (!cl) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    if (!cl->prompter) {
        cl->prompter = true;
        d->prompters++;
        prompter_count_changed(d);
    }
    ward_conn_send_ok(c, m->id);
    /* What is already waiting is shown to the newcomer too (what it may
     * answer: a user who is not an admin sees their own processes'). */
    const ward_prompt *p;
    const ward_peer *peer = ward_conn_peer(c);
    for (size_t i = 0; (p = prompts_at(d->prompts, i)); i++)
        if (ward_proto_may_answer(peer, p->req.has_user ? p->req.uid : WARD_UID_UNKNOWN))
            wardd_push_prompt(d, p, c);
}

static void on_prompt_answer(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_answer a = {m->u.answer.action, m->u.answer.scope, m->u.answer.duration,
                     m->u.answer.minutes};
    char err[256];
    int rc = wardd_answer(d, m->u.answer.prompt_id, ward_conn_peer(c), &a, m->u.answer.pin, err,
                          sizeof(err));
    if (rc != 0) {
        ward_conn_send_error(c, m->id, (enum ward_proto_err)rc, "%s", err);
        return;
    }
    ward_conn_send_ok(c, m->id);
}

struct rows {
    ward_event *v;
    size_t n, cap;
};

static int collect_row(const ward_event *row, void *ctx)
{
    struct rows *r = ctx;
    ward_event *v = ward_grow(r->v, &r->cap, r->n, sizeof(*v), 64);
    if (!v)
        return -1;
    r->v = v;
    r->v[r->n++] = *row;
    return 0;
}

static void on_log_query(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_log_filter f = m->u.log_query;
    const ward_peer *peer = ward_conn_peer(c);
    if (peer->auth != WARD_AUTH_ADMIN) {
        f.has_uid = true; /* others read their own connections only */
        f.uid = peer->uid;
    }
    /* What was decided is what is read, but never hold the loop long. */
    ward_log_sync(d->log, 100);
    struct rows rows = {0};
    char err[256];
    if (ward_log_query(d->log_path, &f, collect_row, &rows, err, sizeof(err)) < 0) {
        free(rows.v);
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "log: %s", err);
        return;
    }
    ward_conn_send_log_rows(c, m->id, rows.v, rows.n);
    free(rows.v);
}

/* buf and parents: room for the event's ancestor chain, which r borrows. */
static void request_from_event(ward_request *r, const ward_event *ev, char *buf,
                               const char **parents)
{
    memset(r, 0, sizeof(*r));
    r->app.ancestors = parents;
    r->app.n_ancestors = ward_event_parents(ev, buf, parents, WARD_MAX_ANCESTORS);
    r->layer = ev->layer < WARD_LAYER_COUNT ? (enum ward_layer)ev->layer : WARD_LAYER_CONNECT_OUT;
    r->dir = ev->direction == WARD_DIR_IN ? WARD_DIR_IN : WARD_DIR_OUT;
    r->proto = ev->proto;
    r->local = ev->local;
    r->remote = ev->remote;
    r->lport = ev->lport;
    r->rport = ev->rport;
    r->domain = ev->domain[0] ? ev->domain : NULL;
    r->domain_src = r->domain ? ev->name_src : WARD_NAME_NONE;
    r->app.path = ev->exe[0] ? ev->exe : NULL;
    r->app.cmdline = ev->cmdline[0] ? ev->cmdline : NULL;
    r->has_user = ev->uid != WARD_UID_UNKNOWN;
    r->uid = ev->uid;
    wardd_request_fill_time(r, ev->time_ns ? ev->time_ns / 1000000000 : (int64_t)time(NULL));
}

static void on_explain(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_event ev;
    if (m->u.explain.has_conn) {
        ev = m->u.explain.conn;
    } else {
        ward_log_sync(d->log, 100);
        if (ward_log_get(d->log_path, m->u.explain.log_id, &ev) != 0) {
            ward_conn_send_error(c, m->id, WARD_PE_NOT_FOUND, "no logged connection %llu",
                                 (unsigned long long)m->u.explain.log_id);
            return;
        }
    }
    ward_request r;
    char chain[WARD_EVENT_PARENTS_MAX];
    const char *parents[WARD_MAX_ANCESTORS];
    request_from_event(&r, &ev, chain, parents);
    if (m->u.explain.has_conn) {
        r.iface = m->u.explain.iface;
        r.cgroup = m->u.explain.cgroup;
        r.app.sha256 = m->u.explain.has_sha256 ? &m->u.explain.sha256 : NULL;
        if (m->u.explain.has_gid) {
            r.gid = m->u.explain.gid;
            r.has_user = true;
        }
    }
    ward_trace *t = ward_trace_new();
    ward_decision dec;
    char *text = NULL;
    if (t && ward_classify(d->engine, &r, &dec, t, 0) == 0) {
        size_t need = ward_trace_format(t, NULL, 0);
        if ((text = malloc(need + 1)))
            ward_trace_format(t, text, need + 1);
    }
    ward_trace_free(t);
    if (!text) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    ward_msg reply = {.type = WARD_MSG_EXPLAIN_REPLY, .id = m->id};
    reply.u.explain_reply.verdict = dec.verdict;
    reply.u.explain_reply.reason = dec.reason;
    reply.u.explain_reply.filter_id = dec.filter_id;
    reply.u.explain_reply.text = text;
    ward_conn_send(c, &reply, NULL, 0);
    free(text);
}

typedef void (*handler_fn)(struct wardd *d, ward_conn *c, const ward_msg *m);

static const handler_fn handlers[WARD_MSG_COUNT] = {
    [WARD_MSG_STATUS] = on_status,
    [WARD_MSG_MODE_GET] = on_mode_get,
    [WARD_MSG_MODE_SET] = on_mode_set,
    [WARD_MSG_RULES_LIST] = on_rules_list,
    [WARD_MSG_RULES_ADD] = on_rules_add,
    [WARD_MSG_RULES_DELETE] = on_rules_delete,
    [WARD_MSG_RELOAD] = on_reload,
    [WARD_MSG_SUBSCRIBE] = on_subscribe,
    [WARD_MSG_PROMPT_REGISTER] = on_prompt_register,
    [WARD_MSG_PROMPT_ANSWER] = on_prompt_answer,
    [WARD_MSG_LOG_QUERY] = on_log_query,
    [WARD_MSG_EXPLAIN] = on_explain,
    [WARD_MSG_STATS_QUERY] = wardd_traffic_on_query,
    [WARD_MSG_CONNS_LIST] = wardd_traffic_on_conns,
    [WARD_MSG_LIMITS_LIST] = wardd_limits_on_list,
    [WARD_MSG_CALLOUT_LIST] = wardd_on_callout_list,
    [WARD_MSG_CALLOUT_LOAD] = wardd_on_callout_load,
    [WARD_MSG_CALLOUT_UNLOAD] = wardd_on_callout_unload,
    [WARD_MSG_SCAN] = wardd_av_on_scan,
    [WARD_MSG_FILTER_ADD] = wardd_on_filter_add,
    [WARD_MSG_FILTER_DELETE] = wardd_on_filter_delete,
    [WARD_MSG_FILTER_LIST] = wardd_on_filter_list,
    [WARD_MSG_SUBLAYER_ADD] = wardd_on_sublayer_add,
    [WARD_MSG_SUBLAYER_DELETE] = wardd_on_sublayer_delete,
    [WARD_MSG_SUBLAYER_LIST] = wardd_on_sublayer_list,
    [WARD_MSG_PROVIDER_ADD] = wardd_on_provider_add,
    [WARD_MSG_PROVIDER_DELETE] = wardd_on_provider_delete,
    [WARD_MSG_PROVIDER_LIST] = wardd_on_provider_list,
    [WARD_MSG_TXN_BEGIN] = wardd_on_txn,
    [WARD_MSG_TXN_COMMIT] = wardd_on_txn,
    [WARD_MSG_TXN_ABORT] = wardd_on_txn,
};

void wardd_on_msg(ward_server *s, ward_conn *c, const ward_msg *m, void *ctx)
{
    (void)s;
    struct wardd *d = ctx;
    handler_fn h = (unsigned)m->type < WARD_MSG_COUNT ? handlers[m->type] : NULL;
    if (!h) {
        ward_conn_send_error(c, m->id, WARD_PE_UNKNOWN_TYPE, "%s is not a request wardd serves",
                             ward_msg_type_name(m->type));
        return;
    }
    h(d, c, m);
}

void wardd_on_close(ward_server *s, ward_conn *c, void *ctx)
{
    (void)s;
    struct wardd *d = ctx;
    struct wardd_client *cl = ward_conn_data(c);
    /* Rules with a dynamic lifetime belong to the session that made them. */
    if (ward_engine_end_session(d->engine, ward_conn_session(c)) > 0) {
        wardd_log(LOG_INFO, "session %llu closed: its dynamic rules are gone",
                  (unsigned long long)ward_conn_session(c));
        wardd_commit(d, WARDD_CHANGED_RULES);
    }
    wardd_runtime_end_session(d, c); /* its dynamic sublayers, its open transaction */
    if (!cl)
        return;
    if (cl->subscribed)
        ward_ring_unsubscribe(d->ring, cl->sub_id);
    if (cl->prompter) {
        cl->prompter = false; /* it is still listed: it answers nothing now */
        d->prompters--;
        prompter_count_changed(d);
    }
    ward_conn_set_data(c, NULL);
    free(cl);
}
