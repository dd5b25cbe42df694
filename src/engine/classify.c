/*
 * classify.c — one classification: every sublayer of the request's layer,
 * highest weight first, each giving at most one result, arbitrated as in
 * the Windows Filtering Platform (docs/ENGINE.md has the table):
 *
 *   - within a sublayer, matching filters from the highest weight down; the
 *     first permit or block decides, a callout saying "continue" passes on;
 *   - across sublayers, block overrides permit;
 *   - a hard permit is overturned only by a callout's veto;
 *   - a soft block is overridden by a permit from a lower sublayer;
 *   - a hard block is final: nothing below it is evaluated.
 *   - defer (ask) and need-more-data hold the traffic: they override a soft
 *     permit, and only a block overrides them.
 *
 * The applications sublayer follows the classic personal firewall's decision
 * order (steps 1-5, docs/DESIGN.md) instead of weighted filters.
 */
#include "engine/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct result {
    bool has;
    enum ward_verdict v;
    bool hard, veto;
    enum ward_reason reason;
    uint64_t id;
    uint32_t provider;
    struct filter *once_filter; /* consumed if this result stands */
    struct app_rule *once_rule;
};

struct run {
    ward_engine *e;
    const ward_request *r;
    uint64_t app_hash; /* the program path's, hashed once */
    ward_trace *t;
    bool linear;
    char buf[1024];
};

static bool is_block(enum ward_verdict v)
{
    return v == WARD_V_BLOCK || v == WARD_V_DROP_CONNECTION;
}

static bool is_hold(enum ward_verdict v)
{
    return v == WARD_V_DEFER || v == WARD_V_NEED_MORE_DATA;
}

static const char *hardness(bool hard)
{
    return hard ? "hard" : "soft";
}

/* ---- Weighted filters ---------------------------------------------------- */

static void filter_label(const struct filter *f, char *buf, size_t len)
{
    snprintf(buf, len, "filter %llu%s%s%s weight %u%s%s", (unsigned long long)f->id,
             f->def.name ? " \"" : "", f->def.name ? f->def.name : "", f->def.name ? "\"" : "",
             f->def.weight, f->def.origin ? " at " : "", f->def.origin ? f->def.origin : "");
}

/* What a matching filter says; false when it passes on (callout: continue). */
static bool filter_act(struct run *run, const struct sublayer *s, struct filter *f,
                       struct result *res)
{
    *res = (struct result){.has = true,
                           .hard = f->def.hard,
                           .id = f->id,
                           .provider = f->def.provider,
                           .reason = WARD_R_FILTER};
    const char *what = "";
    char label[512];
    if (f->def.action == WARD_ACT_PERMIT) {
        res->v = WARD_V_PERMIT;
    } else if (f->def.action == WARD_ACT_BLOCK) {
        res->v = WARD_V_BLOCK;
    } else {
        const struct callout *c = engine_callout(run->e, f->def.callout);
        if (!c) {
            /* WFP: a filter whose callout is not registered acts as block. */
            res->v = WARD_V_BLOCK;
            res->reason = WARD_R_CALLOUT_MISSING;
            what = " (callout not registered)";
        } else {
            ward_callout_result cr = c->fn(run->r, c->ctx);
            res->reason = WARD_R_CALLOUT;
            if (cr.verdict == WARD_V_CONTINUE) {
                if (run->t) {
                    filter_label(f, label, sizeof(label));
                    trace_add(run->t,
                              &(ward_trace_step){.kind = WARD_STEP_FILTER,
                                                 .outcome = WARD_OUT_CONTINUE,
                                                 .sublayer = s->id,
                                                 .id = f->id,
                                                 .verdict = WARD_V_CONTINUE},
                              "%s: matches; callout %s says continue", label, f->def.callout);
                }
                return false;
            }
            if ((unsigned)cr.verdict > WARD_V_DROP_CONNECTION)
                cr.verdict = WARD_V_BLOCK; /* a callout's nonsense is not a permit */
            res->v = cr.verdict;
            res->veto = cr.veto && is_block(cr.verdict);
            res->hard = f->def.hard || res->veto || cr.verdict == WARD_V_DROP_CONNECTION;
            what = res->veto ? " (callout veto)" : " (callout)";
        }
    }
    if (f->def.lifetime.kind == WARD_LIFE_ONCE)
        res->once_filter = f;
    if (run->t) {
        filter_label(f, label, sizeof(label));
        trace_add(run->t,
                  &(ward_trace_step){.kind = WARD_STEP_FILTER,
                                     .outcome = WARD_OUT_MATCH,
                                     .sublayer = s->id,
                                     .id = f->id,
                                     .verdict = res->v,
                                     .hard = res->hard},
                  "%s: matches: %s (%s)%s", label, ward_verdict_name(res->v), hardness(res->hard),
                  what);
    }
    return true;
}

