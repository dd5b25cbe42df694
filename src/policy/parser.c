/*
 * parser.c — recursive descent over the tokens of one source, applying each
 * statement to the load's fresh engine as soon as it is complete (a name must
 * be defined before it is used, as in pf.conf).
 *
 * Statements end at the end of their line (a trailing backslash continues
 * it); `{ }` lists may span lines. After an error the parser skips to the
 * next line and goes on, so one run reports every error.
 */
#define _GNU_SOURCE
#include "policy/internal.h"

#include "alert/alert.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_INCLUDE_DEPTH 16
#define MAX_ZONES         1024

struct ps {
    struct load *ld;
    struct token *t;
    size_t n, i;
    int src;
    bool failed; /* the current statement has reported its error */
    int depth;   /* open '{' of lists */
};

static const char *const top_words[] = {"set",      "zone",     "ports",  "domains",
                                        "sublayer", "provider", "filter", "app",
                                        "include",  "mail",     NULL};
/* The words of `set`; stmt_set's switch names them, so a word added
 * anywhere in the list cannot shift another's meaning. */
enum set_word {
    SET_MODE,
    SET_NO_PROMPTER,
    SET_UNATTRIBUTED,
    SET_PROMPT_TIMEOUT,
    SET_FAIL_MODE,
    SET_ALERT,
    SET_DEFAULT,
    SET_SELF_TRAFFIC,
    SET_CALLOUT_FAILURE,
    SET_DNSFILTER_LIST,
    SET_DNSFILTER_ANSWER,
    SET_STREAM_BOUND,
    SET_ACCOUNTING_LIMIT,
    SET_POLICY_BUNDLE,
    SET_SYSLOG,
    SET_URLFILTER,
    SET_ON_TAMPER,
    SET_TRUST_PACKAGE_MANAGER,
    SET_ON_POLICY_CHANGE,
    SET_AV,
    SET_IDS_UPDATE,
    SET_ENCRYPTED_DNS_RESOLVER,
    SET_MAIL_PROXY,
    SET_MAIL_TLS_LISTEN,
    SET_MAIL_TLS_TRUST,
    SET_IDS_DEPTH,
    SET_N_WORDS
};
static const char *const set_words[SET_N_WORDS + 1] = {
    [SET_MODE] = "mode",
    [SET_NO_PROMPTER] = "no-prompter",
    [SET_UNATTRIBUTED] = "unattributed",
    [SET_PROMPT_TIMEOUT] = "prompt-timeout",
    [SET_FAIL_MODE] = "fail-mode",
    [SET_ALERT] = "alert",
    [SET_DEFAULT] = "default",
    [SET_SELF_TRAFFIC] = "self-traffic",
    [SET_CALLOUT_FAILURE] = "callout-failure",
    [SET_DNSFILTER_LIST] = "dnsfilter-list",
    [SET_DNSFILTER_ANSWER] = "dnsfilter-answer",
    [SET_STREAM_BOUND] = "stream-bound",
    [SET_ACCOUNTING_LIMIT] = "accounting-limit",
    [SET_POLICY_BUNDLE] = "policy-bundle",
    [SET_SYSLOG] = "syslog",
    [SET_URLFILTER] = "urlfilter",
    [SET_ON_TAMPER] = "on-tamper",
    [SET_TRUST_PACKAGE_MANAGER] = "trust-package-manager",
    [SET_ON_POLICY_CHANGE] = "on-policy-change",
    [SET_AV] = "av",
    [SET_IDS_UPDATE] = "ids-update",
    [SET_ENCRYPTED_DNS_RESOLVER] = "encrypted-dns-resolver",
    [SET_MAIL_PROXY] = "mail-proxy",
    [SET_MAIL_TLS_LISTEN] = "mail-tls-listen",
    [SET_MAIL_TLS_TRUST] = "mail-tls-trust",
    [SET_IDS_DEPTH] = "ids-depth",
    [SET_N_WORDS] = NULL,
};
static const char *const filter_words[] = {
    "layer",  "sublayer",      "provider", "weight",     "hard",          "soft",
    "permit", "block",         "callout",  "proto",      "tcp",           "udp",
    "icmp",   "icmp6",         "from",     "to",         "port",          "app",
    "sha256", "cmdline",       "user",     "group",      "cgroup",        "domain",
    "iface",  "icmp-type",     "daily",    "weekdays",   "weekends",      "mon",
    "tue",    "wed",           "thu",      "fri",        "sat",           "sun",
    "boot",   "once",          "until",    "until-exit", "until-restart", "session",
    "any",    "encrypted-dns", NULL};
static const char *const rule_words[] = {
    "in",       "out",      "proto", "tcp",        "udp",           "icmp",    "icmp6",    "any",
    "port",     "to",       "from",  "domain",     "user",          "parent",  "provider", "daily",
    "weekdays", "weekends", "mon",   "tue",        "wed",           "thu",     "fri",      "sat",
    "sun",      "once",     "until", "until-exit", "until-restart", "session", "allow",    "deny",
    NULL};
static const char *const day_words[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};
static const char *const layer_words[] = {"outbound",    "inbound",   "bind",    "packet-out",
                                          "packet-in",   "dns",       "connect", "accept",
                                          "connect-out", "accept-in", NULL};
static const char *const builtin_zone_words[] = {"any",  "loopback", "lan", "multicast",
                                                 "self", "internet", NULL};

/* Alerts the daemon raises ("set alert NAME COUNT/WINDOW"). */
static const char *const alert_words[] = {"portscan", "flood", "flood-total", NULL};

/* ---- Tokens ---------------------------------------------------------------- */

static struct token *tok(struct ps *ps)
{
    return &ps->t[ps->i];
}

static struct token *adv(struct ps *ps)
{
    struct token *t = &ps->t[ps->i];
    if (t->type != T_EOF)
        ps->i++;
    if (t->bad)
        ps->failed = true; /* reported by the lexer: say nothing more */
    return t;
}

static bool is_word(const struct token *t, const char *w)
{
    return t->type == T_WORD && strcmp(t->text, w) == 0;
}

/* A statement (or an application rule) ends at a new line or a '}'. */
static bool at_end(struct ps *ps)
{
    const struct token *t = tok(ps);
    return t->bol || t->type == T_EOF || t->type == T_RBRACE;
}

static bool err(struct ps *ps, const struct token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool err(struct ps *ps, const struct token *t, const char *fmt, ...)
{
    if (ps->failed)
        return false;
    ps->failed = true;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_at(ps->ld, t, "%s", msg);
    return false;
}

static const char *show(const struct token *t)
{
    return t->type == T_EOF ? "end of file" : t->text;
}

/* Unknown word: say so, suggesting the nearest keyword of the context. */
static bool unknown_at(struct ps *ps, const struct token *t, const char *what,
                       const char *const *cands, bool start)
{
    const char *s = t->type == T_WORD ? suggest(t->text, cands) : NULL;
    if ((t->bol && !start) || t->type == T_EOF)
        return err(ps, t, "unexpected end of line: %s expected", what);
    if (s)
        return err(ps, t, "unknown %s '%s'; did you mean '%s'?", what, show(t), s);
    return err(ps, t, "unexpected '%s': %s expected", show(t), what);
}

static bool unknown(struct ps *ps, const struct token *t, const char *what,
                    const char *const *cands)
{
    return unknown_at(ps, t, what, cands, false);
}

/* Skips the rest of a failed statement, over any lists it opened. */
static void recover(struct ps *ps, bool in_block)
{
    int depth = ps->depth;
    while (tok(ps)->type != T_EOF) {
        const struct token *t = tok(ps);
        if (t->bol && depth <= 0)
            break;
        if (t->type == T_RBRACE && depth <= 0 && in_block)
            break;
        if (t->type == T_LBRACE)
            depth++;
        if (t->type == T_RBRACE)
            depth--;
        adv(ps);
    }
    ps->depth = 0;
    ps->failed = false;
}

/* ---- Value lists ----------------------------------------------------------- */

#define MAX_VALUES 4096

struct vals {
    ward_range *r;
    size_t nr, cr;
    ward_cidr *c;
    size_t nc, cc;
    const char **s;
    size_t ns, cs;
    ward_time_window *w;
    size_t nw, cw;
    ward_sha256 *h;
    size_t nh, ch;
};

static void *vgrow(struct ps *ps, void *arr, size_t *n, size_t *cap, size_t sz,
                   const struct token *at)
{
    if (*n >= MAX_VALUES) {
        err(ps, at, "too many values in one list (at most %d)", MAX_VALUES);
        return NULL;
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        void *v = arena_alloc(&ps->ld->arena, c * sz);
        if (!v)
            return NULL;
        if (*n)
            memcpy(v, arr, *n * sz);
        arr = v;
        *cap = c;
    }
    return arr;
}

#define VPUSH(ps, arr, n, cap, val, at)                                                            \
    do {                                                                                           \
        void *grown_ = vgrow(ps, (arr), &(n), &(cap), sizeof(*(arr)), at);                         \
        if (!grown_)                                                                               \
            return false;                                                                          \
        (arr) = grown_;                                                                            \
        (arr)[(n)++] = (val);                                                                      \
    } while (0)

typedef bool (*elem_fn)(struct ps *ps, struct vals *v, const char *what);

/* elem | '{' elem, ... '}' */
static bool parse_list(struct ps *ps, struct vals *v, elem_fn fn, const char *what)
{
    if (tok(ps)->type != T_LBRACE) {
        if (at_end(ps))
            return err(ps, tok(ps), "%s expected after '%s'", what, ps->t[ps->i - 1].text);
        return fn(ps, v, what);
    }
    const struct token *open = adv(ps);
    ps->depth++;
    if (tok(ps)->type == T_RBRACE)
        return err(ps, tok(ps), "empty list");
    for (;;) {
        if (tok(ps)->type == T_EOF)
            return err(ps, open, "list is not closed: '}' expected");
        if (!fn(ps, v, what))
            return false;
        const struct token *t = tok(ps);
        if (t->type == T_COMMA) {
            adv(ps);
            if (tok(ps)->type == T_RBRACE) {
                adv(ps);
                ps->depth--;
                return true;
            }
            continue;
        }
        if (t->type == T_RBRACE) {
            adv(ps);
            ps->depth--;
            return true;
        }
        if (t->type == T_EOF)
            return err(ps, open, "list is not closed: '}' expected");
        return err(ps, t, "',' or '}' expected in a list, not '%s'", t->text);
    }
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    if (!*s || (!isdigit((unsigned char)s[0])))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
    if (errno || *end || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool is_number(const char *s)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
        for (s += 2; *s; s++)
            if (!isxdigit((unsigned char)*s))
                return false;
        return true;
    }
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* "N" or "N-M" within 0..max; `what` names the value in messages. */
static bool range_word(struct ps *ps, const struct token *t, uint32_t max, const char *what,
                       ward_range *out)
{
    char lo[64], hi[64];
    const char *dash = strchr(t->text, '-');
    if (t->type != T_WORD || strlen(t->text) >= sizeof(lo))
        return err(ps, t, "bad %s '%s'", what, t->text);
    if (dash) {
        snprintf(lo, sizeof(lo), "%.*s", (int)(dash - t->text), t->text);
        snprintf(hi, sizeof(hi), "%s", dash + 1);
    } else {
        snprintf(lo, sizeof(lo), "%s", t->text);
        snprintf(hi, sizeof(hi), "%s", t->text);
    }
    if (!is_number(lo) || !is_number(hi))
        return err(ps, t, "bad %s '%s'", what, t->text);
    if (!parse_u32(lo, max, &out->lo) || !parse_u32(hi, max, &out->hi))
        return err(ps, t, "%s %s is out of range (0-%u)", what, t->text, max);
    if (out->lo > out->hi)
        return err(ps, t, "%s range %s is backwards", what, t->text);
    return true;
}

static struct list_def *find_list(struct load *ld, const char *name)
{
    size_t i;
    return nmap_get(&ld->list_index, name, &i) ? &ld->lists[i] : NULL;
}

static const struct zone_def *find_zone(struct load *ld, const char *name)
{
    size_t i;
    return nmap_get(&ld->zone_index, name, &i) ? &ld->zones[i] : NULL;
}

static bool macro_ref(struct ps *ps, struct vals *v, enum list_kind kind)
{
    const struct token *t = adv(ps);
    struct list_def *l = find_list(ps->ld, t->text);
    if (!l) {
        const char **names = arena_alloc(&ps->ld->arena, (ps->ld->n_lists + 1) * sizeof(char *));
        for (size_t i = 0; names && i < ps->ld->n_lists; i++)
            names[i] = ps->ld->lists[i].name;
        const char *s = names ? suggest(t->text, names) : NULL;
        if (s)
            return err(ps, t, "no list named '$%s'; did you mean '$%s'?", t->text, s);
        return err(ps, t, "no list named '$%s'", t->text);
    }
    if (l->kind != kind)
        return err(ps, t, "'$%s' is a list of %s, not of %s", t->text,
                   l->kind == LIST_PORTS ? "ports" : "domains",
                   kind == LIST_PORTS ? "ports" : "domains");
    for (size_t i = 0; i < l->n; i++) {
        if (kind == LIST_PORTS)
            VPUSH(ps, v->r, v->nr, v->cr, l->ranges[i], t);
        else
            VPUSH(ps, v->s, v->ns, v->cs, l->strs[i], t);
    }
    return true;
}

static bool port_elem(struct ps *ps, struct vals *v, const char *what)
{
    if (tok(ps)->type == T_MACRO)
        return macro_ref(ps, v, LIST_PORTS);
    ward_range r;
    const struct token *t = adv(ps);
    if (!range_word(ps, t, 65535, "port", &r))
        return false;
    VPUSH(ps, v->r, v->nr, v->cr, r, t);
    return true;
}

static bool num_elem(struct ps *ps, struct vals *v, const char *what)
{
    ward_range r;
    const struct token *t = adv(ps);
    uint32_t max = strcmp(what, "icmp type") == 0 ? 255 : UINT32_MAX - 1;
    if (!range_word(ps, t, max, what, &r))
        return false;
    VPUSH(ps, v->r, v->nr, v->cr, r, t);
    return true;
}

static bool proto_elem(struct ps *ps, struct vals *v, const char *what)
{
    const struct token *t = adv(ps);
    int p = t->type == T_WORD ? proto_number(t->text) : -1;
    uint32_t n;
    if (p < 0 && t->type == T_WORD && parse_u32(t->text, 255, &n))
        p = (int)n;
    if (p < 0) {
        static const char *const names[] = {"tcp", "udp", "icmp", "icmp6", "igmp",
                                            "gre", "esp", "sctp", NULL};
        const char *s = t->type == T_WORD ? suggest(t->text, names) : NULL;
        if (s)
            return err(ps, t, "unknown protocol '%s'; did you mean '%s'?", t->text, s);
        return err(ps, t, "unknown protocol '%s' (a name or a number 0-255)", t->text);
    }
    ward_range r = {(uint32_t)p, (uint32_t)p};
    VPUSH(ps, v->r, v->nr, v->cr, r, t);
    return true;
}

static bool str_elem(struct ps *ps, struct vals *v, const char *what)
{
    const struct token *t = adv(ps);
    if (t->type != T_STRING && t->type != T_WORD)
        return err(ps, t, "%s expected, not '%s'", what, show(t));
    if (!*t->text)
        return err(ps, t, "empty %s", what);
    if (strlen(t->text) >= 4096)
        return err(ps, t, "%s is too long", what);
    VPUSH(ps, v->s, v->ns, v->cs, t->text, t);
    return true;
}

static bool path_elem(struct ps *ps, struct vals *v, const char *what)
{
    const struct token *t = tok(ps);
    if (t->type != T_STRING)
        return err(ps, t, "%s expected as a quoted string, not '%s'", what, show(t));
    if (t->text[0] != '/')
        return err(ps, t, "%s '%s' is not absolute", what, t->text);
    return str_elem(ps, v, what);
}

static bool domain_elem(struct ps *ps, struct vals *v, const char *what)
{
    if (tok(ps)->type == T_MACRO)
        return macro_ref(ps, v, LIST_DOMAINS);
    const struct token *t = adv(ps);
    if (t->type != T_STRING && t->type != T_WORD)
        return err(ps, t, "domain expected, not '%s'", show(t));
    size_t n = strlen(t->text);
    char *d = arena_strdup(&ps->ld->arena, t->text, n);
    if (!d)
        return false;
    if (n && d[n - 1] == '.')
        d[--n] = 0;
    bool ok = n > 0 && n <= 253;
    const char *p = d;
    if (strncmp(p, "*.", 2) == 0)
        p += 2;
    if (!*p)
        ok = false;
    for (char *q = d; ok && *q; q++)
        *q = (char)tolower((unsigned char)*q);
    for (; ok && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            ok = false;
    if (!ok || strstr(d, ".."))
        return err(ps, t, "bad domain '%s' (a name, or '*.' and a name)", t->text);
    VPUSH(ps, v->s, v->ns, v->cs, d, t);
    return true;
}

static bool sha_elem(struct ps *ps, struct vals *v, const char *what)
{
    const struct token *t = adv(ps);
    ward_sha256 h;
    if ((t->type != T_WORD && t->type != T_STRING) || ward_sha256_parse(t->text, &h) != 0)
        return err(ps, t, "bad sha256 '%s' (64 hex digits expected)", show(t));
    VPUSH(ps, v->h, v->nh, v->ch, h, t);
    return true;
}

static bool zone_known(struct load *ld, const char *name)
{
    for (const char *const *b = builtin_zone_words; *b; b++)
        if (strcmp(*b, name) == 0)
            return true;
    return find_zone(ld, name) != NULL;
}

static bool cidr_word(struct ps *ps, const struct token *t, ward_cidr *c)
{
    char addr[128];
    const char *slash = strchr(t->text, '/');
    if (strlen(t->text) >= sizeof(addr))
        return err(ps, t, "bad address '%s'", t->text);
    snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - t->text) : (int)strlen(t->text),
             t->text);
    ward_ip ip;
    if (ward_ip_parse(addr, &ip) < 0)
        return err(ps, t, "bad address '%s'", addr);
    if (slash) {
        uint32_t plen, max = ward_ip_is_v4(&ip) ? 32 : 128;
        if (!is_number(slash + 1) || !parse_u32(slash + 1, max, &plen))
            return err(ps, t, "bad prefix length in '%s' (0-%u)", t->text, max);
    }
    if (ward_cidr_parse(t->text, c) < 0)
        return err(ps, t, "'%s' has host bits set beyond its prefix length", t->text);
    return true;
}

/* An address element: a prefix, an address, or a zone's name. */
static bool addr_elem(struct ps *ps, struct vals *v, const char *what)
{
    const struct token *t = adv(ps);
    if (t->type != T_WORD && t->type != T_STRING)
        return err(ps, t, "address or zone expected, not '%s'", show(t));
    if (strchr(t->text, ':') || isdigit((unsigned char)t->text[0])) {
        ward_cidr c;
        if (!cidr_word(ps, t, &c))
            return false;
        VPUSH(ps, v->c, v->nc, v->cc, c, t);
        return true;
    }
    if (!zone_known(ps->ld, t->text)) {
        const char **names =
            arena_alloc(&ps->ld->arena, (ps->ld->n_zones + 8) * sizeof(const char *));
        size_t k = 0;
        for (const char *const *b = builtin_zone_words; names && *b; b++)
            names[k++] = *b;
        for (size_t i = 0; names && i < ps->ld->n_zones; i++)
            names[k++] = ps->ld->zones[i].name;
        const char *s = names ? suggest(t->text, names) : NULL;
        if (s)
            return err(ps, t, "unknown zone '%s'; did you mean '%s'?", t->text, s);
        return err(ps, t, "unknown zone '%s'", t->text);
    }
    VPUSH(ps, v->s, v->ns, v->cs, t->text, t);
    return true;
}

/* ---- Time windows ------------------------------------------------------------ */

static bool is_day_word(const struct token *t)
{
    if (t->type != T_WORD)
        return false;
    if (!strcmp(t->text, "daily") || !strcmp(t->text, "weekdays") || !strcmp(t->text, "weekends"))
        return true;
    for (const char *const *d = day_words; *d; d++)
        if (!strcmp(*d, t->text))
            return true;
    return false;
}

static bool hhmm(const char *s, size_t n, uint16_t *out)
{
    if (n != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m))
        return false;
    *out = (uint16_t)(h * 60 + m);
    return true;
}

