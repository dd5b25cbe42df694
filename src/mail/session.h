/*
 * mail/session.h — one proxied mail connection's protocol state (docs/MAIL.md).
 *
 * Pure C, no I/O: the proxy feeds what each side sent and sends what the
 * session queued for each side. Everything passes through unchanged but a
 * message, which the session holds whole until it is decided:
 *
 *   SMTP  the client's DATA is answered by the proxy (354); the message is
 *         read up to its final dot and sent upstream (DATA, the body) only
 *         once allowed; a rejected one gets 550 and the server a RSET.
 *         PIPELINING, CHUNKING and BINARYMIME are taken out of the EHLO
 *         reply, so a client sends one command at a time and no BDAT.
 *   POP3  the answer to RETR / TOP is held up to its final dot; rejected,
 *         the client gets -ERR instead.
 *   IMAP  an untagged FETCH response whose literal is a whole message
 *         (BODY[], BODY.PEEK[] answers as BODY[], RFC822, BINARY[]) is held
 *         to its end; rejected, it is dropped and the command's tagged OK
 *         becomes NO.
 *
 * STARTTLS / STLS accepted by the server stops the session (opaque):
 * what either side sends after it stays unread in cin / sin. The proxy
 * starts TLS both ways (plain text sent after the STARTTLS line is an
 * injection: the proxy ends the connection) and restarts the session on
 * the decrypted bytes.
 */
#ifndef WARD_MAIL_SESSION_H
#define WARD_MAIL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAIL_MAX_MESSAGE (32u << 20) /* held whole at most; larger ones are refused */
#define MAIL_MAX_LINE    8192        /* a command or reply line, at most */

enum mail_proto { MAIL_SMTP, MAIL_POP3, MAIL_IMAP };

struct mail_buf {
    char *p;
    size_t len, cap;
};

int mail_buf_add(struct mail_buf *b, const void *p, size_t n);
void mail_buf_take(struct mail_buf *b, size_t n); /* drops the first n bytes */
void mail_buf_free(struct mail_buf *b);

#define MAIL_EXPECT_MAX 64

struct mail_session {
    enum mail_proto proto;
    struct mail_buf cin, sin;             /* read, not yet processed */
    struct mail_buf to_client, to_server; /* processed, to be written */
    struct mail_buf msg;                  /* the message held (dot-unstuffed) */
    struct mail_buf held;                 /* POP3/IMAP: the server's bytes that carry it */
    bool pending;                         /* msg waits for mail_session_decide */
    bool opaque;                          /* after STARTTLS: nothing is read */
    bool failed;                          /* out of memory: the proxy closes */
    /* Per side: a line too long is skipped to its end; client bytes that
     * are not commands (SASL answers, IMAP literals). */
    bool c_skip, s_skip, c_raw;
    int c_state, s_state;   /* the protocol's, per side (smtp.c, ...) */
    bool c_mid;             /* SMTP: inside a long body line */
    bool lit_msg, lit_pass; /* IMAP: the literal read is the message / passes */
    size_t lit_brace;       /* IMAP: where its "{N}" starts in held */
    size_t lit_len;         /* IMAP: its length */
    size_t literal;         /* IMAP: literal bytes still to come (server) */
    size_t c_literal;       /* IMAP: ... (client) */
    size_t lit_at;          /* IMAP: where the message literal starts in held */
    bool too_large;         /* the message held passed MAIL_MAX_MESSAGE */
    bool s_passed;          /* IMAP: a long server line passed unread, to its end */
    char s_tail[32];        /* IMAP: ... the last bytes of it that passed */
    size_t s_tail_len;
    char tls_tag[32]; /* IMAP: the STARTTLS command's tag */
    char reject[160]; /* IMAP: a held FETCH was rejected: the next
                       * tagged OK becomes NO with this */
    /* SMTP: the envelope of the message under way (MAIL FROM, each RCPT TO,
     * ", "-separated): the rules see it with the headers. */
    char env_from[256], env_to[768];
    uint8_t expect[MAIL_EXPECT_MAX]; /* SMTP/POP3: what each answer awaited is for */
    unsigned n_expect;
    uint64_t messages; /* seen, for the proxy's log */
};

void mail_session_init(struct mail_session *s, enum mail_proto proto);
void mail_session_free(struct mail_session *s);
/* After STARTTLS, on the TLS sessions: the protocol starts again (as after
 * the greeting: SMTP's client says EHLO again); the count of messages stays. */
void mail_session_restart(struct mail_session *s);

/* Bytes read from the client / from the server. Processed at once unless a
 * message is pending (then kept until it is decided). -1: out of memory. */
int mail_session_client(struct mail_session *s, const void *p, size_t n);
int mail_session_server(struct mail_session *s, const void *p, size_t n);

/* The pending message decided: deliver it (replacement: what to deliver
 * instead, e.g. with a notice in place of an attachment; NULL: as it was)
 * or refuse it with reason, in the protocol's own error. Then processing
 * goes on with what was read meanwhile. */
int mail_session_decide(struct mail_session *s, bool deliver, const char *replacement, size_t len,
                        const char *reason);

#endif