static void eval_filters(struct run *run, const struct sublayer *s, struct result *res)
{
    const struct filter_set *set = &s->sets[run->r->layer];
    *res = (struct result){0};
    if (run->linear || run->t) {
        for (size_t i = 0; i < set->n; i++) {
            struct filter *f = set->sorted[i];
            const ward_cond *failed = NULL;
            char label[512];
            if (lifetime_skips(&f->def.lifetime, run->r)) {
                if (run->t) {
                    filter_label(f, label, sizeof(label));
                    trace_add(run->t,
                              &(ward_trace_step){.kind = WARD_STEP_FILTER,
                                                 .outcome = WARD_OUT_EXPIRED,
                                                 .sublayer = s->id,
                                                 .id = f->id},
                              "%s: expired", label);
                }
                continue;
            }
            if (!filter_matches(run->e, f, run->r, &failed)) {
                if (run->t) {
                    filter_label(f, label, sizeof(label));
                    describe_cond_failure(run->e, failed, run->r, run->buf, sizeof(run->buf));
                    trace_add(run->t,
                              &(ward_trace_step){.kind = WARD_STEP_FILTER,
                                                 .outcome = WARD_OUT_NO_MATCH,
                                                 .sublayer = s->id,
                                                 .id = f->id,
                                                 .field = failed->field},
                              "%s: no match: %s", label, run->buf);
                }
                continue;
            }
            if (filter_act(run, s, f, res))
                return;
        }
        *res = (struct result){0};
        return;
    }
    uint64_t after = 0;
    struct filter *f;
    while ((f = filter_set_next(run->e, set, run->r, run->app_hash, after))) {
        after = f->prio;
        if (lifetime_skips(&f->def.lifetime, run->r))
            continue;
        if (filter_act(run, s, f, res))
            return;
    }
    *res = (struct result){0};
}

/* ---- The classic per-program application rules --------------------------- */

static void check_step(struct run *run, uint32_t sub, enum ward_reason reason, bool decided,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void check_step(struct run *run, uint32_t sub, enum ward_reason reason, bool decided,
                       const char *fmt, ...)
{
    if (!run->t)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->buf, sizeof(run->buf), fmt, ap);
    va_end(ap);
    trace_add(run->t,
              &(ward_trace_step){.kind = WARD_STEP_CHECK,
                                 .outcome = decided ? WARD_OUT_MATCH : WARD_OUT_PASSED,
                                 .sublayer = sub,
                                 .reason = reason},
              "check %s: %s", ward_reason_name(reason), run->buf);
}

static bool ports_have(const ward_app_rule *d, uint16_t port)
{
    if (d->n_ports == 0)
        return true;
    for (size_t i = 0; i < d->n_ports; i++)
        if (port >= d->ports[i].lo && port <= d->ports[i].hi)
            return true;
    return false;
}

/* The first check of the classic order (direction, protocol, port, time
 * window, network type; then addresses and domains) that fails, or NULL. */
/* The checks of an application rule, in the classic order. */
enum app_check {
    CHECK_NONE,
    CHECK_DIRECTION,
    CHECK_PROTOCOL,
    CHECK_PORT,
    CHECK_TIME,
    CHECK_NETWORK,
    CHECK_ADDRESS,
    CHECK_DOMAIN,
    CHECK_USER,
    CHECK_PARENT,
};

