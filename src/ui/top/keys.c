/*
 * keys.c — what each key does. The answer form, a line being typed and the
 * delete confirmation take keys first; then the views' own keys; then the
 * global ones (views, sort, filter, quit).
 */
#define _GNU_SOURCE
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/top/top.h"

static size_t list_len(struct top *t)
{
    switch (t->view) {
    case VIEW_PROGRAMS: {
        static struct top_prog *v[4096];
        return model_sorted(t, v, 4096);
    }
    case VIEW_PROMPTS:
        return t->n_prompts;
    case VIEW_RULES:
        return t->n_rules;
    case VIEW_LOG:
        return t->n_log;
    case VIEW_ALERTS:
        return t->n_alerts;
    case VIEW_LISTEN:
        return 512;
    default:
        return 0;
    }
}

/* Copies what fits; returns its length. */
static size_t copy_text(char *dst, size_t len, const char *src)
{
    size_t n = src ? strnlen(src, len - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
    return n;
}

static void start_input(struct top *t, enum top_input what, const char *init)
{
    t->input = what;
    t->in_len = copy_text(t->in_buf, sizeof(t->in_buf), init);
}

/* "PROGRAM RULE..." -> rules.add with the rule as policy text. A program
 * path with spaces is given in double quotes. */
static void add_rule(struct top *t, const char *line, uint64_t replaces)
{
    char prog[TOP_TEXT];
    const char *rest;
    while (*line == ' ')
        line++;
    if (*line == '"') {
        const char *end = strchr(line + 1, '"');
        if (!end) {
            top_say(t, "rule: the program's closing quote is missing");
            return;
        }
        snprintf(prog, sizeof(prog), "%.*s", (int)(end - line - 1), line + 1);
        rest = end + 1;
    } else {
        size_t n = strcspn(line, " ");
        snprintf(prog, sizeof(prog), "%.*s", (int)n, line);
        rest = line + n;
    }
    while (*rest == ' ')
        rest++;
    if (!prog[0] || !*rest) {
        top_say(
            t, "rule: give the program, then the rule (e.g. /usr/bin/curl allow out tcp port 443)");
        return;
    }
    ward_msg m = {.type = WARD_MSG_RULES_ADD};
    m.u.rule.program = prog;
    m.u.rule.text = (char *)rest;
    m.u.rule.origin = "ward top";
    link_expect(link_send(t, &m), P_RULE_ADD, replaces, NULL);
}

static void input_done(struct top *t)
{
    enum top_input what = t->input;
    t->input = INPUT_NONE;
    switch (what) {
    case INPUT_FILTER:
        copy_text(t->filter, sizeof(t->filter), t->in_buf);
        t->sel[VIEW_PROGRAMS] = 0;
        break;
    case INPUT_SEARCH:
        copy_text(t->search, sizeof(t->search), t->in_buf);
        t->sel[VIEW_LOG] = 0;
        link_refresh_log(t);
        break;
    case INPUT_RULE_ADD:
        add_rule(t, t->in_buf, 0);
        break;
    case INPUT_RULE_EDIT:
        add_rule(t, t->in_buf, t->edit_rule);
        break;
    default:
        break;
    }
}

static bool input_key(struct top *t, int ch)
{
    if (t->input == INPUT_NONE)
        return false;
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        input_done(t);
    } else if (ch == 27) {
        t->input = INPUT_NONE;
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (t->in_len)
            t->in_buf[--t->in_len] = 0;
    } else if (ch >= 32 && ch < 256 && t->in_len + 1 < sizeof(t->in_buf)) {
        t->in_buf[t->in_len++] = (char)ch;
        t->in_buf[t->in_len] = 0;
    }
    t->dirty = true;
    return true;
}

static void go(struct top *t, enum top_view v)
{
    t->view = v;
    if (v == VIEW_RULES) {
        link_refresh_rules(t);
        link_refresh_log(t); /* how often each rule decided */
    }
    if (v == VIEW_LOG)
        link_refresh_log(t);
}

static void drill(struct top *t)
{
    static struct top_prog *v[4096];
    size_t n = model_sorted(t, v, 4096);
    if (t->sel[VIEW_PROGRAMS] >= n)
        return;
    snprintf(t->detail, sizeof(t->detail), "%s", v[t->sel[VIEW_PROGRAMS]]->exe);
    t->back = t->view;
    t->view = VIEW_DETAIL;
    link_refresh_detail(t);
}

