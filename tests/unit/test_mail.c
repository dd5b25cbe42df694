/*
 * test_mail.c — the mail proxy's protocol state machines (mail/session.h)
 * and GMime's view of a message (mail/mime.h), without a network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "mail/session.h"

static const char MSG[] = "From: Alice <alice@example.org>\r\n"
                          "To: bob@example.net\r\n"
                          "Cc: carol@example.net\r\n"
                          "Subject: the report\r\n"
                          "Message-ID: <1@example.org>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
                          "\r\n"
                          "--b\r\n"
                          "Content-Type: text/plain\r\n"
                          "\r\n"
                          "Hello.\r\n"
                          ".a line that starts with a dot\r\n"
                          "--b\r\n"
                          "Content-Type: application/x-msdownload; name=\"tool.exe\"\r\n"
                          "Content-Disposition: attachment; filename=\"tool.exe\"\r\n"
                          "Content-Transfer-Encoding: base64\r\n"
                          "\r\n"
                          "TVqQAAMAAAAEAAAA\r\n"
                          "--b--\r\n";

/* What the session queued for a side, as a string, and emptied. */
static char *took(struct mail_buf *b)
{
    char *s = malloc(b->len + 1);
    memcpy(s, b->p ? b->p : "", b->len);
    s[b->len] = '\0';
    b->len = 0;
    return s;
}

static void said(struct mail_buf *b, const char *want)
{
    char *got = took(b);
    assert_string_equal(got, want);
    free(got);
}

static void client(struct mail_session *s, const char *t)
{
    assert_int_equal(mail_session_client(s, t, strlen(t)), 0);
}

static void server(struct mail_session *s, const char *t)
{
    assert_int_equal(mail_session_server(s, t, strlen(t)), 0);
}

/* DATA with MSG, dot-stuffed as a client sends it. */
static void smtp_data(struct mail_session *s)
{
    client(s, "DATA\r\n");
    said(&s->to_client, "354 End data with <CR><LF>.<CR><LF>\r\n");
    said(&s->to_server, "");
    const char *dot = strstr(MSG, "\r\n.a line");
    char *stuffed = malloc(sizeof(MSG) + 8);
    size_t k = (size_t)(dot - MSG) + 2;
    memcpy(stuffed, MSG, k);
    strcpy(stuffed + k, ".");
    strcat(stuffed, MSG + k);
    strcat(stuffed, ".\r\n");
    /* in two pieces, cut inside a line */
    size_t half = strlen(stuffed) / 2;
    assert_int_equal(mail_session_client(s, stuffed, half), 0);
    assert_false(s->pending);
    client(s, stuffed + half);
    free(stuffed);
    assert_true(s->pending);
    assert_int_equal(s->msg.len, strlen(MSG));
    assert_memory_equal(s->msg.p, MSG, strlen(MSG));
    said(&s->to_server, "");
}

static void smtp_open(struct mail_session *s)
{
    mail_session_init(s, MAIL_SMTP);
    client(s, "EHLO early\r\n"); /* before the greeting: held */
    said(&s->to_server, "");
    server(s, "220 mx ESMTP\r\n");
    said(&s->to_client, "220 mx ESMTP\r\n");
    said(&s->to_server, "EHLO early\r\n");
    server(s, "250 mx\r\n");
    said(&s->to_client, "250 mx\r\n");
    client(s, "EHLO me\r\n");
    said(&s->to_server, "EHLO me\r\n");
    server(s, "250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 CHUNKING\r\n");
    said(&s->to_client, "250-mx\r\n250 SIZE 1000\r\n");
    client(s, "MAIL FROM:<alice@example.org>\r\n");
    said(&s->to_server, "MAIL FROM:<alice@example.org>\r\n");
    server(s, "250 ok\r\n");
    said(&s->to_client, "250 ok\r\n");
}

