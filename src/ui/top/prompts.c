/*
 * prompts.c — wardd's questions, shown as they come. Several may be open;
 * the answer being composed belongs to one prompt and sends nothing until
 * Enter, so the others stay answerable (Esc, or another prompt selected).
 *
 * Scopes: this port, this host (the remote address, or its name, and
 * port), any — answered with prompt.answer; this domain and `*.domain` —
 * a rule of the learned provider (rules.add, which needs root or group
 * ward) followed by a one-time answer for the connections waiting now.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy.h"
#include "ui/top/top.h"

void prompts_push(struct top *t, const ward_msg *m)
{
    for (size_t i = 0; i < t->n_prompts; i++)
        if (t->prompts[i].id == m->u.prompt.prompt_id)
            return;
    if (t->n_prompts == TOP_MAX_PROMPTS)
        return; /* the policy's timeout default answers what does not fit */
    struct top_prompt *p = &t->prompts[t->n_prompts++];
    p->id = m->u.prompt.prompt_id;
    p->deadline_ms = top_now_ms() + (int64_t)m->u.prompt.timeout_s * 1000;
    p->conn = m->u.prompt.conn;
    top_say(t, "new prompt %llu: %s", (unsigned long long)p->id,
            p->conn.exe[0] ? p->conn.exe : "?");
}

static void remove_at(struct top *t, size_t i)
{
    memmove(&t->prompts[i], &t->prompts[i + 1], (t->n_prompts - i - 1) * sizeof(*t->prompts));
    t->n_prompts--;
    if (t->sel[VIEW_PROMPTS] >= t->n_prompts && t->sel[VIEW_PROMPTS] > 0)
        t->sel[VIEW_PROMPTS]--;
}

void prompts_closed(struct top *t, uint64_t id, const char *by, enum ward_verdict v)
{
    for (size_t i = 0; i < t->n_prompts; i++) {
        if (t->prompts[i].id != id)
            continue;
        remove_at(t, i);
        top_say(t, "prompt %llu closed: %s (%s)", (unsigned long long)id, ward_verdict_name(v),
                by ? by : "?");
        if (t->ans.open && t->ans.prompt_id == id)
            t->ans.open = false;
        return;
    }
}

void prompts_clear(struct top *t)
{
    t->n_prompts = 0;
    t->ans.open = false;
}

void prompts_open_answer(struct top *t, size_t i, enum ward_action a)
{
    if (i >= t->n_prompts)
        return;
    t->ans = (struct top_answer){.open = true,
                                 .prompt_id = t->prompts[i].id,
                                 .action = a,
                                 .scope = TSCOPE_HOST,
                                 .duration = WARD_DUR_ONCE};
}

static struct top_prompt *find(struct top *t, uint64_t id)
{
    for (size_t i = 0; i < t->n_prompts; i++)
        if (t->prompts[i].id == id)
            return &t->prompts[i];
    return NULL;
}

/* The process's start time as wardd knows it (/proc/PID/stat field 22). */
static unsigned long long start_time(uint32_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *s = strrchr(buf, ')'); /* the command may hold spaces */
    unsigned long long v = 0;
    for (int field = 2; s && *s; s++) {
        if (*s == ' ' && ++field == 22) {
            v = strtoull(s + 1, NULL, 10);
            break;
        }
    }
    return v;
}

/* The rule for a domain scope, in the policy language. */
static int domain_rule(const struct top_prompt *p, const struct top_answer *a, char *buf,
                       size_t len)
{
    const char *dom = p->conn.domain;
    if (!dom[0])
        return -1;
    char name[WARD_EVENT_DOMAIN_MAX + 2], q[WARD_EVENT_DOMAIN_MAX * 2 + 8], proto[16];
    if (a->scope == TSCOPE_SUFFIX) {
        /* www.example.com -> *.example.com; example.com -> *.example.com */
        const char *dot = strchr(dom, '.');
        snprintf(name, sizeof(name), "*.%s", dot && strchr(dot + 1, '.') ? dot + 1 : dom);
    } else {
        snprintf(name, sizeof(name), "%s", dom);
    }
    ward_policy_quote(name, q, sizeof(q));
    ward_policy_fmt_proto(p->conn.proto, proto, sizeof(proto));
    int n =
        snprintf(buf, len, "%s %s %s domain %s", a->action == WARD_ACT_PERMIT ? "allow" : "deny",
                 p->conn.direction == WARD_DIR_IN ? "in" : "out", proto, q);
    size_t off = n > 0 ? (size_t)n : 0;
    switch (a->duration) {
    case WARD_DUR_MINUTES: {
        time_t until = time(NULL) + (time_t)a->minutes * 60;
        struct tm tm;
        gmtime_r(&until, &tm);
        strftime(buf + off, len - off, " until %Y-%m-%dT%H:%M:%SZ", &tm);
        break;
    }
    case WARD_DUR_UNTIL_EXIT:
        snprintf(buf + off, len - off, " until-exit pid %u start %llu", p->conn.pid,
                 start_time(p->conn.pid));
        break;
    case WARD_DUR_UNTIL_RESTART:
        snprintf(buf + off, len - off, " until-restart");
        break;
    default:
        break;
    }
    return 0;
}

