/*
 * mailtls/internal.h — what the files of the module share: the handle,
 * the CA (ca.c) and the TLS contexts (tls.c).
 */
#ifndef WARD_MAILTLS_INTERNAL_H
#define WARD_MAILTLS_INTERNAL_H

#include <limits.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <time.h>

#include "mailtls/mailtls.h"

#define MAILTLS_HOST_MAX 253 /* a DNS name's longest text form */

/* One issued leaf, kept in memory. */
struct mailtls_leaf {
    char host[MAILTLS_HOST_MAX + 1];
    X509 *cert;
    EVP_PKEY *key;
};

struct ward_mailtls {
    char dir[PATH_MAX];
    char ca_path[PATH_MAX + 16];
    X509 *ca;
    EVP_PKEY *ca_key;
    SSL_CTX *server;      /* toward the clients: the leaf chosen per connection */
    SSL_CTX *client;      /* toward the servers: verifying */
    pthread_mutex_t lock; /* the leaves */
    struct mailtls_leaf *leaves;
    size_t n_leaves;
};

/* ca.c: the CA in t->dir loaded or created (t->ca, t->ca_key, t->ca_path). */
int mailtls_ca_open(struct ward_mailtls *t, char *err, size_t errlen);
void mailtls_ca_close(struct ward_mailtls *t);
/* host as a certificate names it (lowercase, an address in its canonical
 * form) into out; -1 if it is no host name nor address. */
int mailtls_host_norm(const char *host, char *out, size_t len);
/* host is an IPv4 or IPv6 address (not a name). */
int mailtls_is_addr(const char *host);
/* OpenSSL's first queued error as text ("" if none); the queue emptied. */
const char *mailtls_ssl_error(char *buf, size_t len);

#endif
