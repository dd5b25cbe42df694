/*
 * draw.c — ward top's screen: a header with wardd's state, the pending
 * prompts (on every view: they come first), the current view, and a
 * status line. Redrawn whole after a change; curses sends only what differs.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "ui/top/top.h"

static const char *const view_names[VIEW_COUNT] = {"1 Programs", "2 Prompts",   "3 Rules", "4 Log",
                                                   "5 Alerts",   "6 Listening", "Program"};
static const char *const sort_names[SORT_COUNT] = {"activity", "name", "blocks", "traffic"};

static int row, cols, rows;

static void line(int attr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(int attr, const char *fmt, ...)
{
    if (row >= rows - 1)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    attron(attr);
    mvaddnstr(row, 0, buf, cols);
    attroff(attr);
    row++;
}

/* The end of a long path is what tells programs apart: "...n/wk-client". */
static const char *tail(const char *s, size_t width, char *buf, size_t len)
{
    size_t n = strlen(s);
    if (n <= width)
        return s;
    snprintf(buf, len, "...%s", s + n - (width - 3));
    return buf;
}

static const char *human(double v, char *buf, size_t len)
{
    const char *u = "KMGT";
    if (v < 1024) {
        snprintf(buf, len, "%.0fB", v);
        return buf;
    }
    int i = -1;
    while (v >= 1024 && i < 3) {
        v /= 1024;
        i++;
    }
    snprintf(buf, len, "%.1f%c", v, u[i]);
    return buf;
}

/* Eight levels per cell, as text (the terminal may not do UTF-8). */
static void spark(const struct top_prog *p, char *buf, size_t len)
{
    static const char lv[] = " .:-=+*#";
    double max = 0, v[TOP_SPARK];
    for (int i = 0; i < TOP_SPARK; i++) {
        v[i] = p->has_traffic ? p->spark_bytes[i] : (double)p->spark[i];
        if (v[i] > max)
            max = v[i];
    }
    size_t n = 0;
    for (int i = 0; i < TOP_SPARK && n + 1 < len; i++)
        buf[n++] = max > 0 && v[i] > 0 ? lv[1 + (int)(v[i] * 6 / max)] : lv[0];
    buf[n] = 0;
}

static const char *user(uint32_t uid, char *buf, size_t len)
{
    const struct passwd *pw = uid != WARD_UID_UNKNOWN ? getpwuid(uid) : NULL;
    if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else if (uid != WARD_UID_UNKNOWN)
        snprintf(buf, len, "%u", uid);
    else
        snprintf(buf, len, "?");
    return buf;
}

static void header(struct top *t)
{
    char tabs[256] = "";
    for (int v = 0; v < VIEW_DETAIL; v++) {
        strcat(tabs, v == (int)t->view ? "[" : " ");
        strcat(tabs, view_names[v]);
        strcat(tabs, v == (int)t->view ? "]" : " ");
    }
    line(A_BOLD, "ward top   %s", tabs);
    if (t->state != LINK_UP) {
        line(A_REVERSE, " wardd: not connected — reconnecting ");
    } else {
        const ward_proto_status *s = &t->status;
        line(0,
             " wardd: connected%s  mode %s  rules %llu  prompts %zu  decisions %llu  events: %s  "
             "traffic: %s",
             t->admin ? " (admin)" : " (user: own prompts and log only)",
             t->has_status ? ward_proto_mode_name(s->mode) : "?", (unsigned long long)s->app_rules,
             t->n_prompts, (unsigned long long)s->decisions,
             t->subscribed ? (t->events_lost ? "live, some lost (fell behind)" : "live")
                           : "refused (needs root or group ward)",
             traffic_state(t));
    }
}

static void prompt_line(struct top *t, size_t i, bool sel)
{
    const struct top_prompt *p = &t->prompts[i];
    const ward_event *e = &p->conn;
    char r[WARD_IP_STRLEN], proto[16], u[64];
    int64_t left = (p->deadline_ms - top_now_ms() + 999) / 1000;
    ward_policy_fmt_proto(e->proto, proto, sizeof(proto));
    line(sel ? A_REVERSE : A_BOLD,
         "%s prompt %llu  %s (pid %u, %s) %s %s%s%s%s port %u %s  %llds left%s", sel ? ">" : " ",
         (unsigned long long)p->id, e->exe[0] ? e->exe : "?", e->pid, user(e->uid, u, sizeof(u)),
         e->direction == WARD_DIR_IN ? "from" : "to", ward_ip_format(&e->remote, r, sizeof(r)),
         e->domain[0] ? " (" : "", e->domain, e->domain[0] ? ")" : "",
         e->direction == WARD_DIR_IN ? e->lport : e->rport, proto, (long long)(left > 0 ? left : 0),
         e->reason == WARD_R_APP_PIN ? "  [binary changed]" : "");
}