static void test_smtp_allow(void **state)
{
    (void)state;
    struct mail_session s;
    smtp_open(&s);
    client(&s, "RCPT TO:<hidden@example.net>\r\n");
    server(&s, "250 ok\r\n");
    said(&s.to_server, "RCPT TO:<hidden@example.net>\r\n");
    said(&s.to_client, "250 ok\r\n");
    assert_string_equal(s.env_from, "alice@example.org"); /* the envelope, for the rules */
    assert_string_equal(s.env_to, "hidden@example.net");
    smtp_data(&s);
    client(&s, "QUIT\r\n"); /* read meanwhile: kept until the message is decided */
    said(&s.to_server, "");
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    assert_string_equal(s.env_to, ""); /* the transaction is over */
    said(&s.to_server, "DATA\r\n");
    server(&s, "354 go\r\n");
    char *body = took(&s.to_server);
    assert_non_null(strstr(body, "\r\n..a line that starts"));
    assert_non_null(strstr(body, "--b--\r\n.\r\n"));
    free(body);
    said(&s.to_client, "");
    server(&s, "250 queued\r\n");
    said(&s.to_client, "250 queued\r\n");
    assert_int_equal(mail_session_client(&s, "", 0), 0);
    said(&s.to_server, "QUIT\r\n");
    mail_session_free(&s);
}

static void test_smtp_reject(void **state)
{
    (void)state;
    struct mail_session s;
    smtp_open(&s);
    smtp_data(&s);
    assert_int_equal(mail_session_decide(&s, false, NULL, 0, "rejected by Ward: no"), 0);
    said(&s.to_client, "550 5.7.1 rejected by Ward: no\r\n");
    said(&s.to_server, "RSET\r\n");
    server(&s, "250 reset\r\n");
    said(&s.to_client, ""); /* the proxy's RSET: its answer is swallowed */
    client(&s, "NOOP\r\n");
    said(&s.to_server, "NOOP\r\n");
    server(&s, "250 ok\r\n");
    said(&s.to_client, "250 ok\r\n");
    mail_session_free(&s);
}

static void test_smtp_bad_line(void **state)
{
    (void)state;
    struct mail_session s;
    smtp_open(&s);
    char *big = malloc(MAIL_MAX_LINE + 100);
    memset(big, 'x', MAIL_MAX_LINE + 99);
    big[MAIL_MAX_LINE + 99] = '\0';
    client(&s, big);
    free(big);
    client(&s, "yyy\r\nNOOP\r\n");
    said(&s.to_client, "500 5.5.2 Line too long\r\n");
    said(&s.to_server, "NOOP\r\n"); /* and the session goes on */
    client(&s, "BDAT 10 LAST\r\n"); /* waits for NOOP's answer */
    said(&s.to_client, "");
    server(&s, "250 ok\r\n");
    said(&s.to_client, "250 ok\r\n502 5.5.1 BDAT is not taken by Ward's mail proxy\r\n");
    client(&s, "BDAT 10 LAST\r\n");
    said(&s.to_client, "502 5.5.1 BDAT is not taken by Ward's mail proxy\r\n");
    mail_session_free(&s);
}

static void test_smtp_starttls(void **state)
{
    (void)state;
    struct mail_session s;
    smtp_open(&s);
    client(&s, "STARTTLS\r\n");
    said(&s.to_server, "STARTTLS\r\n");
    server(&s, "220 go ahead\r\n\x16\x03\x01");
    said(&s.to_client, "220 go ahead\r\n");
    assert_true(s.opaque);
    assert_int_equal(s.sin.len, 3); /* kept unread: the proxy sees the injection */
    client(&s, "DATA\r\n");         /* unread now */
    assert_int_equal(s.to_server.len, 0);
    assert_int_equal(s.cin.len, 6);
    mail_session_restart(&s);
    assert_false(s.opaque);
    assert_int_equal(s.cin.len + s.sin.len, 0);
    client(&s, "EHLO me\r\n"); /* read again, on the TLS session */
    said(&s.to_server, "EHLO me\r\n");
    mail_session_free(&s);
}

static void pop3_retr(struct mail_session *s)
{
    mail_session_init(s, MAIL_POP3);
    server(s, "+OK pop\r\n");
    said(&s->to_client, "+OK pop\r\n");
    client(s, "CAPA\r\n");
    server(s, "+OK\r\nTOP\r\nUIDL\r\n.\r\n");
    said(&s->to_client, "+OK\r\nTOP\r\nUIDL\r\n.\r\n");
    client(s, "RETR 1\r\n");
    said(&s->to_server, "CAPA\r\nRETR 1\r\n");
    server(s, "+OK 400 octets\r\nSubject: x\r\n\r\n..dot\r\n");
    assert_false(s->pending);
    server(s, ".\r\n");
    assert_true(s->pending);
    said(&s->to_client, "");
    assert_int_equal(s->msg.len, 20);
    assert_memory_equal(s->msg.p, "Subject: x\r\n\r\n.dot\r\n", 20);
}

