/*
 * ui/gtk/answer.c — a prompt's answer as the requests that carry it.
 *
 * prompt.answer knows three reaches: this port (any address), this
 * destination and any destination. The prompt window offers this port, this
 * host (its address, any port), this domain, every name under the domain's
 * parent (`*.example.com`) and any. The first and the last are answered by
 * prompt.answer itself. The others become a rule in the policy language,
 * added with rules.add (wardd parses it with the policy's parser), and the
 * prompt is then answered "once" with the same action: the waiting
 * connection gets it, and the rule decides what comes after.
 *
 * "Pin to this binary" adds `"pin":true` to prompt.answer: wardd then pins
 * the program to the SHA-256 of the binary that asked. It is sent as raw
 * JSON (the member is newer than some codecs); a wardd that does not know
 * it refuses the answer, and the window says so.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "ui/gtk/wardgtk.h"

bool wg_scope_possible(enum wg_scope s, const ward_event *ev)
{
    switch (s) {
    case WG_SCOPE_DOMAIN:
        return ev->domain[0] != 0;
    case WG_SCOPE_SUBDOMAINS: {
        char *w = wg_parent_wildcard(ev->domain);
        bool ok = w != NULL;
        g_free(w);
        return ok;
    }
    case WG_SCOPE_PORT:
        return ev->proto == 6 || ev->proto == 17 || ev->proto == 132;
    default:
        return true;
    }
}

char *wg_parent_wildcard(const char *domain)
{
    const char *dot = domain ? strchr(domain, '.') : NULL;
    /* "example.com" has no parent worth a wildcard: "*.com" is every site. */
    if (!dot || !strchr(dot + 1, '.'))
        return domain && *domain && dot ? g_strdup_printf("*.%s", domain) : NULL;
    return g_strdup_printf("*%s", dot);
}

/* The lifetime words of the policy language; "" for persistent. */
static char *lifetime_text(enum wg_duration d, const ward_event *ev, int64_t now_s)
{
    int minutes = d == WG_DUR_5M ? 5 : d == WG_DUR_15M ? 15 : d == WG_DUR_60M ? 60 : 0;
    if (minutes) {
        GDateTime *t = g_date_time_new_from_unix_utc(now_s + minutes * 60);
        char *s = g_date_time_format(t, "until %Y-%m-%dT%H:%M:%SZ");
        g_date_time_unref(t);
        return s;
    }
    switch (d) {
    case WG_DUR_ONCE:
        return g_strdup("once");
    case WG_DUR_UNTIL_RESTART:
        return g_strdup("until-restart");
    case WG_DUR_UNTIL_EXIT: {
        /* The process's start time (clock ticks after boot) as wardd keeps
         * it, so a pid used again by another process is not covered. */
        char path[64], *stat = NULL;
        snprintf(path, sizeof(path), "/proc/%u/stat", ev->pid);
        unsigned long long start = 0;
        if (ev->pid && g_file_get_contents(path, &stat, NULL, NULL)) {
            const char *p = strrchr(stat, ')');
            /* fields after the name: state is field 3, starttime field 22 */
            for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
            if (p)
                start = g_ascii_strtoull(p + 1, NULL, 10);
            g_free(stat);
        }
        return start ? g_strdup_printf("until-exit pid %u start %llu", ev->pid, start) : NULL;
    }
    default:
        return g_strdup("");
    }
}

char *wg_answer_rule_text(const wg_answer *a, const ward_event *ev, int64_t now_s)
{
    /* Once: prompt.answer's own "this destination, once" says it all. */
    if (a->scope == WG_SCOPE_PORT || a->scope == WG_SCOPE_ANY || a->duration == WG_DUR_ONCE)
        return NULL;
    GString *s = g_string_new(a->action == WARD_ACT_PERMIT ? "allow" : "deny");
    g_string_append(s, ev->direction == WARD_DIR_IN ? " in" : " out");
    if (ev->proto) {
        char p[32];
        ward_policy_fmt_proto(ev->proto, p, sizeof(p));
        g_string_append_printf(s, " %s", p);
    }
    char buf[WARD_IP_STRLEN];
    char *wild = NULL;
    switch (a->scope) {
    case WG_SCOPE_HOST:
        g_string_append_printf(s, " %s %s", ev->direction == WARD_DIR_IN ? "from" : "to",
                               ward_ip_format(&ev->remote, buf, sizeof(buf)));
        break;
    case WG_SCOPE_DOMAIN:
        g_string_append_printf(s, " domain \"%s\"", ev->domain);
        break;
    default:
        wild = wg_parent_wildcard(ev->domain);
        g_string_append_printf(s, " domain \"%s\"", wild ? wild : ev->domain);
        g_free(wild);
        break;
    }
    char *life = lifetime_text(a->duration, ev, now_s);
    if (!life) { /* until-exit of a process already gone: nothing to tie it to */
        g_string_free(s, TRUE);
        return NULL;
    }
    if (*life)
        g_string_append_printf(s, " %s", life);
    g_free(life);
    return g_string_free(s, FALSE);
}

void wg_answer_message(const wg_answer *a, uint64_t prompt_id, bool via_rule, ward_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->type = WARD_MSG_PROMPT_ANSWER;
    out->u.answer.prompt_id = prompt_id;
    out->u.answer.action = a->action;
    out->u.answer.scope = a->scope == WG_SCOPE_PORT  ? WARD_SCOPE_PORT
                          : a->scope == WG_SCOPE_ANY ? WARD_SCOPE_ANY
                                                     : WARD_SCOPE_DESTINATION;
    if (via_rule) {
        out->u.answer.duration = WARD_DUR_ONCE;
        return;
    }
    switch (a->duration) {
    case WG_DUR_ONCE:
        out->u.answer.duration = WARD_DUR_ONCE;
        break;
    case WG_DUR_5M:
    case WG_DUR_15M:
    case WG_DUR_60M:
        out->u.answer.duration = WARD_DUR_MINUTES;
        out->u.answer.minutes = a->duration == WG_DUR_5M ? 5 : a->duration == WG_DUR_15M ? 15 : 60;
        break;
    case WG_DUR_UNTIL_EXIT:
        out->u.answer.duration = WARD_DUR_UNTIL_EXIT;
        break;
    case WG_DUR_UNTIL_RESTART:
        out->u.answer.duration = WARD_DUR_UNTIL_RESTART;
        break;
    default:
        out->u.answer.duration = WARD_DUR_FOREVER;
        break;
    }
}

char *wg_answer_pin_members(const ward_msg *answer)
{
    char *line;
    size_t len;
    if (ward_proto_encode(answer, &line, &len) != WARD_PE_OK)
        return NULL;
    json_object *o = json_tokener_parse(line);
    free(line);
    if (!o)
        return NULL;
    json_object_object_del(o, "type");
    json_object_object_del(o, "id");
    json_object_object_add(o, "pin", json_object_new_boolean(1));
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    /* the members alone: without the object's braces */
    char *members = strlen(s) > 2 ? g_strndup(s + 1, strlen(s) - 2) : NULL;
    json_object_put(o);
    return members;
}