/* Who started the process: "chain: curl ← bash ← sshd" (full paths). */
static void chain_line(const ward_event *e)
{
    char chain[TOP_CHAIN];
    ward_event_chain(e, TOP_CHAIN_SEP, chain, sizeof(chain));
    line(0, "   chain: %s", chain);
}

static void answer_form(struct top *t)
{
    static const char *const scopes[] = {"this port", "this host", "this domain", "*.domain",
                                         "any"};
    const struct top_answer *a = &t->ans;
    char dur[32];
    switch (a->duration) {
    case WARD_DUR_ONCE:
        snprintf(dur, sizeof(dur), "once");
        break;
    case WARD_DUR_MINUTES:
        snprintf(dur, sizeof(dur), "%u minutes", a->minutes);
        break;
    case WARD_DUR_UNTIL_EXIT:
        snprintf(dur, sizeof(dur), "until the program exits");
        break;
    case WARD_DUR_UNTIL_RESTART:
        snprintf(dur, sizeof(dur), "until restart");
        break;
    default:
        snprintf(dur, sizeof(dur), "forever");
        break;
    }
    line(A_REVERSE, " answer prompt %llu: %s, %s, %s%s   Enter send  Esc later ",
         (unsigned long long)a->prompt_id, a->action == WARD_ACT_PERMIT ? "ALLOW" : "DENY",
         scopes[a->scope], dur, a->pin ? ", pinned to this binary's digest" : "");
    line(0, "   [a]llow [d]eny | scope: [p]ort [h]ost domai[n] [w]*.domain [e]any | "
            "[o]nce [5] [1]5 [6]0 min e[x]it [r]estart [f]orever | p[i]n the binary");
    for (size_t i = 0; i < t->n_prompts; i++)
        if (t->prompts[i].id == a->prompt_id)
            chain_line(&t->prompts[i].conn);
}

static void prompts_panel(struct top *t, bool full)
{
    if (!t->n_prompts) {
        if (full)
            line(0, " no prompts pending%s", t->registered ? "" : " (not registered as prompter)");
        return;
    }
    size_t max = full ? t->n_prompts : (t->n_prompts < 3 ? t->n_prompts : 3);
    for (size_t i = 0; i < max; i++)
        prompt_line(t, i, full && i == t->sel[VIEW_PROMPTS]);
    if (!full && t->n_prompts > max)
        line(A_BOLD, "   ... %zu more: press 2", t->n_prompts - max);
    if (t->ans.open) {
        answer_form(t);
    } else if (full) {
        if (t->sel[VIEW_PROMPTS] < t->n_prompts)
            chain_line(&t->prompts[t->sel[VIEW_PROMPTS]].conn);
        line(0, "   Up/Down choose, a allow / d deny to answer; others stay pending");
    } else {
        line(0, "   2: answer prompts");
    }
}

/* Rows of a scrolling list: keeps the selection on screen. */
static void window_of(struct top *t, size_t n, size_t *first)
{
    size_t room = rows - 2 > row ? (size_t)(rows - 2 - row) : 1;
    size_t *sel = &t->sel[t->view], *top = &t->top_row[t->view];
    if (n && *sel >= n)
        *sel = n - 1;
    if (*sel < *top)
        *top = *sel;
    if (*sel >= *top + room)
        *top = *sel - room + 1;
    *first = *top;
}

