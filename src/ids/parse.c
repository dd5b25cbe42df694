/*
 * parse.c — rule files: one rule or variable a line, '#' comments.
 *
 *   ipvar HOME_NET [10.0.0.0/8,192.168.0.0/16]
 *   portvar HTTP_PORTS [80,8080]
 *   alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (msg:"..."; sid:1;)
 *
 * The header is read here; each option goes to options.c. Any error stops
 * the load: nothing of the file is kept.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids/parse.h"

#define MAX_RULES 200000

int ids_fail(struct ids_lex *L, size_t col, const char *fmt, ...)
{
    int n = snprintf(L->err, L->errlen, "%s:%u:%zu: error: ", L->name, L->line, col + 1);
    if (n < 0 || (size_t)n >= L->errlen)
        return -1;
    if (L->opt) {
        int m = snprintf(L->err + n, L->errlen - (size_t)n, "option '%s': ", L->opt);
        if (m < 0 || (size_t)(n + m) >= L->errlen)
            return -1;
        n += m;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

const struct ids_var *ids_var_find(const struct ids_lex *L, const char *name, bool ports)
{
    for (size_t i = L->n_vars; i-- > 0;)
        if (L->vars[i].ports == ports && !strcmp(L->vars[i].name, name))
            return &L->vars[i];
    return NULL;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next header token of line s[0, n) from *pos: up to blank space or
 * the options' '(' (lists have no blanks in them). */
static size_t token(const char *s, size_t n, size_t *pos)
{
    while (*pos < n && space(s[*pos]))
        (*pos)++;
    size_t b = *pos;
    while (*pos < n && !space(s[*pos]) && s[*pos] != '(')
        (*pos)++;
    return *pos - b;
}

static bool tok_is(const char *t, size_t n, const char *w)
{
    return strlen(w) == n && !memcmp(t, w, n);
}

static int add_var(struct ids_lex *L, const char *s, size_t n, size_t pos, bool ports)
{
    size_t nl = token(s, n, &pos), nb = pos - nl;
    size_t vl = token(s, n, &pos), vb = pos - vl;
    if (nl == 0 || nl >= 64)
        return ids_fail(L, nb, "variable: expected a name");
    for (size_t i = 0; i < nl; i++)
        if (!((s[nb + i] >= 'A' && s[nb + i] <= 'Z') || (s[nb + i] >= 'a' && s[nb + i] <= 'z') ||
              (s[nb + i] >= '0' && s[nb + i] <= '9') || s[nb + i] == '_'))
            return ids_fail(L, nb + i, "variable: a name is letters, digits and '_'");
    if (vl == 0)
        return ids_fail(L, pos, "variable: expected a value");
    size_t after = pos;
    while (after < n && space(s[after]))
        after++;
    if (after != n)
        return ids_fail(L, after, "variable: trailing text");
    struct spec check;
    if (ids_spec_parse(L, s + vb, vl, vb, ports, &check) < 0)
        return -1;
    ids_spec_free(&check);
    struct ids_var *v = realloc(L->vars, (L->n_vars + 1) * sizeof(*v));
    if (!v)
        return ids_fail(L, 0, "out of memory");
    L->vars = v;
    v[L->n_vars].name = strndup(s + nb, nl);
    v[L->n_vars].value = strndup(s + vb, vl);
    v[L->n_vars].ports = ports;
    L->n_vars++;
    if (!v[L->n_vars - 1].name || !v[L->n_vars - 1].value)
        return ids_fail(L, 0, "out of memory");
    return 0;
}

static const struct {
    const char *word;
    enum ward_ids_action action;
} actions[] = {
    {"alert", WARD_IDS_ALERT},
    {"drop", WARD_IDS_DROP},
    {"reject", WARD_IDS_REJECT},
    {"pass", WARD_IDS_PASS},
};

static const struct {
    const char *word;
    uint8_t proto;
} protos[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"ip", 0}};

/* The options from s[pos] (just after '('): "name[:value];" each. */
static int options(struct ids_lex *L, struct rule *r, const char *s, size_t n, size_t pos)
{
    for (;;) {
        while (pos < n && space(s[pos]))
            pos++;
        if (pos >= n)
            return ids_fail(L, pos, "expected ')' to close the options");
        if (s[pos] == ')')
            break;
        size_t nb = pos;
        while (pos < n && ((s[pos] >= 'a' && s[pos] <= 'z') || s[pos] == '_' ||
                           (s[pos] >= '0' && s[pos] <= '9')))
            pos++;
        if (pos == nb)
            return ids_fail(L, pos, "expected an option name");
        char name[32];
        if (pos - nb >= sizeof(name))
            return ids_fail(L, nb, "unknown option '%.*s'", (int)(pos - nb), s + nb);
        memcpy(name, s + nb, pos - nb);
        name[pos - nb] = '\0';
        while (pos < n && space(s[pos]))
            pos++;
        const char *value = NULL;
        size_t vb = pos, vl = 0;
        if (pos < n && s[pos] == ':') {
            pos++;
            while (pos < n && space(s[pos]))
                pos++;
            vb = pos;
            bool quoted = false;
            while (pos < n && (quoted || s[pos] != ';')) {
                if (s[pos] == '\\' && pos + 1 < n)
                    pos++;
                else if (s[pos] == '"')
                    quoted = !quoted;
                pos++;
            }
            if (quoted || pos >= n)
                return ids_fail(L, vb, "option '%s': expected ';' after its value", name);
            vl = pos;
            while (vl > vb && space(s[vl - 1]))
                vl--;
            vl -= vb;
            value = s + vb;
        } else if (pos >= n || s[pos] != ';') {
            return ids_fail(L, pos, "option '%s': expected ':' or ';'", name);
        }
        pos++; /* ; */
        L->opt = name;
        int rc = ids_option(L, r, name, nb, value, vl, vb);
        L->opt = NULL;
        if (rc < 0)
            return -1;
    }
    size_t close = pos++;
    while (pos < n && space(s[pos]))
        pos++;
    if (pos != n)
        return ids_fail(L, pos, "trailing text after the options");
    return ids_rule_check(L, r, close);
}