/* days [HH:MM-HH:MM]: "weekdays 08:00-19:00", "mon,wed,fri 22:00-02:00", "daily" */
static bool parse_time(struct ps *ps, struct vals *v)
{
    const struct token *first = tok(ps);
    uint8_t days = 0;
    bool group = false;
    for (;;) {
        const struct token *t = adv(ps);
        if (!is_day_word(t)) {
            const char *s = t->type == T_WORD ? suggest(t->text, day_words) : NULL;
            if (s)
                return err(ps, t, "unknown day '%s'; did you mean '%s'?", t->text, s);
            return err(ps, t, "day expected (mon ... sun, weekdays, weekends, daily), not '%s'",
                       show(t));
        }
        uint8_t bits = 0;
        bool is_group = true;
        if (!strcmp(t->text, "daily"))
            bits = WARD_DAYS_ALL;
        else if (!strcmp(t->text, "weekdays"))
            bits = WARD_DAYS_WEEKDAYS;
        else if (!strcmp(t->text, "weekends"))
            bits = 0x41;
        else {
            is_group = false;
            for (int d = 0; day_words[d]; d++)
                if (!strcmp(day_words[d], t->text))
                    bits = (uint8_t)(1u << d);
        }
        if ((is_group || group) && days)
            return err(ps, t, "'%s' cannot be combined with other days",
                       is_group ? t->text : first->text);
        if (days & bits)
            return err(ps, t, "day '%s' is listed twice", t->text);
        group = group || is_group;
        days |= bits;
        if (tok(ps)->type != T_COMMA)
            break;
        adv(ps);
    }
    ward_time_window w = {.days = days, .start = 0, .end = 1440};
    const struct token *t = tok(ps);
    if (!at_end(ps) && t->type == T_WORD && isdigit((unsigned char)t->text[0])) {
        adv(ps);
        const char *dash = strchr(t->text, '-');
        if (!dash || !hhmm(t->text, (size_t)(dash - t->text), &w.start) ||
            !hhmm(dash + 1, strlen(dash + 1), &w.end) || w.start == 1440)
            return err(ps, t, "bad time window '%s' (HH:MM-HH:MM, 00:00 to 24:00)", t->text);
        if (w.start == w.end)
            return err(ps, t, "time window '%s' is empty; leave the hours out for the whole day",
                       t->text);
        if (w.end == 0)
            w.end = 1440;
    }
    VPUSH(ps, v->w, v->nw, v->cw, w, first);
    return true;
}

/* ---- Lifetimes --------------------------------------------------------------- */

static bool is_lifetime_word(const struct token *t)
{
    return is_word(t, "once") || is_word(t, "until") || is_word(t, "until-exit") ||
           is_word(t, "until-restart") || is_word(t, "session") || is_word(t, "boot");
}

