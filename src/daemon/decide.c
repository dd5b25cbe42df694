/*
 * decide.c — one undecided connection from the kernel's queue: attribute
 * it to a process and program, ask the engine, answer the kernel at once or
 * hold it on a prompt; publish every decision to the event ring and the log.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "daemon/journal.h"

#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* What a connection waiting on a prompt needs to be answered later. */
struct waiter {
    uint32_t queue_id; /* the kernel's packet id */
    bool in_kernel;    /* false: a connection described over the protocol or the shim */
    uint32_t pid, uid;
    uint64_t shim_id; /* a shim's question waiting for the answer (shim.c); 0: none */
    uint8_t via;      /* enum ward_via: which layer asked */
};

void wardd_request_fill_time(ward_request *r, int64_t now_s)
{
    time_t t = (time_t)now_s;
    struct tm tm;
    localtime_r(&t, &tm);
    r->now = now_s;
    r->wday = (uint8_t)tm.tm_wday;
    r->minute = (uint16_t)(tm.tm_hour * 60 + tm.tm_min);
}

static void event_from(ward_event *ev, const ward_request *r, uint32_t pid, uint32_t uid)
{
    wardd_event_new(ev, WARD_EVENT_DECISION);
    ev->pid = pid;
    ev->uid = uid;
    ev->proto = r->proto;
    ev->direction = (uint8_t)r->dir;
    ev->layer = (uint8_t)r->layer;
    ev->lport = r->lport;
    ev->rport = r->rport;
    ev->local = r->local;
    ev->remote = r->remote;
    WARD_EVENT_SET(ev, exe, r->app.path);
    WARD_EVENT_SET(ev, cmdline, r->app.cmdline);
    WARD_EVENT_SET(ev, domain, r->domain);
    ev->name_src = r->domain ? r->domain_src : WARD_NAME_NONE;
    ward_event_set_parents(ev, r->app.ancestors, r->app.n_ancestors);
}

void wardd_event_fill(struct wardd *d, ward_event *ev, const ward_request *r,
                      const ward_decision *dec, uint32_t pid, uint32_t uid, const char *by)
{
    event_from(ev, r, pid, uid);
    ev->encdns = (uint8_t)ward_encrypted_dns(d->engine, r);
    ev->verdict = (uint8_t)dec->verdict;
    ev->reason = (uint8_t)dec->reason;
    ev->filter_id = dec->filter_id;
    ward_filter_def f;
    if (by)
        WARD_EVENT_SET(ev, filter, by);
    else if (dec->filter_id && ward_filter_get(d->engine, dec->filter_id, &f) == 0 && f.name)
        WARD_EVENT_SET(ev, filter, f.name);
    else
        WARD_EVENT_SET(ev, filter, ward_reason_name(dec->reason));
}

void wardd_publish(struct wardd *d, const ward_request *r, const ward_decision *dec, uint32_t pid,
                   uint32_t uid, const char *by)
{
    wardd_publish_via(d, r, dec, pid, uid, by, WARD_VIA_KERNEL);
}

void wardd_publish_via(struct wardd *d, const ward_request *r, const ward_decision *dec,
                       uint32_t pid, uint32_t uid, const char *by, uint8_t via)
{
    ward_event ev;
    wardd_event_fill(d, &ev, r, dec, pid, uid, by);
    ev.via = via;
    wardd_emit(d, &ev);
    d->decisions++;
    /* An attack shows as inbound traffic refused: scans and floods. */
    if (r->dir == WARD_DIR_IN && ev.verdict != WARD_V_PERMIT && d->alerts) {
        ward_event alerts[3];
        size_t n = ward_alert_feed(d->alerts, &ev, alerts, 3);
        for (size_t i = 0; i < n; i++) {
            char from[WARD_IP_STRLEN];
            wardd_log(LOG_WARNING, "alert: %s from %s (%u)", alerts[i].filter,
                      ward_ip_format(&alerts[i].remote, from, sizeof(from)), alerts[i].count);
            wardd_emit(d, &alerts[i]);
        }
    }
}

