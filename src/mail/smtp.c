/*
 * smtp.c — SMTP through the mail proxy (session.h): DATA answered by the
 * proxy and the message held to its final dot; sent upstream (DATA, the
 * body) once allowed, else 550 to the client and RSET to the server.
 */
#include "mail/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_CMD, C_BODY }; /* the client's side */

/* The address of "MAIL FROM:<a>" / "RCPT TO:<a>" appended to dst. */
static void envelope(char *dst, size_t cap, const char *l, size_t n)
{
    const char *lt = memchr(l, '<', n);
    const char *gt = lt ? memchr(lt, '>', n - (size_t)(lt - l)) : NULL;
    size_t used = strlen(dst);
    if (!gt || gt - lt - 1 <= 0)
        return;
    snprintf(dst + used, cap - used, "%s%.*s", used ? ", " : "", (int)(gt - lt - 1), lt + 1);
}

static void smtp_command(struct mail_session *s, const char *l, size_t n)
{
    if (!s->c_raw && (mail_verb_is(l, n, "MAIL") || mail_verb_is(l, n, "RSET")))
        s->env_from[0] = s->env_to[0] = '\0';
    if (!s->c_raw && mail_verb_is(l, n, "MAIL"))
        envelope(s->env_from, sizeof(s->env_from), l, n);
    else if (!s->c_raw && mail_verb_is(l, n, "RCPT"))
        envelope(s->env_to, sizeof(s->env_to), l, n);

    if (s->c_raw) { /* an answer to the server's 334 */
        s->c_raw = false;
        mail_out(s, &s->to_server, l, n);
        mail_push(s, X_AUTH);
    } else if (mail_verb_is(l, n, "DATA")) {
        mail_say(s, &s->to_client, "354 End data with <CR><LF>.<CR><LF>\r\n");
        s->c_state = C_BODY;
        s->msg.len = 0;
        s->too_large = false;
    } else if (mail_verb_is(l, n, "BDAT")) {
        mail_say(s, &s->to_client, "502 5.5.1 BDAT is not taken by Ward's mail proxy\r\n");
    } else {
        mail_out(s, &s->to_server, l, n);
        mail_push(s, mail_verb_is(l, n, "STARTTLS") ? X_TLS
                     : mail_verb_is(l, n, "AUTH")   ? X_AUTH
                                                    : X_FWD);
    }
}

static void smtp_body_end(struct mail_session *s)
{
    s->c_state = C_CMD;
    if (s->too_large) {
        mail_say(s, &s->to_client, "552 5.3.4 Message too large for Ward's mail proxy\r\n");
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
        if (!(n = mail_line_at(&s->cin, pos))) {
            size_t rest = s->cin.len - pos;
            if (rest > MAIL_MAX_LINE) {
                if (s->c_state == C_BODY) {
                    mail_msg_line(s, s->cin.p + pos, rest, !s->c_mid);
                    s->c_mid = true;
                } else if (!s->c_skip) {
                    mail_say(s, &s->to_client, "500 5.5.2 Line too long\r\n");
                    s->c_skip = true;
                }
                pos += rest;
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        if (s->c_state == C_BODY) {
            if (!s->c_mid && mail_is_dot(l, n))
                smtp_body_end(s);
            else
                mail_msg_line(s, l, n, !s->c_mid);
            s->c_mid = false;
        } else if (s->c_skip) {
            s->c_skip = false;
        } else if (n > MAIL_MAX_LINE) {
            mail_say(s, &s->to_client, "500 5.5.2 Line too long\r\n");
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
        if (n > 4 && mail_verb_is(l + 4, n - 4, drop[i]))
            return true;
    return false;
}

/* A whole reply (its lines), to the client, without the extensions the
 * proxy does not take when it lists them (EHLO). */
static void smtp_forward(struct mail_session *s, const char *r, size_t len, int code)
{
    if (code != 250) {
        mail_out(s, &s->to_client, r, len);
        return;
    }
    size_t start = s->to_client.len, last = start, pos = 0;
    while (pos < len) {
        const char *nl = memchr(r + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (r + pos)) + 1 : len - pos;
        if (!ehlo_dropped(r + pos, n)) {
            last = s->to_client.len;
            mail_out(s, &s->to_client, r + pos, n);
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
    enum expect x = mail_peek(s);
    mail_pop(s);
    switch (x) {
    case X_354:
        if (code == 354) {
            mail_out(s, &s->to_server, s->held.p, s->held.len);
            mail_push(s, X_FINAL);
        } else {
            mail_out(s, &s->to_client, r, len); /* the answer to the client's dot */
        }
        s->held.len = 0;
        break;
    case X_SWALLOW:
        break;
    case X_TLS:
        mail_out(s, &s->to_client, r, len);
        if (code == 220)
            s->opaque = true; /* process() passes the rest */
        break;
    case X_AUTH:
        mail_out(s, &s->to_client, r, len);
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
        if (!(n = mail_line_at(&s->sin, pos))) {
            if (s->sin.len - start > 16 * MAIL_MAX_LINE) { /* no reply of SMTP's: as it is */
                mail_out(s, &s->to_client, s->sin.p + start, s->sin.len - start);
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

static void smtp_decide(struct mail_session *s, bool deliver, bool replaced, const char *body,
                        size_t len, const char *reason)
{
    (void)replaced;                       /* a replacement is sent as the message */
    s->env_from[0] = s->env_to[0] = '\0'; /* the transaction ends with its message */
    if (deliver) {
        s->held.len = 0;
        mail_stuff(s, &s->held, body, len);
        mail_say(s, &s->to_server, "DATA\r\n");
        mail_push(s, X_354);
        return;
    }
    char line[256];
    snprintf(line, sizeof(line), "550 5.7.1 %s\r\n", reason);
    mail_say(s, &s->to_client, line);
    mail_say(s, &s->to_server, "RSET\r\n");
    mail_push(s, X_SWALLOW);
}

const struct mail_proto_ops mail_smtp = {
    .greeting = true,
    .server = smtp_server,
    .client = smtp_client,
    .decide = smtp_decide,
};
