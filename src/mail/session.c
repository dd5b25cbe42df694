/*
 * session.c — the SMTP, POP3 and IMAP state machines of the mail proxy
 * (session.h). Each side's bytes are read line by line (IMAP: and literal
 * by literal); what is not a message passes as it came.
 */
#include "mail/session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What an answer the client waits for is to (SMTP, POP3). */
enum expect { X_FWD, X_TLS, X_AUTH, X_354, X_FINAL, X_SWALLOW, X_MULTI, X_MSG };
enum { C_CMD, C_BODY };    /* SMTP client side */
enum { S_FIRST, S_LINES }; /* POP3 server side, in a multi-line answer */

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

static int add_str(struct mail_buf *b, const char *s)
{
    return mail_buf_add(b, s, strlen(s));
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

void mail_session_init(struct mail_session *s, enum mail_proto proto)
{
    memset(s, 0, sizeof(*s));
    s->proto = proto;
}

void mail_session_free(struct mail_session *s)
{
    mail_buf_free(&s->cin);
    mail_buf_free(&s->sin);
    mail_buf_free(&s->to_client);
    mail_buf_free(&s->to_server);
    mail_buf_free(&s->msg);
    mail_buf_free(&s->held);
}

static void out(struct mail_session *s, struct mail_buf *b, const void *p, size_t n)
{
    if (mail_buf_add(b, p, n) < 0)
        s->failed = true;
}

static void push(struct mail_session *s, enum expect x)
{
    if (s->n_expect < MAIL_EXPECT_MAX)
        s->expect[s->n_expect++] = (uint8_t)x;
    else
        s->failed = true; /* a client that never reads its answers */
}

static enum expect peek(const struct mail_session *s)
{
    return s->n_expect ? (enum expect)s->expect[0] : X_FWD;
}

static void pop(struct mail_session *s)
{
    if (s->n_expect)
        memmove(s->expect, s->expect + 1, --s->n_expect);
}

/* The next whole line of in from *pos (its length with the newline), or 0. */
static size_t line_at(const struct mail_buf *in, size_t pos)
{
    const char *nl = pos < in->len ? memchr(in->p + pos, '\n', in->len - pos) : NULL;
    return nl ? (size_t)(nl - (in->p + pos)) + 1 : 0;
}

static bool is_dot(const char *l, size_t n)
{
    return (n == 3 && !memcmp(l, ".\r\n", 3)) || (n == 2 && !memcmp(l, ".\n", 2));
}

/* Whether line l starts with word w (case-insensitive) followed by a space or its end. */
static bool verb_is(const char *l, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !strncasecmp(l, w, k) &&
           (n == k || l[k] == ' ' || l[k] == '\r' || l[k] == '\n');
}

/* A line of a held message, dot-unstuffed (SMTP and POP3). */
static void msg_line(struct mail_session *s, const char *l, size_t n, bool line_start)
{
    if (line_start && n > 1 && l[0] == '.') {
        l++;
        n--;
    }
    if (s->msg.len + n > MAIL_MAX_MESSAGE)
        s->too_large = true;
    else
        out(s, &s->msg, l, n);
}

/* b += body dot-stuffed, with CRLF line ends and the final dot. */
static void stuff(struct mail_session *s, struct mail_buf *b, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t k = nl ? (size_t)(nl - (p + i)) : n - i;
        if (p[i] == '.')
            out(s, b, ".", 1);
        size_t body = k && p[i + k - 1] == '\r' ? k - 1 : k;
        out(s, b, p + i, body);
        out(s, b, "\r\n", 2);
        i += k + (nl ? 1 : 0);
    }
    out(s, b, ".\r\n", 3);
}

/* After STARTTLS: what follows passes unread (process() moves what is
 * read already). */
static void go_opaque(struct mail_session *s)
{
    s->opaque = true;
}

/* ---- SMTP ------------------------------------------------------------- */

static void smtp_command(struct mail_session *s, const char *l, size_t n)
{
    if (s->c_raw) { /* an answer to the server's 334 */
        s->c_raw = false;
        out(s, &s->to_server, l, n);
        push(s, X_AUTH);
    } else if (verb_is(l, n, "DATA")) {
        add_str(&s->to_client, "354 End data with <CR><LF>.<CR><LF>\r\n");
        s->c_state = C_BODY;
        s->msg.len = 0;
        s->too_large = false;
    } else if (verb_is(l, n, "BDAT")) {
        add_str(&s->to_client, "502 5.5.1 BDAT is not taken by Ward's mail proxy\r\n");
    } else {
        out(s, &s->to_server, l, n);
        push(s, verb_is(l, n, "STARTTLS") ? X_TLS : verb_is(l, n, "AUTH") ? X_AUTH : X_FWD);
    }
}

