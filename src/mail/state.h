/*
 * mail/state.h — one proxied mail connection's state: its buffers, the
 * protocol's place on each side, the message held. What session.c's
 * callers embed and the state machines (smtp.c, pop3.c, imap.c) work on;
 * the operations are in session.h.
 */
#ifndef WARD_MAIL_STATE_H
#define WARD_MAIL_STATE_H

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

struct mail_proto_ops;

struct mail_session {
    enum mail_proto proto;
    const struct mail_proto_ops *ops;     /* its state machine (internal.h) */
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
    bool lit_part;          /* IMAP: the response held carries a message part */
    bool cut;               /* IMAP: ... and the message, which the proxy asked for */
    bool parts;             /* IMAP: the message decided came with part literals */
    bool s_resp;            /* IMAP: a server response is under way ... */
    bool s_untagged;        /* IMAP: ... and it is untagged ("* ...") */
    size_t cut_at, cut_end; /* IMAP: that message's item in held, cut when delivered */
    char added[8][32];      /* IMAP: tags of FETCHes the proxy added BODY.PEEK[] to */
    unsigned n_added;
    uint32_t memo[32]; /* IMAP: UIDs of messages delivered whole in the */
    unsigned n_memo;   /* ... mailbox selected: their parts pass */
    char sel_tag[32];  /* IMAP: a SELECT (...) under way: memo unused */
    char tls_tag[32];  /* IMAP: the STARTTLS command's tag */
    char lit_tag[32];  /* IMAP: the last command with a synchronizing literal */
    char last_tag[32]; /* IMAP: the last command read */
    char reject[160];  /* IMAP: a held FETCH was rejected: the next
                        * tagged OK becomes NO with this */
    /* SMTP: the envelope of the message under way (MAIL FROM, each RCPT TO,
     * ", "-separated): the rules see it with the headers. */
    char env_from[256], env_to[768];
    uint8_t expect[MAIL_EXPECT_MAX]; /* SMTP/POP3: what each answer awaited is for */
    unsigned n_expect;
    uint64_t messages; /* seen, for the proxy's log */
};

#endif
