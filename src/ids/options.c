/*
 * options.c — a rule's options, one by one, and the checks on a rule as a
 * whole. An option this file does not know is refused: a rule that would
 * match more than its author wrote is worse than no rule.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ids/parse.h"

#define MAX_CONTENTS 32
#define MAX_PCRES    8
#define MAX_BITS     4096

struct val {
    struct ids_lex *L;
    const char *s;
    size_t n, col;
};

static int vfail(const struct val *v, size_t at, const char *what)
{
    return ids_fail(v->L, v->col + at, "%s", what);
}

/* A decimal number in [min, max], the whole value or s[0, n). */
static int number(const struct val *v, const char *s, size_t n, long min, long max, long *out)
{
    size_t at = (size_t)(s - v->s), i = 0;
    bool neg = false;
    if (n > 0 && s[0] == '-' && min < 0) {
        neg = true;
        i++;
    }
    if (i == n)
        return vfail(v, at, "expected a number");
    long x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return vfail(v, at + i, "expected a number");
        x = x * 10 + (s[i] - '0');
        if (x > LONG_MAX / 20)
            return vfail(v, at, "number out of range");
    }
    if (neg)
        x = -x;
    if (x < min || x > max) {
        return ids_fail(v->L, v->col + at, "number out of range (%ld to %ld)", min, max);
    }
    *out = x;
    return 0;
}

/* A quoted string's contents, unescaped (\" \\ \; \:); *neg: a leading '!'
 * before the quote (only where allowed). verbatim: backslashes are kept
 * (a regular expression's own escapes). */
