/*
 * link.c — ward top's control connection: hello, the event ring
 * (subscribe), prompts (prompt.register) and the requests of the views.
 * Requests are sent without waiting; replies are matched by id when they
 * come. When wardd goes away the UI says so and connects again with a
 * backoff (100 ms .. 5 s); a new wardd has a new ring and new prompts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui/top/top.h"

/* The wait for the three calls made at connect time: wardd answers them
 * from its loop at once; a wardd that does not is treated as gone. */
#define CONNECT_TIMEOUT_MS 2000

/* Requests in flight that are not lists: rule changes and answers. */
static struct pending {
    uint32_t id;
    enum link_pending kind;
    uint64_t arg;
    ward_msg then; /* P_ANSWER_AFTER_RULE: the answer to send once the rule is in */
} pend[64];

static int subscribe(struct top *t)
{
    ward_msg req = {.type = WARD_MSG_SUBSCRIBE}, rep;
    int fds[WARD_PROTO_MAX_FDS];
    size_t nfds = 0;
    if (ward_client_call(t->c, &req, &rep, fds, &nfds, CONNECT_TIMEOUT_MS) != 1)
        return -1;
    if (rep.type == WARD_MSG_ERROR) {
        /* Not an admin: the ring carries every user's connections. */
        snprintf(t->sub_error, sizeof(t->sub_error), "%s",
                 rep.u.error.message ? rep.u.error.message : "refused");
        ward_msg_free(&rep);
        return 0;
    }
    ward_msg_free(&rep);
    if (nfds == 2 && (t->rd = ward_ring_reader_open(fds[0], false))) {
        t->efd = fds[1];
        close(fds[0]);
        t->subscribed = true;
        t->sub_error[0] = 0;
        return 0;
    }
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    snprintf(t->sub_error, sizeof(t->sub_error), "wardd sent no event ring");
    return 0;
}

static int register_prompter(struct top *t)
{
    ward_msg req = {.type = WARD_MSG_PROMPT_REGISTER}, rep;
    if (ward_client_call(t->c, &req, &rep, NULL, NULL, CONNECT_TIMEOUT_MS) != 1)
        return -1;
    t->registered = rep.type != WARD_MSG_ERROR;
    if (!t->registered)
        top_say(t, "prompts: %s", rep.u.error.message ? rep.u.error.message : "refused");
    ward_msg_free(&rep);
    return 0;
}

void link_close(struct top *t)
{
    if (t->rd)
        ward_ring_reader_close(t->rd);
    if (t->efd >= 0)
        close(t->efd);
    t->rd = NULL;
    t->efd = -1;
    ward_client_close(t->c);
    t->c = NULL;
    t->subscribed = t->registered = false;
    t->rules_req = t->log_req = t->drules_req = t->dlog_req = 0;
    t->state = LINK_DOWN;
    memset(pend, 0, sizeof(pend)); /* ids start again on the next connection */
    prompts_clear(t);              /* the prompts were that wardd's */
    traffic_close(t);
}

/* Connection lost: say so, and try again soon. */
static void lost(struct top *t)
{
    link_close(t);
    t->backoff_ms = 100;
    t->retry_at_ms = top_now_ms() + t->backoff_ms;
    top_say(t, "wardd went away: reconnecting...");
    t->dirty = true;
}

static void refresh_status(struct top *t)
{
    ward_msg m = {.type = WARD_MSG_STATUS};
    link_send(t, &m);
}

void link_poll(struct top *t)
{
    int64_t now = top_now_ms();
    if (t->state == LINK_UP) {
        static int64_t last_status, last_log;
        if (now - last_status >= 1000) {
            last_status = now;
            refresh_status(t);
        }
        /* Without the ring, a user's programs come from their log rows. */
        if (!t->subscribed && now - last_log >= 5000) {
            last_log = now;
            link_refresh_log(t);
        }
        return;
    }
    if (now < t->retry_at_ms)
        return;
    char err[256];
    t->c = ward_client_connect(t->sock, "ward-top", err, sizeof(err));
    if (!t->c || register_prompter(t) < 0 || subscribe(t) < 0) {
        if (t->c)
            link_close(t);
        t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : 100;
        if (t->backoff_ms > 5000)
            t->backoff_ms = 5000;
        t->retry_at_ms = now + t->backoff_ms;
        if (!t->ever_up)
            top_say(t, "cannot reach wardd (%s): retrying", t->c ? "no answer" : err);
        t->dirty = true;
        return;
    }
    t->admin = ward_client_admin(t->c);
    t->state = LINK_UP;
    t->backoff_ms = 0;
    if (t->ever_up) {
        t->reconnects++;
        top_say(t, "wardd restarted: reconnected");
    } else {
        top_say(t, "connected to wardd%s", t->admin ? "" : " (not root or group ward)");
    }
    t->ever_up = true;
    refresh_status(t);
    link_refresh_rules(t);
    link_refresh_log(t);
    if (t->view == VIEW_DETAIL)
        link_refresh_detail(t);
    t->dirty = true;
}