static void test_pop3(void **state)
{
    (void)state;
    struct mail_session s;
    pop3_retr(&s);
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    said(&s.to_client, "+OK 400 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n");
    client(&s, "RETR 1\r\n");
    server(&s, "+OK\r\nSubject: x\r\n\r\n.\r\n");
    assert_true(s.pending);
    assert_int_equal(mail_session_decide(&s, false, NULL, 0, "rejected by Ward"), 0);
    said(&s.to_client, "-ERR rejected by Ward\r\n");
    client(&s, "RETR 9\r\n");
    server(&s, "-ERR no such message\r\n");
    said(&s.to_client, "-ERR no such message\r\n");
    client(&s, "RETR 1\r\n");
    server(&s, "+OK\r\nA\r\n.\r\n");
    assert_int_equal(mail_session_decide(&s, true, "B\r\n.b\r\n", 7, NULL), 0);
    said(&s.to_client, "+OK message changed by Ward\r\nB\r\n..b\r\n.\r\n");
    /* past the limit: refused, and not held meanwhile */
    client(&s, "RETR 2\r\n");
    server(&s, "+OK\r\n");
    char *big = malloc(MAIL_MAX_LINE + 1);
    memset(big, 'x', MAIL_MAX_LINE - 2);
    strcpy(big + MAIL_MAX_LINE - 2, "\r\n");
    for (size_t sent = 0; sent <= MAIL_MAX_MESSAGE + 4 * MAIL_MAX_LINE; sent += MAIL_MAX_LINE)
        server(&s, big);
    free(big);
    assert_true(s.too_large);
    assert_true(s.held.len <= MAIL_MAX_MESSAGE + 2 * MAIL_MAX_LINE);
    server(&s, ".\r\n");
    assert_false(s.pending);
    said(&s.to_client, "-ERR message too large for Ward's mail proxy\r\n");
    mail_session_free(&s);
}

static void test_imap(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    server(&s, "* OK IMAP ready\r\n");
    said(&s.to_client, "* OK IMAP ready\r\n");
    client(&s, "a1 FETCH 1 (FLAGS BODY.PEEK[])\r\n");
    said(&s.to_server, "a1 FETCH 1 (FLAGS BODY.PEEK[])\r\n");
    server(&s, "* 1 FETCH (FLAGS (\\Seen) BODY[] {5}\r\nab");
    assert_false(s.pending);
    server(&s, "cde)\r\na1 OK done\r\n");
    assert_true(s.pending);
    assert_int_equal(s.msg.len, 5);
    assert_memory_equal(s.msg.p, "abcde", 5);
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    said(&s.to_client, "* 1 FETCH (FLAGS (\\Seen) BODY[] {5}\r\nabcde)\r\na1 OK done\r\n");
    /* quarantined: the literal replaced, its length with it */
    client(&s, "a2 UID FETCH 7 RFC822\r\n");
    server(&s, "* 2 FETCH (UID 7 RFC822 {3}\r\nxyz)\r\na2 OK done\r\n");
    assert_true(s.pending);
    assert_int_equal(mail_session_decide(&s, true, "notice", 6, NULL), 0);
    said(&s.to_client, "* 2 FETCH (UID 7 RFC822 {6}\r\nnotice)\r\na2 OK done\r\n");
    /* rejected: the response dropped, the tagged OK a NO */
    client(&s, "a3 FETCH 3 BODY[]\r\n");
    server(&s, "* 3 FETCH (BODY[] {2}\r\nhi)\r\n");
    assert_int_equal(mail_session_decide(&s, false, NULL, 0, "rejected by Ward"), 0);
    said(&s.to_client, "");
    server(&s, "a3 OK done\r\n");
    said(&s.to_client, "a3 NO [ALERT] rejected by Ward\r\n");
    /* other literals pass */
    server(&s, "* 4 FETCH (BODY[HEADER] {2}\r\nhi)\r\n");
    said(&s.to_client, "* 4 FETCH (BODY[HEADER] {2}\r\nhi)\r\n");
    assert_false(s.pending);
    /* a client literal is not read as commands */
    client(&s, "a4 APPEND inbox {9}\r\n");
    client(&s, "a5 LOGOUT\r\n");
    said(&s.to_server,
         "a2 UID FETCH 7 RFC822\r\na3 FETCH 3 BODY[]\r\na4 APPEND inbox {9}\r\na5 LOGOUT\r\n");
    assert_int_equal(s.c_literal, 0);
    /* COMPRESS is answered by the proxy, never forwarded */
    client(&s, "a5 COMPRESS DEFLATE\r\n");
    said(&s.to_client, "a5 NO COMPRESS not supported through Ward's proxy\r\n");
    said(&s.to_server, "");
    assert_false(s.opaque);
    client(&s, "a6 STARTTLS\r\n");
    server(&s, "a6 OK begin TLS\r\n");
    assert_true(s.opaque);
    mail_session_free(&s);
}