static int quoted(const struct val *v, bool allow_neg, bool verbatim, bool *neg, char **out,
                  size_t *outlen)
{
    size_t i = 0;
    if (neg)
        *neg = false;
    if (allow_neg && i < v->n && v->s[i] == '!') {
        *neg = true;
        i++;
        while (i < v->n && (v->s[i] == ' ' || v->s[i] == '\t'))
            i++;
    }
    if (i >= v->n || v->s[i] != '"')
        return vfail(v, i, "expected a quoted string");
    if (v->n < i + 2 || v->s[v->n - 1] != '"')
        return vfail(v, v->n, "expected the closing quote to end the value");
    char *o = malloc(v->n);
    if (!o)
        return vfail(v, 0, "out of memory");
    size_t k = 0;
    for (i++; i < v->n - 1; i++) {
        char c = v->s[i];
        if (c == '\\' && verbatim && i + 1 < v->n - 1) {
            o[k++] = c;
            c = v->s[++i];
        } else if (c == '\\') {
            if (i + 1 >= v->n - 1 || !strchr("\"\\;:", v->s[i + 1])) {
                free(o);
                return vfail(v, i, "unknown escape (\\\" \\\\ \\; \\: only)");
            }
            c = v->s[++i];
        } else if (c == '"') {
            free(o);
            return vfail(v, i, "unescaped quote inside the string");
        }
        o[k++] = c;
    }
    o[k] = '\0';
    *out = o;
    *outlen = k;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int opt_content(const struct val *v, struct rule *r)
{
    if (r->n_contents >= MAX_CONTENTS)
        return vfail(v, 0, "too many contents in one rule (32 at most)");
    bool neg;
    char *raw;
    size_t rl;
    if (quoted(v, true, false, &neg, &raw, &rl) < 0)
        return -1;
    /* Where the string starts in the value, for the columns of hex errors. */
    size_t q = (size_t)((const char *)memchr(v->s, '"', v->n) - v->s) + 1;
    uint8_t *b = malloc(rl + 1);
    size_t n = 0;
    bool hex = false;
    int nib = -1;
    size_t opened = 0; /* where the last '|' opened hex bytes */
    for (size_t i = 0; b && i < rl; i++) {
        char c = raw[i];
        if (c == '|') {
            if (hex && nib >= 0) {
                free(raw);
                free(b);
                return vfail(v, q + i, "odd number of hex digits");
            }
            hex = !hex;
            opened = q + i;
        } else if (hex) {
            if (c == ' ')
                continue;
            int h = hexval(c);
            if (h < 0) {
                free(raw);
                free(b);
                return vfail(v, q + i, "bad hex digit between '|'");
            }
            if (nib < 0) {
                nib = h;
            } else {
                b[n++] = (uint8_t)(nib << 4 | h);
                nib = -1;
            }
        } else {
            b[n++] = (uint8_t)c;
        }
    }
    free(raw);
    if (!b)
        return vfail(v, 0, "out of memory");
    if (hex) {
        free(b);
        return vfail(v, opened, "'|' opens hex bytes that are never closed");
    }
    if (n == 0) {
        free(b);
        return vfail(v, 0, "empty content");
    }
    struct content *c = realloc(r->contents, (r->n_contents + 1) * sizeof(*c));
    if (!c) {
        free(b);
        return vfail(v, 0, "out of memory");
    }
    r->contents = c;
    c = &c[r->n_contents++];
    memset(c, 0, sizeof(*c));
    c->bytes = b;
    c->len = n;
    c->neg = neg;
    return 0;
}

/* nocase, offset, depth, distance, within: the last content's modifiers. */
static int opt_modifier(const struct val *v, struct rule *r, const char *name)
{
    if (r->n_contents == 0)
        return vfail(v, 0, "needs a content before it");
    struct content *c = &r->contents[r->n_contents - 1];
    if (!strcmp(name, "nocase")) {
        if (v->s)
            return vfail(v, 0, "takes no value");
        c->nocase = true;
        return 0;
    }
    if (!v->s)
        return vfail(v, 0, "needs a value");
    bool rel = !strcmp(name, "distance") || !strcmp(name, "within");
    long x;
    if (number(v, v->s, v->n, rel && name[0] == 'd' ? -65535 : 0, 65535, &x) < 0)
        return -1;
    bool *has;
    int32_t *slot;
    if (!strcmp(name, "offset")) {
        has = &c->has_offset, slot = &c->offset;
    } else if (!strcmp(name, "depth")) {
        has = &c->has_depth, slot = &c->depth;
        if ((size_t)x < c->len)
            return vfail(v, 0, "shorter than its content");
    } else if (!strcmp(name, "distance")) {
        has = &c->has_distance, slot = &c->distance;
    } else {
        has = &c->has_within, slot = &c->within;
        if ((size_t)x < c->len)
            return vfail(v, 0, "shorter than its content");
    }
    if (*has)
        return vfail(v, 0, "given twice for one content");
    if (rel ? (c->has_offset || c->has_depth) : (c->has_distance || c->has_within))
        return vfail(v, 0, "offset/depth and distance/within cannot be mixed on one content");
    if (rel && r->n_contents == 1)
        return vfail(v, 0, "relative to a previous content, and there is none");
    *has = true;
    *slot = (int32_t)x;
    return 0;
}

static int opt_pcre(const struct val *v, struct rule *r)
{
    if (r->n_pcres >= MAX_PCRES)
        return vfail(v, 0, "too many pcre in one rule (8 at most)");
    char *s;
    size_t n;
    if (quoted(v, false, true, NULL, &s, &n) < 0)
        return -1;
    char *end = n > 1 && s[0] == '/' ? strrchr(s + 1, '/') : NULL;
    if (!end) {
        free(s);
        return vfail(v, 1, "expected \"/regex/flags\"");
    }
    uint32_t opts = 0;
    for (char *f = end + 1; *f; f++) {
        switch (*f) {
        case 'i':
            opts |= PCRE2_CASELESS;
            break;
        case 's':
            opts |= PCRE2_DOTALL;
            break;
        case 'm':
            opts |= PCRE2_MULTILINE;
            break;
        case 'x':
            opts |= PCRE2_EXTENDED;
            break;
        default: {
            size_t at = (size_t)(f - s) + 1;
            free(s);
            return vfail(v, at, "unknown flag (i s m x only)");
        }
        }
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)(s + 1), (size_t)(end - s - 1), opts, &ec, &eo, NULL);
    free(s);
    if (!code) {
        char msg[160];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
        return ids_fail(v->L, v->col + 2 + eo, "%s", msg);
    }
    pcre2_code **p = realloc(r->pcres, (r->n_pcres + 1) * sizeof(*p));
    if (!p) {
        pcre2_code_free(code);
        return vfail(v, 0, "out of memory");
    }
    r->pcres = p;
    p[r->n_pcres++] = code;
    return 0;
}

