/*
 * mailtls/ca.c — the local CA (docs/MAILTLS.md): made on first use in a
 * directory only its owner may enter, and the leaf certificates it issues
 * per host, kept on disk and in memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailtls/internal.h"
#include "util/errbuf.h"

#define CA_DAYS      3650
#define LEAF_DAYS    397 /* what browsers and mail clients still accept */
#define LEAF_RENEW_S (7 * 24 * 3600)
#define LEAVES_MAX   1024 /* in memory; the oldest goes first */

const char *mailtls_ssl_error(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    buf[0] = '\0';
    if (e)
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* A random 127-bit serial: certificates of one CA must not share one. */
static int set_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    return ok;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

/* A certificate for key named cn, signed by issuer_key (issuer NULL: self-
 * signed); exts: NID/value pairs, ending with NID_undef. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long days,
                       const int *nids, const char *const *values)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x && name && X509_set_version(x, 2) && set_serial(x) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
             X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0) &&
             X509_set_subject_name(x, name) &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
             X509_set_pubkey(x, key);
    for (size_t i = 0; ok && nids[i] != NID_undef; i++)
        ok = add_ext(x, issuer ? issuer : x, nids[i], values[i]);
    ok = ok && X509_sign(x, issuer_key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* path written whole or not at all (a file aside, renamed in), mode given.
 * The file aside is this process's: two proxies may issue the same leaf. */
static int write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof(tmp), "%s.%d.new", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && (!cert || PEM_write_X509(f, cert)) &&
             (!key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, path) == 0)
        return 0;
    unlink(tmp);
    return -1;
}

/* path's certificate and key, either may be NULL (not wanted). */
static int read_pem(const char *path, X509 **cert, EVP_PKEY **key)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    if (cert)
        *cert = PEM_read_X509(f, NULL, NULL, NULL);
    if (key)
        *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return (cert && !*cert) || (key && !*key) ? -1 : 0;
}