static uint8_t kernel_verdict(enum ward_verdict v)
{
    return v == WARD_V_PERMIT ? WARD_KV_ALLOW : WARD_KV_DENY;
}

static const ward_proc *attribute(struct wardd *d, const ward_kqueued *q)
{
    return q->attributed ? wardd_attribute(d, q->pid, q->exe) : NULL;
}

/* The values of a request that live outside it. */
struct req_values {
    char name[PATH_MAX + 64];
    char iface[IF_NAMESIZE];
    char cgroup[PATH_MAX];
    ward_sha256 sha;
};

/* The interface a packet used, by name in wardd's network namespace (the
 * queue's); computed only for layers whose filters ask for it. */
static const char *iface_of(const struct wardd *d, enum ward_layer layer, uint32_t ifindex,
                            char *buf)
{
    if (!ifindex || !ward_engine_uses_field(d->engine, layer, WARD_F_IFACE))
        return NULL;
    return if_indextoname(ifindex, buf);
}

/* What a filter may ask of the process beyond its program: its cgroup
 * (read fresh: processes move) and its executable's digest (cached per
 * binary), each only when a filter of the layer uses it. */
static void process_values(struct wardd *d, ward_request *r, const ward_proc *p,
                           struct req_values *v)
{
    if (ward_engine_uses_field(d->engine, r->layer, WARD_F_CGROUP) &&
        proctab_cgroup(d->procs, p, v->cgroup, sizeof(v->cgroup)) == 0)
        r->cgroup = v->cgroup;
    /* A digest of a file that is not the one at the path would match a
     * pin or a filter on behalf of a program it is not. */
    if (!r->app.unverified && ward_engine_uses_field(d->engine, r->layer, WARD_F_APP_SHA256) &&
        proctab_sha256(d->procs, p, &v->sha) == 0)
        r->app.sha256 = &v->sha;
}

static void request_from_queue(struct wardd *d, ward_request *r, const ward_kqueued *q,
                               const ward_proc *p, struct req_values *v)
{
    memset(r, 0, sizeof(*r));
    bool in = q->dir == WARD_KDIR_IN;
    r->layer = in ? WARD_LAYER_ACCEPT_IN : WARD_LAYER_CONNECT_OUT;
    r->dir = in ? WARD_DIR_IN : WARD_DIR_OUT;
    r->proto = q->proto;
    r->local = q->local;
    r->remote = q->remote;
    r->lport = q->lport;
    r->rport = q->rport;
    /* The name a trusted DNS answer gave this address, before the connect. */
    r->domain = q->domain[0] ? q->domain : NULL;
    r->domain_src = r->domain ? q->domain_src : WARD_NAME_NONE;
    r->iface = iface_of(d, r->layer, q->ifindex, v->iface);
    if (p) {
        r->app.path = wardd_program_name(d, p, &r->app.unverified, v->name, sizeof(v->name));
        wardd_traffic_name(d, p->id, r->app.path); /* its sockets may outlive the process */
        r->app.exe = p->id;
        r->app.pid = p->pid;
        r->app.start_time = p->start_time;
        r->app.cmdline = p->cmdline;
        r->app.ancestors = (const char *const *)p->ancestors;
        r->app.n_ancestors = p->n_ancestors;
        r->has_user = true;
        r->uid = q->uid;
        r->gid = p->gid;
        process_values(d, r, p, v);
    }
    wardd_request_fill_time(r, (int64_t)time(NULL));
}

struct push_ctx {
    const ward_msg *m; /* NULL: only count */
    uint32_t uid;      /* the asking process's owner */
    size_t sent;
};

/* Prompters see only the prompts they may answer: admins all of them,
 * others those about their own processes. */
static void push_to_prompter(ward_conn *c, void *ctx)
{
    const struct wardd_client *cl = ward_conn_data(c);
    struct push_ctx *pc = ctx;
    if (!cl || !cl->prompter || !ward_proto_may_answer(ward_conn_peer(c), pc->uid))
        return;
    pc->sent++;
    if (pc->m)
        ward_conn_send(c, pc->m, NULL, 0);
}

static uint32_t prompt_uid(const ward_prompt *p)
{
    return p->req.has_user ? p->req.uid : WARD_UID_UNKNOWN;
}

