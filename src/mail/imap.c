/*
 * imap.c — IMAP through the mail proxy (session.h): an untagged FETCH
 * response whose literal is a whole message held to its end; refused, it
 * is dropped and its command's tagged OK becomes NO.
 */
#include "mail/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
            mail_out(s, &s->to_server, s->cin.p + pos, k);
            pos += k;
            s->c_literal -= k;
            continue;
        }
        if (!(n = mail_line_at(&s->cin, pos))) {
            if (s->cin.len - pos > MAIL_MAX_LINE) { /* a long command: passes, unread */
                mail_out(s, &s->to_server, s->cin.p + pos, s->cin.len - pos);
                pos = s->cin.len;
                s->c_skip = true;
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        const char *sp = memchr(l, ' ', n);
        const char *verb = sp ? sp + 1 : l + n;
        size_t vn = n - (size_t)(verb - l);
        if (sp && !s->c_skip && mail_verb_is(verb, vn, "COMPRESS")) {
            /* DEFLATE would hide the mail from the proxy: refused here. */
            mail_out(s, &s->to_client, l, (size_t)(sp - l));
            mail_say(s, &s->to_client, " NO COMPRESS not supported through Ward's proxy\r\n");
            continue;
        }
        mail_out(s, &s->to_server, l, n);
        size_t brace;
        long lit = literal_of(l, n, &brace);
        if (lit > 0)
            s->c_literal = (size_t)lit;
        if (s->c_skip) {
            s->c_skip = false;
            continue;
        }
        if (sp && (size_t)(sp - l) < sizeof(s->tls_tag) && mail_verb_is(verb, vn, "STARTTLS")) {
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
            mail_out(s, &s->to_client, r, tl);
            mail_say(s, &s->to_client, " NO [ALERT] ");
            mail_say(s, &s->to_client, s->reject);
            mail_say(s, &s->to_client, "\r\n");
            s->reject[0] = '\0';
            s->held.len = 0;
            return;
        }
        s->reject[0] = '\0'; /* the command with the refused message has its answer */
        bool tls = s->tls_tag[0] && strlen(s->tls_tag) == tl && !memcmp(r, s->tls_tag, tl);
        mail_out(s, &s->to_client, r, len);
        s->held.len = 0;
        if (tls) {
            s->tls_tag[0] = '\0';
            if (ok)
                s->opaque = true; /* process() passes the rest */
        }
        return;
    }
    mail_out(s, &s->to_client, r, len);
    s->held.len = 0;
}

/* held past this is refused: a response's literals that are not the
 * message are held with it, and must not grow without end. */
#define MAX_HELD (MAIL_MAX_MESSAGE + (64u << 10))

/* n bytes more of the response held; past MAX_HELD the response is refused
 * as a message too large (dropped, its tagged OK a NO), held no further. */
static void hold(struct mail_session *s, const char *p, size_t n)
{
    if (s->held.len + n > MAX_HELD) {
        s->lit_msg = s->too_large = true;
        return;
    }
    if (!s->too_large || !s->lit_msg)
        mail_out(s, &s->held, p, n);
}

/* A line longer than MAIL_MAX_LINE passed unread ends with l: if it
 * announces a message literal (its item may straddle what passed, whose
 * last bytes are in s_tail), the message cannot be held: the proxy closes
 * rather than pass it unscanned. */
static void passed_line_end(struct mail_session *s, const char *l, size_t n)
{
    char w[sizeof(s->s_tail) + 64];
    size_t k = 0, brace;
    if (n < 64) {
        memcpy(w, s->s_tail, s->s_tail_len);
        k = s->s_tail_len;
    }
    size_t m = n < 64 ? n : 64;
    memcpy(w + k, l + n - m, m);
    k += m;
    if (literal_of(w, k, &brace) >= 0 && message_item(w, brace))
        s->failed = true;
}

static void imap_server(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed && pos < s->sin.len) {
        if (s->literal) {
            size_t k = s->sin.len - pos < s->literal ? s->sin.len - pos : s->literal;
            if (s->lit_pass)
                mail_out(s, &s->to_client, s->sin.p + pos, k);
            else
                hold(s, s->sin.p + pos, k);
            pos += k;
            s->literal -= k;
            continue;
        }
        if (!(n = mail_line_at(&s->sin, pos))) {
            if (s->sin.len - pos > MAIL_MAX_LINE && s->lit_msg) {
                /* A message's response that is no IMAP: refused, skipped to its end. */
                s->too_large = s->s_skip = true;
                pos = s->sin.len;
            } else if (s->sin.len - pos > MAIL_MAX_LINE) { /* passes, unread */
                size_t rest = s->sin.len - pos;
                mail_out(s, &s->to_client, s->held.p, s->held.len);
                mail_out(s, &s->to_client, s->sin.p + pos, rest);
                s->s_tail_len = rest < sizeof(s->s_tail) ? rest : sizeof(s->s_tail);
                memcpy(s->s_tail, s->sin.p + s->sin.len - s->s_tail_len, s->s_tail_len);
                s->s_passed = true;
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
        if (s->s_passed) {
            s->s_passed = false;
            passed_line_end(s, l, n);
            if (s->failed)
                break;
        }
        size_t at = s->held.len, brace;
        hold(s, l, n);
        s->lit_pass = false;
        long lit = literal_of(l, n, &brace);
        if (lit < 0) {
            imap_response(s);
            continue;
        }
        s->literal = (size_t)lit;
        if (!s->lit_msg && s->held.len && s->held.p[0] == '*' && !s->pending &&
            message_item(l, brace)) {
            s->lit_msg = true;
            s->too_large = s->literal > MAIL_MAX_MESSAGE;
            s->lit_brace = at + brace;
            s->lit_at = s->held.len;
            s->lit_len = s->literal;
        } else if (s->literal > MAIL_MAX_MESSAGE && s->lit_msg) {
            s->too_large = true; /* the message's response cannot be held: refused */
        } else if (s->literal > MAIL_MAX_MESSAGE) { /* not a message: passes, unread */
            s->lit_pass = true;
            mail_out(s, &s->to_client, s->held.p, s->held.len);
            s->held.len = 0;
        }
    }
    mail_buf_take(&s->sin, pos);
    if (s->pending) { /* the message: the literal's bytes in held */
        s->msg.len = 0;
        mail_out(s, &s->msg, s->held.p + s->lit_at, s->lit_len);
    }
}

static void imap_decide(struct mail_session *s, bool deliver, bool replaced, const char *body,
                        size_t len, const char *reason)
{
    if (deliver && !replaced) {
        mail_out(s, &s->to_client, s->held.p, s->held.len);
    } else if (deliver) {
        char line[32];
        size_t end = s->lit_at + s->lit_len;
        mail_out(s, &s->to_client, s->held.p, s->lit_brace);
        snprintf(line, sizeof(line), "{%zu}\r\n", len);
        mail_say(s, &s->to_client, line);
        mail_out(s, &s->to_client, body, len);
        mail_out(s, &s->to_client, s->held.p + end, s->held.len - end);
    } else {
        snprintf(s->reject, sizeof(s->reject), "%s", reason);
    }
    s->held.len = 0;
}

const struct mail_proto_ops mail_imap = {
    .greeting = false,
    .server = imap_server,
    .client = imap_client,
    .decide = imap_decide,
};