static void test_imap_limits(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    /* literals that are not the message are held only to a limit */
    size_t big = MAIL_MAX_MESSAGE / 2 + (64u << 10);
    char head[96], *fill = calloc(1, big);
    memset(fill, 'x', big);
    snprintf(head, sizeof(head), "* 1 FETCH (BODY[1] {%zu}\r\n", big);
    server(&s, head);
    assert_int_equal(mail_session_server(&s, fill, big), 0);
    snprintf(head, sizeof(head), " BODY[2] {%zu}\r\n", big);
    server(&s, head);
    assert_int_equal(mail_session_server(&s, fill, big), 0);
    assert_true(s.held.len <= MAIL_MAX_MESSAGE + (64u << 10));
    server(&s, ")\r\n");
    said(&s.to_client, "");
    server(&s, "a1 OK done\r\n");
    said(&s.to_client, "a1 NO [ALERT] message too large for Ward's mail proxy\r\n");
    /* a line too long to read whose end announces the message: the proxy closes */
    memset(fill, 'y', MAIL_MAX_LINE + 10);
    memcpy(fill, "* 2 FETCH (ENVELOPE ", 20);
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), 0);
    assert_int_equal(mail_session_server(&s, " BODY[] {3}\r\nabc)\r\n", 19), -1);
    free(fill);
    mail_session_free(&s);
}

/* A part of a message is fetched with the message, which is decided; the
 * client gets what it asked for, without the message's item. */