bool wardd_prompter_for(struct wardd *d, uint32_t uid)
{
    struct push_ctx pc = {NULL, uid, 0};
    ward_server_foreach(d->server, push_to_prompter, &pc);
    return pc.sent > 0;
}

/* The pin of the program a request names, or NULL when it is not pinned. */
static const ward_sha256 *pin_of(const struct wardd *d, const char *path, uint64_t *app_id)
{
    int64_t app = path ? ward_app_find(d->engine, path) : -1;
    ward_app_info info = {0};
    if (app > 0 && ward_app_get(d->engine, (uint64_t)app, &info) == 0) {
        if (app_id)
            *app_id = info.id;
        return info.pin;
    }
    return NULL;
}

/* Whether a prompt is about a pinned program whose binary is not the one
 * pinned (or whose digest is not known). */
static bool pin_question(const struct wardd *d, const ward_request *r)
{
    const ward_sha256 *pin = pin_of(d, r->app.path, NULL);
    return pin && (!r->app.sha256 || memcmp(r->app.sha256->b, pin->b, sizeof(pin->b)) != 0);
}

void wardd_push_prompt(struct wardd *d, const ward_prompt *p, ward_conn *only)
{
    ward_msg m = {.type = WARD_MSG_PROMPT};
    m.u.prompt.prompt_id = p->id;
    int64_t left = (p->deadline_ms - wardd_now_ms()) / 1000;
    m.u.prompt.timeout_s = left > 0 ? (uint32_t)left : 0;
    event_from(&m.u.prompt.conn, &p->req, p->pid, p->req.has_user ? p->req.uid : WARD_UID_UNKNOWN);
    m.u.prompt.conn.verdict = WARD_V_DEFER;
    /* What the question is: the prompter says so (an allow re-pins). */
    m.u.prompt.conn.reason = pin_question(d, &p->req) ? WARD_R_APP_PIN : WARD_R_APP_UNKNOWN;
    char av[160];
    m.u.prompt.av = (char *)wardd_av_finding(d, p->req.app.exe, av, sizeof(av));
    if (only) {
        ward_conn_send(only, &m, NULL, 0);
        return;
    }
    struct push_ctx pc = {&m, prompt_uid(p), 0};
    ward_server_foreach(d->server, push_to_prompter, &pc);
}

static void push_closed(struct wardd *d, uint64_t id, uint32_t uid, enum ward_verdict v,
                        const char *by)
{
    ward_msg m = {.type = WARD_MSG_PROMPT_CLOSED};
    m.u.prompt_closed.prompt_id = id;
    m.u.prompt_closed.verdict = v;
    m.u.prompt_closed.by = (char *)by;
    struct push_ctx pc = {&m, uid, 0};
    ward_server_foreach(d->server, push_to_prompter, &pc);
}

/* A name only the program vouches for (its shim) may make the decision
 * stricter, never more lenient: when it would permit what the connection
 * without it would not, the decision without it stands. */
static void classify_claim(struct wardd *d, ward_request *r, const char *claim, ward_decision *dec)
{
    ward_classify(d->engine, r, dec, NULL, 0);
    if (!claim || (r->domain && !strcmp(r->domain, claim)))
        return;
    ward_decision with;
    const char *known = r->domain;
    uint8_t known_src = r->domain_src;
    r->domain = claim;
    r->domain_src = WARD_NAME_SHIM;
    ward_classify(d->engine, r, &with, NULL, 0);
    if (with.verdict != WARD_V_PERMIT || dec->verdict == WARD_V_PERMIT) {
        *dec = with; /* the name decides (and is logged) */
    } else {
        r->domain = known;
        r->domain_src = known_src;
    }
}

/* The one decision of a connection, from the queue or from a shim: answered
 * now (WARD_KV_ALLOW, WARD_KV_DENY) or held on a prompt (WARD_KV_ASK, and
 * the asker `as` names is answered when it closes). */