static bool parse_lifetime(struct ps *ps, ward_lifetime *l, bool *seen)
{
    const struct token *t = adv(ps);
    if (*seen)
        return err(ps, t, "a rule has one lifetime; '%s' is a second", t->text);
    *seen = true;
    memset(l, 0, sizeof(*l));
    if (is_word(t, "once")) {
        l->kind = WARD_LIFE_ONCE;
    } else if (is_word(t, "until-restart")) {
        l->kind = WARD_LIFE_UNTIL_RESTART;
    } else if (is_word(t, "boot")) {
        l->kind = WARD_LIFE_BOOT;
    } else if (is_word(t, "session")) {
        /* A session is a control connection: only the one adding the rule
         * can give it (it replaces the number), and no file outlives it. */
        if (!ps->ld->control)
            return err(ps, t,
                       "a 'session' lifetime belongs to the control connection that adds the "
                       "rule (ward rules add); a file cannot hold one");
        uint32_t n;
        if (!at_end(ps) && is_number(tok(ps)->text)) {
            const struct token *v = adv(ps);
            if (!parse_u32(v->text, UINT32_MAX, &n))
                return err(ps, v, "session number expected after 'session'");
        }
        l->kind = WARD_LIFE_DYNAMIC;
    } else if (is_word(t, "until")) {
        const struct token *v = adv(ps);
        struct tm tm = {0};
        char *end = v->type == T_WORD ? strptime(v->text, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
        if (!end || *end)
            return err(ps, v, "bad time '%s' after 'until' (YYYY-MM-DDTHH:MM:SSZ, UTC)", show(v));
        l->kind = WARD_LIFE_TIMED;
        l->expires = (int64_t)timegm(&tm);
    } else { /* until-exit pid N start N */
        uint32_t pid;
        if (!is_word(tok(ps), "pid"))
            return err(ps, tok(ps), "'pid' expected after 'until-exit'");
        adv(ps);
        const struct token *v = adv(ps);
        if (!is_number(v->text) || !parse_u32(v->text, UINT32_MAX, &pid))
            return err(ps, v, "process id expected after 'pid'");
        if (!is_word(tok(ps), "start"))
            return err(ps, tok(ps), "'start' (the process start time) expected after the pid");
        adv(ps);
        v = adv(ps);
        errno = 0;
        char *end;
        unsigned long long st = v->type == T_WORD ? strtoull(v->text, &end, 10) : 0;
        if (v->type != T_WORD || !is_number(v->text) || errno || *end)
            return err(ps, v, "start time expected after 'start'");
        l->kind = WARD_LIFE_UNTIL_EXIT;
        l->pid = pid;
        l->start_time = st;
    }
    return true;
}

/* ---- Sorting, for canonical engine contents ------------------------------------ */

static int cmp_range(const void *a, const void *b)
{
    const ward_range *x = a, *y = b;
    return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : (x->hi > y->hi) - (x->hi < y->hi);
}

static int cmp_cidr(const void *a, const void *b)
{
    const ward_cidr *x = a, *y = b;
    int c = memcmp(x->ip.b, y->ip.b, 16);
    return c ? c : (x->plen > y->plen) - (x->plen < y->plen);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_sha(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(ward_sha256));
}

static size_t uniq(void *base, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
    if (n < 2)
        return n;
    qsort(base, n, sz, cmp);
    char *p = base;
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (cmp(p + (k - 1) * sz, p + i * sz) != 0)
            memmove(p + k++ * sz, p + i * sz, sz);
    return k;
}

static void vals_sort(struct vals *v)
{
    v->nr = uniq(v->r, v->nr, sizeof(*v->r), cmp_range);
    v->nc = uniq(v->c, v->nc, sizeof(*v->c), cmp_cidr);
    v->ns = uniq(v->s, v->ns, sizeof(*v->s), cmp_str);
    v->nh = uniq(v->h, v->nh, sizeof(*v->h), cmp_sha);
}

/* ---- Names -------------------------------------------------------------------- */

static bool ident(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

/* A name: a bare identifier or a quoted string holding one. */
static const char *name_tok(struct ps *ps, const char *what)
{
    const struct token *t = tok(ps);
    if (at_end(ps)) {
        err(ps, t, "%s name expected", what);
        return NULL;
    }
    adv(ps);
    if ((t->type != T_WORD && t->type != T_STRING) || !ident(t->text) || strlen(t->text) > 63) {
        err(ps, t, "bad %s name '%s' (letters, digits, '_' and '-', at most 63)", what, show(t));
        return NULL;
    }
    return t->text;
}

static void origin_of(struct ps *ps, const struct token *t, char *buf, size_t len)
{
    const char *path = ps->ld->srcs[t->src].path;
    const char *slash = strrchr(path, '/');
    snprintf(buf, len, "%s:%d", slash ? slash + 1 : path, t->line);
}

/* ---- set ----------------------------------------------------------------------- */

enum {
    SEEN_MODE = 1,
    SEEN_NOPROMPT = 2,
    SEEN_UNATTR = 4,
    SEEN_TIMEOUT = 8,
    SEEN_FAIL = 16,
    SEEN_SELF = 32,
    SEEN_CALLOUT_FAIL = 64,
    SEEN_DNSF_ANSWER = 128,
    SEEN_STREAM_BOUND = 256,
    SEEN_ACCOUNTING = 512,
    SEEN_BUNDLE = 1024,
    SEEN_SYSLOG = 2048,
    SEEN_ON_TAMPER = 4096,
    SEEN_TRUST_PKG = 8192,
    SEEN_ON_POLICY = 16384,
    SEEN_AV = 32768,
    SEEN_IDS_UPDATE = 65536,
    SEEN_MAIL_PROXY = 131072,
    SEEN_IDS_DEPTH = 262144,
    SEEN_MAIL_TLS_TRUST = 524288
};

static bool once(struct ps *ps, const struct token *t, unsigned bit)
{
    if (ps->ld->set_seen & bit)
        return err(ps, t, "'set %s' is given twice", t->text);
    ps->ld->set_seen |= bit;
    return true;
}

static int choice(struct ps *ps, const char *what, const char *const *words)
{
    const struct token *t = tok(ps);
    if (at_end(ps)) {
        err(ps, t, "%s expected", what);
        return -1;
    }
    adv(ps);
    for (int i = 0; words[i]; i++)
        if (t->type == T_WORD && !strcmp(words[i], t->text))
            return i;
    const char *s = t->type == T_WORD ? suggest(t->text, words) : NULL;
    char list[256] = "";
    for (int i = 0; words[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", words[i]);
    if (s)
        err(ps, t, "unknown %s '%s'; did you mean '%s'?", what, t->text, s);
    else
        err(ps, t, "unknown %s '%s' (one of: %s)", what, show(t), list);
    return -1;
}

static bool duration(struct ps *ps, const struct token *t, const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = isdigit((unsigned char)*s) ? strtoul(s, &end, 10) : 0;
    if (!isdigit((unsigned char)*s) || errno)
        return err(ps, t, "bad duration '%s' (e.g. 30s, 5m, 1h)", s);
    unsigned long mul = 1;
    if (!strcmp(end, "m"))
        mul = 60;
    else if (!strcmp(end, "h"))
        mul = 3600;
    else if (*end && strcmp(end, "s"))
        return err(ps, t, "bad duration '%s' (e.g. 30s, 5m, 1h)", s);
    if (v > 86400 * 7 / mul)
        return err(ps, t, "duration '%s' is longer than a week", s);
    *out = (uint32_t)(v * mul);
    return true;
}

/* A number with one of the units: "64KB" with {"B" 1, "KB" 1024, ...}; a
 * bare number takes the unit at index 0. False if it is not one, is 0, or
 * is beyond max. */
static bool amount(const char *s, const char *const *units, const uint32_t *mul, uint32_t max,
                   uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = isdigit((unsigned char)*s) ? strtoul(s, &end, 10) : 0;
    if (!isdigit((unsigned char)*s) || errno || v == 0)
        return false;
    size_t u = 0;
    if (*end) {
        for (u = 0; units[u] && strcasecmp(end, units[u]) != 0; u++)
            ;
        if (!units[u])
            return false;
    }
    if (v > max / mul[u])
        return false;
    *out = (uint32_t)(v * mul[u]);
    return true;
}

/* set stream-bound SIZE TIME fail-open|fail-closed: how much of a flow the
 * stream layer holds while a callout needs more data, and for how long. */
static bool stream_bound(struct ps *ps, const struct token *what)
{
    static const char *const sizes[] = {"B", "KB", "MB", NULL};
    static const uint32_t size_mul[] = {1, 1024, 1024 * 1024};
    static const char *const times[] = {"ms", "s", "m", NULL};
    static const uint32_t time_mul[] = {1, 1000, 60000};
    static const char *const outcomes[] = {"fail-open", "fail-closed", NULL};
    struct load *ld = ps->ld;
    const struct token *t = adv(ps);
    if (t->bol || t->type == T_STRING ||
        !amount(t->text, sizes, size_mul, WARD_POLICY_MAX_STREAM_BYTES, &ld->extras.stream_bytes))
        return err(ps, t, "bad size '%s' (e.g. 4096, 64KB, 1MB; at most 16MB)", show(t));
    t = adv(ps);
    if (t->bol || t->type == T_STRING || !t->text[0] ||
        isdigit((unsigned char)t->text[strlen(t->text) - 1]) ||
        !amount(t->text, times, time_mul, 600000, &ld->extras.stream_ms))
        return err(ps, t, "bad time '%s' (e.g. 500ms, 5s; at most 10m)", show(t));
    int v = choice(ps, "outcome", outcomes);
    if (v < 0)
        return false;
    ld->extras.stream_fail_open = v == 0;
    return once(ps, what, SEEN_STREAM_BOUND);
}

/* set ids-depth SIZE: how much of each direction of a TCP flow the ids
 * callout inspects (0: all of it). */
static bool ids_depth(struct ps *ps, const struct token *what)
{
    static const char *const sizes[] = {"B", "KB", "MB", "GB", NULL};
    static const uint32_t size_mul[] = {1, 1024, 1024 * 1024, 1024 * 1024 * 1024};
    const struct token *t = adv(ps);
    uint32_t *depth = &ps->ld->extras.ids_depth;
    if (t->bol || t->type == T_STRING ||
        (strcmp(t->text, "0") != 0 &&
         !amount(t->text, sizes, size_mul, WARD_POLICY_MAX_IDS_DEPTH, depth)))
        return err(ps, t, "bad size '%s' (e.g. 1MB, 256KB; 0: no depth; at most 1GB)", show(t));
    if (!strcmp(t->text, "0"))
        *depth = 0;
    return once(ps, what, SEEN_IDS_DEPTH);
}

/* set ids-update "URL" every TIME: where wardd fetches intrusion detection
 * rule bundles (https, http or file) and how often (1m to 30d). */
static bool ids_update(struct ps *ps, const struct token *what)
{
    static const char *const times[] = {"s", "m", "h", "d", NULL};
    static const uint32_t time_mul[] = {1, 60, 3600, 86400};
    struct load *ld = ps->ld;
    const struct token *t = adv(ps);
    if (t->bol || t->type != T_STRING)
        return err(ps, t, "the bundle's URL expected as a quoted string, not '%s'", show(t));
    if (strncmp(t->text, "https://", 8) && strncmp(t->text, "http://", 7) &&
        strncmp(t->text, "file://", 7))
        return err(ps, t, "'%s' is not an https, http or file URL", t->text);
    if (strlen(t->text) >= sizeof(ld->extras.ids_update_url))
        return err(ps, t, "the URL is too long");
    snprintf(ld->extras.ids_update_url, sizeof(ld->extras.ids_update_url), "%s", t->text);
    t = adv(ps);
    if (t->bol || t->type == T_STRING || strcmp(t->text, "every") != 0)
        return err(ps, t, "'every' and an interval expected after the URL, not '%s'", show(t));
    t = adv(ps);
    uint32_t s = 0;
    if (t->bol || t->type == T_STRING || !t->text[0] ||
        isdigit((unsigned char)t->text[strlen(t->text) - 1]) ||
        !amount(t->text, times, time_mul, 30 * 86400, &s) || s < 60)
        return err(ps, t, "bad interval '%s' (e.g. 30m, 6h, 1d; from 1m to 30d)", show(t));
    ld->extras.ids_update_s = s;
    return once(ps, what, SEEN_IDS_UPDATE);
}

/* Whether 127.x:port is taken by a TLS listener, or by the proxy's own
 * listener on 127.0.0.1 (addr NULL: that one). */
static bool mail_port_taken(const ward_policy_extras *x, uint16_t port, const uint8_t *addr)
{
    static const uint8_t lo[4] = {127, 0, 0, 1};
    if (x->mail_port == port && !memcmp(addr ? addr : lo, lo, 4))
        return true;
    for (size_t i = 0; i < x->n_mail_tls; i++)
        if (x->mail_tls[i].port == port && !memcmp(x->mail_tls[i].addr, addr ? addr : lo, 4))
            return true;
    return false;
}

/* set mail-proxy port PORT | off: ward-maild listens on PORT (loopback)
 * and the mail flows of every program are redirected to it (docs/MAIL.md). */
static bool mail_proxy(struct ps *ps, const struct token *what)
{
    static const char *const modes[] = {"port", "off", NULL};
    int v = choice(ps, "mail-proxy setting", modes);
    if (v < 0 || !once(ps, what, SEEN_MAIL_PROXY))
        return false;
    if (v == 1) {
        ps->ld->extras.mail_port = 0;
        return true;
    }
    const struct token *t = adv(ps);
    char *end;
    unsigned long port =
        t->type == T_WORD && isdigit((unsigned char)t->text[0]) ? strtoul(t->text, &end, 10) : 0;
    if (t->bol || !port || *end || port > 65535)
        return err(ps, t, "the proxy's port expected (1-65535), not '%s'", show(t));
    if (port == 25 || port == 110 || port == 143 || port == 587)
        return err(ps, t, "port %lu is a mail port the proxy's flows are redirected from", port);
    if (mail_port_taken(&ps->ld->extras, (uint16_t)port, NULL))
        return err(ps, t, "port %lu is a mail TLS listener's on 127.0.0.1", port);
    ps->ld->extras.mail_port = (uint16_t)port;
    return true;
}

/* "HOST:PORT" (HOST a name, an IPv4 address or [IPv6]) into host and
 * port; false if it is not one. */
static bool host_port(const char *text, char *host, size_t len, uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    char *end;
    unsigned long p = colon && isdigit((unsigned char)colon[1]) ? strtoul(colon + 1, &end, 10) : 0;
    if (!p || *end || p > 65535)
        return false;
    size_t n = (size_t)(colon - text);
    if (n > 2 && text[0] == '[' && text[n - 1] == ']')
        text++, n -= 2;
    if (!n || n >= len || memchr(text, ' ', n))
        return false;
    memcpy(host, text, n);
    host[n] = '\0';
    *port = (uint16_t)p;
    return true;
}

/* set mail-tls-listen PROTO 127.X.Y.Z:PORT upstream "HOST:PORT": a local
 * TLS listener of the mail proxy (docs/MAIL.md, "Implicit TLS"). */
static bool mail_tls_listen(struct ps *ps)
{
    ward_policy_extras *x = &ps->ld->extras;
    const struct token *first = tok(ps);
    int proto = choice(ps, "mail TLS protocol", mail_tls_proto_words);
    if (proto < 0)
        return false;
    if (x->n_mail_tls == WARD_POLICY_MAX_MAIL_TLS)
        return err(ps, first, "at most %d mail TLS listeners", WARD_POLICY_MAX_MAIL_TLS);
    struct ward_mail_tls *l = &x->mail_tls[x->n_mail_tls];
    memset(l, 0, sizeof(*l));
    l->proto = (uint8_t)proto;
    const struct token *t = adv(ps);
    char addr[64];
    struct in_addr a;
    if (t->bol || t->type != T_WORD || !host_port(t->text, addr, sizeof(addr), &l->port) ||
        inet_pton(AF_INET, addr, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
        return err(ps, t, "a loopback address and port expected (127.0.0.1:10465), not '%s'",
                   show(t));
    memcpy(l->addr, &a, 4);
    if (mail_port_taken(x, l->port, l->addr))
        return err(ps, t, "%s is a mail TLS listener or the mail proxy's already", t->text);
    t = adv(ps);
    if (t->bol || !is_word(t, "upstream"))
        return err(ps, t, "'upstream' expected, not '%s'", show(t));
    t = adv(ps);
    if (t->bol || t->type != T_STRING ||
        !host_port(t->text, l->upstream, sizeof(l->upstream), &l->upstream_port))
        return err(ps, t, "the upstream server expected as \"HOST:PORT\", not '%s'", show(t));
    x->n_mail_tls++;
    return true;
}

/* mail [app "PATH"] WHAT [ARG] OUTCOME: a mail rule (docs/MAIL.md). WHAT is
 * from, to, subject, attachment or type with a quoted glob, virus, or size
 * with a size. */
static bool stmt_mail(struct ps *ps)
{
    struct load *ld = ps->ld;
    const struct token *first = adv(ps);
    if (ld->extras.n_mail == WARD_POLICY_MAX_MAIL)
        return err(ps, first, "at most %d mail rules", WARD_POLICY_MAX_MAIL);
    struct ward_mail_rule *r = &ld->extras.mail[ld->extras.n_mail];
    memset(r, 0, sizeof(*r));
    if (is_word(tok(ps), "app") && !at_end(ps)) {
        adv(ps);
        const struct token *t = adv(ps);
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "the program's path expected as a quoted string, not '%s'", show(t));
        if (t->text[0] != '/' || strlen(t->text) >= sizeof(r->app))
            return err(ps, t, "the program's path '%s' is not absolute", t->text);
        snprintf(r->app, sizeof(r->app), "%s", t->text);
    }
    int w = choice(ps, "mail rule condition", mail_what_words);
    if (w < 0)
        return false;
    r->what = (uint8_t)w;
    if (w == WARD_MAIL_SIZE) {
        const struct token *t = tok(ps);
        if (at_end(ps) || t->type != T_WORD || !limit_size_word(t->text, &r->size))
            return err(ps, t, "a size expected after 'size' (e.g. 10MB, 512KiB), not '%s'",
                       show(t));
        adv(ps);
    } else if (w != WARD_MAIL_VIRUS) {
        const struct token *t = adv(ps);
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "a pattern expected as a quoted string after '%s', not '%s'",
                       mail_what_words[w], show(t));
        if (!t->text[0] || strlen(t->text) >= sizeof(r->pattern))
            return err(ps, t, "the pattern is empty or longer than %zu bytes",
                       sizeof(r->pattern) - 1);
        snprintf(r->pattern, sizeof(r->pattern), "%s", t->text);
    }
    int o = choice(ps, "mail outcome", mail_outcome_words);
    if (o < 0)
        return false;
    r->outcome = (uint8_t)o;
    origin_of(ps, first, r->origin, sizeof(r->origin));
    ld->extras.n_mail++;
    return true;
}

/* HOST[/PATH]: a host name or *.name, then a path from '/' (a glob). */
static bool url_pattern_ok(const char *s)
{
    const char *h = s;
    if (h[0] == '*' && h[1] == '.')
        h += 2;
    size_t hl = strcspn(h, "/");
    if (!hl || hl >= 254)
        return false;
    for (size_t i = 0; i < hl; i++)
        if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_' &&
            h[i] != ':' && h[i] != '[' && h[i] != ']')
            return false;
    for (const char *p = h + hl; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* set urlfilter allow|deny [app "PATH"] "PATTERN": the urlfilter callout's
 * rules, per program or for all. */
static bool urlfilter_rule(struct ps *ps)
{
    static const char *const actions[] = {"allow", "deny", NULL};
    struct load *ld = ps->ld;
    const struct token *first = tok(ps);
    int v = choice(ps, "urlfilter action", actions);
    if (v < 0)
        return false;
    if (ld->extras.n_urlfilter == WARD_POLICY_MAX_URLFILTER)
        return err(ps, first, "at most %d urlfilter rules", WARD_POLICY_MAX_URLFILTER);
    struct ward_policy_url *u = &ld->extras.urlfilter[ld->extras.n_urlfilter];
    memset(u, 0, sizeof(*u));
    u->deny = v == 1;
    const struct token *t = adv(ps);
    if (!t->bol && is_word(t, "app")) {
        t = adv(ps);
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "the program's path expected as a quoted string, not '%s'", show(t));
        if (t->text[0] != '/' || strlen(t->text) >= sizeof(u->app))
            return err(ps, t, "the program's path '%s' is not absolute", t->text);
        snprintf(u->app, sizeof(u->app), "%s", t->text);
        t = adv(ps);
    }
    if (t->bol || t->type != T_STRING)
        return err(ps, t,
                   "a URL pattern expected as a quoted string (\"example.com/path\"), not '%s'",
                   show(t));
    if (strlen(t->text) >= sizeof(u->pattern) || !url_pattern_ok(t->text))
        return err(ps, t,
                   "not a URL pattern: '%s' (HOST or HOST/PATH: example.com, *.example.com/docs/*)",
                   t->text);
    snprintf(u->pattern, sizeof(u->pattern), "%s", t->text);
    for (char *c = u->pattern; *c && *c != '/'; c++)
        *c = (char)tolower((unsigned char)*c);
    ld->extras.n_urlfilter++;
    return true;
}

/* A layer wardd enforces; the engine's other layers are refused by name. */
static int layer_choice(struct ps *ps)
{
    const struct token *t = tok(ps);
    int l = choice(ps, "layer", layer_words);
    if (l < 0)
        return -1;
    l = layer_from_word(layer_words[l]);
    if (!ward_policy_layer_supported((enum ward_layer)l)) {
        err(ps, t,
            "layer '%s' is not supported: wardd decides only the outbound, inbound and dns "
            "layers",
            t->text);
        return -1;
    }
    return l;
}

/* "SIZE per PERIOD" (a quota, the accounting limit): bytes and period. */
static bool size_per(struct ps *ps, const char *what, uint64_t *bytes, uint8_t *period)
{
    const struct token *t = tok(ps);
    if (at_end(ps) || t->type != T_WORD || !limit_size_word(t->text, bytes))
        return err(ps, t, "%s: a size expected (e.g. 500MB, 10GB, 2GiB), not '%s'", what, show(t));
    if (*bytes < 1000)
        return err(ps, t, "%s: %s is less than 1KB", what, t->text);
    adv(ps);
    if (!is_word(tok(ps), "per") || at_end(ps))
        return err(ps, at_end(ps) ? t : tok(ps),
                   "%s: 'per day', 'per week' or 'per month' expected after '%s'", what, t->text);
    adv(ps);
    static const char *const pers[] = {"day", "week", "month", NULL};
    int p = choice(ps, "period", pers);
    if (p < 0)
        return false;
    *period = (uint8_t)(p + WARD_QUOTA_DAY);
    return true;
}

static bool stmt_set(struct ps *ps)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *what = tok(ps);
    int k = choice(ps, "setting", set_words);
    static const char *const modes[] = {"ask", "allow-all", "deny-all", NULL};
    static const char *const passblock[] = {"pass", "block", NULL};
    static const char *const allowdeny[] = {"allow", "deny", NULL};
    static const char *const failmodes[] = {"closed", "open", NULL};
    int v;
    switch (k) {
    case SET_MODE:
        if ((v = choice(ps, "mode", modes)) < 0 || !once(ps, what, SEEN_MODE))
            return false;
        ld->settings.mode = (enum ward_mode)v;
        return true;
    case SET_NO_PROMPTER:
    case SET_UNATTRIBUTED:
        if ((v = choice(ps, "outcome", passblock)) < 0 ||
            !once(ps, what, k == SET_NO_PROMPTER ? SEEN_NOPROMPT : SEEN_UNATTR))
            return false;
        *(k == SET_NO_PROMPTER ? &ld->settings.no_prompter : &ld->settings.unattributed) =
            v ? WARD_V_BLOCK : WARD_V_PERMIT;
        if (k == SET_NO_PROMPTER && is_word(tok(ps), "for") && !at_end(ps)) {
            /* "for questions" (the default): rules keep applying; only what
             * would be asked gets the outcome. "for all": before the rules,
             * which only a block may do — a pass there would let programs
             * with deny rules through whenever nobody is watching. */
            static const char *const scopes[] = {"all", "questions", NULL};
            adv(ps);
            const struct token *st = tok(ps);
            int sc = choice(ps, "scope", scopes);
            if (sc < 0)
                return false;
            if (sc == 0 && v == 0)
                return err(ps, st,
                           "'no-prompter pass for all' would override deny rules while no "
                           "prompter runs; use 'pass' (questions only) or 'block for all'");
            ld->settings.no_prompter_scope = sc ? WARD_NP_QUESTIONS : WARD_NP_ALL;
        }
        return true;
    case SET_PROMPT_TIMEOUT: {
        const struct token *t = adv(ps);
        uint32_t secs;
        if (t->bol || t->type != T_WORD)
            return err(ps, t, "duration expected after 'prompt-timeout'");
        if (!duration(ps, t, t->text, &secs))
            return false;
        if (secs == 0)
            return err(ps, t, "a prompt timeout of zero would never ask");
        ld->extras.prompt_timeout = secs;
        if (is_word(tok(ps), "default") && !tok(ps)->bol) {
            adv(ps);
            if ((v = choice(ps, "answer", allowdeny)) < 0)
                return false;
            ld->extras.prompt_default = v ? WARD_V_BLOCK : WARD_V_PERMIT;
        }
        return once(ps, what, SEEN_TIMEOUT);
    }
    case SET_FAIL_MODE:
        if ((v = choice(ps, "fail mode", failmodes)) < 0 || !once(ps, what, SEEN_FAIL))
            return false;
        ld->extras.fail_open = v == 1;
        return true;
    case SET_ALERT: {
        const struct token *nt = tok(ps);
        int kind = choice(ps, "alert", alert_words);
        if (kind < 0)
            return false;
        const char *name = alert_words[kind];
        const struct token *t = adv(ps);
        const char *slash = t->type == T_WORD && !t->bol ? strchr(t->text, '/') : NULL;
        char num[32];
        uint32_t count, window;
        if (!slash || (size_t)(slash - t->text) >= sizeof(num))
            return err(ps, t, "threshold expected as COUNT/DURATION, e.g. 20/10s");
        snprintf(num, sizeof(num), "%.*s", (int)(slash - t->text), t->text);
        /* The limits of the detector (alert/alert.h), not silent clamps. */
        uint32_t max = kind == 0 ? WARD_ALERT_MAX_SCAN_PORTS : 1000000;
        if (!is_number(num) || !parse_u32(num, max, &count) || count == 0)
            return err(ps, t, "bad count '%s' for %s (1-%u)", num, name, max);
        if (!duration(ps, t, slash + 1, &window))
            return false;
        if (window == 0)
            return err(ps, t, "the window of an alert cannot be zero");
        if (kind != 0 && window != 1)
            return err(ps, t,
                       "%s counts packets within one second: write COUNT/1s (e.g. 500/1s), not %s",
                       name, t->text);
        for (size_t i = 0; i < ld->extras.n_alerts; i++)
            if (!strcmp(ld->extras.alerts[i].name, name))
                return err(ps, nt, "'set alert %s' is given twice", name);
        struct ward_alert_threshold *a = &ld->extras.alerts[ld->extras.n_alerts++];
        snprintf(a->name, sizeof(a->name), "%s", name);
        a->count = count;
        a->window = window;
        return true;
    }
    case SET_DEFAULT: {
        const struct token *lt = tok(ps);
        int l = layer_choice(ps);
        if (l < 0)
            return false;
        if ((v = choice(ps, "verdict", passblock)) < 0)
            return false;
        if (ld->defaults_seen[l])
            return err(ps, lt, "'set default %s' is given twice", layer_word(l));
        ld->defaults_seen[l] = true;
        ld->settings.layer_default[l] = v ? WARD_V_BLOCK : WARD_V_PERMIT;
        return true;
    }
    case SET_SELF_TRAFFIC: {
        static const char *const selfwords[] = {"pass", "rules", NULL};
        if ((v = choice(ps, "self-traffic", selfwords)) < 0 || !once(ps, what, SEEN_SELF))
            return false;
        ld->settings.self_traffic = v ? WARD_SELF_RULES : WARD_SELF_PASS;
        return true;
    }
    case SET_CALLOUT_FAILURE:
        /* What a call to a callout that crashed or ran out of time gives. */
        if ((v = choice(ps, "outcome", passblock)) < 0 || !once(ps, what, SEEN_CALLOUT_FAIL))
            return false;
        ld->extras.callout_failure = v ? WARD_V_BLOCK : WARD_V_PERMIT;
        return true;
    case SET_DNSFILTER_LIST: {
        const struct token *t = adv(ps);
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "the list's path expected as a quoted string, not '%s'", show(t));
        if (t->text[0] != '/')
            return err(ps, t, "dnsfilter list '%s' is not absolute", t->text);
        if (strlen(t->text) >= sizeof(ld->extras.dnsfilter_lists[0]))
            return err(ps, t, "the path of a dnsfilter list is too long");
        if (ld->extras.n_dnsfilter_lists == WARD_POLICY_MAX_DNSFILTER_LISTS)
            return err(ps, t, "at most %d dnsfilter lists", WARD_POLICY_MAX_DNSFILTER_LISTS);
        snprintf(ld->extras.dnsfilter_lists[ld->extras.n_dnsfilter_lists++],
                 sizeof(ld->extras.dnsfilter_lists[0]), "%s", t->text);
        return true;
    }
    case SET_DNSFILTER_ANSWER: {
        static const char *const answers[] = {"nxdomain", "zero", NULL};
        if ((v = choice(ps, "dnsfilter answer", answers)) < 0 || !once(ps, what, SEEN_DNSF_ANSWER))
            return false;
        ld->extras.dnsfilter_zero = v == 1;
        return true;
    }
    case SET_STREAM_BOUND:
        return stream_bound(ps, what);
    case SET_ACCOUNTING_LIMIT:
        return size_per(ps, "accounting-limit", &ld->extras.accounting_limit,
                        &ld->extras.accounting_period) &&
               once(ps, what, SEEN_ACCOUNTING);
    case SET_POLICY_BUNDLE: {
        /* A signed policy bundle wardd fetches on a timer (`ward bundle`). */
        const struct token *t = adv(ps);
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "the bundle's URL expected as a quoted string, not '%s'", show(t));
        if (strncmp(t->text, "https://", 8) && strncmp(t->text, "http://", 7) &&
            strncmp(t->text, "file://", 7))
            return err(ps, t, "bundle URL '%s' is not https://, http:// or file://", t->text);
        if (strlen(t->text) >= sizeof(ld->extras.policy_bundle))
            return err(ps, t, "the bundle's URL is too long");
        snprintf(ld->extras.policy_bundle, sizeof(ld->extras.policy_bundle), "%s", t->text);
        ld->extras.bundle_every = 6 * 3600;
        if (is_word(tok(ps), "every") && !tok(ps)->bol) {
            adv(ps);
            const struct token *d = adv(ps);
            if (d->bol || d->type != T_WORD)
                return err(ps, d, "duration expected after 'every'");
            if (!duration(ps, d, d->text, &ld->extras.bundle_every))
                return false;
            if (ld->extras.bundle_every == 0)
                return err(ps, d, "a poll every 0s would never wait");
        }
        return once(ps, what, SEEN_BUNDLE);
    }
    case SET_SYSLOG: {
        /* Remote syslog: RFC 5424 messages, octet-counted, over TCP or TLS. */
        const struct token *t = adv(ps);
        char host[256];
        unsigned port;
        int end = 0;
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "the syslog URL expected as a quoted string, not '%s'", show(t));
        bool tls = !strncmp(t->text, "tls://", 6);
        if ((strncmp(t->text, "tcp://", 6) && !tls) ||
            sscanf(t->text + 6, "%255[^:/]:%5u%n", host, &port, &end) != 2 || t->text[6 + end] ||
            port == 0 || port > 65535)
            return err(ps, t, "syslog URL '%s' is not tcp://HOST:PORT or tls://HOST:PORT", t->text);
        if (strlen(t->text) >= sizeof(ld->extras.syslog))
            return err(ps, t, "the syslog URL is too long");
        snprintf(ld->extras.syslog, sizeof(ld->extras.syslog), "%s", t->text);
        if (is_word(tok(ps), "ca") && !tok(ps)->bol) {
            adv(ps);
            const struct token *c = adv(ps);
            if (c->bol || c->type != T_STRING || c->text[0] != '/')
                return err(ps, c, "the CA file expected as an absolute quoted path");
            if (!tls)
                return err(ps, c, "'ca' is for tls:// only");
            if (strlen(c->text) >= sizeof(ld->extras.syslog_ca))
                return err(ps, c, "the CA file's path is too long");
            snprintf(ld->extras.syslog_ca, sizeof(ld->extras.syslog_ca), "%s", c->text);
        }
        return once(ps, what, SEEN_SYSLOG);
    }
    case SET_URLFILTER:
        return urlfilter_rule(ps);
    case SET_ON_TAMPER: {
        /* What an injection into a program with network rights gets. */
        static const char *const outcomes[] = {"alert", "suspend", NULL};
        if ((v = choice(ps, "tamper outcome", outcomes)) < 0 || !once(ps, what, SEEN_ON_TAMPER))
            return false;
        ld->extras.on_tamper_suspend = v == 1;
        return true;
    }
    case SET_TRUST_PACKAGE_MANAGER: {
        /* A pinned program changed by the package manager keeps its rules. */
        static const char *const yesno[] = {"no", "yes", NULL};
        if ((v = choice(ps, "answer", yesno)) < 0 || !once(ps, what, SEEN_TRUST_PKG))
            return false;
        ld->extras.trust_package_manager = v == 1;
        return true;
    }
    case SET_ON_POLICY_CHANGE: {
        /* The policy file edited behind ward's back. */
        static const char *const outcomes[] = {"alert", "reload", NULL};
        if ((v = choice(ps, "policy change outcome", outcomes)) < 0 ||
            !once(ps, what, SEEN_ON_POLICY))
            return false;
        ld->extras.policy_change_reload = v == 1;
        return true;
    }
    case SET_AV: {
        /* Antivirus scanning of programs (docs/AV.md). */
        static const char *const avmodes[] = {"off", "scan-before-allow", "scan-in-background",
                                              NULL};
        if ((v = choice(ps, "av mode", avmodes)) < 0 || !once(ps, what, SEEN_AV))
            return false;
        ld->extras.av_mode = (enum ward_av_mode)v;
        if (is_word(tok(ps), "bound") && !tok(ps)->bol) {
            const struct token *bt = adv(ps);
            if (v != WARD_AV_BEFORE_ALLOW)
                return err(ps, bt, "'bound' goes with 'scan-before-allow' only");
            const struct token *t = adv(ps);
            uint32_t secs;
            if (t->bol || t->type != T_WORD)
                return err(ps, t, "duration expected after 'bound'");
            if (!duration(ps, t, t->text, &secs))
                return false;
            if (secs == 0 || secs > 300)
                return err(ps, t, "the scan's bound is 1s to 5m, not '%s'", t->text);
            ld->extras.av_bound = secs;
        }
        return true;
    }
    case SET_IDS_UPDATE:
        return ids_update(ps, what);
    case SET_ENCRYPTED_DNS_RESOLVER: {
        /* One more resolver for the encrypted-dns condition. */
        const struct token *t = adv(ps);
        if (t->bol || t->type != T_STRING)
            return err(ps, t, "a resolver's address or name expected as a quoted string, not '%s'",
                       show(t));
        if (strlen(t->text) >= sizeof(ld->extras.resolvers[0]))
            return err(ps, t, "the resolver's name is too long");
        if (ld->extras.n_resolvers == WARD_POLICY_MAX_RESOLVERS)
            return err(ps, t, "at most %d encrypted-dns resolvers", WARD_POLICY_MAX_RESOLVERS);
        if (ward_resolver_add(ld->e, t->text) < 0)
            return err(ps, t, "%s", ward_engine_error(ld->e));
        snprintf(ld->extras.resolvers[ld->extras.n_resolvers++], sizeof(ld->extras.resolvers[0]),
                 "%s", t->text);
        return true;
    }
    case SET_MAIL_PROXY:
        return mail_proxy(ps, what);
    case SET_MAIL_TLS_LISTEN:
        return mail_tls_listen(ps);
    case SET_MAIL_TLS_TRUST: {
        const struct token *t = adv(ps);
        if (t->bol || t->type != T_STRING || t->text[0] != '/')
            return err(ps, t, "a CA file expected as an absolute quoted path, not '%s'", show(t));
        if (strlen(t->text) >= sizeof(ld->extras.mail_tls_trust))
            return err(ps, t, "the path is too long");
        snprintf(ld->extras.mail_tls_trust, sizeof(ld->extras.mail_tls_trust), "%s", t->text);
        return once(ps, what, SEEN_MAIL_TLS_TRUST);
    }
    case SET_IDS_DEPTH:
        return ids_depth(ps, what);
    }
    return false;
}

