/*
 * dnsfilter.c — the dnsfilter callout's blocklist: names and wildcards in
 * hash sets, regular expressions through PCRE2 (see dnsfilter.h).
 *
 * Names live in one arena; a set's slot holds a name's 64-bit hash, offset
 * and length, so a probe compares memory only when the hashes agree. A list
 * is read twice: once to check every line (an error leaves the filter as it
 * was), once to add.
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callout/dnsfilter.h"

#define NAME_MAX_LEN 253
#define FILE_MAX     (256u << 20)

struct slot {
    uint64_t h;
    uint32_t off, len; /* len 0: free */
};

struct set {
    struct slot *s;
    size_t cap, n;
};

struct regex {
    pcre2_code *code;
    pcre2_match_data *md;
};

struct ward_dnsfilter {
    char *arena;
    size_t arena_len, arena_cap;
    struct set names, wild;
    struct regex *rx;
    size_t n_rx;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

ward_dnsfilter *ward_dnsfilter_new(void)
{
    return calloc(1, sizeof(ward_dnsfilter));
}

void ward_dnsfilter_free(ward_dnsfilter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_rx; i++) {
        pcre2_match_data_free(f->rx[i].md);
        pcre2_code_free(f->rx[i].code);
    }
    free(f->rx);
    free(f->names.s);
    free(f->wild.s);
    free(f->arena);
    free(f);
}

size_t ward_dnsfilter_count(const ward_dnsfilter *f)
{
    return f->names.n + f->wild.n + f->n_rx;
}

static const struct slot *set_find(const ward_dnsfilter *f, const struct set *st, const char *s,
                                   size_t n, uint64_t h)
{
    if (!st->cap)
        return NULL;
    for (size_t i = h & (st->cap - 1);; i = (i + 1) & (st->cap - 1)) {
        const struct slot *sl = &st->s[i];
        if (!sl->len)
            return NULL;
        if (sl->h == h && sl->len == n && !memcmp(f->arena + sl->off, s, n))
            return sl;
    }
}

static int set_grow(struct set *st)
{
    size_t ncap = st->cap ? st->cap * 2 : 1024;
    struct slot *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; i < st->cap; i++) {
        if (!st->s[i].len)
            continue;
        size_t j = st->s[i].h & (ncap - 1);
        while (ns[j].len)
            j = (j + 1) & (ncap - 1);
        ns[j] = st->s[i];
    }
    free(st->s);
    st->s = ns;
    st->cap = ncap;
    return 0;
}

static int set_add(ward_dnsfilter *f, struct set *st, const char *s, size_t n)
{
    uint64_t h = hash(s, n);
    if (set_find(f, st, s, n, h))
        return 0; /* lists overlap: once is enough */
    if ((st->n + 1) * 4 > st->cap * 3 && set_grow(st) < 0)
        return -1;
    if (f->arena_len + n > f->arena_cap) {
        size_t ncap = f->arena_cap ? f->arena_cap * 2 : 65536;
        while (ncap < f->arena_len + n)
            ncap *= 2;
        char *na = realloc(f->arena, ncap);
        if (!na)
            return -1;
        f->arena = na;
        f->arena_cap = ncap;
    }
    memcpy(f->arena + f->arena_len, s, n);
    size_t j = h & (st->cap - 1);
    while (st->s[j].len)
        j = (j + 1) & (st->cap - 1);
    st->s[j] = (struct slot){h, (uint32_t)f->arena_len, (uint32_t)n};
    f->arena_len += n;
    st->n++;
    return 0;
}

/* ---- Reading a list --------------------------------------------------------- */

struct reader {
    ward_dnsfilter *f; /* NULL: only check */
    const char *name;
    size_t line;
    char *err;
    size_t errlen;
};

static int fail(struct reader *rd, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct reader *rd, size_t col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(rd->err, rd->errlen, "%s:%zu:%zu: error: %s", rd->name, rd->line, col, msg);
    return -1;
}

static int oom(struct reader *rd)
{
    snprintf(rd->err, rd->errlen, "%s: out of memory", rd->name);
    return -1;
}