int wardd_decide(struct wardd *d, const ward_kqueued *q, const char *claim,
                 const struct wardd_asker *as)
{
    const ward_proc *p = attribute(d, q);
    ward_request r;
    struct req_values v;
    request_from_queue(d, &r, q, p, &v);
    ward_decision dec;
    uint32_t uid = r.has_user ? r.uid : WARD_UID_UNKNOWN;
    /* An infected binary is denied whatever the rules say, whoever asks. */
    char found[128], by[WARD_EVENT_NAME_MAX];
    switch (wardd_av_check(d, q, claim, as, p, found, sizeof(found))) {
    case WARDD_AV_HOLD:
        return WARD_KV_ASK;
    case WARDD_AV_DENY:
        dec = (ward_decision){.verdict = WARD_V_BLOCK, .reason = WARD_R_FILTER};
        snprintf(by, sizeof(by), "av: %.59s", found);
        wardd_publish_via(d, &r, &dec, q->pid, uid, by, as->via);
        return WARD_KV_DENY;
    case WARDD_AV_GO:
        break;
    }
    classify_claim(d, &r, claim, &dec);
    /* A pinned program: its digest is computed once per binary, then
     * cached. With nobody to ask, the pin question was answered by the
     * no-prompter outcome before the digest was known: ask again with it. */
    bool pin_asked = dec.reason == WARD_R_APP_PIN ||
                     (dec.reason == WARD_R_NO_PROMPTER && pin_of(d, r.app.path, NULL));
    if (pin_asked && p && !r.app.unverified && !r.app.sha256 &&
        proctab_sha256(d->procs, p, &v.sha) == 0) {
        r.app.sha256 = &v.sha;
        ward_classify(d->engine, &r, &dec, NULL, 0);
    }
    /* A process tampered with, under `set on-tamper suspend`: what its
     * rules allow is asked again. */
    if (dec.verdict == WARD_V_PERMIT && p && wardd_tamper_is_suspended(d, p->pid, p->start_time)) {
        dec.verdict = WARD_V_DEFER;
        dec.reason = WARD_R_APP_UNKNOWN;
    }
    /* A callout wanting the payload: the flow goes to the stream layer,
     * which logs its end; anything else gets the policy's callout-failure
     * outcome (nobody is asked about it). */
    if (dec.verdict == WARD_V_NEED_MORE_DATA && as->via == WARD_VIA_SHIM)
        return WARD_KV_NONE; /* the payload goes to callouts from the queue: it decides */
    if (dec.verdict == WARD_V_NEED_MORE_DATA && !q->no_stream && wardd_stream_watch(d, &r, &dec))
        return WARD_KV_STREAM;
    if (dec.verdict == WARD_V_NEED_MORE_DATA)
        dec.verdict = d->extras.callout_failure == WARD_V_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
    /* Decided by the kernel layer already: only a refusal is news. */
    if (as->refusals_only && dec.verdict != WARD_V_BLOCK && dec.verdict != WARD_V_DROP_CONNECTION)
        return WARD_KV_NONE;
    if (dec.verdict != WARD_V_DEFER) {
        wardd_publish_via(d, &r, &dec, q->pid, uid, NULL, as->via);
        return kernel_verdict(dec.verdict);
    }
    if (!wardd_prompter_for(d, uid)) {
        /* Prompters are registered, but none may answer for this user. */
        ward_settings s;
        ward_engine_settings(d->engine, &s);
        dec.verdict = s.no_prompter == WARD_V_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
        dec.reason = WARD_R_NO_PROMPTER;
        wardd_publish_via(d, &r, &dec, q->pid, uid, "no-prompter", as->via);
        return kernel_verdict(dec.verdict);
    }
    struct waiter *w = malloc(sizeof(*w));
    bool is_new = false;
    const ward_prompt *pr = NULL;
    if (w) {
        *w = (struct waiter){q->id, as->via == WARD_VIA_KERNEL, q->pid, uid, as->shim_id, as->via};
        int64_t timeout_ms =
            (int64_t)(d->extras.prompt_timeout ? d->extras.prompt_timeout : 60) * 1000;
        pr = prompts_add(d->prompts, &r, q->pid, p ? p->start_time : 0, w, wardd_now_ms(),
                         timeout_ms, d->opt.max_waiting, &is_new);
    }
    if (!pr) {
        /* Too many waiting (or no memory): the timeout's answer, now. */
        free(w);
        d->prompt_overflow++;
        dec.verdict = d->extras.prompt_default == WARD_V_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
        wardd_publish_via(d, &r, &dec, q->pid, uid, "prompt-overflow", as->via);
        return kernel_verdict(dec.verdict);
    }
    if (is_new)
        wardd_push_prompt(d, pr, NULL);
    return WARD_KV_ASK;
}

