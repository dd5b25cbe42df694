/*
 * mailtls/tls.c — the handle and its two TLS contexts: toward the mail
 * clients (a leaf of the local CA chosen by the name each asks for) and
 * toward the servers (verified against the trust store and the host name).
 */
#define _GNU_SOURCE
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "mailtls/internal.h"
#include "util/errbuf.h"

/* The leaf for the name the client asks for, else for the accept's host
 * (the SSL's app data). OpenSSL calls this for every ClientHello, with or
 * without SNI. */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
    struct ward_mailtls *t = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    X509 *cert;
    EVP_PKEY *key;
    if (!name)
        name = SSL_get_app_data(ssl);
    if (!name || ward_mailtls_leaf(t, name, &cert, &key, NULL, 0) < 0) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    int ok = SSL_use_cert_and_key(ssl, cert, key, NULL, 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *ctx_new(const SSL_METHOD *method)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (ctx && !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

struct ward_mailtls *ward_mailtls_new(const char *ca_dir, const char *trust_file, char *err,
                                      size_t errlen)
{
    char buf[160];
    if (!ca_dir || strlen(ca_dir) >= PATH_MAX - 32) {
        ward_errbuf_set(err, errlen, "%s: no CA directory or its path too long",
                        ca_dir ? ca_dir : "(none)");
        return NULL;
    }
    struct ward_mailtls *t = calloc(1, sizeof(*t));
    if (!t) {
        ward_errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(t->dir, sizeof(t->dir), "%s", ca_dir);
    pthread_mutex_init(&t->lock, NULL);
    if (mailtls_ca_open(t, err, errlen) < 0)
        goto fail;
    t->server = ctx_new(TLS_server_method());
    t->client = ctx_new(TLS_client_method());
    if (!t->server || !t->client) {
        ward_errbuf_set(err, errlen, "TLS: %s", mailtls_ssl_error(buf, sizeof(buf)));
        goto fail;
    }
    SSL_CTX_set_tlsext_servername_callback(t->server, on_servername);
    SSL_CTX_set_tlsext_servername_arg(t->server, t);
    if (!(trust_file ? SSL_CTX_load_verify_locations(t->client, trust_file, NULL)
                     : SSL_CTX_set_default_verify_paths(t->client))) {
        ward_errbuf_set(err, errlen, "%s: no CA certificates load: %s",
                        trust_file ? trust_file : "the system's trust store",
                        mailtls_ssl_error(buf, sizeof(buf)));
        goto fail;
    }
    SSL_CTX_set_verify(t->client, SSL_VERIFY_PEER, NULL);
    return t;
fail:
    ward_mailtls_free(t);
    return NULL;
}

void ward_mailtls_free(struct ward_mailtls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->server);
    SSL_CTX_free(t->client);
    mailtls_ca_close(t);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

const char *ward_mailtls_ca_path(const struct ward_mailtls *t)
{
    return t->ca_path;
}

const char *ward_mailtls_sni(const SSL *ssl)
{
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}

void ward_mailtls_close(SSL *ssl)
{
    if (!ssl)
        return;
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ERR_clear_error();
}

/* Whom a handshake is with, for its errors: the client, or the server's
 * name or address it is verified for. */
static const char *peer_name(SSL *ssl, char *buf, size_t len)
{
    if (SSL_is_server(ssl))
        return "client";
    X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
    const char *host = X509_VERIFY_PARAM_get0_host(p, 0);
    char *ip = host ? NULL : X509_VERIFY_PARAM_get1_ip_asc(p);
    snprintf(buf, len, "%s", host ? host : ip ? ip : "server");
    OPENSSL_free(ip);
    return buf;
}

/* Why a handshake failed: the verification's result first, it says most. */
static void handshake_error(SSL *ssl, int rc, char *err, size_t errlen)
{
    char buf[160], name[MAILTLS_HOST_MAX + 1];
    const char *who = peer_name(ssl, name, sizeof(name));
    long v = SSL_get_verify_result(ssl);
    int e = SSL_get_error(ssl, rc);
    if (v != X509_V_OK)
        ward_errbuf_set(err, errlen, "%s: certificate verify failed: %s", who,
                        X509_verify_cert_error_string(v));
    else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_WANT_READ ||
             e == SSL_ERROR_WANT_WRITE)
        ward_errbuf_set(err, errlen, "%s: TLS handshake: the connection closed or timed out", who);
    else
        ward_errbuf_set(err, errlen, "%s: TLS handshake failed: %s", who,
                        mailtls_ssl_error(buf, sizeof(buf)));
    ERR_clear_error();
}

SSL *ward_mailtls_accept_start(struct ward_mailtls *t, int fd, const char *host, char *err,
                               size_t errlen)
{
    SSL *ssl = SSL_new(t->server);
    if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set_app_data(ssl, (void *)host)) {
        ward_errbuf_set(err, errlen, "client: out of memory");
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

SSL *ward_mailtls_connect_start(struct ward_mailtls *t, int fd, const char *host_in, char *err,
                                size_t errlen)
{
    char host[MAILTLS_HOST_MAX + 1];
    if (mailtls_host_norm(host_in, host, sizeof(host)) < 0) {
        ward_errbuf_set(err, errlen, "\"%.64s\": not a host name nor an address",
                        host_in ? host_in : "");
        return NULL;
    }
    int is_ip = mailtls_is_addr(host);
    SSL *ssl = SSL_new(t->client);
    if (!ssl || !SSL_set_fd(ssl, fd) ||
        !(is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
                : SSL_set1_host(ssl, host) && SSL_set_tlsext_host_name(ssl, host))) {
        ward_errbuf_set(err, errlen, "%s: out of memory", host);
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set_connect_state(ssl);
    return ssl;
}

int ward_mailtls_step(SSL *ssl, bool *want_write, char *err, size_t errlen)
{
    ERR_clear_error(); /* SSL_get_error reads the queue: this call's errors alone */
    int rc = SSL_do_handshake(ssl);
    int e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc);
    if (want_write && (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)) {
        *want_write = e == SSL_ERROR_WANT_WRITE;
        return 0;
    }
    /* SSL_VERIFY_PEER ends a handshake whose verification fails; checked
     * again so that no path returns an unverified server. */
    if (rc != 1 || (!SSL_is_server(ssl) &&
                    (SSL_get_verify_result(ssl) != X509_V_OK || !SSL_get0_peer_certificate(ssl)))) {
        handshake_error(ssl, rc, err, errlen);
        return -1;
    }
    if (SSL_is_server(ssl))
        SSL_set_app_data(ssl, NULL); /* the caller's string, not ours to keep */
    return 1;
}

/* A blocking handshake: one step does it all (a wait that times out fails). */
static SSL *handshake(SSL *ssl, char *err, size_t errlen)
{
    if (ssl && ward_mailtls_step(ssl, NULL, err, errlen) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

SSL *ward_mailtls_accept(struct ward_mailtls *t, int fd, const char *host, char *err, size_t errlen)
{
    return handshake(ward_mailtls_accept_start(t, fd, host, err, errlen), err, errlen);
}

SSL *ward_mailtls_connect(struct ward_mailtls *t, int fd, const char *host, char *err,
                          size_t errlen)
{
    return handshake(ward_mailtls_connect_start(t, fd, host, err, errlen), err, errlen);
}