static void test_imap_parts(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    client(&s, "a1 UID FETCH 7 (UID BODY.PEEK[2])\r\n");
    said(&s.to_server, "a1 UID FETCH 7 (UID BODY.PEEK[2] BODY.PEEK[])\r\n");
    server(&s, "* 1 FETCH (UID 7 BODY[2] {3}\r\nxyz BODY[] {5}\r\nabcde)\r\n");
    assert_true(s.pending);
    assert_memory_equal(s.msg.p, "abcde", 5);
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    said(&s.to_client, "* 1 FETCH (UID 7 BODY[2] {3}\r\nxyz)\r\n");
    server(&s, "a1 OK done\r\n");
    said(&s.to_client, "a1 OK done\r\n");
    assert_int_equal(s.n_added, 0);
    /* one item: wrapped; the message first in the answer */
    client(&s, "a2 FETCH 1 BODY.PEEK[]<0.100>\r\n");
    said(&s.to_server, "a2 FETCH 1 (BODY.PEEK[]<0.100> BODY.PEEK[])\r\n");
    server(&s, "* 1 FETCH (BODY[] {5}\r\nabcde BODY[]<0> {2}\r\nab)\r\n");
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    said(&s.to_client, "* 1 FETCH (BODY[]<0> {2}\r\nab)\r\n");
    server(&s, "a2 OK done\r\n");
    said(&s.to_client, "a2 OK done\r\n");
    /* refused: none of it, and a NO */
    client(&s, "a3 FETCH 1 (BODY.PEEK[TEXT] FLAGS)\r\n");
    said(&s.to_server, "a3 FETCH 1 (BODY.PEEK[TEXT] FLAGS BODY.PEEK[])\r\n");
    server(&s, "* 1 FETCH (BODY[TEXT] {2}\r\nde FLAGS () BODY[] {5}\r\nabcde)\r\n");
    assert_int_equal(mail_session_decide(&s, false, NULL, 0, "rejected by Ward"), 0);
    server(&s, "a3 OK done\r\n");
    said(&s.to_client, "a3 NO [ALERT] rejected by Ward\r\n");
    /* a quarantined attachment: the part may be it, refused */
    client(&s, "a4 FETCH 1 BINARY.PEEK[1.2]\r\n");
    said(&s.to_server, "a4 FETCH 1 (BINARY.PEEK[1.2] BODY.PEEK[])\r\n");
    server(&s, "* 1 FETCH (BINARY[1.2] {2}\r\nab BODY[] {5}\r\nabcde)\r\n");
    assert_int_equal(mail_session_decide(&s, true, "notice", 6, NULL), 0);
    server(&s, "a4 OK done\r\n");
    said(&s.to_client, "a4 NO [ALERT] message part withheld by Ward: its message had an "
                       "attachment quarantined\r\n");
    /* a part without its message is refused */
    client(&s, "a5 FETCH 1 RFC822.TEXT\r\n");
    said(&s.to_server, "a5 FETCH 1 (RFC822.TEXT BODY.PEEK[])\r\n");
    server(&s, "* 1 FETCH (RFC822.TEXT {2}\r\nab)\r\na5 OK done\r\n");
    assert_false(s.pending);
    said(&s.to_client, "a5 NO [ALERT] message part fetched without its message: not "
                       "inspected by Ward\r\n");
    /* a piece in a quoted string is one without its message */
    server(&s,
           "* 1 FETCH (ENVELOPE (\"d\" \"a \\\" BODY[2] \") BODY[TEXT] \"ab\")\r\na9 OK done\r\n");
    said(&s.to_client, "a9 NO [ALERT] message part fetched without its message: not "
                       "inspected by Ward\r\n");
    server(&s, "* 1 FETCH (ENVELOPE (\"d\" \"a BODY[2] \" NIL) FLAGS ())\r\n");
    said(&s.to_client, "* 1 FETCH (ENVELOPE (\"d\" \"a BODY[2] \" NIL) FLAGS ())\r\n");
    /* a message delivered whole: its chunks pass as they come, in this
     * mailbox; another UID, or an envelope naming one, does not count */
    client(&s, "b1 UID FETCH 9 (UID BODY.PEEK[]<0.2>)\r\n");
    said(&s.to_server, "b1 UID FETCH 9 (UID BODY.PEEK[]<0.2> BODY.PEEK[])\r\n");
    server(&s, "* 3 FETCH (UID 9 BODY[]<0> {2}\r\nab BODY[] {5}\r\nabcde)\r\n");
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    said(&s.to_client, "* 3 FETCH (UID 9 BODY[]<0> {2}\r\nab)\r\n");
    client(&s, "b2 UID FETCH 9 (UID BODY.PEEK[]<2.2>)\r\nb3 UID FETCH 8 BODY.PEEK[]<0.2>\r\n");
    said(&s.to_server, "b2 UID FETCH 9 (UID BODY.PEEK[]<2.2>)\r\nb3 UID FETCH 8 (BODY.PEEK[]<0.2> "
                       "BODY.PEEK[])\r\n");
    server(&s, "* 3 FETCH (UID 9 BODY[]<2> {2}\r\ncd)\r\nb2 OK done\r\n");
    said(&s.to_client, "* 3 FETCH (UID 9 BODY[]<2> {2}\r\ncd)\r\nb2 OK done\r\n");
    server(&s, "* 2 FETCH (ENVELOPE (\"UID 9\" NIL) UID 8 BODY[]<0> {2}\r\nxy)\r\nb3 OK done\r\n");
    said(&s.to_client, "b3 NO [ALERT] message part fetched without its message: not "
                       "inspected by Ward\r\n");
    client(&s, "b4 SELECT other\r\nb5 UID FETCH 9 (UID BODY.PEEK[]<2.2>)\r\n");
    said(&s.to_server, "b4 SELECT other\r\nb5 UID FETCH 9 (UID BODY.PEEK[]<2.2> BODY.PEEK[])\r\n");
    server(&s, "b4 OK done\r\n");
    said(&s.to_client, "b4 OK done\r\n");
    client(&s, "b6 UID FETCH 9 BODY.PEEK[]<2.2>\r\n");
    said(&s.to_server, "b6 UID FETCH 9 (BODY.PEEK[]<2.2> BODY.PEEK[])\r\n");
    server(&s, "* 3 FETCH (UID 9 BODY[]<2> {2}\r\ncd)\r\nb5 OK done\r\n");
    said(&s.to_client, "b5 NO [ALERT] message part fetched without its message: not "
                       "inspected by Ward\r\n");
    /* headers, the whole message, structure: as they came */
    client(&s, "a6 FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM TO)] BODY.PEEK[1.MIME] BODYSTRUCTURE)\r\n"
               "a7 FETCH 1 (BODY.PEEK[] BODY.PEEK[2])\r\na8 FETCH 1:* (FLAGS)\r\n");
    said(&s.to_server,
         "a6 FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM TO)] BODY.PEEK[1.MIME] BODYSTRUCTURE)\r\n"
         "a7 FETCH 1 (BODY.PEEK[] BODY.PEEK[2])\r\na8 FETCH 1:* (FLAGS)\r\n");
    server(&s, "* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] {2}\r\nab BODY[1.MIME] {2}\r\ncd)\r\n");
    said(&s.to_client,
         "* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] {2}\r\nab BODY[1.MIME] {2}\r\ncd)\r\n");
    mail_session_free(&s);
}