/* ---- zone, ports, domains --------------------------------------------------------- */

static const char *const reserved[] = {"any", "port", "to", "from", "proto", "domain", "not", NULL};

static bool name_free(struct ps *ps, const struct token *t, const char *name)
{
    for (const char *const *r = reserved; *r; r++)
        if (!strcmp(*r, name))
            return err(ps, t, "'%s' is a keyword and cannot name a zone or list", name);
    return true;
}

static bool stmt_zone(struct ps *ps)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *nt = tok(ps);
    const char *name = name_tok(ps, "zone");
    if (!name || !name_free(ps, nt, name))
        return false;
    for (const char *const *b = builtin_zone_words; *b; b++)
        if (!strcmp(*b, name))
            return err(ps, nt, "'%s' is a built-in zone and cannot be redefined", name);
    if (zone_known(ld, name))
        return err(ps, nt, "zone '%s' is defined twice", name);
    /* The engine looks zones up by name as it classifies: keep them few. */
    if (ld->n_zones >= MAX_ZONES)
        return err(ps, nt, "too many zones (at most %d)", MAX_ZONES);
    if (tok(ps)->type != T_EQ)
        return err(ps, tok(ps), "'=' expected after the zone's name");
    adv(ps);
    struct vals v = {0};
    if (!parse_list(ps, &v, addr_elem, "address"))
        return false;
    /* A zone may be built from earlier user zones: their prefixes join. */
    for (size_t i = 0; i < v.ns; i++) {
        const struct zone_def *z = find_zone(ld, v.s[i]);
        if (!z)
            return err(ps, nt, "zone '%s' can only include prefixes and user zones, not '%s'", name,
                       v.s[i]);
        for (size_t k = 0; k < z->n; k++)
            VPUSH(ps, v.c, v.nc, v.cc, z->cidrs[k], nt);
    }
    vals_sort(&v);
    if (ward_zone_define(ld->e, name, v.c, v.nc) < 0)
        return err(ps, nt, "zone '%s': %s", name, ward_engine_error(ld->e));
    struct zone_def *z =
        arena_push(&ld->arena, &ld->zones, &ld->n_zones, &ld->cap_zones, sizeof(*z));
    if (!z || !nmap_put(&ld->arena, &ld->zone_index, name, ld->n_zones - 1))
        return false;
    *z = (struct zone_def){name, v.c, v.nc};
    return true;
}

