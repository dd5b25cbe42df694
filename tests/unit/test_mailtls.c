/*
 * test_mailtls.c — the mail proxy's TLS library (src/mailtls): host names,
 * the local CA on disk, its leaves, the STARTTLS state machines of both
 * roles, and a verified handshake between the two ends over a socketpair.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailtls/internal.h"
#include "mailtls/starttls.h"

static char tmp[64];

static int setup(void **state)
{
    snprintf(tmp, sizeof(tmp), "/tmp/ward-test-mailtls.XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_host_names(void **state)
{
    char out[MAILTLS_HOST_MAX + 1];
    assert_int_equal(mailtls_host_norm("Mail.Example.COM.", out, sizeof(out)), 0);
    assert_string_equal(out, "mail.example.com");
    assert_int_equal(mailtls_host_norm("::FFFF:1.2.3.4", out, sizeof(out)), 0);
    assert_string_equal(out, "::ffff:1.2.3.4");
    assert_int_equal(mailtls_host_norm("192.0.2.1", out, sizeof(out)), 0);
    const char *bad[] = {"",        ".",  "../etc", "a/b",     "a..b",
                         ".hidden", "-x", "a b",    "a,DNS:b", "*.example.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(mailtls_host_norm(bad[i], out, sizeof(out)), -1);
    char longest[300];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    assert_int_equal(mailtls_host_norm(longest, out, sizeof(out)), -1);
    assert_int_equal(mailtls_host_norm(NULL, out, sizeof(out)), -1);
}

static struct ward_mailtls *open_ca(const char *trust)
{
    char dir[128], err[256] = "";
    snprintf(dir, sizeof(dir), "%s/ca", tmp);
    struct ward_mailtls *t = ward_mailtls_new(dir, trust, err, sizeof(err));
    if (!t)
        fail_msg("ward_mailtls_new: %s", err);
    return t;
}

static void test_ca_on_disk(void **state)
{
    struct ward_mailtls *t = open_ca(NULL);
    char path[160];
    struct stat st;
    snprintf(path, sizeof(path), "%s/ca", tmp);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/ca/ca.key", tmp);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/ca/ca.pem", tmp);
    assert_string_equal(ward_mailtls_ca_path(t), path);
    assert_int_equal(X509_check_ca(t->ca), 1);
    /* Opened again: the same CA. */
    struct ward_mailtls *again = open_ca(NULL);
    assert_int_equal(X509_cmp(t->ca, again->ca), 0);
    ward_mailtls_free(again);
    ward_mailtls_free(t);

    /* A directory others may enter holds no CA. */
    char err[256] = "";
    snprintf(path, sizeof(path), "%s/open", tmp);
    mkdir(path, 0755);
    assert_null(ward_mailtls_new(path, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "mode 0755"));
    /* A trust file that does not load is an error, not an empty store. */
    snprintf(path, sizeof(path), "%s/none.pem", tmp);
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/ca", tmp);
    assert_null(ward_mailtls_new(dir, path, err, sizeof(err)));
    assert_non_null(strstr(err, "none.pem: no CA certificates load"));
}