static int rule(struct ids_lex *L, struct rule *r, const char *s, size_t n)
{
    size_t pos = 0, b, l;
    l = token(s, n, &pos);
    b = pos - l;
    size_t i;
    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (tok_is(s + b, l, actions[i].word))
            break;
    if (i == sizeof(actions) / sizeof(actions[0]))
        return ids_fail(L, b, "expected an action: alert, drop, reject or pass");
    r->action = actions[i].action;
    l = token(s, n, &pos);
    b = pos - l;
    for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
        if (tok_is(s + b, l, protos[i].word))
            break;
    if (i == sizeof(protos) / sizeof(protos[0]))
        return ids_fail(L, b, "expected a protocol: tcp, udp, icmp or ip");
    r->proto = protos[i].proto;
    struct spec *specs[4] = {&r->src, &r->sport, &r->dst, &r->dport};
    for (int k = 0; k < 4; k++) {
        if (k == 2) {
            l = token(s, n, &pos);
            b = pos - l;
            if (tok_is(s + b, l, "<>"))
                r->both_ways = true;
            else if (!tok_is(s + b, l, "->"))
                return ids_fail(L, b, "expected a direction: -> or <>");
        }
        l = token(s, n, &pos);
        b = pos - l;
        if (l == 0)
            return ids_fail(L, b, "expected %s", k % 2 ? "a port" : "an address");
        if (ids_spec_parse(L, s + b, l, b, k % 2 == 1, specs[k]) < 0)
            return -1;
    }
    while (pos < n && space(s[pos]))
        pos++;
    if (pos >= n || s[pos] != '(')
        return ids_fail(L, pos, "expected '(' and the rule's options");
    return options(L, r, s, n, pos + 1);
}

static const char *const defaults[][3] = {
    {"HOME_NET", "any", "a"},           {"EXTERNAL_NET", "any", "a"},
    {"HTTP_SERVERS", "$HOME_NET", "a"}, {"HTTP_PORTS", "[80,8080]", "p"},
    {"SHELLCODE_PORTS", "!80", "p"},
};

static int add_defaults(struct ids_lex *L)
{
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "%s %s", defaults[i][0], defaults[i][1]);
        if (add_var(L, line, strlen(line), 0, defaults[i][2][0] == 'p') < 0)
            return -1;
    }
    return 0;
}

int ids_parse(ward_ids *ids, const char *name, const char *text, size_t len, char *err,
              size_t errlen)
{
    struct ids_lex L = {.name = name, .err = err, .errlen = errlen, .ids = ids};
    int rc = add_defaults(&L);
    size_t at = 0;
    while (rc == 0 && at < len) {
        const char *s = text + at;
        const char *nl = memchr(s, '\n', len - at);
        size_t n = nl ? (size_t)(nl - s) : len - at;
        at += n + 1;
        L.line++;
        const char *nul = memchr(s, '\0', n);
        if (nul) {
            rc = ids_fail(&L, (size_t)(nul - s), "NUL byte in a rule file");
            break;
        }
        size_t pos = 0, l;
        l = token(s, n, &pos);
        if (l == 0 || s[pos - l] == '#')
            continue;
        if (tok_is(s + pos - l, l, "ipvar") || tok_is(s + pos - l, l, "var")) {
            rc = add_var(&L, s, n, pos, false);
            continue;
        }
        if (tok_is(s + pos - l, l, "portvar")) {
            rc = add_var(&L, s, n, pos, true);
            continue;
        }
        if (ids->n_rules >= MAX_RULES) {
            rc = ids_fail(&L, 0, "more than %d rules", MAX_RULES);
            break;
        }
        struct rule *r = realloc(ids->rules, (ids->n_rules + 1) * sizeof(*r));
        if (!r) {
            rc = ids_fail(&L, 0, "out of memory");
            break;
        }
        ids->rules = r;
        r = &ids->rules[ids->n_rules++];
        memset(r, 0, sizeof(*r));
        r->line = L.line;
        r->fast = -1;
        r->priority = 3;
        rc = rule(&L, r, s, n);
    }
    for (size_t i = 0; i < L.n_vars; i++) {
        free(L.vars[i].name);
        free(L.vars[i].value);
    }
    free(L.vars);
    return rc;
}