static bool stmt_list(struct ps *ps, enum list_kind kind)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *nt = tok(ps);
    const char *name = name_tok(ps, "list");
    if (!name || !name_free(ps, nt, name))
        return false;
    if (find_list(ld, name))
        return err(ps, nt, "list '%s' is defined twice", name);
    if (tok(ps)->type != T_EQ)
        return err(ps, tok(ps), "'=' expected after the list's name");
    adv(ps);
    struct vals v = {0};
    if (!parse_list(ps, &v, kind == LIST_PORTS ? port_elem : domain_elem,
                    kind == LIST_PORTS ? "port" : "domain"))
        return false;
    vals_sort(&v);
    struct list_def *l =
        arena_push(&ld->arena, &ld->lists, &ld->n_lists, &ld->cap_lists, sizeof(*l));
    if (!l || !nmap_put(&ld->arena, &ld->list_index, name, ld->n_lists - 1))
        return false;
    *l = (struct list_def){name, kind, v.r, v.s, kind == LIST_PORTS ? v.nr : v.ns};
    return true;
}

/* ---- sublayer, provider ------------------------------------------------------------- */

static bool stmt_sublayer(struct ps *ps)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *nt = tok(ps);
    const char *name = name_tok(ps, "sublayer");
    if (!name)
        return false;
    if (ward_sublayer_find(ld->e, name) > 0)
        return err(ps, nt, "sublayer '%s' is defined twice (or is built in)", name);
    if (!is_word(tok(ps), "weight") || tok(ps)->bol)
        return err(ps, tok(ps), "'weight' expected after the sublayer's name");
    adv(ps);
    const struct token *wt = adv(ps);
    uint32_t w;
    if (wt->type != T_WORD || !is_number(wt->text) || !parse_u32(wt->text, 0xffff, &w))
        return err(ps, wt, "sublayer weight must be a number 0-0xffff, not '%s'", show(wt));
    if (ward_sublayer_add(ld->e, name, (uint16_t)w, WARD_SUBLAYER_FILTERS) < 0)
        return err(ps, nt, "sublayer '%s': %s", name, ward_engine_error(ld->e));
    return true;
}

static bool stmt_provider(struct ps *ps)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *nt = tok(ps);
    const char *name = name_tok(ps, "provider");
    if (!name)
        return false;
    if (!strcmp(name, "admin") || !strcmp(name, "learned"))
        return err(ps, nt, "provider '%s' is built in", name);
    if (ward_provider_find(ld->e, name) > 0)
        return err(ps, nt, "provider '%s' is defined twice", name);
    if (ward_provider_add(ld->e, name) < 0)
        return err(ps, nt, "provider '%s': %s", name, ward_engine_error(ld->e));
    return true;
}

static int provider_ref(struct ps *ps)
{
    const struct token *t = tok(ps);
    const char *name = name_tok(ps, "provider");
    if (!name)
        return -1;
    int id = ward_provider_find(ps->ld->e, name);
    if (id > 0)
        return id;
    const char *cands[1026];
    size_t k = 0;
    for (uint32_t i = 1; i <= 1024; i++) /* ids of deleted providers are holes */
        if (ward_provider_name(ps->ld->e, i))
            cands[k++] = ward_provider_name(ps->ld->e, i);
    cands[k] = NULL;
    const char *s = suggest(name, cands);
    if (s)
        err(ps, t, "unknown provider '%s'; did you mean '%s'?", name, s);
    else
        err(ps, t, "unknown provider '%s' (declare it with: provider \"%s\")", name, name);
    return -1;
}

/* ---- filter -------------------------------------------------------------------------- */

enum side { SIDE_NONE, SIDE_FROM, SIDE_TO };
enum rkind { RK_FIELD, RK_ADDR, RK_PORT };

struct rcond {
    enum rkind kind;
    enum side side;
    enum ward_field field; /* RK_FIELD */
    bool negate;
    struct vals v;
    const struct token *at;
};

#define MAX_RCONDS 64

struct fstate {
    struct rcond c[MAX_RCONDS];
    size_t n;
};

static struct rcond *new_cond(struct ps *ps, struct fstate *f, const struct token *at)
{
    if (f->n >= MAX_RCONDS) {
        err(ps, at, "too many conditions (at most %d)", MAX_RCONDS);
        return NULL;
    }
    struct rcond *c = &f->c[f->n++];
    memset(c, 0, sizeof(*c));
    c->at = at;
    return c;
}

static bool negation(struct ps *ps)
{
    if (tok(ps)->type == T_BANG && !at_end(ps)) {
        adv(ps);
        return true;
    }
    return false;
}