/* A message delivered whole (UID 9): its chunks pass from then on. */
static void imap_memo(struct mail_session *s)
{
    client(s, "b1 UID FETCH 9 (UID BODY.PEEK[]<0.2>)\r\n");
    said(&s->to_server, "b1 UID FETCH 9 (UID BODY.PEEK[]<0.2> BODY.PEEK[])\r\n");
    server(s, "* 3 FETCH (UID 9 BODY[]<0> {2}\r\nab BODY[] {5}\r\nabcde)\r\nb1 OK done\r\n");
    assert_int_equal(mail_session_decide(s, true, NULL, 0, NULL), 0);
    said(&s->to_client, "* 3 FETCH (UID 9 BODY[]<0> {2}\r\nab)\r\nb1 OK done\r\n");
    assert_int_equal(s->n_memo, 1);
}

/* BINARY content with NUL bytes comes as a literal8, ~{N} (RFC 3516). */
static void test_imap_literal8(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    static const char part[] = "* 1 FETCH (BINARY[2] ~{3}\r\nx\0z)\r\na1 OK done\r\n";
    assert_int_equal(mail_session_server(&s, part, sizeof(part) - 1), 0);
    said(&s.to_client, "a1 NO [ALERT] message part fetched without its message: not "
                       "inspected by Ward\r\n");
    static const char whole[] = "* 1 FETCH (BINARY[] ~{5}\r\nab\0de)\r\n";
    assert_int_equal(mail_session_server(&s, whole, sizeof(whole) - 1), 0);
    assert_true(s.pending);
    assert_memory_equal(s.msg.p, "ab\0de", 5);
    assert_int_equal(mail_session_decide(&s, true, "notice", 6, NULL), 0);
    said(&s.to_client, "* 1 FETCH (BINARY[] {6}\r\nnotice)\r\n");
    server(&s, "* 2 FETCH (RFC822 ~{3}\r\nxyz)\r\n");
    assert_true(s.pending);
    assert_int_equal(mail_session_decide(&s, true, NULL, 0, NULL), 0);
    said(&s.to_client, "* 2 FETCH (RFC822 ~{3}\r\nxyz)\r\n");
    /* a client's literal8 is counted too */
    client(&s, "a2 APPEND inbox (\\Seen) ~{4+}\r\na3 X\r\n");
    said(&s.to_server, "a2 APPEND inbox (\\Seen) ~{4+}\r\na3 X\r\n");
    assert_int_equal(s.c_literal, 0);
    mail_session_free(&s);
}

/* BODY[] and a part asked by the client: a quarantined attachment's
 * message withholds the part too. */