int wardd_on_queued(void *ctx, const ward_kqueued *q)
{
    static const struct wardd_asker kernel = {.via = WARD_VIA_KERNEL};
    return wardd_decide(ctx, q, NULL, &kernel);
}

/* A DNS answer on its way to the application: the engine's DNS layer may
 * block the name (the application then gets no address for it). */
int wardd_on_dns(void *ctx, const ward_kdns_answer *a)
{
    struct wardd *d = ctx;
    if (!a->trusted || !a->qname)
        return WARD_KV_DENY; /* the backend drops these anyway */
    ward_request r = {
        .layer = WARD_LAYER_DNS,
        .dir = WARD_DIR_OUT,
        .proto = 17,
        .local = a->client,
        .remote = a->server,
        .lport = a->cport,
        .rport = 53,
        .domain = a->qname,
        .domain_src = a->src,
    };
    char iface[IF_NAMESIZE];
    r.iface = iface_of(d, WARD_LAYER_DNS, a->ifindex, iface);
    /* The program that asked (its query's socket), for the log. */
    char name[PATH_MAX + 64];
    const ward_proc *p = a->attributed ? wardd_attribute(d, a->pid, a->exe) : NULL;
    if (p) {
        r.app.path = wardd_program_name(d, p, &r.app.unverified, name, sizeof(name));
        r.app.exe = p->id;
        r.app.pid = p->pid;
        r.app.start_time = p->start_time;
        r.app.ancestors = (const char *const *)p->ancestors;
        r.app.n_ancestors = p->n_ancestors;
        r.has_user = true;
        r.uid = a->uid;
        r.gid = p->gid;
    }
    uint32_t uid = p ? a->uid : WARD_UID_UNKNOWN;
    wardd_request_fill_time(&r, (int64_t)time(NULL));
    /* The dns layer's data for callouts: the question and its answers. */
    ward_callout_data cd = {.qname = a->qname,
                            .qtype = a->qtype,
                            .n_answers = a->naddr,
                            .answers = (const uint8_t(*)[16])(const void *)a->addrs};
    ward_callouts_set_data(d->callouts, &cd);
    ward_decision dec;
    ward_classify(d->engine, &r, &dec, NULL, 0);
    ward_callouts_set_data(d->callouts, NULL);
    if (dec.verdict == WARD_V_PERMIT) {
        /* Logged too, repeats of the same answer folded into one counted row. */
        ward_event ev;
        wardd_event_fill(d, &ev, &r, &dec, p ? p->pid : 0, uid, NULL);
        wardd_publish_folded(d, &ev, NULL);
        d->decisions++;
        return WARD_KV_ALLOW;
    }
    wardd_publish(d, &r, &dec, p ? p->pid : 0, uid, NULL);
    /* The dnsfilter callout answers for the name (NXDOMAIN or 0.0.0.0, as
     * the policy says); other blocks drop the answer. */
    ward_filter_def f;
    if (dec.reason == WARD_R_CALLOUT && ward_filter_get(d->engine, dec.filter_id, &f) == 0 &&
        f.callout && strcmp(f.callout, ward_dnsfilter_callout.name) == 0)
        return d->extras.dnsfilter_zero ? WARD_KDNS_ZERO : WARD_KDNS_NXDOMAIN;
    return WARD_KV_DENY;
}

/* ---- Closing prompts ----------------------------------------------------- */

struct close_ctx {
    struct wardd *d;
    bool reclassify;           /* after an answer: the new rules decide */
    enum ward_verdict verdict; /* otherwise (and when still undecided) */
    const char *by;
};

