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
 *         becomes NO. A FETCH of a part of a message (BODY[2], BODY[TEXT],
 *         BODY[]<0.100> ...) gets BODY.PEEK[] added: the part is held with
 *         its message and goes on, without the message, only if the
 *         message does.
 *
 * STARTTLS / STLS accepted by the server stops the session (opaque):
 * what either side sends after it stays unread in cin / sin. The proxy
 * starts TLS both ways (plain text sent after the STARTTLS line is an
 * injection: the proxy ends the connection) and restarts the session on
 * the decrypted bytes.
 */
#ifndef WARD_MAIL_SESSION_H
#define WARD_MAIL_SESSION_H

#include "mail/state.h"

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