/* from|to [!] (any | addrs) [port [!] ports]   or   from|to port ... */
static bool side_spec(struct ps *ps, struct fstate *f, enum side side)
{
    const struct token *kw = adv(ps);
    bool any_part = false;
    if (!at_end(ps) && !is_word(tok(ps), "port")) {
        const struct token *at = tok(ps);
        bool neg = negation(ps);
        if (is_word(tok(ps), "any") && !neg) {
            adv(ps);
        } else {
            struct rcond *c = new_cond(ps, f, at);
            if (!c)
                return false;
            c->kind = RK_ADDR;
            c->side = side;
            c->negate = neg;
            if (!parse_list(ps, &c->v, addr_elem, "address"))
                return false;
            for (size_t i = 0; i < c->v.ns; i++)
                if (!strcmp(c->v.s[i], "any"))
                    return err(ps, at, "'any' cannot be part of a list");
            if (c->v.ns && c->v.nc)
                return err(ps, at,
                           "one list cannot mix zones and addresses (use two '%s' or a "
                           "zone holding the addresses)",
                           kw->text);
        }
        any_part = true;
    }
    if (is_word(tok(ps), "port") && !at_end(ps)) {
        const struct token *at = adv(ps);
        struct rcond *c = new_cond(ps, f, at);
        if (!c)
            return false;
        c->kind = RK_PORT;
        c->side = side;
        c->negate = negation(ps);
        if (!parse_list(ps, &c->v, port_elem, "port"))
            return false;
        any_part = true;
    }
    if (!any_part)
        return err(ps, tok(ps), "address, zone or 'port' expected after '%s'", kw->text);
    return true;
}

static bool field_cond(struct ps *ps, struct fstate *f, enum ward_field field, elem_fn fn,
                       const char *what)
{
    const struct token *at = adv(ps);
    struct rcond *c = new_cond(ps, f, at);
    if (!c)
        return false;
    c->kind = RK_FIELD;
    c->field = field;
    c->negate = negation(ps);
    return parse_list(ps, &c->v, fn, what);
}

/* encrypted-dns: a word alone, DNS over TLS, QUIC or HTTPS (either kind). */
static bool encdns_cond(struct ps *ps, struct fstate *f)
{
    const struct token *at = adv(ps);
    struct rcond *c = new_cond(ps, f, at);
    if (!c)
        return false;
    c->kind = RK_FIELD;
    c->field = WARD_F_ENCRYPTED_DNS;
    ward_range r = {WARD_ENCDNS_DOT, WARD_ENCDNS_DOH};
    VPUSH(ps, c->v.r, c->v.nr, c->v.cr, r, at);
    return true;
}

static bool proto_cond(struct ps *ps, struct fstate *f, bool keyword)
{
    const struct token *at = tok(ps);
    if (keyword)
        adv(ps);
    bool neg = keyword && negation(ps);
    if (is_word(tok(ps), "any") && !neg) {
        adv(ps);
        return true;
    }
    struct rcond *c = new_cond(ps, f, at);
    if (!c)
        return false;
    c->kind = RK_FIELD;
    c->field = WARD_F_PROTO;
    c->negate = neg;
    return keyword ? parse_list(ps, &c->v, proto_elem, "protocol") : proto_elem(ps, &c->v, "");
}

static struct rcond *time_cond(struct ps *ps, struct fstate *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->c[i].kind == RK_FIELD && f->c[i].field == WARD_F_TIME)
            return &f->c[i];
    struct rcond *c = new_cond(ps, f, tok(ps));
    if (c) {
        c->kind = RK_FIELD;
        c->field = WARD_F_TIME;
    }
    return c;
}

static bool is_proto_word(const struct token *t)
{
    return t->type == T_WORD && proto_number(t->text) >= 0;
}

/* Conditions shared by filters: true when the token was one. */
static bool filter_cond(struct ps *ps, struct fstate *f, bool *ok)
{
    const struct token *t = tok(ps);
    *ok = true;
    if (t->type != T_WORD)
        return false;
    const char *w = t->text;
    if (is_proto_word(t))
        *ok = proto_cond(ps, f, false);
    else if (!strcmp(w, "proto"))
        *ok = proto_cond(ps, f, true);
    else if (!strcmp(w, "from"))
        *ok = side_spec(ps, f, SIDE_FROM);
    else if (!strcmp(w, "to"))
        *ok = side_spec(ps, f, SIDE_TO);
    else if (!strcmp(w, "port")) {
        /* A bare port is the destination's: "to port". */
        struct rcond *c = new_cond(ps, f, adv(ps));
        if (!c)
            return *ok = false, true;
        c->kind = RK_PORT;
        c->side = SIDE_TO;
        c->negate = negation(ps);
        *ok = parse_list(ps, &c->v, port_elem, "port");
    } else if (!strcmp(w, "app"))
        *ok = field_cond(ps, f, WARD_F_APP_PATH, path_elem, "program path");
    else if (!strcmp(w, "sha256"))
        *ok = field_cond(ps, f, WARD_F_APP_SHA256, sha_elem, "sha256");
    else if (!strcmp(w, "cmdline"))
        *ok = field_cond(ps, f, WARD_F_CMDLINE, str_elem, "command line");
    else if (!strcmp(w, "user"))
        *ok = field_cond(ps, f, WARD_F_UID, num_elem, "uid");
    else if (!strcmp(w, "group"))
        *ok = field_cond(ps, f, WARD_F_GID, num_elem, "gid");
    else if (!strcmp(w, "cgroup"))
        *ok = field_cond(ps, f, WARD_F_CGROUP, path_elem, "cgroup path");
    else if (!strcmp(w, "domain"))
        *ok = field_cond(ps, f, WARD_F_REMOTE_DOMAIN, domain_elem, "domain");
    else if (!strcmp(w, "iface"))
        *ok = field_cond(ps, f, WARD_F_IFACE, str_elem, "interface");
    else if (!strcmp(w, "icmp-type"))
        *ok = field_cond(ps, f, WARD_F_ICMP_TYPE, num_elem, "icmp type");
    else if (!strcmp(w, "encrypted-dns"))
        *ok = encdns_cond(ps, f);
    else if (is_day_word(t)) {
        struct rcond *c = time_cond(ps, f);
        *ok = c && parse_time(ps, &c->v);
    } else
        return false;
    return true;
}

static enum ward_field side_field(enum rkind k, enum side s, bool inbound, bool zone)
{
    bool remote = (s == SIDE_TO) != inbound;
    if (k == RK_PORT)
        return remote ? WARD_F_REMOTE_PORT : WARD_F_LOCAL_PORT;
    if (zone)
        return remote ? WARD_F_REMOTE_ZONE : WARD_F_LOCAL_ZONE;
    return remote ? WARD_F_REMOTE_ADDR : WARD_F_LOCAL_ADDR;
}

static int cmp_cond(const void *a, const void *b)
{
    const ward_cond *x = a, *y = b;
    int rx = policy_field_rank(x->field), ry = policy_field_rank(y->field);
    return rx != ry ? rx - ry : (int)x->negate - (int)y->negate;
}

/* A filter may only hand traffic to a callout wardd registers: any other
 * name would block everything the filter matches (callout-missing). */
static bool callout_ref(struct ps *ps, const char **out)
{
    const struct token *t = tok(ps);
    const char *name = name_tok(ps, "callout");
    if (!name)
        return false;
    for (const char *const *c = ward_policy_callouts; *c; c++) {
        if (!strcmp(*c, name)) {
            *out = name;
            return true;
        }
    }
    /* The shared-object callouts wardd loaded (policy_extra_callouts). */
    for (const char *const *c = policy_extra_callouts(ps->ld->pol); c && *c; c++) {
        if (!strcmp(*c, name)) {
            *out = name;
            return true;
        }
    }
    const char *s = suggest(name, ward_policy_callouts);
    if (s)
        return err(ps, t, "unknown callout '%s'; did you mean '%s'?", name, s);
    if (!ward_policy_callouts[0])
        return err(ps, t, "unknown callout '%s' (wardd registers no callouts)", name);
    char list[256] = "";
    for (const char *const *c = ward_policy_callouts; *c; c++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                 c == ward_policy_callouts ? "" : ", ", *c);
    return err(ps, t, "unknown callout '%s' (one of: %s)", name, list);
}

/* A boot-time filter is enforced by nft alone, before wardd runs (and in
 * wardd's table after): it may only test what an nft rule tests without a
 * program to ask: protocol, addresses (and zones with a fixed address
 * list), ports and interface; its layer gives the direction. */
static bool iface_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]) && !(s[i] == '*' && i == n - 1))
            return false;
    return true;
}

static bool boot_filter_ok(struct ps *ps, const ward_filter_def *d, const struct fstate *f,
                           const struct token *act, const struct token *life)
{
    if (d->layer != WARD_LAYER_CONNECT_OUT && d->layer != WARD_LAYER_ACCEPT_IN)
        return err(ps, life,
                   "a boot filter must be in layer outbound or inbound (nft checks no %s layer)",
                   layer_word(d->layer));
    if (d->action == WARD_ACT_CALLOUT)
        return err(ps, act,
                   "a boot filter cannot call out: nothing runs a callout before wardd starts "
                   "(use permit or block)");
    for (size_t i = 0; i < f->n; i++) {
        const struct rcond *c = &f->c[i];
        if (c->kind == RK_PORT)
            continue;
        if (c->kind == RK_ADDR) {
            for (size_t k = 0; k < c->v.ns; k++) {
                size_t n;
                if (find_zone(ps->ld, c->v.s[k]) || ward_zone_builtin_cidrs(c->v.s[k], &n))
                    continue;
                return err(ps, c->at,
                           "a boot filter cannot name zone '%s': it has no fixed address list "
                           "(use addresses or a zone of your own)",
                           c->v.s[k]);
            }
            continue;
        }
        if (c->field == WARD_F_PROTO)
            continue;
        if (c->field == WARD_F_IFACE) {
            for (size_t k = 0; k < c->v.ns; k++)
                if (!iface_name_ok(c->v.s[k]))
                    return err(ps, c->at,
                               "interface name '%s' is not one nft can match (1-15 of a-z A-Z "
                               "0-9 . _ -, a trailing * for a prefix)",
                               c->v.s[k]);
            continue;
        }
        return err(ps, c->at,
                   "a boot filter cannot test %s: before wardd runs only protocol, addresses, "
                   "ports and interface can be checked",
                   ward_field_name(c->field));
    }
    return true;
}