int link_fd(const struct top *t)
{
    return t->state == LINK_UP ? ward_client_fd(t->c) : -1;
}

uint32_t link_send(struct top *t, ward_msg *m)
{
    if (t->state != LINK_UP)
        return 0;
    m->id = 0;
    if (ward_client_send(t->c, m) < 0) {
        lost(t);
        return 0;
    }
    return m->id;
}

void link_refresh_rules(struct top *t)
{
    ward_msg m = {.type = WARD_MSG_RULES_LIST};
    t->rules_req = link_send(t, &m);
}

/* The search box: words "program=GLOB", "domain=GLOB", "verdict=V",
 * "remote=CIDR"; a bare word looks for programs holding it. */
static void log_filter_from(const char *search, ward_log_filter *f, char *prog, size_t plen,
                            char *dom, size_t dlen)
{
    char buf[TOP_TEXT];
    snprintf(buf, sizeof(buf), "%s", search);
    for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!strncmp(w, "program=", 8)) {
            snprintf(prog, plen, "%s", w + 8);
        } else if (!strncmp(w, "domain=", 7)) {
            snprintf(dom, dlen, "%s", w + 7);
        } else if (!strncmp(w, "verdict=", 8)) {
            f->verdict = ward_proto_verdict_parse(w + 8);
        } else if (!strncmp(w, "remote=", 7)) {
            f->has_remote = ward_cidr_parse(w + 7, &f->remote) == 0;
        } else {
            snprintf(prog, plen, "*%s*", w);
        }
    }
    f->program = prog[0] ? prog : NULL;
    f->domain = dom[0] ? dom : NULL;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void link_refresh_log(struct top *t)
{
    ward_msg m = {.type = WARD_MSG_LOG_QUERY};
    char prog[TOP_TEXT + 2] = "", dom[TOP_TEXT] = "";
    m.u.log_query.verdict = -1;
    log_filter_from(t->search, &m.u.log_query, prog, sizeof(prog), dom, sizeof(dom));
    /* The last hour, at most 5000 rows: the view shows the newest. */
    m.u.log_query.since_ns = wall_ns() - 3600LL * 1000000000;
    m.u.log_query.limit = 5000;
    t->log_req = link_send(t, &m);
}

void link_refresh_detail(struct top *t)
{
    ward_msg m = {.type = WARD_MSG_RULES_LIST};
    m.u.rules_list.program = t->detail;
    t->drules_req = link_send(t, &m);
    ward_msg q = {.type = WARD_MSG_LOG_QUERY};
    q.u.log_query.verdict = -1;
    q.u.log_query.program = t->detail;
    q.u.log_query.since_ns = wall_ns() - 3600LL * 1000000000;
    q.u.log_query.limit = 5000;
    t->dlog_req = link_send(t, &q);
}

/* A multi-part list: the first part of a new answer replaces the old one. */
static void take_rules(ward_proto_rule **v, size_t *n, bool *fresh, ward_msg *m)
{
    if (*fresh) {
        model_free_rules(v, n);
        *fresh = false;
    }
    if (!m->u.rules_reply.n)
        return;
    ward_proto_rule *nv = realloc(*v, (*n + m->u.rules_reply.n) * sizeof(**v));
    if (!nv)
        return;
    *v = nv;
    memcpy(*v + *n, m->u.rules_reply.rules, m->u.rules_reply.n * sizeof(**v));
    *n += m->u.rules_reply.n;
    /* The strings now belong to the list. */
    free(m->u.rules_reply.rules);
    m->u.rules_reply.rules = NULL;
    m->u.rules_reply.n = 0;
}

static void take_rows(ward_event **v, size_t *n, bool *fresh, const ward_msg *m)
{
    if (*fresh) {
        free(*v);
        *v = NULL;
        *n = 0;
        *fresh = false;
    }
    if (!m->u.log_reply.n)
        return;
    ward_event *nv = realloc(*v, (*n + m->u.log_reply.n) * sizeof(**v));
    if (!nv)
        return;
    *v = nv;
    memcpy(*v + *n, m->u.log_reply.rows, m->u.log_reply.n * sizeof(**v));
    *n += m->u.log_reply.n;
}

void link_expect(uint32_t id, enum link_pending kind, uint64_t arg, const ward_msg *then)
{
    if (!id)
        return;
    for (size_t i = 0; i < sizeof(pend) / sizeof(*pend); i++) {
        if (!pend[i].id) {
            pend[i] = (struct pending){.id = id, .kind = kind, .arg = arg};
            if (then)
                pend[i].then = *then;
            return;
        }
    }
}

void link_request(struct top *t, ward_msg *m, enum link_pending kind, uint64_t arg,
                  const ward_msg *then)
{
    link_expect(link_send(t, m), kind, arg, then);
}