static void test_imap_part_with_message(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    client(&s, "a1 FETCH 1 (BODY[] BODY[2])\r\n");
    said(&s.to_server, "a1 FETCH 1 (BODY[] BODY[2])\r\n");
    server(&s, "* 1 FETCH (BODY[] {5}\r\nabcde BODY[2] {2}\r\nde)\r\n");
    assert_true(s.pending);
    assert_int_equal(mail_session_decide(&s, true, "notice", 6, NULL), 0);
    said(&s.to_client, "");
    server(&s, "a1 OK done\r\n");
    said(&s.to_client, "a1 NO [ALERT] message part withheld by Ward: its message had an "
                       "attachment quarantined\r\n");
    mail_session_free(&s);
}

/* A line too long for the proxy to read (MAIL_MAX_LINE + 10 bytes, no
 * end) that begins with head: malloc'ed. */
static char *long_line(const char *head)
{
    char *fill = malloc(MAIL_MAX_LINE + 10);
    assert_non_null(fill);
    memset(fill, 'y', MAIL_MAX_LINE + 10);
    memcpy(fill, head, strlen(head));
    return fill;
}

/* A response whose first line passed unread (too long) is still untagged:
 * its later literals are read as its items. */
static void test_imap_long_line(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    char *fill = long_line("* 1 FETCH (ENVELOPE (\"");
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), 0);
    server(&s, "\") BODY[HEADER] {2}\r\nab BODY[2] {2}\r\nde)\r\n");
    free(took(&s.to_client));
    server(&s, "a1 OK done\r\n");
    said(&s.to_client, "a1 NO [ALERT] message part fetched without its message: not "
                       "inspected by Ward\r\n");
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), 0);
    server(&s, "\") BODY[HEADER] {2}\r\nab BODY[] {5}\r\nabcde)\r\n");
    assert_true(s.pending);
    assert_memory_equal(s.msg.p, "abcde", 5);
    free(fill);
    mail_session_free(&s);
}

/* A piece given as a quoted string on a line too long to read: closed. */
static void test_imap_long_quoted(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    char *fill = long_line("* 1 FETCH (ENVELOPE (\"");
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), 0);
    server(&s, "\" \"x\") FLAGS ())\r\n");
    free(took(&s.to_client));
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), 0);
    assert_int_equal(mail_session_server(&s, "\") BODY[TEXT] \"ab\")\r\n", 21), -1);
    mail_session_free(&s);
    mail_session_init(&s, MAIL_IMAP);
    memcpy(fill, "* 1 FETCH (BODY[2] \"", 20);
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), -1);
    said(&s.to_client, "");
    free(fill);
    mail_session_free(&s);
}

/* A part fetch whose tagged answer passed unread (too long) is no longer
 * awaited once a later command has its answer. */
static void test_imap_added_stale(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    client(&s, "a1 FETCH 1 BODY.PEEK[2]\r\n");
    said(&s.to_server, "a1 FETCH 1 (BODY.PEEK[2] BODY.PEEK[])\r\n");
    char *fill = malloc(MAIL_MAX_LINE + 10);
    memset(fill, 'y', MAIL_MAX_LINE + 10);
    memcpy(fill, "a1 OK ", 6);
    assert_int_equal(mail_session_server(&s, fill, MAIL_MAX_LINE + 10), 0);
    server(&s, "\r\n");
    free(took(&s.to_client));
    free(fill);
    assert_int_equal(s.n_added, 1);
    client(&s, "a2 NOOP\r\n");
    server(&s, "a2 OK done\r\n");
    said(&s.to_client, "a2 OK done\r\n");
    assert_int_equal(s.n_added, 0);
    mail_session_free(&s);
}

/* The memo of UIDs delivered is forgotten at a command not read (a long
 * one may be a SELECT) and at a literal the server refused (the proxy may
 * have read commands as its bytes). */
