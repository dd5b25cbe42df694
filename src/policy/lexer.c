/*
 * lexer.c — policy text to tokens. pf-like: '#' comments to the end of the
 * line, a backslash at the end of a line continues the statement, newlines
 * otherwise end statements (the parser sees them as the `bol` flag).
 */
#include "policy/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 1000000

/* Characters of a bare word: names, numbers, addresses, prefixes, times,
 * ranges, dates, globs. A table: the lexer asks for every byte. */
static const bool word_chars[256] = {
    ['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['_'] = true,
    ['.'] = true,         [':'] = true,         ['/'] = true,         ['*'] = true,
    ['-'] = true,         ['+'] = true,         ['?'] = true,         ['@'] = true,
};

static bool word_char(unsigned char c)
{
    return word_chars[c];
}

struct tokvec {
    struct token *v;
    size_t n, cap;
};

static struct token *push(struct load *ld, struct tokvec *tv)
{
    if (tv->n == tv->cap) {
        if (tv->cap >= MAX_TOKENS)
            return NULL;
        size_t cap = tv->cap ? tv->cap * 2 : 256;
        if (cap > MAX_TOKENS)
            cap = MAX_TOKENS;
        struct token *v = arena_alloc(&ld->arena, cap * sizeof(*v));
        if (!v)
            return NULL;
        if (tv->n)
            memcpy(v, tv->v, tv->n * sizeof(*v));
        tv->v = v;
        tv->cap = cap;
    }
    return memset(&tv->v[tv->n++], 0, sizeof(struct token));
}

struct token *lex_source(struct load *ld, int src, size_t *n_out)
{
    const struct source *s = &ld->srcs[src];
    const char *p = s->text, *end = s->text + s->len;
    struct tokvec tv = {0};
    int line = 1;
    const char *line_start = p;
    bool bol = true;

    while (p < end && !ld->stopped) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n') {
            line++;
            line_start = ++p;
            bol = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            p++;
            continue;
        }
        if (c == '#') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        int col = (int)(p - line_start) + 1;
        if (c == '\\') {
            const char *q = p + 1;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q < end && *q == '\n') {
                /* Continuation: the next line belongs to this statement. */
                line++;
                line_start = p = q + 1;
                continue;
            }
            diag_pos(ld, src, line, col,
                     "stray '\\' (a backslash continues a line only at its end)");
            p++;
            continue;
        }
        struct token *t = push(ld, &tv);
        if (!t) {
            diag_pos(ld, src, line, col, "too many tokens");
            break;
        }
        t->line = line;
        t->col = col;
        t->bol = bol;
        t->src = src;
        bol = false;
        if (c == '"') {
            struct sbuf b = {0};
            const char *q = p + 1;
            bool closed = false;
            while (q < end && *q != '\n') {
                if (*q == '"') {
                    closed = true;
                    q++;
                    break;
                }
                if (*q == '\\' && q + 1 < end && (q[1] == '"' || q[1] == '\\'))
                    q++;
                if (*q == 0) {
                    /* Embedded NULs would silently cut strings short. */
                    break;
                }
                sb_putc(&b, *q++);
            }
            if (!closed) {
                diag_pos(ld, src, line, col, "unterminated string");
                t->bad = true;
                while (q < end && *q != '\n')
                    q++;
            }
            t->type = T_STRING;
            t->text = arena_strdup(&ld->arena, b.s ? b.s : "", b.len);
            free(b.s);
            p = q;
            continue;
        }
        if (c == '$') {
            const char *q = p + 1;
            while (q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '-'))
                q++;
            if (q == p + 1)
                diag_pos(ld, src, line, col, "'$' must be followed by a list name");
            t->type = T_MACRO;
            t->text = arena_strdup(&ld->arena, p + 1, (size_t)(q - p - 1));
            p = q;
            continue;
        }
        switch (c) {
        case '{':
            t->type = T_LBRACE;
            t->text = "{";
            p++;
            continue;
        case '}':
            t->type = T_RBRACE;
            t->text = "}";
            p++;
            continue;
        case ',':
            t->type = T_COMMA;
            t->text = ",";
            p++;
            continue;
        case '=':
            t->type = T_EQ;
            t->text = "=";
            p++;
            continue;
        case '!':
            t->type = T_BANG;
            t->text = "!";
            p++;
            continue;
        }
        if (word_char(c)) {
            const char *q = p;
            while (q < end && word_char((unsigned char)*q))
                q++;
            t->type = T_WORD;
            t->text = arena_strdup(&ld->arena, p, (size_t)(q - p));
            p = q;
            continue;
        }
        if (isprint(c))
            diag_pos(ld, src, line, col, "unexpected character '%c'", c);
        else
            diag_pos(ld, src, line, col, "unexpected byte 0x%02x", c);
        tv.n--;
        p++;
    }
    struct token *t = push(ld, &tv);
    if (!t) {
        *n_out = 0;
        return NULL;
    }
    t->type = T_EOF;
    t->text = "end of file";
    t->line = line;
    t->col = (int)(p - line_start) + 1;
    t->bol = true;
    t->src = src;
    if (!t->text)
        t->text = "";
    *n_out = tv.n;
    return tv.v;
}
