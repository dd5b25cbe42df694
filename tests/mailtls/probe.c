/*
 * tests/mailtls/probe.c — the mail TLS library on real sockets, for
 * tests/mailtls/t-*.sh (the proxy that will use it is not needed):
 *
 *   probe serve CA_DIR PORT HOST tls|smtp|pop3|imap
 *       listens on 127.0.0.1:PORT; for each client, STARTTLS offered
 *       (unless tls), then TLS with the leaf for the client's SNI or HOST;
 *       says "probe: TLS as NAME", echoes what the client sends first and
 *       closes. Errors go to stderr, one line per client.
 *   probe connect CA_DIR TRUST|- HOST PORT tls|smtp|pop3|imap
 *       connects to 127.0.0.1:PORT, asks the server for STARTTLS (unless
 *       tls), then TLS verified against TRUST (- the system store) and
 *       HOST; prints "verified HOST", says hello and prints what the server
 *       sends first.
 *       Exit 1 with the reason on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailtls/mailtls.h"

static int proto_of(const char *s, enum ward_mail_proto *p)
{
    *p = !strcmp(s, "smtp") ? WARD_MAIL_SMTP : !strcmp(s, "pop3") ? WARD_MAIL_POP3 : WARD_MAIL_IMAP;
    return strcmp(s, "tls") != 0;
}

static struct sockaddr_in loopback(const char *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static void serve_one(struct ward_mailtls *t, int fd, const char *host, const char *proto_name)
{
    enum ward_mail_proto proto;
    char err[512], buf[1024];
    int starttls = proto_of(proto_name, &proto), rc = 0;
    if (starttls && (rc = ward_mailtls_starttls_client(fd, proto, host, err, sizeof(err))) != 0) {
        if (rc < 0)
            fprintf(stderr, "probe: %s\n", err);
        return;
    }
    SSL *ssl = ward_mailtls_accept(t, fd, host, err, sizeof(err));
    if (!ssl) {
        fprintf(stderr, "probe: %s\n", err);
        return;
    }
    const char *sni = ward_mailtls_sni(ssl);
    int n = snprintf(buf, sizeof(buf), "probe: TLS as %s\r\n", sni ? sni : host);
    SSL_write(ssl, buf, n);
    if ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
        SSL_write(ssl, buf, n);
    ward_mailtls_close(ssl);
}

static int serve(struct ward_mailtls *t, char **argv)
{
    struct sockaddr_in a = loopback(argv[1]);
    int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0) {
        perror("probe: listen");
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    for (;;) {
        int fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        serve_one(t, fd, argv[2], argv[3]);
        fflush(stderr);
        close(fd);
    }
}

static int connect_to(struct ward_mailtls *t, char **argv)
{
    enum ward_mail_proto proto;
    char err[512], buf[1024];
    struct sockaddr_in a = loopback(argv[1]);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("probe: connect");
        return 1;
    }
    if (proto_of(argv[2], &proto) &&
        ward_mailtls_starttls_server(fd, proto, "probe.test", err, sizeof(err)) < 0) {
        fprintf(stderr, "probe: %s\n", err);
        return 1;
    }
    SSL *ssl = ward_mailtls_connect(t, fd, argv[0], err, sizeof(err));
    if (!ssl) {
        fprintf(stderr, "probe: %s\n", err);
        return 1;
    }
    printf("verified %s\n", argv[0]);
    SSL_write(ssl, "hello\r\n", 7);
    int n = SSL_read(ssl, buf, sizeof(buf) - 1);
    if (n > 0)
        printf("%.*s", n, buf);
    ward_mailtls_close(ssl);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    int serving = argc == 6 && !strcmp(argv[1], "serve");
    if (!serving && !(argc == 7 && !strcmp(argv[1], "connect"))) {
        fprintf(stderr, "usage: probe serve CA_DIR PORT HOST tls|smtp|pop3|imap\n"
                        "       probe connect CA_DIR TRUST|- HOST PORT tls|smtp|pop3|imap\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client gone before our echo is no reason to die */
    char err[512];
    const char *trust = serving || !strcmp(argv[3], "-") ? NULL : argv[3];
    struct ward_mailtls *t = ward_mailtls_new(argv[2], trust, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "probe: %s\n", err);
        return 1;
    }
    int rc = serving ? serve(t, argv + 2) : connect_to(t, argv + 4);
    ward_mailtls_free(t);
    return rc;
}
