/*
 * state.c — a mail session's buffers, and what the protocols' state
 * machines share (internal.h): the queue of answers awaited, lines,
 * dot-stuffing.
 */
#include "mail/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mail_buf_add(struct mail_buf *b, const void *p, size_t n)
{
    if (!n)
        return 0;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

void mail_buf_take(struct mail_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void mail_buf_free(struct mail_buf *b)
{
    free(b->p);
    *b = (struct mail_buf){0};
}

void mail_out(struct mail_session *s, struct mail_buf *b, const void *p, size_t n)
{
    if (mail_buf_add(b, p, n) < 0)
        s->failed = true;
}

void mail_say(struct mail_session *s, struct mail_buf *b, const char *str)
{
    mail_out(s, b, str, strlen(str));
}

void mail_push(struct mail_session *s, enum expect x)
{
    if (s->n_expect < MAIL_EXPECT_MAX)
        s->expect[s->n_expect++] = (uint8_t)x;
    else
        s->failed = true; /* a client that never reads its answers */
}

enum expect mail_peek(const struct mail_session *s)
{
    return s->n_expect ? (enum expect)s->expect[0] : X_FWD;
}

void mail_pop(struct mail_session *s)
{
    if (s->n_expect)
        memmove(s->expect, s->expect + 1, --s->n_expect);
}

/* The next whole line of in from *pos (its length with the newline), or 0. */
size_t mail_line_at(const struct mail_buf *in, size_t pos)
{
    const char *nl = pos < in->len ? memchr(in->p + pos, '\n', in->len - pos) : NULL;
    return nl ? (size_t)(nl - (in->p + pos)) + 1 : 0;
}

bool mail_is_dot(const char *l, size_t n)
{
    return (n == 3 && !memcmp(l, ".\r\n", 3)) || (n == 2 && !memcmp(l, ".\n", 2));
}

/* Whether line l starts with word w (case-insensitive) followed by a space or its end. */
bool mail_verb_is(const char *l, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !strncasecmp(l, w, k) &&
           (n == k || l[k] == ' ' || l[k] == '\r' || l[k] == '\n');
}

/* A line of a held message, dot-unstuffed (SMTP and POP3). */
void mail_msg_line(struct mail_session *s, const char *l, size_t n, bool line_start)
{
    if (line_start && n > 1 && l[0] == '.') {
        l++;
        n--;
    }
    if (s->msg.len + n > MAIL_MAX_MESSAGE)
        s->too_large = true;
    else
        mail_out(s, &s->msg, l, n);
}

/* b += body dot-stuffed, with CRLF line ends and the final dot. */
void mail_stuff(struct mail_session *s, struct mail_buf *b, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t k = nl ? (size_t)(nl - (p + i)) : n - i;
        if (p[i] == '.')
            mail_out(s, b, ".", 1);
        size_t body = k && p[i + k - 1] == '\r' ? k - 1 : k;
        mail_out(s, b, p + i, body);
        mail_out(s, b, "\r\n", 2);
        i += k + (nl ? 1 : 0);
    }
    mail_out(s, b, ".\r\n", 3);
}