/* dir: ours, and no one else's to enter (the CA's key is in it). */
static int dir_private(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        ward_errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        ward_errbuf_set(err, errlen, "%s: not a directory", dir);
        return -1;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077)) {
        ward_errbuf_set(err, errlen,
                        "%s: owned by uid %u with mode %04o: it holds the CA's key, it must be "
                        "ours alone (chmod 700)",
                        dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

static int ca_create(struct ward_mailtls *t, const char *key_path)
{
    static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier,
                               NID_undef};
    static const char *const values[] = {"critical,CA:TRUE,pathlen:0",
                                         "critical,keyCertSign,cRLSign", "hash"};
    char cn[128], host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(cn, sizeof(cn), "Ward local mail CA (%s)", host);
    t->ca_key = EVP_EC_gen("P-256");
    t->ca = t->ca_key ? make_cert(t->ca_key, cn, NULL, t->ca_key, CA_DAYS, nids, values) : NULL;
    /* The key first: a certificate without its key is never left, nor a
     * key without its certificate (the next start would make both anew). */
    if (!t->ca || write_pem(key_path, 0600, NULL, t->ca_key) < 0)
        return -1;
    if (write_pem(t->ca_path, 0644, t->ca, NULL) < 0) {
        unlink(key_path);
        return -1;
    }
    return 0;
}

int mailtls_ca_open(struct ward_mailtls *t, char *err, size_t errlen)
{
    char key_path[PATH_MAX + 16], lock_path[PATH_MAX + 16], hosts[PATH_MAX + 16], buf[160];
    struct stat st;
    int rc = -1;
    if (dir_private(t->dir, err, errlen) < 0)
        return -1;
    snprintf(t->ca_path, sizeof(t->ca_path), "%s/%s", t->dir, WARD_MAILTLS_CA_CERT);
    snprintf(key_path, sizeof(key_path), "%s/%s", t->dir, WARD_MAILTLS_CA_KEY);
    snprintf(lock_path, sizeof(lock_path), "%s/lock", t->dir);
    snprintf(hosts, sizeof(hosts), "%s/hosts", t->dir);
    /* Two processes starting at once make one CA, not two halves. */
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", lock_path, strerror(errno));
        goto out;
    }
    int have = stat(key_path, &st) == 0;
    if (!have && errno != ENOENT) {
        ward_errbuf_set(err, errlen, "%s: %s", key_path, strerror(errno));
        goto out;
    }
    if (!have) {
        errno = 0; /* set by a file that fails, not by OpenSSL */
        if (ca_create(t, key_path) < 0) {
            ward_errbuf_set(err, errlen, "%s: the CA could not be made: %s", t->dir,
                            errno ? strerror(errno) : mailtls_ssl_error(buf, sizeof(buf)));
            goto out;
        }
    } else if ((st.st_mode & 077) != 0) {
        ward_errbuf_set(err, errlen, "%s: mode %04o: the CA's key must be 0600", key_path,
                        (unsigned)(st.st_mode & 07777));
        goto out;
    } else if (read_pem(key_path, NULL, &t->ca_key) < 0 || read_pem(t->ca_path, &t->ca, NULL) < 0 ||
               X509_check_private_key(t->ca, t->ca_key) != 1) {
        ward_errbuf_set(err, errlen, "%s: the CA's key and certificate do not load or do not match",
                        t->dir);
        goto out;
    }
    if (mkdir(hosts, 0700) < 0 && errno != EEXIST) {
        ward_errbuf_set(err, errlen, "%s: %s", hosts, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (lock >= 0)
        close(lock);
    ERR_clear_error();
    return rc;
}

void mailtls_ca_close(struct ward_mailtls *t)
{
    for (size_t i = 0; i < t->n_leaves; i++) {
        X509_free(t->leaves[i].cert);
        EVP_PKEY_free(t->leaves[i].key);
    }
    free(t->leaves);
    X509_free(t->ca);
    EVP_PKEY_free(t->ca_key);
}

/* A leaf from disk that is still good: ours, for host, not near its end. */
static int leaf_good(struct ward_mailtls *t, const char *host, X509 *cert, EVP_PKEY *key)
{
    time_t soon = time(NULL) + LEAF_RENEW_S;
    int is_ip = mailtls_is_addr(host);
    return X509_verify(cert, t->ca_key) == 1 && X509_check_private_key(cert, key) == 1 &&
           X509_cmp_time(X509_get0_notAfter(cert), &soon) > 0 &&
           (is_ip ? X509_check_ip_asc(cert, host, 0) : X509_check_host(cert, host, 0, 0, NULL)) ==
               1;
}

static int leaf_issue(struct ward_mailtls *t, const char *host, X509 **cert, EVP_PKEY **key)
{
    static const int nids[] = {NID_basic_constraints,
                               NID_key_usage,
                               NID_ext_key_usage,
                               NID_subject_alt_name,
                               NID_subject_key_identifier,
                               NID_authority_key_identifier,
                               NID_undef};
    char san[MAILTLS_HOST_MAX + 8];
    int is_ip = mailtls_is_addr(host);
    snprintf(san, sizeof(san), "%s:%s", is_ip ? "IP" : "DNS", host);
    const char *const values[] = {
        "critical,CA:FALSE", "critical,digitalSignature", "serverAuth", san, "hash",
        "keyid:always"};
    *key = EVP_EC_gen("P-256");
    *cert = *key ? make_cert(*key, host, t->ca, t->ca_key, LEAF_DAYS, nids, values) : NULL;
    return *cert ? 0 : -1;
}

int ward_mailtls_leaf(struct ward_mailtls *t, const char *host_in, X509 **cert, EVP_PKEY **key,
                      char *err, size_t errlen)
{
    char host[MAILTLS_HOST_MAX + 1], path[PATH_MAX + MAILTLS_HOST_MAX + 16], buf[160];
    *cert = NULL;
    *key = NULL;
    if (mailtls_host_norm(host_in, host, sizeof(host)) < 0) {
        ward_errbuf_set(err, errlen, "\"%.64s\": not a host name nor an address",
                        host_in ? host_in : "");
        return -1;
    }
    pthread_mutex_lock(&t->lock);
    struct mailtls_leaf *l = NULL;
    for (size_t i = 0; i < t->n_leaves && !l; i++)
        if (!strcmp(t->leaves[i].host, host))
            l = &t->leaves[i];
    time_t soon = time(NULL) + LEAF_RENEW_S;
    if (l && X509_cmp_time(X509_get0_notAfter(l->cert), &soon) > 0)
        goto found;
    snprintf(path, sizeof(path), "%s/hosts/%s.pem", t->dir, host);
    if (read_pem(path, cert, key) < 0 || !leaf_good(t, host, *cert, *key)) {
        X509_free(*cert);
        EVP_PKEY_free(*key);
        if (leaf_issue(t, host, cert, key) < 0) {
            ward_errbuf_set(err, errlen, "%s: no certificate issued: %s", host,
                            mailtls_ssl_error(buf, sizeof(buf)));
            goto fail;
        }
        /* Not kept on disk (a read-only directory) is not fatal: memory keeps it. */
        write_pem(path, 0600, *cert, *key);
    }
    if (!l && t->n_leaves == LEAVES_MAX) {
        X509_free(t->leaves[0].cert);
        EVP_PKEY_free(t->leaves[0].key);
        memmove(t->leaves, t->leaves + 1, --t->n_leaves * sizeof(*t->leaves));
    }
    if (!l) {
        struct mailtls_leaf *v = realloc(t->leaves, (t->n_leaves + 1) * sizeof(*v));
        if (!v) {
            ward_errbuf_set(err, errlen, "out of memory");
            goto fail;
        }
        t->leaves = v;
        l = &v[t->n_leaves++];
        snprintf(l->host, sizeof(l->host), "%s", host);
    } else {
        X509_free(l->cert);
        EVP_PKEY_free(l->key);
    }
    l->cert = *cert;
    l->key = *key;
found:
    X509_up_ref(l->cert);
    EVP_PKEY_up_ref(l->key);
    *cert = l->cert;
    *key = l->key;
    pthread_mutex_unlock(&t->lock);
    ERR_clear_error();
    return 0;
fail:
    X509_free(*cert);
    EVP_PKEY_free(*key);
    *cert = NULL;
    *key = NULL;
    pthread_mutex_unlock(&t->lock);
    ERR_clear_error();
    return -1;
}