/* Whether one of the process's ancestors runs a program the rule names. */
static bool parents_hold(const ward_app_rule *d, const ward_app_ctx *app)
{
    for (size_t i = 0; i < d->n_parents; i++)
        for (size_t j = 0; j < app->n_ancestors; j++)
            if (app->ancestors[j] && path_matches(d->parents[i], app->ancestors[j]))
                return true;
    return false;
}

/* The first check (direction, protocol, port, time window, network type;
 * then addresses, domains and users) that fails, or CHECK_NONE. */
static enum app_check app_rule_fails(const ward_engine *e, const ward_app_rule *d,
                                     const ward_request *r)
{
    if (d->dir != WARD_DIR_ANY && d->dir != r->dir)
        return CHECK_DIRECTION;
    if (d->proto && d->proto != r->proto)
        return CHECK_PROTOCOL;
    if (!ports_have(d, r->dir == WARD_DIR_IN ? r->lport : r->rport))
        return CHECK_PORT;
    if (d->n_times) {
        size_t i = 0;
        while (i < d->n_times && !time_window_holds(&d->times[i], r->wday, r->minute))
            i++;
        if (i == d->n_times)
            return CHECK_TIME;
    }
    if (d->n_zones) {
        size_t i = 0;
        while (i < d->n_zones && !zone_contains(e, d->zones[i], &r->remote))
            i++;
        if (i == d->n_zones)
            return CHECK_NETWORK;
    }
    if (d->n_addrs) {
        size_t i = 0;
        while (i < d->n_addrs && !ward_cidr_contains(&d->addrs[i], &r->remote))
            i++;
        if (i == d->n_addrs)
            return CHECK_ADDRESS;
    }
    if (d->n_domains) {
        size_t i = 0;
        while (r->domain && i < d->n_domains && !domain_matches(d->domains[i], r->domain))
            i++;
        if (!r->domain || i == d->n_domains)
            return CHECK_DOMAIN;
    }
    if (d->n_users) {
        size_t i = 0;
        while (r->has_user && i < d->n_users &&
               (r->uid < d->users[i].lo || r->uid > d->users[i].hi))
            i++;
        if (!r->has_user || i == d->n_users)
            return CHECK_USER;
    }
    if (d->n_parents && !parents_hold(d, &r->app))
        return CHECK_PARENT;
    return CHECK_NONE;
}

/* The failed check with the connection's value, for the trace: "port is 8080". */
static void describe_check(enum app_check c, const ward_request *r, char *buf, size_t len)
{
    static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    char ip[WARD_IP_STRLEN];
    switch (c) {
    case CHECK_DIRECTION:
        snprintf(buf, len, "direction is %s", r->dir == WARD_DIR_IN ? "in" : "out");
        break;
    case CHECK_PROTOCOL:
        snprintf(buf, len, "protocol is %u", r->proto);
        break;
    case CHECK_PORT:
        snprintf(buf, len, "port is %u", (unsigned)(r->dir == WARD_DIR_IN ? r->lport : r->rport));
        break;
    case CHECK_TIME:
        snprintf(buf, len, "time %s %02u:%02u is outside the window",
                 r->wday < 7 ? days[r->wday] : "?", r->minute / 60u, r->minute % 60u);
        break;
    case CHECK_NETWORK:
    case CHECK_ADDRESS:
        snprintf(buf, len, "%s %s is not in the rule's",
                 c == CHECK_NETWORK ? "network type" : "remote address",
                 ward_ip_format(&r->remote, ip, sizeof(ip)));
        break;
    case CHECK_DOMAIN:
        if (r->domain)
            snprintf(buf, len, "domain %s is not the rule's", r->domain);
        else
            snprintf(buf, len, "domain (unknown)");
        break;
    case CHECK_USER:
        if (r->has_user)
            snprintf(buf, len, "user %u is not the rule's", r->uid);
        else
            snprintf(buf, len, "user (unknown)");
        break;
    case CHECK_PARENT:
        if (r->app.n_ancestors)
            snprintf(buf, len, "no ancestor is the rule's parent (parent %s)",
                     r->app.ancestors[0] ? r->app.ancestors[0] : "?");
        else
            snprintf(buf, len, "parent (unknown)");
        break;
    case CHECK_NONE:
        buf[0] = '\0';
    }
}