static void release_waiter(void *token, const ward_request *r, void *ctx)
{
    struct close_ctx *cc = ctx;
    struct waiter *w = token;
    ward_decision dec = {.verdict = cc->verdict, .reason = WARD_R_APP_UNKNOWN};
    if (cc->reclassify) {
        ward_request again = *r;
        wardd_request_fill_time(&again, (int64_t)time(NULL));
        ward_classify(cc->d->engine, &again, &dec, NULL, 0);
        if (dec.verdict != WARD_V_PERMIT && dec.verdict != WARD_V_BLOCK &&
            dec.verdict != WARD_V_DROP_CONNECTION)
            dec.verdict = cc->verdict; /* the answer itself, for this burst */
    }
    if (w->in_kernel && cc->d->kernel)
        ward_kernel_queue_verdict(cc->d->kernel, w->queue_id, kernel_verdict(dec.verdict));
    if (w->shim_id)
        wardd_shim_answer(cc->d, w->shim_id, dec.verdict);
    wardd_publish_via(cc->d, r, &dec, w->pid, w->uid, cc->reclassify ? NULL : cc->by, w->via);
    free(w);
}

static void close_prompt(struct wardd *d, uint64_t id, bool reclassify, enum ward_verdict v,
                         const char *by)
{
    struct close_ctx cc = {d, reclassify, v, by};
    const ward_prompt *p = prompts_get(d->prompts, id);
    uint32_t uid = p ? prompt_uid(p) : WARD_UID_UNKNOWN;
    if (prompts_close(d->prompts, id, release_waiter, &cc) == 0)
        push_closed(d, id, uid, v, by);
}

/* A prompt about a pinned program whose binary changed: its rules are not
 * consulted until the digest matches, so a learned rule alone would be asked
 * about again and again. An allow vouches for the binary seen: the program
 * is pinned to its digest (written with the learned rules when the answer is
 * forever). A deny does not: the pin stays, and the answer applies to this
 * burst only. 1: re-pinned, 0: not a pin prompt, -1: apply once. */
static int repin(struct wardd *d, const ward_prompt *p, const ward_answer *a)
{
    uint64_t app = 0;
    if (!pin_of(d, p->req.app.path, &app) || !pin_question(d, &p->req))
        return 0;
    const ward_sha256 *seen = p->req.app.sha256;
    if (a->duration == WARD_DUR_ONCE)
        return -1;
    if (a->action != WARD_ACT_PERMIT || !seen) {
        wardd_log(LOG_INFO, "%s: %s: the answer applies once, the pin stays", p->req.app.path,
                  seen ? "deny of a changed binary" : "digest unknown");
        return -1;
    }
    ward_app_set_pin(d->engine, app, seen, WARD_PROVIDER_LEARNED);
    wardd_log(LOG_INFO, "%s: pinned to the digest of the binary just allowed", p->req.app.path);
    return 1;
}

/* The digest an answer with `pin` pins the program to: the binary the
 * asking process runs. 0 and *out, or -1 with err (then nothing is applied). */
static int pin_digest(struct wardd *d, const ward_prompt *p, const ward_answer *a, ward_sha256 *out,
                      char *err, size_t errlen)
{
    if (a->action != WARD_ACT_PERMIT || a->duration == WARD_DUR_ONCE) {
        snprintf(err, errlen, "a pin goes with an allow that is learned (not once)");
        return -1;
    }
    if (p->req.app.unverified || !p->req.app.path) {
        snprintf(err, errlen, "the process does not run the file at its path: nothing to pin");
        return -1;
    }
    if (p->req.app.sha256) {
        *out = *p->req.app.sha256;
        return 0;
    }
    const ward_proc *pr = proctab_lookup(d->procs, p->pid);
    if (!pr || pr->start_time != p->start_time || proctab_sha256(d->procs, pr, out) != 0) {
        snprintf(err, errlen, "cannot read the digest of the binary process %u runs", p->pid);
        return -1;
    }
    return 0;
}

