/*
 * diag.c — diagnostics: "file:line:col: error: message", the source line
 * and a caret; "did you mean" suggestions by edit distance.
 */
#include "policy/internal.h"

#include <string.h>

#define QUOTE_BEFORE 60  /* columns shown before the caret of a long line */
#define QUOTE_MAX    160 /* columns shown of a long line, at most */

static void diag_line(struct load *ld, int src, int line, int col)
{
    struct source *s = &ld->srcs[src];
    if (s->quiet)
        return;
    const char *end = s->text + s->len;
    /* From the cursor when the line is at or after it, else from the top. */
    if (line < s->cur_line || s->cur_line < 1) {
        s->cur_line = 1;
        s->cur_off = 0;
    }
    const char *p = s->text + s->cur_off;
    for (int l = s->cur_line; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    s->cur_line = line;
    s->cur_off = (size_t)(p - s->text);
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    /* A long line is shown around the caret only: twenty errors on one
     * megabyte-long line must not make twenty megabytes of messages. */
    const char *from = p, *to = eol;
    if (col > QUOTE_BEFORE + 1 && (size_t)(col - 1) <= (size_t)(eol - p))
        from = p + col - 1 - QUOTE_BEFORE;
    if (to - from > QUOTE_MAX)
        to = from + QUOTE_MAX;
    sb_puts(&ld->diag, from > p ? "    ..." : "    ");
    for (const char *q = from; q < to; q++)
        sb_putc(&ld->diag, *q == '\r' ? ' ' : *q);
    sb_puts(&ld->diag, to < eol ? "...\n    " : "\n    ");
    if (from > p)
        sb_puts(&ld->diag, "   ");
    /* Tabs stay tabs so the caret lines up in any terminal. */
    for (const char *q = from; q < p + col - 1 && q < to; q++)
        sb_putc(&ld->diag, *q == '\t' ? '\t' : ' ');
    sb_puts(&ld->diag, "^\n");
}

/* Whether one more error may be reported; past the cap the load stops. */
static bool diag_room(struct load *ld)
{
    if (ld->stopped)
        return false;
    if (ld->errors >= WARD_POLICY_MAX_ERRORS) {
        ld->stopped = true;
        sb_printf(&ld->diag, "ward: too many errors (%d), stopping\n", WARD_POLICY_MAX_ERRORS);
        return false;
    }
    return true;
}

static void vdiag_pos(struct load *ld, int src, int line, int col, bool quote, const char *fmt,
                      va_list ap) __attribute__((format(printf, 6, 0)));
static void vdiag_pos(struct load *ld, int src, int line, int col, bool quote, const char *fmt,
                      va_list ap)
{
    if (!diag_room(ld))
        return;
    ld->errors++;
    sb_printf(&ld->diag, "%s:%d:%d: error: ", ld->srcs[src].path, line, col);
    sb_vprintf(&ld->diag, fmt, ap);
    sb_putc(&ld->diag, '\n');
    if (quote)
        diag_line(ld, src, line, col);
}

void diag_pos(struct load *ld, int src, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag_pos(ld, src, line, col, true, fmt, ap);
    va_end(ap);
}

void diag_pos_quiet(struct load *ld, int src, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag_pos(ld, src, line, col, false, fmt, ap);
    va_end(ap);
}

void diag_at(struct load *ld, const struct token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag_pos(ld, t->src, t->line, t->col, true, fmt, ap);
    va_end(ap);
}

void diag_plain(struct load *ld, const char *fmt, ...)
{
    va_list ap;
    if (!diag_room(ld)) {
        /* Out of memory after the cap: the load fails all the same. */
        ld->errors += ld->errors == 0;
        return;
    }
    ld->errors++;
    sb_puts(&ld->diag, "ward: error: ");
    va_start(ap, fmt);
    sb_vprintf(&ld->diag, fmt, ap);
    va_end(ap);
    sb_putc(&ld->diag, '\n');
}

/* Optimal string alignment distance: a swap of two letters counts one. */
size_t ward_policy_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    /* Short words tolerate one slip, longer ones two. */
    size_t limit = len <= 4 ? 1 : 2;
    for (const char *const *c = candidates; *c; c++) {
        size_t d = ward_policy_edit_distance(word, *c);
        if (d <= limit && d < best_d && d < len) {
            best = *c;
            best_d = d;
        }
    }
    return best;
}