static void view_programs(struct top *t)
{
    static struct top_prog *v[4096];
    size_t n = model_sorted(t, v, 4096), first;
    /* The selected program's last process: who started it. */
    if (n)
        line(0, " chain: %s", v[t->sel[VIEW_PROGRAMS] < n ? t->sel[VIEW_PROGRAMS] : n - 1]->chain);
    line(A_UNDERLINE, "%-44s %7s %7s %9s %9s %5s  %-30s %-30s", "PROGRAM", "ALLOW", "BLOCK", "IN/s",
         "OUT/s", "CONNS", "LAST 5 MIN", "LAST DESTINATION");
    window_of(t, n, &first);
    for (size_t i = first; i < n && row < rows - 1; i++) {
        const struct top_prog *p = v[i];
        char sp[TOP_SPARK + 1], ri[16], ro[16], dest[300], tb[64];
        spark(p, sp, sizeof(sp));
        if (p->has_traffic) {
            human(p->rate_in, ri, sizeof(ri));
            human(p->rate_out, ro, sizeof(ro));
        } else {
            snprintf(ri, sizeof(ri), "—");
            snprintf(ro, sizeof(ro), "—");
        }
        snprintf(dest, sizeof(dest), "%s %s%s:%u", ward_verdict_name(p->last_verdict),
                 p->last_domain[0] ? p->last_domain : p->last_remote, p->last_domain[0] ? "" : "",
                 p->last_port);
        char conns[16];
        if (p->has_traffic)
            snprintf(conns, sizeof(conns), "%llu", (unsigned long long)p->conns);
        else
            snprintf(conns, sizeof(conns), "—");
        line(i == t->sel[VIEW_PROGRAMS] ? A_REVERSE : 0,
             "%-44.44s %7llu %7llu %9s %9s %5s  |%-30s| %s", tail(p->exe, 44, tb, sizeof(tb)),
             (unsigned long long)p->permits, (unsigned long long)p->blocks, ri, ro, conns, sp,
             p->last_ns ? dest : "");
    }
    if (!n)
        line(0, " (no programs yet%s)", t->filter[0] ? " matching the filter" : "");
}

/* How often the rule decided in the last hour, by the log's rows (those of
 * the log view, when no search narrows them). */
static void decided(const struct top *t, uint64_t id, char *buf, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->n_log; i++)
        if (t->log[i].filter_id == id && t->log[i].reason == WARD_R_APP_RULE)
            n += t->log[i].count ? t->log[i].count : 1;
    if (t->search[0])
        snprintf(buf, len, "%6s", "");
    else
        snprintf(buf, len, "%6llu", (unsigned long long)n);
}

static void rule_line(struct top *t, const ward_proto_rule *r, bool sel)
{
    char text[1024], exp[64] = "", tb[64], hits[32];
    ruletext(r, text, sizeof(text));
    if (r->lifetime.kind == WARD_LIFE_TIMED) {
        long left = (long)(r->lifetime.expires - (int64_t)time(NULL));
        snprintf(exp, sizeof(exp), " (%ldm%02lds left)", left / 60, left % 60);
    }
    decided(t, r->id, hits, sizeof(hits));
    line(sel ? A_REVERSE : 0, "%-5llu %s %-40.40s %s  [%s%s%s]%s", (unsigned long long)r->id, hits,
         tail(r->program, 40, tb, sizeof(tb)), text, r->provider ? r->provider : "admin",
         r->origin ? ", " : "", r->origin ? r->origin : "", exp);
}

static void view_rules(struct top *t)
{
    size_t first;
    line(A_UNDERLINE, "%-5s %6s %-40s %s", "ID", "1H", "PROGRAM",
         "RULE  [PROVIDER, ORIGIN]  (1H: decisions in the last hour)");
    window_of(t, t->n_rules, &first);
    for (size_t i = first; i < t->n_rules && row < rows - 1; i++)
        rule_line(t, &t->rules[i], i == t->sel[VIEW_RULES]);
    if (!t->n_rules)
        line(0, " (no application rules)");
}