/* Lower-cases a name into out (no trailing dot); its length, or 0 when it
 * is not a name (*bad: the offending offset). */
static size_t norm_name(const char *s, size_t n, char *out, size_t *bad)
{
    if (n && s[n - 1] == '.')
        n--;
    if (!n || n > NAME_MAX_LEN) {
        *bad = 0;
        return 0;
    }
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == '.') {
            if (!label) {
                *bad = i;
                return 0;
            }
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63) {
                *bad = i;
                return 0;
            }
        } else {
            *bad = i;
            return 0;
        }
        out[i] = c;
    }
    out[n] = '\0';
    return n;
}

static bool hosts_own_name(const char *s)
{
    static const char *const own[] = {"localhost", "localhost.localdomain", "local",
                                      "broadcasthost", NULL};
    for (const char *const *o = own; *o; o++)
        if (!strcmp(s, *o))
            return true;
    return !strncmp(s, "ip6-", 4);
}

static int add_name(struct reader *rd, const char *tok, size_t n, size_t col, bool hosts)
{
    bool wild = n > 2 && tok[0] == '*' && tok[1] == '.';
    const char *s = wild ? tok + 2 : tok;
    size_t len = wild ? n - 2 : n;
    char buf[NAME_MAX_LEN + 2];
    size_t bad = 0;
    char shown[72]; /* enough of it to recognise */
    snprintf(shown, sizeof(shown), "%.*s", (int)(n < 64 ? n : 64), tok);
    if (hosts && wild)
        return fail(rd, col, "a hosts line names hosts, not wildcards: '%s'", shown);
    size_t m = norm_name(s, len, buf, &bad);
    if (!m) {
        if (len > NAME_MAX_LEN + 1)
            return fail(rd, col, "a name is at most 253 characters: '%s...'", shown);
        return fail(rd, col + (wild ? 2 : 0) + bad, "not a domain name: '%s'", shown);
    }
    if (hosts && hosts_own_name(buf))
        return 0;
    if (!rd->f)
        return 0;
    if (set_add(rd->f, wild ? &rd->f->wild : &rd->f->names, buf, m) < 0)
        return oom(rd);
    return 0;
}

static int add_regex(struct reader *rd, const char *p, size_t n, size_t col)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)p, n, PCRE2_CASELESS | PCRE2_NO_UTF_CHECK, &code, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return fail(rd, col + 1 + at, "bad regular expression: %s", (const char *)msg);
    }
    if (!rd->f) {
        pcre2_code_free(re);
        return 0;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* faster where JIT exists; fine without */
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    struct regex *nr = md ? realloc(rd->f->rx, (rd->f->n_rx + 1) * sizeof(*nr)) : NULL;
    if (!nr) {
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        return oom(rd);
    }
    rd->f->rx = nr;
    nr[rd->f->n_rx++] = (struct regex){re, md};
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool is_address(const char *s, size_t n)
{
    char buf[64];
    unsigned char bin[16];
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

static int read_line(struct reader *rd, const char *l, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(l[i]))
        i++;
    if (i == n || l[i] == '#' || l[i] == '!')
        return 0;
    if (l[i] == '/') {
        /* A regular expression: up to the last '/' of the line, then at
         * most a comment (which therefore holds no '/'). */
        size_t end = n, close = n;
        while (close > i + 1 && l[close - 1] != '/')
            close--;
        if (close <= i + 1)
            return fail(rd, i + 1, "%s", "a regular expression is written /.../");
        for (size_t k = close; k < end; k++) {
            if (l[k] == '#')
                break;
            if (!is_space(l[k]))
                return fail(rd, k + 1, "%s", "nothing may follow /.../ but a comment");
        }
        if (close - 1 == i + 1)
            return fail(rd, i + 1, "%s", "an empty regular expression would match every name");
        return add_regex(rd, l + i + 1, close - 1 - (i + 1), i + 1);
    }
    const char *hash = memchr(l + i, '#', n - i);
    if (hash)
        n = (size_t)(hash - l);
    size_t start = i;
    while (i < n && !is_space(l[i]))
        i++;
    size_t first_len = i - start;
    bool hosts = is_address(l + start, first_len);
    if (!hosts) {
        size_t j = i;
        while (j < n && is_space(l[j]))
            j++;
        if (j < n)
            return fail(rd, j + 1, "%s", "one name a line (or a hosts line: ADDRESS NAME...)");
        return add_name(rd, l + start, first_len, start + 1, false);
    }
    size_t names = 0;
    for (;;) {
        while (i < n && is_space(l[i]))
            i++;
        if (i == n)
            break;
        size_t s = i;
        while (i < n && !is_space(l[i]))
            i++;
        if (add_name(rd, l + s, i - s, s + 1, true) < 0)
            return -1;
        names++;
    }
    if (!names)
        return fail(rd, start + first_len + 1, "%s", "a hosts line needs a name after the address");
    return 0;
}

static int read_all(struct reader *rd, const char *text, size_t len)
{
    rd->line = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        rd->line++;
        if (memchr(text + pos, '\0', end - pos))
            return fail(rd, 1, "%s", "a NUL byte: not a text list");
        if (read_line(rd, text + pos, end - pos) < 0)
            return -1;
        pos = end + 1;
    }
    return 0;
}