static bool app_layer(enum ward_layer l)
{
    return l == WARD_LAYER_CONNECT_OUT || l == WARD_LAYER_ACCEPT_IN;
}

static void app_result(struct result *res, enum ward_verdict v, enum ward_reason reason)
{
    *res = (struct result){.has = true, .v = v, .reason = reason};
}

static void eval_apps_(struct run *run, const struct sublayer *s, struct result *res);

/* The decision order, then: a question nobody can answer gets the
 * no-prompter outcome (with WARD_NP_ALL step 1 already blocked). */
static void eval_apps(struct run *run, const struct sublayer *s, struct result *res)
{
    eval_apps_(run, s, res);
    /* Self traffic the rules leave open is never asked: it passes, as
     * with "self-traffic pass". */
    if (res->has && res->v == WARD_V_DEFER && app_layer(run->r->layer) && run->r->app.path &&
        (ip_is_self(run->e, &run->r->remote) ||
         zone_contains(run->e, "loopback", &run->r->remote))) {
        app_result(res, WARD_V_PERMIT, WARD_R_SELF);
        check_step(run, s->id, WARD_R_SELF, true,
                   "the remote address is this host and no rule decides: permit");
        return;
    }
    if (res->has && res->v == WARD_V_DEFER && !run->e->prompter) {
        res->v = run->e->settings.no_prompter;
        res->reason = WARD_R_NO_PROMPTER;
        check_step(run, s->id, WARD_R_NO_PROMPTER, true, "nobody to ask: %s",
                   ward_verdict_name(res->v));
    }
}

