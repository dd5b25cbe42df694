/*
 * mailtls/negotiate.c — STARTTLS on a socket: the state machine of
 * starttls.c driven by lines read one byte at a time. One byte at a time
 * because what follows the last plain-text line is TLS, and must be left
 * in the socket for OpenSSL: nothing sent in plain text after STARTTLS is
 * ever read as if it came through TLS (the "STARTTLS command injection").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "mailtls/starttls.h"
#include "util/errbuf.h"

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One line without its CRLF into buf (STARTTLS_LINE_MAX + 1 bytes); a
 * longer one is read to its end and its length given as more than the
 * maximum. 1 a line, 0 the peer closed, -1 an error (errno). */
static int read_line(int fd, char *buf, size_t *len)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = recv(fd, &c, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return (int)r;
        if (c == '\n')
            break;
        if (n <= STARTTLS_LINE_MAX)
            buf[n] = c;
        n += n <= STARTTLS_LINE_MAX;
    }
    if (n && n <= STARTTLS_LINE_MAX && buf[n - 1] == '\r')
        n--;
    *len = n;
    return 1;
}

static int drive(int fd, struct starttls *s, enum starttls_act act, char *err, size_t errlen)
{
    const char *who = s->role == STARTTLS_TO_CLIENT ? "client" : "server";
    char line[STARTTLS_LINE_MAX + 1];
    for (;;) {
        if (s->out_len && send_all(fd, s->out, s->out_len) < 0) {
            ward_errbuf_set(err, errlen, "%s: %s", who, strerror(errno));
            return -1;
        }
        if (act == STARTTLS_GO || act == STARTTLS_QUIT)
            return act == STARTTLS_GO ? 0 : 1;
        if (act == STARTTLS_FAIL) {
            ward_errbuf_set(err, errlen, "%s", s->why);
            return -1;
        }
        size_t len = 0;
        int rc = read_line(fd, line, &len);
        if (rc <= 0) {
            ward_errbuf_set(err, errlen, "%s: %s before STARTTLS", who,
                            rc == 0 ? "closed the connection" : strerror(errno));
            return -1;
        }
        act = starttls_feed(s, line, len);
    }
}

int ward_mailtls_starttls_client(int fd, enum ward_mail_proto proto, const char *host, char *err,
                                 size_t errlen)
{
    struct starttls s;
    enum starttls_act act = starttls_init(&s, proto, STARTTLS_TO_CLIENT, host);
    return drive(fd, &s, act, err, errlen);
}

int ward_mailtls_starttls_server(int fd, enum ward_mail_proto proto, const char *ehlo_name,
                                 char *err, size_t errlen)
{
    struct starttls s;
    enum starttls_act act = starttls_init(&s, proto, STARTTLS_TO_SERVER, ehlo_name);
    int rc = drive(fd, &s, act, err, errlen);
    char c;
    /* The server speaks next only once our ClientHello is sent: a byte
     * already here was sent in plain text after its yes. */
    if (rc == 0 && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
        ward_errbuf_set(err, errlen,
                        "server: sent plain text after agreeing to STARTTLS (an injection?)");
        return -1;
    }
    return rc;
}