/* The comma-separated words of a value, each handed to fn with its column. */
static int words(const struct val *v,
                 int (*fn)(const struct val *, struct rule *, const char *, size_t, size_t, void *),
                 struct rule *r, void *ctx)
{
    size_t i = 0, idx = 0;
    while (i <= v->n) {
        while (i < v->n && (v->s[i] == ' ' || v->s[i] == '\t'))
            i++;
        size_t b = i;
        while (i < v->n && v->s[i] != ',')
            i++;
        size_t e = i;
        while (e > b && (v->s[e - 1] == ' ' || v->s[e - 1] == '\t'))
            e--;
        if (e == b)
            return vfail(v, b, "empty item in the list");
        if (fn(v, r, v->s + b, e - b, idx++, ctx) < 0)
            return -1;
        i++;
    }
    return 0;
}

static bool weq(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && !memcmp(w, lit, n);
}

static int flow_word(const struct val *v, struct rule *r, const char *w, size_t n, size_t idx,
                     void *ctx)
{
    if (weq(w, n, "to_server") || weq(w, n, "from_client"))
        r->flow_to_server = true;
    else if (weq(w, n, "to_client") || weq(w, n, "from_server"))
        r->flow_to_client = true;
    else if (weq(w, n, "established"))
        r->flow_established = true;
    else
        return vfail(v, (size_t)(w - v->s),
                     "unknown word (to_server, to_client, from_server, from_client, established)");
    if (r->flow_to_server && r->flow_to_client)
        return vfail(v, (size_t)(w - v->s), "to_server and to_client at once");
    return 0;
}

static int flowbit_index(struct ids_lex *L, const char *w, size_t n, uint32_t *out)
{
    ward_ids *ids = L->ids;
    for (size_t i = 0; i < ids->n_bits; i++)
        if (strlen(ids->bits[i]) == n && !memcmp(ids->bits[i], w, n)) {
            *out = (uint32_t)i;
            return 0;
        }
    if (ids->n_bits >= MAX_BITS)
        return -1;
    char **b = realloc(ids->bits, (ids->n_bits + 1) * sizeof(*b));
    if (!b)
        return -1;
    ids->bits = b;
    if (!(b[ids->n_bits] = strndup(w, n)))
        return -1;
    *out = (uint32_t)ids->n_bits++;
    return 0;
}