static void event_line(struct top *t, const ward_event *e, bool sel)
{
    char when[32], r[WARD_IP_STRLEN], proto[16], tb[64];
    time_t s = (time_t)(e->time_ns / 1000000000);
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    ward_policy_fmt_proto(e->proto, proto, sizeof(proto));
    const char *reason = ward_proto_reason_name((enum ward_reason)e->reason);
    line(sel ? A_REVERSE : (e->verdict == WARD_V_BLOCK ? A_BOLD : 0),
         "%s %-7s %-40.40s %s %s %s%s%s:%u pid %u  by %s%s%s #%llu", when,
         e->kind == WARD_EVENT_ALERT ? "ALERT" : ward_verdict_name((enum ward_verdict)e->verdict),
         tail(e->exe[0] ? e->exe : "-", 40, tb, sizeof(tb)), proto,
         e->direction == WARD_DIR_IN ? "from" : "to", ward_ip_format(&e->remote, r, sizeof(r)),
         e->domain[0] ? "/" : "", e->domain, e->direction == WARD_DIR_IN ? e->lport : e->rport,
         e->pid, reason ? reason : "?", e->filter[0] ? " " : "", e->filter,
         (unsigned long long)e->filter_id);
}

static void view_log(struct top *t)
{
    line(0,
         " search: %s   (/ to search: words, program=GLOB domain=GLOB verdict=block remote=CIDR)",
         t->search[0] ? t->search : "(all)");
    line(A_UNDERLINE, "TIME     VERDICT PROGRAM                                  DESTINATION  "
                      "DECIDED BY (reason, filter or rule #id)");
    size_t first;
    /* The newest first. */
    window_of(t, t->n_log, &first);
    for (size_t i = first; i < t->n_log && row < rows - 1; i++)
        event_line(t, &t->log[t->n_log - 1 - i], i == t->sel[VIEW_LOG]);
    if (!t->n_log)
        line(0, " (no rows in the last hour%s)", t->search[0] ? " matching" : "");
}

static void view_alerts(struct top *t)
{
    line(A_UNDERLINE, "TIME     KIND    PROGRAM / DETECTOR");
    size_t first;
    window_of(t, t->n_alerts, &first);
    for (size_t i = first; i < t->n_alerts && row < rows - 1; i++) {
        const ward_event *e = &t->alerts[t->n_alerts - 1 - i];
        event_line(t, e, i == t->sel[VIEW_ALERTS]);
        line(0, "         %s: %u counted  %s", e->filter, e->count, e->cmdline);
    }
    if (!t->n_alerts)
        line(0, " (no alerts since ward top started%s)",
             t->subscribed ? ""
                           : "; alerts come from the event ring, which needs root or group ward");
}

/* /proc is read at most every two seconds, however often the screen is
 * drawn. */
static bool stale(int64_t *at)
{
    int64_t now = top_now_ms();
    if (*at && now - *at < 2000)
        return false;
    *at = now;
    return true;
}

static void view_listen(struct top *t)
{
    static struct top_listen v[512];
    static size_t n;
    static int64_t at;
    size_t first;
    if (stale(&at))
        n = procs_listening(v, 512);
    line(0, " listening sockets per program, read from /proc (wardd has no message for them)%s",
         geteuid() ? "; only your own processes" : "");
    line(A_UNDERLINE, "%-44s %7s %-8s %-5s %s", "PROGRAM", "PID", "USER", "PROTO", "ADDRESS:PORT");
    window_of(t, n, &first);
    for (size_t i = first; i < n && row < rows - 1; i++) {
        char u[64];
        char tb[64];
        line(i == t->sel[VIEW_LISTEN] ? A_REVERSE : 0, "%-44.44s %7u %-8s %-5s %s:%u",
             tail(v[i].program, 44, tb, sizeof(tb)), v[i].pid, user(v[i].uid, u, sizeof(u)),
             v[i].proto, v[i].addr, v[i].port);
    }
}