int wardd_answer(struct wardd *d, uint64_t prompt_id, const ward_peer *by, const ward_answer *a,
                 bool pin_it, char *err, size_t errlen)
{
    const ward_prompt *p = prompts_get(d->prompts, prompt_id);
    if (!p) {
        snprintf(err, errlen, "no open prompt %llu (answered or timed out)",
                 (unsigned long long)prompt_id);
        return WARD_PE_NOT_FOUND;
    }
    if (by && !ward_proto_may_answer(by, prompt_uid(p))) {
        snprintf(err, errlen,
                 "prompt %llu is about another user's process: it needs its owner, root or "
                 "group ward (uid %u)",
                 (unsigned long long)prompt_id, (unsigned)by->uid);
        return WARD_PE_FORBIDDEN;
    }
    ward_sha256 digest;
    if (pin_it && pin_digest(d, p, a, &digest, err, errlen) < 0)
        return WARD_PE_FAILED;
    wardd_tamper_answered(d, p->pid, p->start_time);
    enum ward_verdict v = a->action == WARD_ACT_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
    int pin = repin(d, p, a);
    if (pin < 0)
        a = &(ward_answer){a->action, a->scope, WARD_DUR_ONCE, 0};
    if (a->duration == WARD_DUR_ONCE) {
        /* This burst only: nothing to learn. */
        close_prompt(d, prompt_id, false, v, "answer-once");
        return 0;
    }
    int64_t rule = ward_learn(d->engine, &p->req, p->pid, p->start_time, a, (int64_t)time(NULL));
    if (rule < 0) {
        snprintf(err, errlen, "cannot learn the answer: %s", ward_strerror((int)rule));
        return WARD_PE_FAILED;
    }
    int64_t app = pin_it ? ward_app_find(d->engine, p->req.app.path) : -1;
    if (app > 0) {
        /* Kept with the learned rules when the answer is forever. */
        ward_app_set_pin(d->engine, (uint64_t)app, &digest, WARD_PROVIDER_LEARNED);
        wardd_log(LOG_INFO, "%s: pinned to the digest of the binary allowed", p->req.app.path);
    }
    bool learned = a->duration == WARD_DUR_FOREVER && !p->req.app.unverified;
    if (a->duration == WARD_DUR_UNTIL_EXIT || p->req.app.unverified)
        wardd_until_exit_sweep(d); /* watch the process, or end the rule if it is gone */
    wardd_log(LOG_INFO, "learned rule %lld for %s%s", (long long)rule,
              p->req.app.path ? p->req.app.path : "?",
              p->req.app.unverified && a->duration != WARD_DUR_UNTIL_EXIT
                  ? ": for this process only, until it exits"
                  : "");
    wardd_commit(d, WARDD_CHANGED_RULES | (learned ? WARDD_CHANGED_LEARNED : 0));
    close_prompt(d, prompt_id, true, v, "answer");
    return 0;
}

void wardd_prompts_expire(struct wardd *d, int64_t now_ms)
{
    uint64_t ids[64];
    size_t n;
    enum ward_verdict v = d->extras.prompt_default == WARD_V_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
    while ((n = prompts_expired(d->prompts, now_ms, ids, 64)) > 0)
        for (size_t i = 0; i < n; i++)
            close_prompt(d, ids[i], false, v, "timeout");
}

void wardd_prompts_resolve_all(struct wardd *d, enum ward_verdict v, const char *by)
{
    const ward_prompt *p;
    while ((p = prompts_at(d->prompts, 0)))
        close_prompt(d, p->id, false, v, by);
}

void wardd_prompts_close_exe(struct wardd *d, ward_exe_id exe, enum ward_verdict v, const char *by)
{
    const ward_prompt *p;
    for (size_t i = 0; (p = prompts_at(d->prompts, i));) {
        if (p->req.app.exe.dev == exe.dev && p->req.app.exe.ino == exe.ino)
            close_prompt(d, p->id, false, v, by);
        else
            i++;
    }
}

void wardd_prompts_resolve_orphans(struct wardd *d, enum ward_verdict v, const char *by)
{
    const ward_prompt *p;
    for (size_t i = 0; (p = prompts_at(d->prompts, i));) {
        if (wardd_prompter_for(d, prompt_uid(p)))
            i++;
        else
            close_prompt(d, p->id, false, v, by);
    }
}