/* cert verifies against t's CA as a TLS server for host. */
static int verifies(struct ward_mailtls *t, X509 *cert, const char *host)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_add_cert(store, t->ca);
    X509_STORE_CTX_init(ctx, store, cert, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
    int ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

static void test_leaves(void **state)
{
    struct ward_mailtls *t = open_ca(NULL);
    X509 *cert, *again;
    EVP_PKEY *key, *key2;
    char err[256] = "";
    assert_int_equal(ward_mailtls_leaf(t, "IMAP.Example.org", &cert, &key, err, sizeof(err)), 0);
    assert_true(verifies(t, cert, "imap.example.org"));
    assert_false(verifies(t, cert, "other.example.org"));
    assert_int_equal(X509_check_private_key(cert, key), 1);
    /* From memory: the same certificate. */
    assert_int_equal(ward_mailtls_leaf(t, "imap.example.org", &again, &key2, err, sizeof(err)), 0);
    assert_ptr_equal(again, cert);
    X509_free(again);
    EVP_PKEY_free(key2);
    ward_mailtls_free(t);
    /* From disk, by another handle: the same one still. */
    t = open_ca(NULL);
    assert_int_equal(ward_mailtls_leaf(t, "imap.example.org", &again, &key2, err, sizeof(err)), 0);
    assert_int_equal(X509_cmp(again, cert), 0);
    X509_free(again);
    EVP_PKEY_free(key2);
    X509_free(cert);
    EVP_PKEY_free(key);
    /* An address: an IP SAN. */
    assert_int_equal(ward_mailtls_leaf(t, "192.0.2.25", &cert, &key, err, sizeof(err)), 0);
    assert_int_equal(X509_check_ip_asc(cert, "192.0.2.25", 0), 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    assert_int_equal(ward_mailtls_leaf(t, "../../x", &cert, &key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a host name"));
    assert_null(cert);
    ward_mailtls_free(t);
}

/* feeds line to s, expecting act and out to hold want (NULL: nothing). */
static void feed(struct starttls *s, const char *line, enum starttls_act act, const char *want)
{
    assert_int_equal(starttls_feed(s, line, strlen(line)), act);
    if (!want) {
        assert_int_equal(s->out_len, 0);
        return;
    }
    s->out[s->out_len] = '\0';
    if (!strstr(s->out, want))
        fail_msg("after \"%s\": \"%s\" has no \"%s\"", line, s->out, want);
}

static void test_starttls_to_client(void **state)
{
    struct starttls s;
    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_CLIENT, "mail.test");
    assert_memory_equal(s.out, "220 mail.test ESMTP", 19);
    feed(&s, "EHLO me", STARTTLS_READ, "250-mail.test\r\n250 STARTTLS\r\n");
    feed(&s, "MAIL FROM:<a@b>", STARTTLS_READ, "530 5.7.0");
    feed(&s, "STARTTLS now", STARTTLS_READ, "501 ");
    feed(&s, "starttls", STARTTLS_GO, "220 2.0.0");
    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_CLIENT, "bad\r\nname");
    assert_memory_equal(s.out, "220 localhost ", 14);
    feed(&s, "QUIT", STARTTLS_QUIT, "221 ");
    /* A client that never asks is cut off. */
    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_CLIENT, NULL);
    for (int i = 0; i < 9; i++)
        feed(&s, "DATA", STARTTLS_READ, "530 ");
    feed(&s, "DATA", STARTTLS_FAIL, "421 ");

    starttls_init(&s, WARD_MAIL_POP3, STARTTLS_TO_CLIENT, NULL);
    assert_memory_equal(s.out, "+OK ", 4);
    feed(&s, "CAPA", STARTTLS_READ, "+OK Capability list follows\r\nSTLS\r\n.\r\n");
    feed(&s, "USER me", STARTTLS_READ, "-ERR ");
    feed(&s, "STLS", STARTTLS_GO, "+OK ");

    starttls_init(&s, WARD_MAIL_IMAP, STARTTLS_TO_CLIENT, NULL);
    assert_non_null(strstr(s.out, "STARTTLS LOGINDISABLED"));
    feed(&s, "a1 CAPABILITY", STARTTLS_READ, "* CAPABILITY IMAP4rev1 STARTTLS");
    feed(&s, "a2 LOGIN me pw", STARTTLS_READ, "a2 NO [PRIVACYREQUIRED]");
    /* A tag is echoed only if it is one: no CRLF or '%' comes back. */
    feed(&s, "a%n LOGIN", STARTTLS_READ, "* BAD ");
    feed(&s, "", STARTTLS_READ, "* BAD ");
    feed(&s, "x STARTTLS", STARTTLS_GO, "x OK Begin TLS");

    char longline[STARTTLS_LINE_MAX + 2];
    memset(longline, 'A', sizeof(longline));
    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_CLIENT, NULL);
    assert_int_equal(starttls_feed(&s, longline, sizeof(longline)), STARTTLS_READ);
    assert_memory_equal(s.out, "500 ", 4);
}