static int opt_flowbits(const struct val *v, struct rule *r)
{
    static const struct {
        const char *w;
        enum flowbit_op op;
    } ops[] = {{"set", FB_SET},
               {"isset", FB_ISSET},
               {"unset", FB_UNSET},
               {"isnotset", FB_ISNOTSET},
               {"noalert", FB_NOALERT}};
    const char *comma = memchr(v->s, ',', v->n);
    size_t wl = comma ? (size_t)(comma - v->s) : v->n;
    size_t i;
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (weq(v->s, wl, ops[i].w))
            break;
    if (i == sizeof(ops) / sizeof(ops[0]))
        return vfail(v, 0, "expected set, isset, unset, isnotset or noalert");
    if (ops[i].op == FB_NOALERT) {
        if (comma)
            return vfail(v, wl, "noalert takes no name");
        r->noalert = true;
        return 0;
    }
    if (!comma)
        return vfail(v, wl, "expected ',' and a flowbit name");
    const char *nm = comma + 1;
    size_t nl = v->n - wl - 1;
    while (nl > 0 && (*nm == ' ' || *nm == '\t'))
        nm++, nl--;
    if (nl == 0 || nl > 64)
        return vfail(v, wl + 1, "expected a flowbit name");
    for (size_t k = 0; k < nl; k++) {
        char c = nm[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return vfail(v, (size_t)(nm - v->s) + k, "a flowbit name is letters, digits, _ . -");
    }
    uint32_t bit;
    if (flowbit_index(v->L, nm, nl, &bit) < 0)
        return vfail(v, 0, "too many flowbits (4096 at most)");
    struct flowbit *f = realloc(r->flowbits, (r->n_flowbits + 1) * sizeof(*f));
    if (!f)
        return vfail(v, 0, "out of memory");
    r->flowbits = f;
    f[r->n_flowbits].op = ops[i].op;
    f[r->n_flowbits++].bit = bit;
    return 0;
}

static int opt_dsize(const struct val *v, struct rule *r)
{
    long a, b;
    const char *range = v->n > 2 ? memmem(v->s, v->n, "<>", 2) : NULL;
    if (r->dsize != DSIZE_NONE)
        return vfail(v, 0, "given twice");
    if (range) {
        size_t al = (size_t)(range - v->s);
        if (number(v, v->s, al, 0, 65535, &a) < 0 ||
            number(v, range + 2, v->n - al - 2, 0, 65535, &b) < 0)
            return -1;
        if (a > b)
            return vfail(v, 0, "range is empty");
        r->dsize = DSIZE_RANGE;
    } else if (v->n > 0 && (v->s[0] == '<' || v->s[0] == '>')) {
        if (number(v, v->s + 1, v->n - 1, 0, 65535, &a) < 0)
            return -1;
        r->dsize = v->s[0] == '<' ? DSIZE_LT : DSIZE_GT;
        b = 0;
    } else {
        if (number(v, v->s, v->n, 0, 65535, &a) < 0)
            return -1;
        r->dsize = DSIZE_EQ;
        b = 0;
    }
    r->dsize_a = (uint32_t)a;
    r->dsize_b = (uint32_t)b;
    return 0;
}

struct thr_seen {
    bool type, track, count, seconds;
};

static int thr_word(const struct val *v, struct rule *r, const char *w, size_t n, size_t idx,
                    void *ctx)
{
    struct thr_seen *seen = ctx;
    const char *sp = memchr(w, ' ', n);
    if (!sp)
        sp = memchr(w, '\t', n);
    if (!sp)
        return vfail(v, (size_t)(w - v->s),
                     "expected 'type', 'track', 'count' or 'seconds' and "
                     "a value");
    size_t kl = (size_t)(sp - w);
    const char *x = sp;
    while (x < w + n && (*x == ' ' || *x == '\t'))
        x++;
    size_t xl = (size_t)(w + n - x);
    long num;
    if (weq(w, kl, "type") && !seen->type) {
        seen->type = true;
        if (weq(x, xl, "limit"))
            r->thr = THR_LIMIT;
        else if (weq(x, xl, "threshold"))
            r->thr = THR_THRESHOLD;
        else if (weq(x, xl, "both"))
            r->thr = THR_BOTH;
        else
            return vfail(v, (size_t)(x - v->s), "type is limit, threshold or both");
    } else if (weq(w, kl, "track") && !seen->track) {
        seen->track = true;
        if (weq(x, xl, "by_dst"))
            r->thr_by_dst = true;
        else if (!weq(x, xl, "by_src"))
            return vfail(v, (size_t)(x - v->s), "track is by_src or by_dst");
    } else if (weq(w, kl, "count") && !seen->count) {
        seen->count = true;
        if (number(v, x, xl, 1, 1000000, &num) < 0)
            return -1;
        r->thr_count = (uint32_t)num;
    } else if (weq(w, kl, "seconds") && !seen->seconds) {
        seen->seconds = true;
        if (number(v, x, xl, 1, 86400 * 365, &num) < 0)
            return -1;
        r->thr_seconds = (uint32_t)num;
    } else {
        return vfail(v, (size_t)(w - v->s),
                     "expected 'type', 'track', 'count' or 'seconds', each once");
    }
    return 0;
}

static int opt_threshold(const struct val *v, struct rule *r)
{
    if (r->thr != THR_NONE)
        return vfail(v, 0, "given twice");
    struct thr_seen seen = {0};
    if (words(v, thr_word, r, &seen) < 0)
        return -1;
    if (!seen.type || !seen.track || !seen.count || !seen.seconds)
        return vfail(v, 0, "needs type, track, count and seconds");
    return 0;
}

static int opt_string(const struct val *v, char **slot)
{
    if (*slot)
        return vfail(v, 0, "given twice");
    size_t n;
    return quoted(v, false, false, NULL, slot, &n);
}

static int opt_word(const struct val *v, char **slot)
{
    if (*slot)
        return vfail(v, 0, "given twice");
    if (v->n == 0)
        return vfail(v, 0, "needs a value");
    for (size_t i = 0; i < v->n; i++) {
        char c = v->s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return vfail(v, i, "a word of letters, digits, _ - .");
    }
    *slot = strndup(v->s, v->n);
    return *slot ? 0 : vfail(v, 0, "out of memory");
}

static int opt_program(const struct val *v, struct rule *r)
{
    if (opt_string(v, &r->program) < 0)
        return -1;
    if (r->program[0] != '/')
        return vfail(v, 1, "a program is an absolute path or a glob of one");
    return 0;
}

static int opt_num(const struct val *v, uint32_t *slot, long min, long max)
{
    long x;
    if (number(v, v->s, v->n, min, max, &x) < 0)
        return -1;
    *slot = (uint32_t)x;
    return 0;
}

int ids_option(struct ids_lex *L, struct rule *r, const char *name, size_t ncol, const char *value,
               size_t vlen, size_t vcol)
{
    struct val v = {.L = L, .s = value, .n = vlen, .col = value ? vcol : ncol};
    bool bare = !strcmp(name, "nocase");
    if (bare)
        return opt_modifier(&v, r, name);
    if (!value) {
        static const char *const known[] = {
            "msg",     "sid",    "rev",   "classtype", "priority", "reference",
            "content", "pcre",   "flow",  "dsize",     "flowbits", "threshold",
            "program", "offset", "depth", "distance",  "within"};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (!strcmp(name, known[i]))
                return vfail(&v, 0, "needs a value");
        L->opt = NULL;
        return ids_fail(L, ncol, "unknown option '%s'", name);
    }
    if (!strcmp(name, "msg"))
        return opt_string(&v, &r->msg);
    if (!strcmp(name, "sid"))
        return r->sid ? vfail(&v, 0, "given twice") : opt_num(&v, &r->sid, 1, UINT32_MAX);
    if (!strcmp(name, "rev"))
        return opt_num(&v, &r->rev, 0, UINT32_MAX);
    if (!strcmp(name, "priority"))
        return opt_num(&v, &r->priority, 1, 255);
    if (!strcmp(name, "classtype"))
        return opt_word(&v, &r->classtype);
    if (!strcmp(name, "reference")) {
        const char *c = memchr(value, ',', vlen);
        if (!c || c == value || c == value + vlen - 1)
            return vfail(&v, 0, "expected type,id");
        return 0;
    }
    if (!strcmp(name, "content"))
        return opt_content(&v, r);
    if (!strcmp(name, "offset") || !strcmp(name, "depth") || !strcmp(name, "distance") ||
        !strcmp(name, "within"))
        return opt_modifier(&v, r, name);
    if (!strcmp(name, "pcre"))
        return opt_pcre(&v, r);
    if (!strcmp(name, "flow")) {
        if (r->proto != 6 && r->proto != 17 && r->proto != 0)
            return vfail(&v, 0, "only tcp, udp and ip rules have flows");
        return words(&v, flow_word, r, NULL);
    }
    if (!strcmp(name, "dsize"))
        return opt_dsize(&v, r);
    if (!strcmp(name, "flowbits"))
        return opt_flowbits(&v, r);
    if (!strcmp(name, "threshold"))
        return opt_threshold(&v, r);
    if (!strcmp(name, "program"))
        return opt_program(&v, r);
    L->opt = NULL;
    return ids_fail(L, ncol, "unknown option '%s'", name);
}

int ids_rule_check(struct ids_lex *L, struct rule *r, size_t col)
{
    if (r->sid == 0)
        return ids_fail(L, col, "a rule needs a sid");
    for (size_t i = 0; i + 1 < L->ids->n_rules; i++)
        if (L->ids->rules[i].sid == r->sid)
            return ids_fail(L, col, "sid %u is already used on line %u", r->sid,
                            L->ids->rules[i].line);
    if (!r->msg && !(r->msg = strdup("")))
        return ids_fail(L, col, "out of memory");
    return 0;
}
