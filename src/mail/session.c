/*
 * session.c — a proxied mail connection (session.h): bytes in, decisions,
 * through the protocol's state machine (internal.h's mail_proto_ops:
 * smtp.c, pop3.c, imap.c). Each side's bytes are read line by line (IMAP:
 * and literal by literal); what is not a message passes as it came.
 */
#include "mail/session.h"
#include "mail/internal.h"

#include <string.h>

static const struct mail_proto_ops *const protos[] = {
    [MAIL_SMTP] = &mail_smtp,
    [MAIL_POP3] = &mail_pop3,
    [MAIL_IMAP] = &mail_imap,
};

void mail_session_init(struct mail_session *s, enum mail_proto proto)
{
    memset(s, 0, sizeof(*s));
    s->proto = proto;
    s->ops = protos[proto];
    /* The greeting is the first answer awaited, so a client that speaks
     * before it is held (its answers stay paired). */
    if (s->ops->greeting)
        mail_push(s, X_FWD);
}

void mail_session_restart(struct mail_session *s)
{
    enum mail_proto proto = s->proto;
    uint64_t messages = s->messages;
    mail_session_free(s);
    mail_session_init(s, proto);
    s->n_expect = 0; /* no greeting after TLS */
    s->messages = messages;
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

static void process(struct mail_session *s)
{
    if (s->opaque)
        return;
    s->ops->server(s);
    s->ops->client(s);
}

static int feed(struct mail_session *s, struct mail_buf *in, const void *p, size_t n)
{
    if (mail_buf_add(in, p, n) < 0)
        return -1;
    if (!s->pending)
        process(s);
    return s->failed ? -1 : 0;
}

int mail_session_client(struct mail_session *s, const void *p, size_t n)
{
    return feed(s, &s->cin, p, n);
}

int mail_session_server(struct mail_session *s, const void *p, size_t n)
{
    return feed(s, &s->sin, p, n);
}

int mail_session_decide(struct mail_session *s, bool deliver, const char *replacement, size_t len,
                        const char *reason)
{
    if (!s->pending)
        return -1;
    s->pending = false;
    const char *body = replacement ? replacement : s->msg.p;
    size_t blen = replacement ? len : s->msg.len;
    s->ops->decide(s, deliver, replacement != NULL, body, blen, reason);
    s->msg.len = 0;
    process(s);
    return s->failed ? -1 : 0;
}