static void test_starttls_to_server(void **state)
{
    struct starttls s;
    assert_int_equal(starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_SERVER, "me.test"),
                     STARTTLS_READ);
    feed(&s, "220-mx.example ESMTP", STARTTLS_READ, NULL);
    feed(&s, "220 more", STARTTLS_READ, "EHLO me.test\r\n");
    feed(&s, "250-mx.example", STARTTLS_READ, NULL);
    feed(&s, "250-starttls", STARTTLS_READ, NULL);
    feed(&s, "250 8BITMIME", STARTTLS_READ, "STARTTLS\r\n");
    feed(&s, "220 2.0.0 go ahead", STARTTLS_GO, NULL);

    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_SERVER, NULL);
    feed(&s, "220 mx", STARTTLS_READ, "EHLO localhost");
    feed(&s, "250 mx", STARTTLS_FAIL, NULL);
    assert_string_equal(s.why, "server: does not offer STARTTLS");
    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_SERVER, NULL);
    feed(&s, "554 go away\x01", STARTTLS_FAIL, NULL);
    assert_string_equal(s.why, "server: greeting refuses the session: \"554 go away?\"");
    starttls_init(&s, WARD_MAIL_SMTP, STARTTLS_TO_SERVER, NULL);
    feed(&s, "22", STARTTLS_FAIL, NULL);

    starttls_init(&s, WARD_MAIL_POP3, STARTTLS_TO_SERVER, NULL);
    feed(&s, "+OK POP3 ready", STARTTLS_READ, "STLS\r\n");
    feed(&s, "-ERR no", STARTTLS_FAIL, NULL);
    starttls_init(&s, WARD_MAIL_POP3, STARTTLS_TO_SERVER, NULL);
    feed(&s, "+OK", STARTTLS_READ, "STLS\r\n");
    feed(&s, "+OK begin", STARTTLS_GO, NULL);

    starttls_init(&s, WARD_MAIL_IMAP, STARTTLS_TO_SERVER, NULL);
    feed(&s, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi", STARTTLS_READ, "W1 STARTTLS\r\n");
    feed(&s, "* CAPABILITY IMAP4rev1", STARTTLS_READ, NULL);
    feed(&s, "W1 OK go", STARTTLS_GO, NULL);
    starttls_init(&s, WARD_MAIL_IMAP, STARTTLS_TO_SERVER, NULL);
    feed(&s, "* PREAUTH welcome", STARTTLS_FAIL, NULL);
    starttls_init(&s, WARD_MAIL_IMAP, STARTTLS_TO_SERVER, NULL);
    feed(&s, "* OK", STARTTLS_READ, "W1 STARTTLS");
    feed(&s, "W1 BAD no", STARTTLS_FAIL, NULL);
    assert_non_null(strstr(s.why, "STARTTLS refused"));
}

struct side {
    struct ward_mailtls *t;
    int fd;
    char err[256];
    SSL *ssl;
};

static void *accept_side(void *arg)
{
    struct side *a = arg;
    a->ssl = ward_mailtls_accept(a->t, a->fd, "fallback.test", a->err, sizeof(a->err));
    if (a->ssl)
        SSL_write(a->ssl, "hi", 2);
    return NULL;
}

/* A handshake between both ends of the library over a socketpair: the
 * client end trusts the CA file given, asks for host. */
