/*
 * pop3.c — POP3 through the mail proxy (session.h): the answer to RETR or
 * TOP held to its final dot; refused, the client gets -ERR instead.
 */
#include "mail/internal.h"

#include <stdio.h>
#include <string.h>

enum { S_FIRST, S_LINES }; /* the server's side, in a multi-line answer */

static void pop3_client(struct mail_session *s)
{
    size_t pos = 0, n;
    /* One command at a time, as SMTP: the proxy's own -ERR stays in order. */
    while (!s->pending && !s->opaque && !s->failed && !s->n_expect) {
        if (!(n = mail_line_at(&s->cin, pos))) {
            if (s->cin.len - pos > MAIL_MAX_LINE) {
                if (!s->c_skip)
                    mail_say(s, &s->to_client, "-ERR line too long\r\n");
                s->c_skip = true;
                pos = s->cin.len;
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        if (s->c_skip || n > MAIL_MAX_LINE) {
            if (!s->c_skip)
                mail_say(s, &s->to_client, "-ERR line too long\r\n");
            s->c_skip = false;
            continue;
        }
        mail_out(s, &s->to_server, l, n);
        if (s->c_raw) {
            s->c_raw = false;
            mail_push(s, X_AUTH);
            continue;
        }
        /* An argument: something after the verb but the line's end. */
        const char *sp = memchr(l, ' ', n);
        bool arg = sp && sp + 1 < l + n && sp[1] != '\r' && sp[1] != '\n';
        enum expect x = X_FWD;
        if (mail_verb_is(l, n, "RETR") || mail_verb_is(l, n, "TOP"))
            x = X_MSG;
        else if (mail_verb_is(l, n, "CAPA") ||
                 ((mail_verb_is(l, n, "LIST") || mail_verb_is(l, n, "UIDL") ||
                   mail_verb_is(l, n, "AUTH")) &&
                  !arg))
            x = X_MULTI;
        else if (mail_verb_is(l, n, "STLS"))
            x = X_TLS;
        else if (mail_verb_is(l, n, "AUTH"))
            x = X_AUTH;
        mail_push(s, x);
    }
    mail_buf_take(&s->cin, pos);
}

static void pop3_server(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed) {
        if (!(n = mail_line_at(&s->sin, pos))) {
            if (s->sin.len - pos > MAIL_MAX_LINE && s->s_state == S_LINES &&
                mail_peek(s) == X_MULTI) {
                mail_out(s, &s->to_client, s->sin.p + pos, s->sin.len - pos);
                pos = s->sin.len; /* a long line of a listing passes */
            }
            break;
        }
        const char *l = s->sin.p + pos;
        pos += n;
        enum expect x = mail_peek(s);
        bool ok = n >= 3 && !memcmp(l, "+OK", 3);
        if (s->s_state == S_FIRST) {
            if (x == X_MSG && ok) {
                s->held.len = s->msg.len = 0;
                s->too_large = false;
                mail_out(s, &s->held, l, n);
                s->s_state = S_LINES;
                continue;
            }
            mail_out(s, &s->to_client, l, n);
            if (x == X_MULTI && ok) {
                s->s_state = S_LINES;
                continue;
            }
            mail_pop(s);
            if (x == X_TLS && ok)
                s->opaque = true; /* process() passes the rest */
            else if (x == X_AUTH && n >= 1 && l[0] == '+' && !ok)
                s->c_raw = true;
            continue;
        }
        /* S_LINES: a listing or a message, to its final dot; a message
         * past the limit is refused, so held stops growing with it. */
        if (x == X_MSG) {
            if (!s->too_large)
                mail_out(s, &s->held, l, n);
        } else
            mail_out(s, &s->to_client, l, n);
        if (!mail_is_dot(l, n)) {
            if (x == X_MSG)
                mail_msg_line(s, l, n, true);
            continue;
        }
        mail_pop(s);
        s->s_state = S_FIRST;
        if (x != X_MSG)
            continue;
        if (s->too_large) {
            mail_say(s, &s->to_client, "-ERR message too large for Ward's mail proxy\r\n");
            s->held.len = s->msg.len = 0;
        } else {
            s->pending = true;
            s->messages++;
        }
    }
    mail_buf_take(&s->sin, pos);
}

static void pop3_decide(struct mail_session *s, bool deliver, bool replaced, const char *body,
                        size_t len, const char *reason)
{
    char line[256];
    if (deliver && !replaced) {
        mail_out(s, &s->to_client, s->held.p, s->held.len);
    } else if (deliver) {
        mail_say(s, &s->to_client, "+OK message changed by Ward\r\n");
        mail_stuff(s, &s->to_client, body, len);
    } else {
        snprintf(line, sizeof(line), "-ERR %s\r\n", reason);
        mail_say(s, &s->to_client, line);
    }
    s->held.len = 0;
}

const struct mail_proto_ops mail_pop3 = {
    .greeting = true,
    .server = pop3_server,
    .client = pop3_client,
    .decide = pop3_decide,
};