static void smtp_body_end(struct mail_session *s)
{
    s->c_state = C_CMD;
    if (s->too_large) {
        add_str(&s->to_client, "552 5.3.4 Message too large for Ward's mail proxy\r\n");
        s->msg.len = 0;
        return;
    }
    s->pending = true;
    s->messages++;
}

static void smtp_client(struct mail_session *s)
{
    size_t pos = 0, n;
    /* One command at a time (PIPELINING is not offered): the answers the
     * proxy makes itself stay in order with the server's. */
    while (!s->pending && !s->opaque && !s->failed && (s->c_state == C_BODY || !s->n_expect)) {
        if (!(n = line_at(&s->cin, pos))) {
            size_t rest = s->cin.len - pos;
            if (rest > MAIL_MAX_LINE) {
                if (s->c_state == C_BODY) {
                    msg_line(s, s->cin.p + pos, rest, !s->c_mid);
                    s->c_mid = true;
                } else if (!s->c_skip) {
                    add_str(&s->to_client, "500 5.5.2 Line too long\r\n");
                    s->c_skip = true;
                }
                pos += rest;
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        if (s->c_state == C_BODY) {
            if (!s->c_mid && is_dot(l, n))
                smtp_body_end(s);
            else
                msg_line(s, l, n, !s->c_mid);
            s->c_mid = false;
        } else if (s->c_skip) {
            s->c_skip = false;
        } else if (n > MAIL_MAX_LINE) {
            add_str(&s->to_client, "500 5.5.2 Line too long\r\n");
        } else {
            smtp_command(s, l, n);
        }
    }
    mail_buf_take(&s->cin, pos);
}

static bool ehlo_dropped(const char *l, size_t n)
{
    static const char *const drop[] = {"PIPELINING", "CHUNKING", "BINARYMIME"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(*drop); i++)
        if (n > 4 && verb_is(l + 4, n - 4, drop[i]))
            return true;
    return false;
}

/* A whole reply (its lines), to the client, without the extensions the
 * proxy does not take when it lists them (EHLO). */
static void smtp_forward(struct mail_session *s, const char *r, size_t len, int code)
{
    if (code != 250) {
        out(s, &s->to_client, r, len);
        return;
    }
    size_t start = s->to_client.len, last = start, pos = 0;
    while (pos < len) {
        const char *nl = memchr(r + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (r + pos)) + 1 : len - pos;
        if (!ehlo_dropped(r + pos, n)) {
            last = s->to_client.len;
            out(s, &s->to_client, r + pos, n);
            if (!s->failed && n > 3)
                s->to_client.p[last + 3] = '-';
        }
        pos += n;
    }
    if (!s->failed && s->to_client.len - last > 3)
        s->to_client.p[last + 3] = ' ';
}

static void smtp_reply(struct mail_session *s, const char *r, size_t len)
{
    int code = len >= 3 && isdigit((unsigned char)r[0]) ? atoi(r) : 0;
    enum expect x = peek(s);
    pop(s);
    switch (x) {
    case X_354:
        if (code == 354) {
            out(s, &s->to_server, s->held.p, s->held.len);
            push(s, X_FINAL);
        } else {
            out(s, &s->to_client, r, len); /* the answer to the client's dot */
        }
        s->held.len = 0;
        break;
    case X_SWALLOW:
        break;
    case X_TLS:
        out(s, &s->to_client, r, len);
        if (code == 220)
            go_opaque(s);
        break;
    case X_AUTH:
        out(s, &s->to_client, r, len);
        if (code == 334)
            s->c_raw = true;
        break;
    default:
        smtp_forward(s, r, len, code);
    }
}

static void smtp_server(struct mail_session *s)
{
    size_t pos = 0, start = 0, n;
    while (!s->opaque && !s->failed) {
        if (!(n = line_at(&s->sin, pos))) {
            if (s->sin.len - start > 16 * MAIL_MAX_LINE) { /* no reply of SMTP's: as it is */
                out(s, &s->to_client, s->sin.p + start, s->sin.len - start);
                pos = start = s->sin.len;
            }
            break;
        }
        const char *l = s->sin.p + pos;
        pos += n;
        if (n >= 4 && l[3] == '-')
            continue; /* the reply goes on */
        smtp_reply(s, s->sin.p + start, pos - start);
        start = pos;
    }
    mail_buf_take(&s->sin, start);
}

/* ---- POP3 ------------------------------------------------------------- */

static void pop3_client(struct mail_session *s)
{
    size_t pos = 0, n;
    /* One command at a time, as SMTP: the proxy's own -ERR stays in order. */
    while (!s->pending && !s->opaque && !s->failed && !s->n_expect) {
        if (!(n = line_at(&s->cin, pos))) {
            if (s->cin.len - pos > MAIL_MAX_LINE) {
                if (!s->c_skip)
                    add_str(&s->to_client, "-ERR line too long\r\n");
                s->c_skip = true;
                pos = s->cin.len;
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        if (s->c_skip || n > MAIL_MAX_LINE) {
            if (!s->c_skip)
                add_str(&s->to_client, "-ERR line too long\r\n");
            s->c_skip = false;
            continue;
        }
        out(s, &s->to_server, l, n);
        if (s->c_raw) {
            s->c_raw = false;
            push(s, X_AUTH);
            continue;
        }
        /* An argument: something after the verb but the line's end. */
        const char *sp = memchr(l, ' ', n);
        bool arg = sp && sp + 1 < l + n && sp[1] != '\r' && sp[1] != '\n';
        enum expect x = X_FWD;
        if (verb_is(l, n, "RETR") || verb_is(l, n, "TOP"))
            x = X_MSG;
        else if (verb_is(l, n, "CAPA") ||
                 ((verb_is(l, n, "LIST") || verb_is(l, n, "UIDL") || verb_is(l, n, "AUTH")) &&
                  !arg))
            x = X_MULTI;
        else if (verb_is(l, n, "STLS"))
            x = X_TLS;
        else if (verb_is(l, n, "AUTH"))
            x = X_AUTH;
        push(s, x);
    }
    mail_buf_take(&s->cin, pos);
}

static void pop3_server(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed) {
        if (!(n = line_at(&s->sin, pos))) {
            if (s->sin.len - pos > MAIL_MAX_LINE && s->s_state == S_LINES && peek(s) == X_MULTI) {
                out(s, &s->to_client, s->sin.p + pos, s->sin.len - pos);
                pos = s->sin.len; /* a long line of a listing passes */
            }
            break;
        }
        const char *l = s->sin.p + pos;
        pos += n;
        enum expect x = peek(s);
        bool ok = n >= 3 && !memcmp(l, "+OK", 3);
        if (s->s_state == S_FIRST) {
            if (x == X_MSG && ok) {
                s->held.len = s->msg.len = 0;
                s->too_large = false;
                out(s, &s->held, l, n);
                s->s_state = S_LINES;
                continue;
            }
            out(s, &s->to_client, l, n);
            if (x == X_MULTI && ok) {
                s->s_state = S_LINES;
                continue;
            }
            pop(s);
            if (x == X_TLS && ok)
                go_opaque(s);
            else if (x == X_AUTH && n >= 1 && l[0] == '+' && !ok)
                s->c_raw = true;
            continue;
        }
        /* S_LINES: a listing or a message, to its final dot */
        if (x == X_MSG)
            out(s, &s->held, l, n);
        else
            out(s, &s->to_client, l, n);
        if (!is_dot(l, n)) {
            if (x == X_MSG)
                msg_line(s, l, n, true);
            continue;
        }
        pop(s);
        s->s_state = S_FIRST;
        if (x != X_MSG)
            continue;
        if (s->too_large) {
            add_str(&s->to_client, "-ERR message too large for Ward's mail proxy\r\n");
            s->held.len = s->msg.len = 0;
        } else {
            s->pending = true;
            s->messages++;
        }
    }
    mail_buf_take(&s->sin, pos);
}

/* ---- IMAP ------------------------------------------------------------- */

/* The literal's length when line l ends with {N} or {N+}; else -1. The
 * brace's offset in *brace. */
static long literal_of(const char *l, size_t n, size_t *brace)
{
    size_t e = n;
    while (e && (l[e - 1] == '\n' || l[e - 1] == '\r'))
        e--;
    if (!e || l[e - 1] != '}')
        return -1;
    size_t i = e - 1;
    if (i && l[i - 1] == '+')
        i--;
    size_t d = i;
    while (i && isdigit((unsigned char)l[i - 1]))
        i--;
    if (i == d || !i || l[i - 1] != '{' || d - i > 10)
        return -1;
    *brace = i - 1;
    return strtol(l + i, NULL, 10);
}

/* Whether the item before a literal names a whole message. */
static bool message_item(const char *l, size_t brace)
{
    static const char *const items[] = {"BODY[]", "RFC822", "BINARY[]"};
    while (brace && l[brace - 1] == ' ')
        brace--;
    for (size_t i = 0; i < sizeof(items) / sizeof(*items); i++) {
        size_t k = strlen(items[i]);
        if (brace >= k && !strncasecmp(l + brace - k, items[i], k) &&
            (brace == k || l[brace - k - 1] == ' ' || l[brace - k - 1] == '('))
            return true;
    }
    return false;
}

static void imap_client(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed && pos < s->cin.len) {
        if (s->c_literal) {
            size_t k = s->cin.len - pos < s->c_literal ? s->cin.len - pos : s->c_literal;
            out(s, &s->to_server, s->cin.p + pos, k);
            pos += k;
            s->c_literal -= k;
            continue;
        }
        if (!(n = line_at(&s->cin, pos))) {
            if (s->cin.len - pos > MAIL_MAX_LINE) { /* a long command: passes, unread */
                out(s, &s->to_server, s->cin.p + pos, s->cin.len - pos);
                pos = s->cin.len;
                s->c_skip = true;
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        out(s, &s->to_server, l, n);
        size_t brace;
        long lit = literal_of(l, n, &brace);
        if (lit > 0)
            s->c_literal = (size_t)lit;
        if (s->c_skip) {
            s->c_skip = false;
            continue;
        }
        const char *sp = memchr(l, ' ', n);
        if (sp && (size_t)(sp - l) < sizeof(s->tls_tag) &&
            (verb_is(sp + 1, n - (size_t)(sp + 1 - l), "STARTTLS") ||
             verb_is(sp + 1, n - (size_t)(sp + 1 - l), "COMPRESS"))) {
            memcpy(s->tls_tag, l, (size_t)(sp - l));
            s->tls_tag[sp - l] = '\0';
        }
    }
    mail_buf_take(&s->cin, pos);
}

/* A whole response is in held: pass it, hold its message, or answer NO. */
static void imap_response(struct mail_session *s)
{
    const char *r = s->held.p;
    size_t len = s->held.len;
    if (s->lit_msg) {
        s->lit_msg = false;
        if (s->too_large) {
            snprintf(s->reject, sizeof(s->reject), "message too large for Ward's mail proxy");
            s->held.len = 0;
            return;
        }
        s->pending = true;
        s->messages++;
        return;
    }
    const char *sp = memchr(r, ' ', len);
    size_t tl = sp ? (size_t)(sp - r) : 0;
    if (tl && r[0] != '*' && r[0] != '+') {
        bool ok = len > tl + 3 && !strncasecmp(sp + 1, "OK", 2);
        if (s->reject[0] && ok) {
            out(s, &s->to_client, r, tl);
            add_str(&s->to_client, " NO [ALERT] ");
            add_str(&s->to_client, s->reject);
            add_str(&s->to_client, "\r\n");
            s->reject[0] = '\0';
            s->held.len = 0;
            return;
        }
        s->reject[0] = '\0'; /* the command with the refused message has its answer */
        bool tls = s->tls_tag[0] && strlen(s->tls_tag) == tl && !memcmp(r, s->tls_tag, tl);
        out(s, &s->to_client, r, len);
        s->held.len = 0;
        if (tls) {
            s->tls_tag[0] = '\0';
            if (ok)
                go_opaque(s);
        }
        return;
    }
    out(s, &s->to_client, r, len);
    s->held.len = 0;
}

static void imap_server(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed && pos < s->sin.len) {
        if (s->literal) {
            size_t k = s->sin.len - pos < s->literal ? s->sin.len - pos : s->literal;
            if (s->lit_pass)
                out(s, &s->to_client, s->sin.p + pos, k);
            else if (!s->too_large || !s->lit_msg)
                out(s, &s->held, s->sin.p + pos, k);
            pos += k;
            s->literal -= k;
            continue;
        }
        if (!(n = line_at(&s->sin, pos))) {
            if (s->sin.len - pos > MAIL_MAX_LINE && s->lit_msg) {
                /* A message's response that is no IMAP: refused, skipped to its end. */
                s->too_large = s->s_skip = true;
                pos = s->sin.len;
            } else if (s->sin.len - pos > MAIL_MAX_LINE) { /* passes, unread */
                out(s, &s->to_client, s->held.p, s->held.len);
                out(s, &s->to_client, s->sin.p + pos, s->sin.len - pos);
                s->held.len = 0;
                pos = s->sin.len;
            }
            break;
        }
        const char *l = s->sin.p + pos;
        pos += n;
        if (s->s_skip) {
            s->s_skip = false;
            imap_response(s); /* refused: too_large */
            continue;
        }
        size_t at = s->held.len, brace;
        out(s, &s->held, l, n);
        s->lit_pass = false;
        long lit = literal_of(l, n, &brace);
        if (lit < 0) {
            imap_response(s);
            continue;
        }
        s->literal = (size_t)lit;
        if (s->held.p[0] == '*' && !s->lit_msg && !s->pending && message_item(l, brace)) {
            s->lit_msg = true;
            s->too_large = s->literal > MAIL_MAX_MESSAGE;
            s->lit_brace = at + brace;
            s->lit_at = s->held.len;
            s->lit_len = s->literal;
        } else if (s->literal > MAIL_MAX_MESSAGE && s->lit_msg) {
            s->too_large = true; /* the message's response cannot be held: refused */
        } else if (s->literal > MAIL_MAX_MESSAGE) { /* not a message: passes, unread */
            s->lit_pass = true;
            out(s, &s->to_client, s->held.p, s->held.len);
            s->held.len = 0;
        }
    }
    mail_buf_take(&s->sin, pos);
    if (s->pending) { /* the message: the literal's bytes in held */
        s->msg.len = 0;
        out(s, &s->msg, s->held.p + s->lit_at, s->lit_len);
    }
}

/* ---- both sides ------------------------------------------------------- */

static void process(struct mail_session *s)
{
    if (s->opaque)
        return;
    switch (s->proto) {
    case MAIL_SMTP:
        smtp_server(s);
        smtp_client(s);
        break;
    case MAIL_POP3:
        pop3_server(s);
        pop3_client(s);
        break;
    case MAIL_IMAP:
        imap_server(s);
        imap_client(s);
        break;
    }
    if (s->opaque) { /* the rest of what was read passes as it is */
        out(s, &s->to_client, s->sin.p, s->sin.len);
        out(s, &s->to_server, s->cin.p, s->cin.len);
        s->sin.len = s->cin.len = 0;
    }
}

static int feed(struct mail_session *s, struct mail_buf *in, struct mail_buf *through,
                const void *p, size_t n)
{
    if (mail_buf_add(s->opaque ? through : in, p, n) < 0)
        return -1;
    if (!s->pending)
        process(s);
    return s->failed ? -1 : 0;
}

int mail_session_client(struct mail_session *s, const void *p, size_t n)
{
    return feed(s, &s->cin, &s->to_server, p, n);
}

int mail_session_server(struct mail_session *s, const void *p, size_t n)
{
    return feed(s, &s->sin, &s->to_client, p, n);
}

int mail_session_decide(struct mail_session *s, bool deliver, const char *replacement, size_t len,
                        const char *reason)
{
    if (!s->pending)
        return -1;
    s->pending = false;
    const char *body = replacement ? replacement : s->msg.p;
    size_t blen = replacement ? len : s->msg.len;
    char line[256];
    switch (s->proto) {
    case MAIL_SMTP:
        if (deliver) {
            s->held.len = 0;
            stuff(s, &s->held, body, blen);
            add_str(&s->to_server, "DATA\r\n");
            push(s, X_354);
        } else {
            snprintf(line, sizeof(line), "550 5.7.1 %s\r\n", reason);
            add_str(&s->to_client, line);
            add_str(&s->to_server, "RSET\r\n");
            push(s, X_SWALLOW);
        }
        break;
    case MAIL_POP3:
        if (deliver && !replacement) {
            out(s, &s->to_client, s->held.p, s->held.len);
        } else if (deliver) {
            add_str(&s->to_client, "+OK message changed by Ward\r\n");
            stuff(s, &s->to_client, body, blen);
        } else {
            snprintf(line, sizeof(line), "-ERR %s\r\n", reason);
            add_str(&s->to_client, line);
        }
        s->held.len = 0;
        break;
    case MAIL_IMAP:
        if (deliver && !replacement) {
            out(s, &s->to_client, s->held.p, s->held.len);
        } else if (deliver) {
            size_t end = s->lit_at + s->lit_len;
            out(s, &s->to_client, s->held.p, s->lit_brace);
            snprintf(line, sizeof(line), "{%zu}\r\n", blen);
            add_str(&s->to_client, line);
            out(s, &s->to_client, body, blen);
            out(s, &s->to_client, s->held.p + end, s->held.len - end);
        } else {
            snprintf(s->reject, sizeof(s->reject), "%s", reason);
        }
        s->held.len = 0;
        break;
    }
    s->msg.len = 0;
    process(s);
    return s->failed ? -1 : 0;
}