void prompts_send(struct top *t, top_request_fn request)
{
    struct top_prompt *p = find(t, t->ans.prompt_id);
    if (!p) {
        t->ans.open = false;
        return;
    }
    ward_msg m = {.type = WARD_MSG_PROMPT_ANSWER};
    m.u.answer.prompt_id = p->id;
    m.u.answer.action = t->ans.action;
    m.u.answer.duration = t->ans.duration;
    m.u.answer.minutes = t->ans.minutes;
    m.u.answer.pin = t->ans.pin;
    m.u.answer.scope = t->ans.scope == TSCOPE_PORT  ? WARD_SCOPE_PORT
                       : t->ans.scope == TSCOPE_ANY ? WARD_SCOPE_ANY
                                                    : WARD_SCOPE_DESTINATION;
    bool by_domain = (t->ans.scope == TSCOPE_DOMAIN || t->ans.scope == TSCOPE_SUFFIX) &&
                     t->ans.duration != WARD_DUR_ONCE;
    if (by_domain) {
        char text[WARD_EVENT_DOMAIN_MAX * 2 + 128];
        if (domain_rule(p, &t->ans, text, sizeof(text)) < 0) {
            top_say(t, "prompt %llu names no domain: choose this host or port",
                    (unsigned long long)p->id);
            return;
        }
        if (!t->admin) {
            top_say(t, "a domain rule needs root or group ward: choose this host or port");
            return;
        }
        if (t->ans.pin) {
            top_say(t, "a pin goes with this port, this host or any, not with a domain rule");
            return;
        }
        ward_msg add = {.type = WARD_MSG_RULES_ADD};
        add.u.rule.program = p->conn.exe;
        add.u.rule.text = text;
        add.u.rule.provider = "learned";
        char origin[64];
        snprintf(origin, sizeof(origin), "prompt %llu", (unsigned long long)p->id);
        add.u.rule.origin = origin;
        /* The rule decides from now on; the connections waiting get this
         * answer once. */
        m.u.answer.duration = WARD_DUR_ONCE;
        m.u.answer.minutes = 0;
        request(t, &add, P_ANSWER_AFTER_RULE, p->id, &m);
    } else {
        request(t, &m, P_ANSWER, p->id, NULL);
    }
    top_say(t, "prompt %llu: answer sent", (unsigned long long)p->id);
    t->ans.open = false;
}

void prompts_answer_reply(struct top *t, const ward_msg *rep, uint64_t prompt_id)
{
    if (rep->type == WARD_MSG_ERROR)
        top_say(t, "prompt %llu: answer not taken: %s", (unsigned long long)prompt_id,
                rep->u.error.message ? rep->u.error.message : "refused");
    else
        top_say(t, "prompt %llu answered", (unsigned long long)prompt_id);
}

bool prompts_key(struct top *t, int ch, top_request_fn request)
{
    struct top_answer *a = &t->ans;
    switch (ch) {
    case 'a':
        a->action = WARD_ACT_PERMIT;
        break;
    case 'd':
        a->action = WARD_ACT_BLOCK;
        break;
    case 'p':
        a->scope = TSCOPE_PORT;
        break;
    case 'h':
        a->scope = TSCOPE_HOST;
        break;
    case 'n':
        a->scope = TSCOPE_DOMAIN;
        break;
    case 'w':
        a->scope = TSCOPE_SUFFIX;
        break;
    case 'e':
        a->scope = TSCOPE_ANY;
        break;
    case 'o':
        a->duration = WARD_DUR_ONCE;
        break;
    case '5':
    case '1':
    case '6':
        a->duration = WARD_DUR_MINUTES;
        a->minutes = ch == '5' ? 5 : ch == '1' ? 15 : 60;
        break;
    case 'x':
        a->duration = WARD_DUR_UNTIL_EXIT;
        break;
    case 'r':
        a->duration = WARD_DUR_UNTIL_RESTART;
        break;
    case 'f':
        a->duration = WARD_DUR_FOREVER;
        break;
    case 'i':
        a->pin = !a->pin;
        break;
    case '\n':
    case '\r':
        prompts_send(t, request);
        break;
    case 27: /* Esc: the prompt stays open */
        a->open = false;
        break;
    default:
        return false;
    }
    t->dirty = true;
    return true;
}
