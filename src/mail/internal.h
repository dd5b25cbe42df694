/*
 * mail/internal.h — what the protocols' state machines share (state.c):
 * the queue of answers awaited, lines, dot-stuffing; and the face each
 * of them shows session.c. Private to src/mail.
 */
#ifndef WARD_MAIL_INTERNAL_H
#define WARD_MAIL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/state.h"

/* What an answer the client waits for is to (SMTP, POP3). */
enum expect { X_FWD, X_TLS, X_AUTH, X_354, X_FINAL, X_SWALLOW, X_MULTI, X_MSG };

/* b += p; out of memory fails the session. */
void mail_out(struct mail_session *s, struct mail_buf *b, const void *p, size_t n);
void mail_say(struct mail_session *s, struct mail_buf *b,
              const char *str); /* b += str, as mail_out */
void mail_push(struct mail_session *s, enum expect x);
enum expect mail_peek(const struct mail_session *s); /* X_FWD when none */
void mail_pop(struct mail_session *s);
/* The next whole line of in from pos (its length with the newline), or 0. */
size_t mail_line_at(const struct mail_buf *in, size_t pos);
bool mail_is_dot(const char *l, size_t n); /* ".\r\n" */
/* Whether line l starts with word w (any case) and a space or its end. */
bool mail_verb_is(const char *l, size_t n, const char *w);
/* A line of a held message, dot-unstuffed (at a line's start). */
void mail_msg_line(struct mail_session *s, const char *l, size_t n, bool line_start);
/* b += the body dot-stuffed, CRLF line ends, the final dot. */
void mail_stuff(struct mail_session *s, struct mail_buf *b, const char *p, size_t n);
/* One protocol's state machine (smtp.c, pop3.c, imap.c), as session.c
 * drives it. */
struct mail_proto_ops {
    bool greeting;                          /* the server speaks first (SMTP, POP3) */
    void (*server)(struct mail_session *s); /* sin processed */
    void (*client)(struct mail_session *s); /* cin processed */
    /* How a decided message goes on (body: the message, or its
     * replacement when replaced). */
    void (*decide)(struct mail_session *s, bool deliver, bool replaced, const char *body,
                   size_t len, const char *reason);
};
extern const struct mail_proto_ops mail_smtp, mail_pop3, mail_imap;

#endif