static void eval_apps_(struct run *run, const struct sublayer *s, struct result *res)
{
    const ward_engine *e = run->e;
    const ward_request *r = run->r;
    *res = (struct result){0};
    if (!app_layer(r->layer))
        return;
    /* 1: nobody to ask, and the host blocks everything then. */
    if (!e->prompter && e->settings.no_prompter_scope == WARD_NP_ALL) {
        app_result(res, e->settings.no_prompter, WARD_R_NO_PROMPTER);
        check_step(run, s->id, WARD_R_NO_PROMPTER, true, "no prompter is running: %s",
                   ward_verdict_name(res->v));
        return;
    }
    if (e->prompter)
        check_step(run, s->id, WARD_R_NO_PROMPTER, false, "a prompter is running");
    else
        check_step(run, s->id, WARD_R_NO_PROMPTER, false,
                   "no prompter is running: the rules still apply, questions get %s",
                   ward_verdict_name(e->settings.no_prompter));
    /* 2: no program to judge. */
    if (!r->app.path) {
        app_result(res, e->settings.unattributed, WARD_R_UNATTRIBUTED);
        check_step(run, s->id, WARD_R_UNATTRIBUTED, true, "the process is not attributed: %s",
                   ward_verdict_name(res->v));
        return;
    }
    check_step(run, s->id, WARD_R_UNATTRIBUTED, false, "program %s", r->app.path);
    /* 3: talking to ourselves. With "self-traffic rules" the program's own
     * rules (step 5) decide it; the work mode does not. */
    bool self = ip_is_self(e, &r->remote) || zone_contains(e, "loopback", &r->remote);
    if (self && e->settings.self_traffic == WARD_SELF_PASS) {
        app_result(res, WARD_V_PERMIT, WARD_R_SELF);
        check_step(run, s->id, WARD_R_SELF, true, "the remote address is this host: permit");
        return;
    }
    if (self)
        check_step(run, s->id, WARD_R_SELF, false,
                   "the remote address is this host: the program's rules decide (self-traffic "
                   "rules)");
    else
        check_step(run, s->id, WARD_R_SELF, false, "the remote address is not this host");
    /* 4: work mode. */
    if (e->settings.mode != WARD_MODE_ASK && !self) {
        bool allow = e->settings.mode == WARD_MODE_ALLOW_ALL;
        app_result(res, allow ? WARD_V_PERMIT : WARD_V_BLOCK, WARD_R_MODE);
        check_step(run, s->id, WARD_R_MODE, true, "work mode %s", ward_mode_name(e->settings.mode));
        return;
    }
    check_step(run, s->id, WARD_R_MODE, false, "work mode ask");
    /* 5: the program's own rules. */
    const struct app *a = strmap_get_hashed(&e->apps_by_path, r->app.path, run->app_hash);
    if (a && a->pinned && (!r->app.sha256 || memcmp(r->app.sha256->b, a->pin.b, 32) != 0)) {
        app_result(res, WARD_V_DEFER, WARD_R_APP_PIN);
        check_step(run, s->id, WARD_R_APP_PIN, true, "%s: %s: ask", r->app.path,
                   r->app.sha256 ? "the binary differs from its SHA-256 pin"
                                 : "SHA-256 not known yet, the pin cannot be checked");
        return;
    }
    const struct app_rule *last = NULL;
    for (size_t i = 0; a && i < a->n_rules; i++) {
        struct app_rule *rule = a->rules[i];
        if (lifetime_skips(&rule->def.lifetime, r)) {
            if (run->t)
                trace_add(run->t,
                          &(ward_trace_step){.kind = WARD_STEP_APP_RULE,
                                             .outcome = WARD_OUT_EXPIRED,
                                             .sublayer = s->id,
                                             .id = rule->id},
                          "rule %llu of %s: %s", (unsigned long long)rule->id, a->path,
                          rule->def.lifetime.kind == WARD_LIFE_UNTIL_EXIT
                              ? "for another process (until it exits)"
                              : "expired");
            continue;
        }
        last = rule;
        enum app_check fails = app_rule_fails(e, &rule->def, r);
        enum ward_verdict v = rule->def.action == WARD_ACT_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
        if (run->t) {
            char what[512], why[256];
            describe_app_rule(&rule->def, what, sizeof(what));
            describe_check(fails, r, why, sizeof(why));
            trace_add(run->t,
                      &(ward_trace_step){.kind = WARD_STEP_APP_RULE,
                                         .outcome = fails ? WARD_OUT_NO_MATCH : WARD_OUT_MATCH,
                                         .sublayer = s->id,
                                         .id = rule->id,
                                         .verdict = v},
                      "rule %llu of %s \"%s\"%s%s: %s%s", (unsigned long long)rule->id, a->path,
                      what, rule->origin ? " at " : "", rule->origin ? rule->origin : "",
                      fails ? "no match: " : "matches: ", fails ? why : ward_verdict_name(v));
        }
        if (!fails) {
            app_result(res, v, WARD_R_APP_RULE);
            res->id = rule->id;
            res->provider = rule->def.provider;
            if (rule->def.lifetime.kind == WARD_LIFE_ONCE)
                res->once_rule = rule;
            return;
        }
    }
    if (!last) {
        app_result(res, WARD_V_DEFER, WARD_R_APP_UNKNOWN);
        check_step(run, s->id, WARD_R_APP_UNKNOWN, true, "%s has no rules: ask the user",
                   r->app.path);
        return;
    }
    /* Rules are exceptions to the program's default: classically the
     * opposite of the last rule; or the fallback the program was given. */
    enum ward_verdict v;
    switch (a->fallback) {
    case WARD_FALLBACK_ASK:
        v = WARD_V_DEFER;
        break;
    case WARD_FALLBACK_PERMIT:
        v = WARD_V_PERMIT;
        break;
    case WARD_FALLBACK_BLOCK:
        v = WARD_V_BLOCK;
        break;
    default:
        v = last->def.action == WARD_ACT_PERMIT ? WARD_V_BLOCK : WARD_V_PERMIT;
    }
    app_result(res, v, WARD_R_APP_FALLBACK);
    res->id = last->id;
    res->provider = last->def.provider;
    if (a->fallback == WARD_FALLBACK_OPPOSITE)
        check_step(run, s->id, WARD_R_APP_FALLBACK, true,
                   "no rule matched: the opposite of the last rule's action: %s",
                   ward_verdict_name(v));
    else
        check_step(run, s->id, WARD_R_APP_FALLBACK, true,
                   "no rule matched: the program's fallback (%s): %s",
                   ward_app_fallback_name(a->fallback), ward_verdict_name(v));
}