static void on_pending(struct top *t, ward_msg *m)
{
    for (size_t i = 0; i < sizeof(pend) / sizeof(*pend); i++) {
        if (pend[i].id != m->id || !m->id)
            continue;
        struct pending p = pend[i];
        pend[i].id = 0;
        bool err = m->type == WARD_MSG_ERROR;
        const char *why = err && m->u.error.message ? m->u.error.message : "refused";
        switch (p.kind) {
        case P_ANSWER:
            prompts_answer_reply(t, m, p.arg);
            break;
        case P_ANSWER_AFTER_RULE:
            if (err) {
                top_say(t, "rule for prompt %llu not added: %s", (unsigned long long)p.arg, why);
                break;
            }
            link_expect(link_send(t, &p.then), P_ANSWER, p.arg, NULL);
            link_refresh_rules(t);
            break;
        case P_RULE_ADD:
            if (err)
                top_say(t, "rule not added: %s", why);
            else
                top_say(t, "rule %llu added", (unsigned long long)m->u.rule_id.id);
            if (!err && p.arg) { /* an edit: the new rule is in, the old one goes */
                ward_msg d = {.type = WARD_MSG_RULES_DELETE};
                d.u.rule_id.id = p.arg;
                link_expect(link_send(t, &d), P_RULE_DEL, p.arg, NULL);
            }
            link_refresh_rules(t);
            break;
        case P_RULE_DEL:
            if (err)
                top_say(t, "rule %llu not deleted: %s", (unsigned long long)p.arg, why);
            else
                top_say(t, "rule %llu deleted", (unsigned long long)p.arg);
            link_refresh_rules(t);
            break;
        }
        t->dirty = true;
        return;
    }
}

static void dispatch(struct top *t, ward_msg *m)
{
    static bool rules_fresh, log_fresh, drules_fresh, dlog_fresh;
    static uint32_t rules_seen, log_seen, drules_seen, dlog_seen;
    t->dirty = true;
    switch (m->type) {
    case WARD_MSG_PROMPT:
        prompts_push(t, m);
        return;
    case WARD_MSG_PROMPT_CLOSED:
        prompts_closed(t, m->u.prompt_closed.prompt_id, m->u.prompt_closed.by,
                       m->u.prompt_closed.verdict);
        return;
    case WARD_MSG_STATUS_REPLY:
        t->status = m->u.status;
        t->has_status = true;
        return;
    default:
        break;
    }
    if (m->type == WARD_MSG_RULES_REPLY && m->id == t->rules_req) {
        if (rules_seen != m->id)
            rules_seen = m->id, rules_fresh = true;
        take_rules(&t->rules, &t->n_rules, &rules_fresh, m);
    } else if (m->type == WARD_MSG_RULES_REPLY && m->id == t->drules_req) {
        if (drules_seen != m->id)
            drules_seen = m->id, drules_fresh = true;
        take_rules(&t->drules, &t->n_drules, &drules_fresh, m);
    } else if (m->type == WARD_MSG_LOG_REPLY && m->id == t->log_req) {
        if (log_seen != m->id) {
            log_seen = m->id, log_fresh = true;
        }
        take_rows(&t->log, &t->n_log, &log_fresh, m);
        /* A user who may not read the ring sees their programs from the
         * log (their own rows), each row once. */
        static uint64_t applied;
        if (!t->subscribed && !m->u.log_reply.more && !t->search[0])
            for (size_t i = 0; i < t->n_log; i++)
                if (t->log[i].seq > applied) {
                    applied = t->log[i].seq;
                    model_event(t, &t->log[i]);
                }
    } else if (m->type == WARD_MSG_LOG_REPLY && m->id == t->dlog_req) {
        if (dlog_seen != m->id)
            dlog_seen = m->id, dlog_fresh = true;
        take_rows(&t->dlog, &t->n_dlog, &dlog_fresh, m);
    } else if (m->type == WARD_MSG_ERROR && m->id && m->id == t->log_req) {
        top_say(t, "log: %s", m->u.error.message ? m->u.error.message : "refused");
    } else {
        on_pending(t, m);
    }
}

void link_readable(struct top *t)
{
    for (int n = 0; t->state == LINK_UP && n < 256; n++) {
        ward_msg m;
        int r = ward_client_recv(t->c, &m, NULL, NULL, 0);
        if (r < 0) {
            lost(t);
            return;
        }
        if (r == 0)
            return;
        dispatch(t, &m);
        ward_msg_free(&m);
    }
}

void link_ring_readable(struct top *t)
{
    if (!t->rd)
        return;
    ward_ring_eventfd_drain(t->efd);
    ward_event ev;
    uint64_t lost_n = 0;
    while (ward_ring_read(t->rd, &ev, &lost_n) > 0) {
        t->events_lost += lost_n;
        lost_n = 0;
        model_event(t, &ev);
        t->dirty = true;
    }
}