static bool stmt_filter(struct ps *ps)
{
    struct load *ld = ps->ld;
    const struct token *ft = adv(ps);
    const char *name = NULL;
    if (tok(ps)->type == T_STRING && !at_end(ps)) {
        const struct token *nt = adv(ps);
        name = nt->text;
        if (!*name || strlen(name) > 200)
            return err(ps, nt, "a filter name must be 1 to 200 characters");
        if (nmap_get(&ld->filter_names, name, NULL))
            return err(ps, nt, "filter '%s' is defined twice", name);
    }
    ward_filter_def d = {.name = name,
                         .layer = WARD_LAYER_CONNECT_OUT,
                         .sublayer = WARD_SUBLAYER_ADMIN,
                         .provider = WARD_PROVIDER_ADMIN};
    bool seen_layer = false, seen_sub = false, seen_prov = false, seen_weight = false,
         seen_hard = false, seen_action = false, seen_life = false;
    const struct token *sub_tok = NULL, *act_tok = NULL, *life_tok = NULL;
    /* One scratch for every filter of the load (the engine copies what it
     * keeps): a fresh one each would cost its size per filter. */
    if (!ld->fstate && !(ld->fstate = arena_alloc(&ld->arena, sizeof(*ld->fstate))))
        return false;
    struct fstate *f = ld->fstate;
    f->n = 0;
#define ONCE(flag, t)                                                                              \
    do {                                                                                           \
        if (flag)                                                                                  \
            return err(ps, t, "'%s' is given twice in one filter", (t)->text);                     \
        flag = true;                                                                               \
    } while (0)
    while (!at_end(ps)) {
        const struct token *t = tok(ps);
        bool ok;
        if (filter_cond(ps, f, &ok)) {
            if (!ok)
                return false;
            continue;
        }
        if (is_word(t, "layer")) {
            ONCE(seen_layer, t);
            adv(ps);
            int l = layer_choice(ps);
            if (l < 0)
                return false;
            d.layer = (enum ward_layer)l;
        } else if (is_word(t, "sublayer")) {
            ONCE(seen_sub, t);
            adv(ps);
            sub_tok = tok(ps);
            const char *sn = name_tok(ps, "sublayer");
            if (!sn)
                return false;
            int id = ward_sublayer_find(ld->e, sn);
            if (id < 0) {
                ward_sublayer_info info[64];
                size_t n = ward_sublayer_list(ld->e, info, 64);
                const char *cands[65];
                for (size_t i = 0; i < n && i < 64; i++)
                    cands[i] = info[i].name;
                cands[n < 64 ? n : 64] = NULL;
                const char *s = suggest(sn, cands);
                if (s)
                    return err(ps, sub_tok, "unknown sublayer '%s'; did you mean '%s'?", sn, s);
                return err(ps, sub_tok, "unknown sublayer '%s'", sn);
            }
            if ((uint32_t)id == WARD_SUBLAYER_APPLICATIONS)
                return err(ps, sub_tok, "sublayer 'applications' holds app rules, not filters");
            d.sublayer = (uint32_t)id;
        } else if (is_word(t, "provider")) {
            ONCE(seen_prov, t);
            adv(ps);
            int id = provider_ref(ps);
            if (id < 0)
                return false;
            d.provider = (uint32_t)id;
        } else if (is_word(t, "weight")) {
            ONCE(seen_weight, t);
            adv(ps);
            const struct token *wt = adv(ps);
            if (wt->type != T_WORD || !is_number(wt->text) ||
                !parse_u32(wt->text, UINT32_MAX, &d.weight))
                return err(ps, wt, "filter weight must be a number 0-0xffffffff, not '%s'",
                           show(wt));
        } else if (is_word(t, "hard") || is_word(t, "soft")) {
            ONCE(seen_hard, t);
            adv(ps);
            d.hard = is_word(t, "hard");
        } else if (is_word(t, "permit") || is_word(t, "block") || is_word(t, "callout")) {
            if (seen_action)
                return err(ps, t, "a filter has one action; '%s' is a second", t->text);
            seen_action = true;
            act_tok = t;
            adv(ps);
            d.action = is_word(t, "permit")  ? WARD_ACT_PERMIT
                       : is_word(t, "block") ? WARD_ACT_BLOCK
                                             : WARD_ACT_CALLOUT;
            if (d.action == WARD_ACT_CALLOUT && !callout_ref(ps, &d.callout))
                return false;
        } else if (is_lifetime_word(t)) {
            life_tok = t;
            if (!parse_lifetime(ps, &d.lifetime, &seen_life))
                return false;
        } else if (is_word(t, "allow") || is_word(t, "deny")) {
            return err(ps, t, "filters say 'permit' or 'block' ('%s' is for app rules)", t->text);
        } else {
            return unknown(ps, t, "filter keyword", filter_words);
        }
    }
#undef ONCE
    if (!seen_action)
        return err(ps, ft, "filter%s%s%s has no action (permit, block or callout NAME)",
                   name ? " '" : "", name ? name : "", name ? "'" : "");
    if (d.lifetime.kind == WARD_LIFE_BOOT && !boot_filter_ok(ps, &d, f, act_tok, life_tok))
        return false;

    bool inbound = layer_is_inbound(d.layer);
    ward_cond *conds = arena_alloc(&ld->arena, (f->n + 1) * sizeof(*conds));
    if (!conds)
        return false;
    size_t nc = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct rcond *c = &f->c[i];
        vals_sort(&c->v);
        ward_cond *o = &conds[nc++];
        o->negate = c->negate;
        if (c->kind == RK_FIELD)
            o->field = c->field;
        else
            o->field = side_field(c->kind, c->side, inbound, c->v.ns > 0);
        switch (ward_field_kind(o->field)) {
        case WARD_VAL_SHA:
            o->n = c->v.nh;
            o->v.sha = c->v.h;
            break;
        case WARD_VAL_TIME:
            o->n = c->v.nw;
            o->v.time = c->v.w;
            break;
        case WARD_VAL_CIDR:
            o->n = c->v.nc;
            o->v.cidr = c->v.c;
            break;
        case WARD_VAL_STR:
            o->n = c->v.ns;
            o->v.str = c->v.s;
            break;
        case WARD_VAL_EXE: /* no syntax names a program by dev:ino */
        case WARD_VAL_RANGE:
            o->n = c->v.nr;
            o->v.range = c->v.r;
            break;
        }
        if (!ward_layer_has_field(d.layer, o->field))
            return err(ps, c->at, "layer %s offers no %s condition", layer_word(d.layer),
                       ward_field_name(o->field));
    }
    qsort(conds, nc, sizeof(*conds), cmp_cond);
    d.conds = conds;
    d.n_conds = nc;
    if (ld->control && d.lifetime.kind == WARD_LIFE_DYNAMIC) {
        d.lifetime.session = ld->session; /* the session that adds it, whatever it says */
    } else if (ld->force_dynamic) {
        if (seen_life)
            return err(ps, life_tok, "a dynamic filter has no other lifetime");
        d.lifetime = (ward_lifetime){.kind = WARD_LIFE_DYNAMIC, .session = ld->session};
    }
    char origin[512];
    origin_of(ps, ft, origin, sizeof(origin));
    d.origin = origin;
    int64_t fid = ward_filter_add(ld->e, &d);
    if (fid < 0)
        return err(ps, ft, "%s", ward_engine_error(ld->e));
    ld->last_filter = fid;
    if (name && !nmap_put(&ld->arena, &ld->filter_names, name, 0))
        return false;
    return true;
}

/* ---- app ------------------------------------------------------------------------------- */

/* parents: the block's `parent` list, every rule's unless it names its own. */
static bool app_rule(struct ps *ps, uint64_t app_id, const char *path, const struct vals *parents)
{
    struct load *ld = ps->ld;
    const struct token *rt = adv(ps);
    ward_app_rule r = {.dir = WARD_DIR_ANY,
                       .action = is_word(rt, "allow") ? WARD_ACT_PERMIT : WARD_ACT_BLOCK,
                       .provider = ld->control ? ld->default_provider : WARD_PROVIDER_ADMIN};
    bool seen_dir = false, seen_proto = false, seen_prov = false, seen_life = false,
         seen_port = false, seen_dest = false, seen_domain = false, seen_user = false,
         seen_parent = false;
    struct vals ports = {0}, dest = {0}, domains = {0}, times = {0}, users = {0}, own = {0};
    const struct token *dest_tok = NULL;
#define ONCE(flag, t)                                                                              \
    do {                                                                                           \
        if (flag)                                                                                  \
            return err(ps, t, "'%s' is given twice in one rule", (t)->text);                       \
        flag = true;                                                                               \
    } while (0)
    while (!at_end(ps) && !is_word(tok(ps), "allow") && !is_word(tok(ps), "deny")) {
        const struct token *t = tok(ps);
        if (is_word(t, "in") || is_word(t, "out")) {
            ONCE(seen_dir, t);
            adv(ps);
            r.dir = is_word(t, "in") ? WARD_DIR_IN : WARD_DIR_OUT;
        } else if (is_proto_word(t) || is_word(t, "proto") || is_word(t, "any")) {
            ONCE(seen_proto, t);
            adv(ps);
            if (is_word(t, "any"))
                continue;
            struct vals pv = {0};
            if (is_word(t, "proto")) {
                if (is_word(tok(ps), "any") && !at_end(ps)) {
                    adv(ps);
                    continue;
                }
                if (!proto_elem(ps, &pv, ""))
                    return false;
            } else {
                ps->i--;
                if (!proto_elem(ps, &pv, ""))
                    return false;
            }
            r.proto = (uint8_t)pv.r[0].lo;
        } else if (is_word(t, "port")) {
            ONCE(seen_port, t);
            adv(ps);
            if (tok(ps)->type == T_BANG)
                return err(ps, tok(ps), "app rules have no negation ('!')");
            if (!parse_list(ps, &ports, port_elem, "port"))
                return false;
        } else if (is_word(t, "to") || is_word(t, "from")) {
            ONCE(seen_dest, t);
            adv(ps);
            dest_tok = tok(ps);
            if (tok(ps)->type == T_BANG)
                return err(ps, tok(ps), "app rules have no negation ('!')");
            if (is_word(tok(ps), "any") && !at_end(ps)) {
                adv(ps);
                continue;
            }
            if (!parse_list(ps, &dest, addr_elem, "address"))
                return false;
        } else if (is_word(t, "domain")) {
            ONCE(seen_domain, t);
            adv(ps);
            if (!parse_list(ps, &domains, domain_elem, "domain"))
                return false;
        } else if (is_word(t, "user")) {
            ONCE(seen_user, t);
            adv(ps);
            if (tok(ps)->type == T_BANG)
                return err(ps, tok(ps), "app rules have no negation ('!')");
            if (!parse_list(ps, &users, num_elem, "uid"))
                return false;
        } else if (is_word(t, "parent")) {
            ONCE(seen_parent, t);
            adv(ps);
            if (tok(ps)->type == T_BANG)
                return err(ps, tok(ps), "app rules have no negation ('!')");
            if (parents->ns)
                return err(ps, t, "the block of app '%s' names the parent already", path);
            if (!parse_list(ps, &own, path_elem, "parent program path"))
                return false;
        } else if (is_word(t, "provider")) {
            ONCE(seen_prov, t);
            adv(ps);
            int id = provider_ref(ps);
            if (id < 0)
                return false;
            r.provider = (uint32_t)id;
        } else if (is_day_word(t)) {
            if (!parse_time(ps, &times))
                return false;
        } else if (is_lifetime_word(t)) {
            if (is_word(t, "boot"))
                return err(ps, t, "'boot' applies to filters, not app rules");
            if (!parse_lifetime(ps, &r.lifetime, &seen_life))
                return false;
        } else if (is_word(t, "permit") || is_word(t, "block")) {
            return err(ps, t, "app rules say 'allow' or 'deny' ('%s' is for filters)", t->text);
        } else {
            return unknown(ps, t, "rule keyword", rule_words);
        }
    }
#undef ONCE
    for (size_t i = 0; i < dest.ns; i++)
        if (!strcmp(dest.s[i], "any"))
            return err(ps, dest_tok, "'any' cannot be part of a list");
    if (dest.ns && dest.nc)
        return err(ps, dest_tok,
                   "one list cannot mix zones and addresses (define a zone "
                   "holding the addresses)");
    vals_sort(&ports);
    vals_sort(&dest);
    vals_sort(&domains);
    vals_sort(&users);
    if (seen_parent)
        vals_sort(&own);
    else
        own = *parents;
    r.parents = own.s;
    r.n_parents = own.ns;
    r.ports = ports.r;
    r.n_ports = ports.nr;
    r.zones = dest.s;
    r.n_zones = dest.ns;
    r.addrs = dest.c;
    r.n_addrs = dest.nc;
    r.domains = domains.s;
    r.n_domains = domains.ns;
    r.users = users.r;
    r.n_users = users.nr;
    r.times = times.w;
    r.n_times = times.nw;
    char origin[512];
    origin_of(ps, rt, origin, sizeof(origin));
    r.origin = origin;
    if (ld->control && r.lifetime.kind == WARD_LIFE_DYNAMIC)
        r.lifetime.session = ld->session; /* the session that adds it, whatever it says */
    int64_t id = ward_app_rule_append(ld->e, app_id, &r);
    if (id < 0)
        return err(ps, rt, "app '%s': %s", path, ward_engine_error(ld->e));
    ld->last_rule = id;
    return true;
}

/* The program's entry of the limits (made on its first `limit` or
 * `quota`), or NULL after reporting why not. */
static ward_app_limit *limit_entry(struct ps *ps, const struct token *at, const char *path)
{
    ward_policy_extras *x = &ps->ld->extras;
    ward_app_limit *l = (ward_app_limit *)ward_policy_limit_of(x, path);
    if (l)
        return l;
    if (strlen(path) >= sizeof(l->program)) {
        err(ps, at, "app '%s': the path is too long for a limit", path);
        return NULL;
    }
    if (x->n_limits == WARD_POLICY_MAX_LIMITS) {
        err(ps, at, "at most %d programs may have limits", WARD_POLICY_MAX_LIMITS);
        return NULL;
    }
    l = &x->limits[x->n_limits++];
    memset(l, 0, sizeof(*l));
    snprintf(l->program, sizeof(l->program), "%s", path);
    return l;
}

/* "limit rate 2mbit [burst 64KB]" in a program's block. */
static bool app_limit(struct ps *ps, const char *path)
{
    const struct token *kw = adv(ps);
    if (!is_word(tok(ps), "rate") || at_end(ps))
        return err(ps, tok(ps), "'rate' expected after 'limit'");
    adv(ps);
    const struct token *t = tok(ps);
    uint64_t bits, burst = 0;
    if (at_end(ps) || t->type != T_WORD || !limit_rate_word(t->text, &bits))
        return err(ps, t, "a rate expected (e.g. 500kbit, 2mbit, 1gbit), not '%s'", show(t));
    if (bits < 8000 || bits > 400000000000ull)
        return err(ps, t, "rate %s is out of range (8kbit to 400gbit)", t->text);
    adv(ps);
    if (is_word(tok(ps), "burst") && !at_end(ps)) {
        adv(ps);
        const struct token *b = tok(ps);
        if (at_end(ps) || b->type != T_WORD || !limit_size_word(b->text, &burst))
            return err(ps, b, "a size expected after 'burst' (e.g. 64KB), not '%s'", show(b));
        if (burst < 1500 || burst > (1ull << 30))
            return err(ps, b, "burst %s is out of range (1500B to 1GiB)", b->text);
        adv(ps);
    }
    ward_app_limit *l = limit_entry(ps, kw, path);
    if (!l)
        return false;
    if (l->rate_bits)
        return err(ps, kw, "app '%s' has a rate limit already", path);
    l->rate_bits = bits;
    l->burst = burst;
    return true;
}

/* "quota 10GB per month [then block|alert]" in a program's block. */
static bool app_quota(struct ps *ps, const char *path)
{
    const struct token *kw = adv(ps);
    uint64_t bytes;
    uint8_t period;
    if (!size_per(ps, "quota", &bytes, &period))
        return false;
    int then = 0;
    if (is_word(tok(ps), "then") && !at_end(ps)) {
        adv(ps);
        static const char *const outcomes[] = {"block", "alert", NULL};
        if ((then = choice(ps, "outcome", outcomes)) < 0)
            return false;
    }
    ward_app_limit *l = limit_entry(ps, kw, path);
    if (!l)
        return false;
    if (l->quota)
        return err(ps, kw, "app '%s' has a quota already", path);
    l->quota = bytes;
    l->period = period;
    l->quota_alert = then == 1;
    return true;
}