static bool view_key(struct top *t, int ch)
{
    switch (t->view) {
    case VIEW_PROGRAMS:
        if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
            drill(t);
            return true;
        }
        if (ch == 's') {
            t->sort = (t->sort + 1) % SORT_COUNT;
            return true;
        }
        if (ch == '/') {
            start_input(t, INPUT_FILTER, t->filter);
            return true;
        }
        return false;
    case VIEW_PROMPTS:
        if (ch == 'a' || ch == 'd') {
            prompts_open_answer(t, t->sel[VIEW_PROMPTS],
                                ch == 'a' ? WARD_ACT_PERMIT : WARD_ACT_BLOCK);
            return true;
        }
        return false;
    case VIEW_RULES: {
        const ward_proto_rule *r =
            t->sel[VIEW_RULES] < t->n_rules ? &t->rules[t->sel[VIEW_RULES]] : NULL;
        if (ch == 'n') {
            start_input(t, INPUT_RULE_ADD, "");
        } else if (ch == 'e' && r) {
            char text[TOP_TEXT - 64], q[WARD_EVENT_EXE_MAX + 8];
            ruletext(r, text, sizeof(text));
            snprintf(q, sizeof(q), strchr(r->program, ' ') ? "\"%s\"" : "%s", r->program);
            char init[TOP_TEXT + sizeof(q) + sizeof(text)];
            snprintf(init, sizeof(init), "%s %s", q, text);
            t->edit_rule = r->id;
            start_input(t, INPUT_RULE_EDIT, init);
        } else if ((ch == 'x' || ch == KEY_DC) && r) {
            t->confirm_delete = true;
        } else if (ch == 'r') {
            link_refresh_rules(t);
            link_refresh_log(t);
        } else {
            return false;
        }
        return true;
    }
    case VIEW_LOG:
        if (ch == '/') {
            start_input(t, INPUT_SEARCH, t->search);
        } else if (ch == 'r') {
            link_refresh_log(t);
        } else {
            return false;
        }
        return true;
    case VIEW_DETAIL:
        if (ch == 27 || ch == KEY_BACKSPACE || ch == KEY_LEFT) {
            t->view = t->back;
        } else if (ch == 'r') {
            link_refresh_detail(t);
        } else {
            return false;
        }
        return true;
    default:
        return false;
    }
}

void keys(struct top *t, int ch)
{
    t->dirty = true;
    if (input_key(t, ch))
        return;
    if (t->confirm_delete) {
        t->confirm_delete = false;
        if (ch == 'y' && t->sel[VIEW_RULES] < t->n_rules) {
            ward_msg m = {.type = WARD_MSG_RULES_DELETE};
            m.u.rule_id.id = t->rules[t->sel[VIEW_RULES]].id;
            link_expect(link_send(t, &m), P_RULE_DEL, m.u.rule_id.id, NULL);
        }
        return;
    }
    /* Moving between prompts keeps the answer being composed. */
    if (t->view == VIEW_PROMPTS && t->ans.open && (ch == KEY_UP || ch == KEY_DOWN)) {
        size_t *s = &t->sel[VIEW_PROMPTS];
        if (ch == KEY_UP && *s > 0)
            (*s)--;
        if (ch == KEY_DOWN && *s + 1 < t->n_prompts)
            (*s)++;
        if (*s < t->n_prompts)
            t->ans.prompt_id = t->prompts[*s].id;
        return;
    }
    if (t->ans.open && prompts_key(t, ch, link_request))
        return;
    if (view_key(t, ch))
        return;
    size_t *sel = &t->sel[t->view], n = list_len(t);
    switch (ch) {
    case 'q':
        t->quit = true;
        break;
    case '\t':
        go(t, t->view >= VIEW_LISTEN ? VIEW_PROGRAMS : t->view + 1);
        break;
    case KEY_BTAB:
        go(t, t->view == VIEW_PROGRAMS || t->view == VIEW_DETAIL ? VIEW_LISTEN : t->view - 1);
        break;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
        go(t, (enum top_view)(ch - '1'));
        break;
    case KEY_UP:
    case 'k':
        if (*sel > 0)
            (*sel)--;
        break;
    case KEY_DOWN:
    case 'j':
        if (*sel + 1 < n)
            (*sel)++;
        break;
    case KEY_PPAGE:
        *sel = *sel > 10 ? *sel - 10 : 0;
        break;
    case KEY_NPAGE:
        *sel = n && *sel + 10 >= n ? n - 1 : *sel + 10;
        break;
    case KEY_HOME:
    case 'g':
        *sel = 0;
        break;
    case 12: /* ^L */
    case KEY_RESIZE:
        clearok(curscr, TRUE);
        break;
    default:
        break;
    }
}