/* ---- Arbitration --------------------------------------------------------- */

struct arbiter {
    struct result cur;
    bool final;
    size_t cur_step; /* trace index of the sublayer step that set cur */
    uint32_t cur_sub;
};

/* Whether a lower sublayer's result r replaces the current decision. */
static bool overrides(const struct result *cur, const struct result *r)
{
    if (!cur->has)
        return true;
    if (cur->v == WARD_V_PERMIT && cur->hard)
        return r->veto;
    if (cur->v == WARD_V_PERMIT)
        return is_block(r->v) || is_hold(r->v) || r->hard;
    if (is_hold(cur->v))
        return is_block(r->v);
    /* a soft block */
    return r->v == WARD_V_PERMIT || (is_block(r->v) && r->hard);
}

static void sublayer_step(struct run *run, const struct sublayer *s, const struct result *r,
                          enum ward_step_outcome out, const char *why)
{
    if (!run->t)
        return;
    if (!r->has) {
        trace_add(run->t,
                  &(ward_trace_step){
                      .kind = WARD_STEP_SUBLAYER, .outcome = WARD_OUT_PASSED, .sublayer = s->id},
                  "no decision in this sublayer");
        return;
    }
    trace_add(run->t,
              &(ward_trace_step){.kind = WARD_STEP_SUBLAYER,
                                 .outcome = out,
                                 .sublayer = s->id,
                                 .id = r->id,
                                 .verdict = r->v,
                                 .hard = r->hard,
                                 .reason = r->reason},
              "sublayer says %s (%s): %s", ward_verdict_name(r->v), hardness(r->hard), why);
}

static void arbitrate(struct run *run, struct arbiter *a, const struct sublayer *s,
                      const struct result *r)
{
    if (!r->has) {
        sublayer_step(run, s, r, WARD_OUT_PASSED, "");
        return;
    }
    if (!overrides(&a->cur, r)) {
        const char *why = a->cur.v == WARD_V_PERMIT && a->cur.hard
                              ? "ignored: a higher sublayer's hard permit stands (only a "
                                "callout veto overturns it)"
                          : is_hold(a->cur.v) ? "ignored: only a block overrides a pending ask"
                          : a->cur.v == r->v  ? "ignored: a higher sublayer already said so"
                                              : "ignored: a higher sublayer's block stands";
        sublayer_step(run, s, r, WARD_OUT_IGNORED, why);
        return;
    }
    if (a->cur.has && run->t)
        trace_step_mut(run->t, a->cur_step)->outcome = WARD_OUT_OVERRIDDEN;
    const char *why = !a->cur.has                 ? "taken"
                      : r->veto                   ? "taken: a callout veto overturns the permit"
                      : a->cur.v == WARD_V_PERMIT ? "taken: block overrides permit"
                      : r->v == WARD_V_PERMIT     ? "taken: a permit overrides the soft block above"
                                                  : "taken: a hard block overrides";
    sublayer_step(run, s, r, WARD_OUT_TAKEN, why);
    a->cur = *r;
    a->cur_sub = s->id;
    if (run->t)
        a->cur_step = ward_trace_count(run->t) - 1;
    if (is_block(r->v) && r->hard)
        a->final = true;
}

/* ---- Entry --------------------------------------------------------------- */