static bool stmt_app(struct ps *ps)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *pt = tok(ps);
    if (pt->type != T_STRING || at_end(ps))
        return err(ps, pt, "program path expected as a quoted string after 'app'");
    adv(ps);
    if (pt->text[0] != '/')
        return err(ps, pt, "program path '%s' is not absolute", pt->text);
    if (strlen(pt->text) >= 4096)
        return err(ps, pt, "program path is too long");
    ward_sha256 pin;
    bool pinned = false;
    if (is_word(tok(ps), "sha256") && !at_end(ps)) {
        adv(ps);
        struct vals v = {0};
        if (!sha_elem(ps, &v, "sha256"))
            return false;
        pin = v.h[0];
        pinned = true;
    }
    struct vals parents = {0};
    if (is_word(tok(ps), "parent") && !at_end(ps)) {
        adv(ps);
        if (tok(ps)->type == T_BANG)
            return err(ps, tok(ps), "app blocks have no negation ('!')");
        if (!parse_list(ps, &parents, path_elem, "parent program path"))
            return false;
        vals_sort(&parents);
    }
    int fallback = -1;
    const struct token *fb_tok = NULL;
    if (is_word(tok(ps), "fallback") && !at_end(ps)) {
        adv(ps);
        fb_tok = tok(ps);
        static const char *const fbs[] = {"opposite", "ask", "allow", "deny", NULL};
        if ((fallback = choice(ps, "fallback", fbs)) < 0)
            return false;
    }
    if (tok(ps)->type != T_LBRACE || tok(ps)->bol)
        return err(ps, tok(ps), "'{' expected on the line of 'app \"%s\"'", pt->text);
    const struct token *open = adv(ps);
    int64_t id = ward_app_find(ld->e, pt->text);
    if (id > 0) {
        /* A program may have several blocks (admin's and learned): one pin. */
        ward_app_info info = {0};
        ward_app_get(ld->e, (uint64_t)id, &info);
        bool differs = pinned && (!info.pin || memcmp(info.pin, &pin, sizeof(pin)) != 0);
        if (differs && ld->learned_from && ld->top >= ld->learned_from) {
            /* re-pinned by an answer */
            ward_app_set_pin(ld->e, (uint64_t)id, &pin, WARD_PROVIDER_LEARNED);
        } else if (differs) {
            err(ps, pt, "app '%s' is pinned differently in another block", pt->text);
            id = -1;
        }
    } else {
        id = ward_app_add(ld->e, pt->text, pinned ? &pin : NULL);
        if (id < 0)
            err(ps, pt, "app '%s': %s", pt->text, ward_engine_error(ld->e));
        else if (pinned && ld->learned_from && ld->top >= ld->learned_from)
            ward_app_set_pin(ld->e, (uint64_t)id, &pin, WARD_PROVIDER_LEARNED);
    }
    if (id > 0 && fallback >= 0) {
        /* Two blocks of one program may not disagree about its fallback. */
        size_t given;
        if (nmap_get(&ld->fallbacks, pt->text, &given) && (int)given != fallback) {
            err(ps, fb_tok, "app '%s' has another fallback in another block", pt->text);
            id = -1;
        }
        if (id > 0) {
            if (!nmap_put(&ld->arena, &ld->fallbacks, pt->text, (size_t)fallback))
                return false;
            ward_app_set_fallback(ld->e, (uint64_t)id, (enum ward_app_fallback)fallback);
        }
    }
    if (id < 0) {
        ps->failed = false;
        ps->depth = 0;
    }
    for (;;) {
        const struct token *t = tok(ps);
        if (ld->stopped)
            return true;
        if (t->type == T_EOF) {
            diag_at(ld, open, "block of app '%s' is not closed: '}' expected", pt->text);
            return true;
        }
        if (t->type == T_RBRACE) {
            adv(ps);
            break;
        }
        bool top = false;
        for (const char *const *w = top_words; t->bol && *w; w++)
            top = top || is_word(t, *w);
        if (top) {
            /* A statement inside the block: the '}' was forgotten. */
            diag_at(ld, open, "block of app '%s' is not closed: '}' expected", pt->text);
            return true;
        }
        if (is_word(t, "limit") || is_word(t, "quota")) {
            bool ok = is_word(t, "limit") ? app_limit(ps, pt->text) : app_quota(ps, pt->text);
            if (ok && !at_end(ps))
                ok = err(ps, tok(ps), "unexpected '%s' after the %s", show(tok(ps)), t->text);
            if (!ok)
                recover(ps, true);
            continue;
        }
        if ((is_word(t, "allow") || is_word(t, "deny"))) {
            if (id > 0 ? !app_rule(ps, (uint64_t)id, pt->text, &parents) : (adv(ps), false)) {
                recover(ps, true);
                continue;
            }
            if (!at_end(ps) && !is_word(tok(ps), "allow") && !is_word(tok(ps), "deny")) {
                unknown(ps, tok(ps), "rule keyword", rule_words);
                recover(ps, true);
            }
            continue;
        }
        static const char *const starts[] = {"allow", "deny", "limit", "quota", NULL};
        unknown_at(ps, t, "keyword", starts, true);
        if (tok(ps) == t)
            adv(ps);
        recover(ps, true);
    }
    return true;
}

/* ---- include ------------------------------------------------------------------------------ */

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static char *join(struct load *ld, const char *base_path, const char *rel)
{
    if (rel[0] == '/')
        return arena_strdup(&ld->arena, rel, strlen(rel));
    const char *slash = strrchr(base_path, '/');
    size_t dl = slash ? (size_t)(slash - base_path) : 0;
    size_t len = dl + strlen(rel) + 2;
    char *p = arena_alloc(&ld->arena, len);
    if (!p)
        return NULL;
    if (slash)
        snprintf(p, len, "%.*s/%s", (int)dl, base_path, rel);
    else
        snprintf(p, len, "%s", rel);
    return p;
}

static void include_file(struct ps *ps, const char *path, const struct token *at);

static bool stmt_include(struct ps *ps)
{
    struct load *ld = ps->ld;
    adv(ps);
    const struct token *pt = tok(ps);
    if (pt->type != T_STRING || at_end(ps))
        return err(ps, pt, "file name expected as a quoted string after 'include'");
    adv(ps);
    if (!at_end(ps))
        return err(ps, tok(ps), "unexpected '%s' after the include's file name", tok(ps)->text);
    if (!*pt->text)
        return err(ps, pt, "empty file name");
    char *full = join(ld, ld->srcs[ps->src].path, pt->text);
    if (!full)
        return false;
    const char *slash = strrchr(full, '/');
    const char *glob = strpbrk(full, "*?[");
    if (glob && slash && glob < slash)
        return err(ps, pt, "a pattern may only be in the file part of '%s'", pt->text);
    if (!has_glob(full)) {
        include_file(ps, full, pt);
        return true;
    }
    char *dir = slash ? arena_strdup(&ld->arena, full, (size_t)(slash - full)) : ".";
    if (!dir)
        return false;
    size_t n;
    const char **files =
        dir_glob(ld, slash && slash == full ? "/" : dir, slash ? slash + 1 : full, &n, pt);
    for (size_t i = 0; files && i < n; i++) {
        const char *shown = slash ? files[i] : files[i] + 2; /* drop "./" */
        include_file(ps, shown, pt);
    }
    return true;
}

static void include_file(struct ps *ps, const char *path, const struct token *at)
{
    struct load *ld = ps->ld;
    char real[PATH_MAX];
    if (ld->stopped)
        return;
    if (realpath(path, real)) {
        for (size_t i = 0; i < ld->depth; i++) {
            if (!strcmp(ld->stack[i], real)) {
                diag_at(ld, at, "include loop: '%s' is already being read", path);
                return;
            }
        }
    }
    if (ld->depth >= MAX_INCLUDE_DEPTH) {
        diag_at(ld, at, "includes nested deeper than %d", MAX_INCLUDE_DEPTH);
        return;
    }
    int src = source_open(ld, path, ld->srcs[ps->src].root, at);
    if (src >= 0)
        parse_source(ld, src);
}

/* ---- Statements ------------------------------------------------------------------------------ */

static void statement(struct ps *ps)
{
    const struct token *t = tok(ps);
    bool ok;
    if (!t->bol) {
        ok = err(ps, t, "unexpected '%s': a statement starts on a new line", show(t));
    } else if (is_word(t, "set")) {
        ok = stmt_set(ps);
    } else if (is_word(t, "zone")) {
        ok = stmt_zone(ps);
    } else if (is_word(t, "ports")) {
        ok = stmt_list(ps, LIST_PORTS);
    } else if (is_word(t, "domains")) {
        ok = stmt_list(ps, LIST_DOMAINS);
    } else if (is_word(t, "sublayer")) {
        ok = stmt_sublayer(ps);
    } else if (is_word(t, "provider")) {
        ok = stmt_provider(ps);
    } else if (is_word(t, "filter")) {
        ok = stmt_filter(ps);
    } else if (is_word(t, "app")) {
        ok = stmt_app(ps);
    } else if (is_word(t, "include")) {
        ok = stmt_include(ps);
    } else if (is_word(t, "mail")) {
        ok = stmt_mail(ps);
    } else if (t->type == T_RBRACE) {
        ok = err(ps, t, "'}' without a block to close");
        adv(ps);
    } else if (is_word(t, "allow") || is_word(t, "deny")) {
        ok = err(ps, t, "'%s' rule outside an app block", t->text);
    } else if (t->bad) {
        ok = false; /* the lexer has said what is wrong with it */
    } else {
        ok = unknown_at(ps, t, "keyword", top_words, true);
    }
    if (ok && !at_end(ps))
        ok = unknown(ps, tok(ps), "end of line", (const char *const[]){NULL});
    if (ok && tok(ps)->type == T_RBRACE && !tok(ps)->bol)
        ok = err(ps, tok(ps), "'}' without a block to close");
    if (!ok || ps->failed) {
        if (tok(ps) == t)
            adv(ps);
        recover(ps, false);
    }
}

void parse_source(struct load *ld, int src)
{
    char real[PATH_MAX];
    const char *key = realpath(ld->srcs[src].path, real) ? real : ld->srcs[src].path;
    const char **stack = arena_alloc(&ld->arena, (ld->depth + 1) * sizeof(*stack));
    size_t n;
    struct token *toks = lex_source(ld, src, &n);
    if (!stack || !toks || ld->arena.oom)
        return;
    if (ld->depth)
        memcpy(stack, ld->stack, ld->depth * sizeof(*stack));
    stack[ld->depth] = arena_strdup(&ld->arena, key, strlen(key));
    const char **saved = ld->stack;
    ld->stack = stack;
    ld->depth++;
    struct ps ps = {.ld = ld, .t = toks, .n = n, .src = src};
    while (tok(&ps)->type != T_EOF && !ld->arena.oom && !ld->stopped)
        statement(&ps);
    ld->depth--;
    ld->stack = saved;
}

bool parse_one_rule(struct load *ld, int src, uint64_t app_id, const char *path)
{
    size_t n;
    struct token *toks = lex_source(ld, src, &n);
    if (!toks || ld->arena.oom || ld->errors)
        return false;
    struct ps ps = {.ld = ld, .t = toks, .n = n, .src = src};
    const struct token *t = tok(&ps);
    static const char *const starts[] = {"allow", "deny", NULL};
    if (!is_word(t, "allow") && !is_word(t, "deny")) {
        unknown_at(&ps, t, "'allow' or 'deny'", starts, true);
        return false;
    }
    ld->last_rule = -1;
    static const struct vals none;
    if (!app_rule(&ps, app_id, path, &none) || ps.failed)
        return false;
    if (tok(&ps)->type != T_EOF) {
        /* One rule a request: what follows would be lost. */
        err(&ps, tok(&ps), "one rule expected, and '%s' follows it", show(tok(&ps)));
        ward_app_rule_remove(ld->e, (uint64_t)ld->last_rule);
        return false;
    }
    return true;
}

bool parse_one_object(struct load *ld, int src, int *kind, int64_t *id)
{
    size_t n;
    struct token *toks = lex_source(ld, src, &n);
    if (!toks || ld->arena.oom || ld->errors)
        return false;
    struct ps ps = {.ld = ld, .t = toks, .n = n, .src = src};
    const struct token *t = tok(&ps);
    static const char *const starts[] = {"filter", "sublayer", "provider", NULL};
    ld->last_filter = -1;
    const char *sub = NULL;
    bool ok;
    if (is_word(t, "filter")) {
        *kind = WARD_OBJ_FILTER;
        ok = stmt_filter(&ps);
    } else if (is_word(t, "sublayer") || is_word(t, "provider")) {
        *kind = is_word(t, "sublayer") ? WARD_OBJ_SUBLAYER : WARD_OBJ_PROVIDER;
        const struct token *nt = ps.t + 1 < ps.t + n ? &ps.t[1] : NULL;
        sub = nt && nt->type != T_EOF ? nt->text : NULL;
        ok = *kind == WARD_OBJ_SUBLAYER ? stmt_sublayer(&ps) : stmt_provider(&ps);
    } else {
        unknown_at(&ps, t, "'filter', 'sublayer' or 'provider'", starts, true);
        return false;
    }
    int sid = !ok || !sub                  ? -1
              : *kind == WARD_OBJ_SUBLAYER ? ward_sublayer_find(ld->e, sub)
                                           : ward_provider_find(ld->e, sub);
    *id = *kind == WARD_OBJ_FILTER ? ld->last_filter : sid;
    if (ok && !ps.failed && tok(&ps)->type != T_EOF)
        ok = err(&ps, tok(&ps), "one statement expected, and '%s' follows it", show(tok(&ps)));
    if (ok && !ps.failed && *id > 0)
        return true;
    /* Nothing half-applied: what the statement added goes again. */
    if (*kind == WARD_OBJ_FILTER && ld->last_filter > 0)
        ward_filter_remove(ld->e, (uint64_t)ld->last_filter);
    else if (sid > 0)
        ward_policy_remove_object(ld->e, *kind, sid);
    return false;
}