static SSL *handshake(struct ward_mailtls *server, struct ward_mailtls *client, const char *host,
                      char *err, size_t errlen)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct side a = {.t = server, .fd = sv[0]};
    pthread_t th;
    pthread_create(&th, NULL, accept_side, &a);
    SSL *ssl = ward_mailtls_connect(client, sv[1], host, err, errlen);
    char buf[4];
    if (ssl)
        assert_int_equal(SSL_read(ssl, buf, sizeof(buf)), 2);
    else
        shutdown(sv[1], SHUT_RDWR);
    pthread_join(th, NULL);
    ward_mailtls_close(a.ssl);
    close(sv[0]);
    close(sv[1]);
    return ssl;
}

/* A server with Ward's CA, a client that trusts it, and a server with a CA
 * of its own (the client's), which the client does not trust. */
struct trio {
    struct ward_mailtls *server, *client, *other;
};

static void open_trio(struct trio *t)
{
    char dir[128], err[256] = "";
    t->server = open_ca(NULL);
    snprintf(dir, sizeof(dir), "%s/cli", tmp);
    t->client = ward_mailtls_new(dir, ward_mailtls_ca_path(t->server), err, sizeof(err));
    assert_non_null(t->client);
    t->other = ward_mailtls_new(dir, NULL, err, sizeof(err));
    assert_non_null(t->other);
}

static void close_trio(struct trio *t)
{
    ward_mailtls_free(t->other);
    ward_mailtls_free(t->client);
    ward_mailtls_free(t->server);
}

static void test_handshake(void **state)
{
    struct trio t;
    char err[256] = "";
    open_trio(&t);
    SSL *ssl = handshake(t.server, t.client, "smtp.example.net", err, sizeof(err));
    if (!ssl)
        fail_msg("handshake: %s", err);
    X509 *peer = SSL_get1_peer_certificate(ssl);
    assert_int_equal(X509_check_host(peer, "smtp.example.net", 0, 0, NULL), 1);
    X509_free(peer);
    ward_mailtls_close(ssl);

    /* The client's own CA (not the server's) is not trusted. */
    assert_null(handshake(t.other, t.client, "smtp.example.net", err, sizeof(err)));
    assert_non_null(strstr(err, "certificate verify failed"));
    close_trio(&t);
}

/* The same handshake in steps on non-blocking sockets, one thread (as
 * ward-maild's loop runs it): the client's step returns the server's
 * verification, or -1 with why. */
static int stepped(struct ward_mailtls *server, struct ward_mailtls *client, const char *host,
                   char *err, size_t errlen)
{
    int sv[2];
    char serr[256];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    SSL *a = ward_mailtls_accept_start(server, sv[0], "fallback.test", serr, sizeof(serr));
    SSL *c = ward_mailtls_connect_start(client, sv[1], host, err, errlen);
    assert_non_null(a);
    assert_non_null(c);
    bool want_write;
    int ra = 0, rc = 0, waits = 0;
    for (int i = 0; i < 100 && rc == 0; i++) {
        rc = ward_mailtls_step(c, &want_write, err, errlen);
        if (ra == 0)
            ra = ward_mailtls_step(a, &want_write, serr, sizeof(serr));
        waits += rc == 0;
    }
    assert_true(waits > 0); /* it waited for its peer: it did not block */
    if (rc == 1)
        assert_int_equal(ra, 1);
    SSL_free(a);
    SSL_free(c);
    close(sv[0]);
    close(sv[1]);
    return rc;
}

static void test_handshake_steps(void **state)
{
    struct trio t;
    char err[256] = "";
    open_trio(&t);
    if (stepped(t.server, t.client, "smtp.example.net", err, sizeof(err)) != 1)
        fail_msg("handshake: %s", err);
    assert_int_equal(stepped(t.other, t.client, "smtp.example.net", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "smtp.example.net: certificate verify failed"));
    close_trio(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_names),
        cmocka_unit_test_setup_teardown(test_ca_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaves, setup, teardown),
        cmocka_unit_test(test_starttls_to_client),
        cmocka_unit_test(test_starttls_to_server),
        cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_steps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