int ward_classify(ward_engine *e, const ward_request *req, ward_decision *out, ward_trace *trace,
                  unsigned flags)
{
    if (!e || !req || !out || (unsigned)req->layer >= WARD_LAYER_COUNT)
        return WARD_E_INVAL;
    struct run run = {.e = e, .r = req, .t = trace, .linear = flags & WARD_CLASSIFY_LINEAR};
    struct arbiter arb = {0};
    if (req->app.path)
        run.app_hash = hash_str(req->app.path);
    if (trace) {
        trace_reset(trace);
        describe_request(e, req, run.buf, sizeof(run.buf));
        trace_add(trace, &(ward_trace_step){.kind = WARD_STEP_CHECK, .outcome = WARD_OUT_PASSED},
                  "request: %s", run.buf);
    }
    for (size_t i = 0; i < e->n_sublayers; i++) {
        const struct sublayer *s = e->sublayers[i];
        if (trace) {
            trace_add(trace,
                      &(ward_trace_step){.kind = WARD_STEP_SUBLAYER_START,
                                         .outcome = arb.final ? WARD_OUT_SKIPPED : WARD_OUT_PASSED,
                                         .sublayer = s->id},
                      "sublayer %s (weight 0x%04x)%s", s->name, s->weight,
                      arb.final ? ": skipped, a hard block already decided" : "");
        }
        if (arb.final)
            continue;
        struct result r;
        if (s->kind == WARD_SUBLAYER_APPLICATIONS)
            eval_apps(&run, s, &r);
        else
            eval_filters(&run, s, &r);
        arbitrate(&run, &arb, s, &r);
    }

    *out = (ward_decision){0};
    if (arb.cur.has) {
        out->verdict = arb.cur.v;
        out->reason = arb.cur.veto ? WARD_R_VETO : arb.cur.reason;
        out->hard = arb.cur.hard;
        out->filter_id = arb.cur.id;
        out->sublayer = arb.cur_sub;
        out->provider = arb.cur.provider;
    } else {
        out->verdict = e->settings.layer_default[req->layer];
        out->reason = WARD_R_DEFAULT;
    }
    if (trace) {
        const char *sub = "";
        char by[32 + WARD_MAX_NAME] = "";
        const char *prov = ward_provider_name(e, out->provider);
        if (out->filter_id)
            snprintf(by, sizeof(by), ", by #%llu of provider %s",
                     (unsigned long long)out->filter_id, prov ? prov : "?");
        for (size_t i = 0; i < e->n_sublayers; i++)
            if (e->sublayers[i]->id == out->sublayer)
                sub = e->sublayers[i]->name;
        if (out->reason == WARD_R_DEFAULT)
            trace_add(trace,
                      &(ward_trace_step){.kind = WARD_STEP_FINAL,
                                         .outcome = WARD_OUT_TAKEN,
                                         .verdict = out->verdict,
                                         .reason = out->reason},
                      "decision: %s: nothing decided, the default of layer %s",
                      ward_verdict_name(out->verdict), ward_layer_name(req->layer));
        else
            trace_add(trace,
                      &(ward_trace_step){.kind = WARD_STEP_FINAL,
                                         .outcome = WARD_OUT_TAKEN,
                                         .sublayer = out->sublayer,
                                         .id = out->filter_id,
                                         .verdict = out->verdict,
                                         .hard = out->hard,
                                         .reason = out->reason},
                      "decision: %s (%s), reason %s, in sublayer %s%s",
                      ward_verdict_name(out->verdict), hardness(out->hard),
                      ward_reason_name(out->reason), sub, by);
    }
    /* A once-only filter or rule that decided is used up. */
    if (arb.cur.once_filter)
        ward_filter_remove(e, arb.cur.once_filter->id);
    if (arb.cur.once_rule)
        ward_app_rule_remove(e, arb.cur.once_rule->id);

    e->stats.classified++;
    e->stats.by_verdict[out->verdict]++;
    e->stats.by_reason[out->reason]++;
    return 0;
}