static void test_imap_memo_doubt(void **state)
{
    (void)state;
    struct mail_session s;
    mail_session_init(&s, MAIL_IMAP);
    imap_memo(&s);
    client(&s, "b2 IDLE\r\nDONE\r\n");
    free(took(&s.to_server));
    assert_int_equal(s.n_memo, 1);
    char *fill = malloc(MAIL_MAX_LINE + 10);
    memset(fill, 'y', MAIL_MAX_LINE + 10);
    memcpy(fill, "b2 SELECT \"", 11);
    assert_int_equal(mail_session_client(&s, fill, MAIL_MAX_LINE + 10), 0);
    client(&s, "\"\r\n");
    free(took(&s.to_server));
    free(fill);
    server(&s, "b2 OK selected\r\n");
    said(&s.to_client, "b2 OK selected\r\n");
    client(&s, "b3 UID FETCH 9 BODY.PEEK[]<2.2>\r\n");
    said(&s.to_server, "b3 UID FETCH 9 (BODY.PEEK[]<2.2> BODY.PEEK[])\r\n");
    server(&s, "b3 NO gone\r\n");
    said(&s.to_client, "b3 NO gone\r\n");
    imap_memo(&s);
    assert_int_equal(s.n_added, 0);
    client(&s, "c1 APPEND inbox {30}\r\n");
    said(&s.to_server, "c1 APPEND inbox {30}\r\n");
    server(&s, "c1 NO [OVERQUOTA] too big\r\n");
    said(&s.to_client, "c1 NO [OVERQUOTA] too big\r\n");
    assert_int_equal(s.n_memo, 0);
    client(&s, "c2 UID FETCH 9 BODY.PEEK[]<2.2>\r\n");
    said(&s.to_server, "c2 UID FETCH 9 (BODY.PEEK[]<2.2> BODY.PEEK[])\r\n");
    mail_session_free(&s);
}

static int n_seen;
static void seen(void *ctx, uint32_t index, const void *data, size_t len)
{
    (void)ctx;
    assert_int_equal(index, 0);
    assert_int_equal(len, 12);
    assert_memory_equal(data, "MZ\x90\0\x03\0\0\0\x04\0\0\0", 12);
    n_seen++;
}

static void test_mime(void **state)
{
    (void)state;
    struct mail_facts f;
    assert_int_equal(mail_mime_read(MSG, strlen(MSG), &f, seen, NULL), 0);
    assert_int_equal(n_seen, 1);
    assert_string_equal(f.from, "Alice <alice@example.org>");
    assert_string_equal(f.to, "bob@example.net, carol@example.net");
    assert_string_equal(f.subject, "the report");
    assert_string_equal(f.message_id, "1@example.org");
    assert_int_equal(f.n_att, 1);
    assert_string_equal(f.att[0].name, "tool.exe");
    assert_string_equal(f.att[0].type, "application/x-msdownload");
    assert_int_equal(f.att[0].size, 12);
    char *out;
    size_t len;
    assert_int_equal(mail_mime_replace(MSG, strlen(MSG), 1, "kept by Ward", &out, &len), 0);
    out = realloc(out, len + 1);
    out[len] = '\0';
    assert_non_null(strstr(out, "kept by Ward"));
    assert_null(strstr(out, "TVqQ"));
    assert_non_null(strstr(out, "Hello."));
    assert_int_equal(mail_mime_read(out, len, &f, NULL, NULL), 0);
    assert_string_equal(f.att[0].name, "ward-quarantine.txt");
    free(out);
    /* a nameless binary part is an attachment too */
    static const char BIN[] = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                              "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                              "--b\r\nContent-Type: application/octet-stream\r\n\r\nxyz\r\n"
                              "--b--\r\n";
    assert_int_equal(mail_mime_read(BIN, strlen(BIN), &f, NULL, NULL), 0);
    assert_int_equal(f.n_att, 1);
    assert_string_equal(f.att[0].type, "application/octet-stream");
    /* not a message at all: its size, nothing else, no crash */
    assert_int_equal(mail_mime_read("\x01\x02", 2, &f, NULL, NULL) <= 0, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_allow),
        cmocka_unit_test(test_smtp_reject),
        cmocka_unit_test(test_smtp_bad_line),
        cmocka_unit_test(test_smtp_starttls),
        cmocka_unit_test(test_pop3),
        cmocka_unit_test(test_imap),
        cmocka_unit_test(test_imap_limits),
        cmocka_unit_test(test_imap_parts),
        cmocka_unit_test(test_imap_literal8),
        cmocka_unit_test(test_imap_part_with_message),
        cmocka_unit_test(test_imap_long_line),
        cmocka_unit_test(test_imap_memo_doubt),
        cmocka_unit_test(test_imap_added_stale),
        cmocka_unit_test(test_imap_long_quoted),
        cmocka_unit_test(test_mime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