int ward_dnsfilter_load_text(ward_dnsfilter *f, const char *name, const char *text, size_t len,
                             char *err, size_t errlen)
{
    struct reader rd = {NULL, name, 0, err, errlen};
    if (read_all(&rd, text, len) < 0)
        return -1;
    rd.f = f;
    return read_all(&rd, text, len); /* fails only out of memory */
}

int ward_dnsfilter_load_file(ward_dnsfilter *f, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > FILE_MAX) {
        snprintf(err, errlen, "%s: %s", path,
                 S_ISREG(st.st_mode) ? "larger than 256 MiB" : "not a regular file");
        close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = ward_dnsfilter_load_text(f, path, buf, got, err, errlen);
    free(buf);
    return rc;
}

/* ---- Lookups ----------------------------------------------------------------- */

enum ward_dnsfilter_hit ward_dnsfilter_match(const ward_dnsfilter *f, const char *name)
{
    char buf[NAME_MAX_LEN + 2];
    size_t bad, n = norm_name(name, strlen(name), buf, &bad);
    if (!n)
        return WARD_DNSF_MISS;
    if (set_find(f, &f->names, buf, n, hash(buf, n)))
        return WARD_DNSF_EXACT;
    if (f->wild.n) {
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == '.' &&
                set_find(f, &f->wild, buf + i + 1, n - i - 1, hash(buf + i + 1, n - i - 1)))
                return WARD_DNSF_WILDCARD;
        }
    }
    for (size_t i = 0; i < f->n_rx; i++)
        if (pcre2_match(f->rx[i].code, (PCRE2_SPTR)buf, n, 0, 0, f->rx[i].md, NULL) >= 0)
            return WARD_DNSF_REGEX;
    return WARD_DNSF_MISS;
}

/* ---- The callout -------------------------------------------------------------- */

/* The list of the policy in force: the callout is built in (trusted code
 * in wardd), and the descriptor has no context of its own. */
static const ward_dnsfilter *active;

void ward_dnsfilter_use(const ward_dnsfilter *f)
{
    active = f;
}

static enum ward_callout_verdict dnsfilter_classify(const ward_callout_flow *flow,
                                                    const ward_callout_data *data, void **ctx)
{
    const char *q = data->qname ? data->qname : flow->domain;
    if (!active || !q || ward_dnsfilter_match(active, q) == WARD_DNSF_MISS)
        return WARD_CALLOUT_CONTINUE;
    return WARD_CALLOUT_BLOCK_NO_VETO;
}

const ward_callout ward_dnsfilter_callout = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "dnsfilter",
    .layers = WARD_CALLOUT_L_DNS,
    .classify = dnsfilter_classify,
};