static void view_detail(struct top *t)
{
    struct top_prog *p = model_prog(t, t->detail, false);
    line(A_BOLD, " %s", t->detail);
    if (p) {
        char u[64];
        line(0, " allowed %llu  blocked %llu  alerts %llu  last pid %u user %s",
             (unsigned long long)p->permits, (unsigned long long)p->blocks,
             (unsigned long long)p->alerts, p->pid, user(p->uid, u, sizeof(u)));
        line(0, " chain: %s", p->chain);
    }
    line(A_UNDERLINE, "CONNECTIONS%s",
         t->conns_known ? "" : " (wardd has no conns.list: its recent decisions instead)");
    int shown = 0;
    if (t->conns_known) {
        for (size_t i = 0; i < t->n_conns && shown < 8; i++) {
            const struct top_conn *c = &t->conns[i];
            if (strcmp(c->program, t->detail))
                continue;
            char bi[16], bo[16];
            line(0, " %s %s:%u -> %s:%u %s %s  in %s out %s", c->dir, c->laddr, c->lport, c->raddr,
                 c->rport, c->domain, c->verdict, human((double)c->bytes_in, bi, sizeof(bi)),
                 human((double)c->bytes_out, bo, sizeof(bo)));
            shown++;
        }
    } else {
        for (size_t k = 0; k < t->n_recent && shown < 8; k++) {
            const ward_event *e = &t->recent[(t->recent_head + TOP_RECENT - 1 - k) % TOP_RECENT];
            if (strcmp(e->exe, t->detail))
                continue;
            event_line(t, e, false);
            shown++;
        }
    }
    if (!shown)
        line(0, " (none)");
    line(A_UNDERLINE, "RULES");
    for (size_t i = 0; i < t->n_drules && i < 8; i++)
        rule_line(t, &t->drules[i], false);
    if (!t->n_drules)
        line(0, " (no rules: the policy's defaults decide)");
    line(A_UNDERLINE, "RECENT LOG");
    for (size_t i = 0; i < t->n_dlog && i < 8; i++)
        event_line(t, &t->dlog[t->n_dlog - 1 - i], false);
    if (!t->n_dlog)
        line(0, " (nothing in the last hour)");
    line(A_UNDERLINE, "PROCESS TREE");
    static char tree[16][160], of[WARD_EVENT_EXE_MAX];
    static size_t n;
    static int64_t at;
    if (stale(&at) || strcmp(of, t->detail)) {
        snprintf(of, sizeof(of), "%s", t->detail);
        n = procs_tree(t->detail, tree, 16);
    }
    for (size_t i = 0; i < n; i++)
        line(0, " %s", tree[i]);
    if (!n)
        line(0, " (not running)");
}

static void footer(struct top *t)
{
    char buf[sizeof(t->in_buf) + 1024];
    if (t->input != INPUT_NONE) {
        static const char *const what[] = {"", "filter", "search", "new rule (PROGRAM RULE)",
                                           "edit rule"};
        snprintf(buf, sizeof(buf), "%s: %s_", what[t->input], t->in_buf);
    } else if (t->confirm_delete) {
        snprintf(buf, sizeof(buf), "delete rule %llu? y/n",
                 t->n_rules ? (unsigned long long)t->rules[t->sel[VIEW_RULES]].id : 0ULL);
    } else {
        const char *keys = t->view == VIEW_RULES      ? "n new  e edit  Del/x delete  r refresh"
                           : t->view == VIEW_LOG      ? "/ search  r refresh"
                           : t->view == VIEW_PROGRAMS ? "Enter drill in  s sort  / filter"
                           : t->view == VIEW_DETAIL   ? "Esc back  r refresh"
                                                      : "";
        snprintf(buf, sizeof(buf), "%s%sTab/1-6 views  q quit  sort:%s%s%s | %s", keys,
                 keys[0] ? "  " : "", sort_names[t->sort], t->filter[0] ? "  filter:" : "",
                 t->filter, t->msg_until_ms > top_now_ms() ? t->msg : "");
    }
    attron(A_REVERSE);
    mvaddnstr(rows - 1, 0, buf, cols);
    for (int x = (int)strlen(buf); x < cols; x++)
        addch(' ');
    attroff(A_REVERSE);
}

void draw(struct top *t)
{
    getmaxyx(stdscr, rows, cols);
    erase();
    row = 0;
    header(t);
    if (t->view != VIEW_PROMPTS)
        prompts_panel(t, false);
    line(A_BOLD, "-- %s --", t->view == VIEW_DETAIL ? "Program" : view_names[t->view] + 2);
    switch (t->view) {
    case VIEW_PROGRAMS:
        view_programs(t);
        break;
    case VIEW_PROMPTS:
        prompts_panel(t, true);
        break;
    case VIEW_RULES:
        view_rules(t);
        break;
    case VIEW_LOG:
        view_log(t);
        break;
    case VIEW_ALERTS:
        view_alerts(t);
        break;
    case VIEW_LISTEN:
        view_listen(t);
        break;
    case VIEW_DETAIL:
        view_detail(t);
        break;
    default:
        break;
    }
    footer(t);
    refresh();
}
