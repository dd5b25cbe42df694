/*
 * openssl.h — OpenSSL for the two things wardd uses it for, TLS to a
 * syslog server and the MD5 of a program dpkg lists, loaded (dlopen) when
 * one of them is first needed rather than linked: linked, libssl and
 * libcrypto were ~1.7 MB of wardd's resident memory on every host.
 *
 * Each call is a member named as OpenSSL's function: S->SSL_new(ctx). The
 * macros over SSL_ctrl/SSL_CTX_ctrl are spelled out at their use.
 */
#ifndef WARDD_OPENSSL_H
#define WARDD_OPENSSL_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stddef.h>

#define WARDD_OPENSSL_CALLS(X)                                                                     \
    X(ERR_clear_error)                                                                             \
    X(ERR_get_error)                                                                               \
    X(ERR_error_string_n)                                                                          \
    X(TLS_client_method)                                                                           \
    X(SSL_CTX_new)                                                                                 \
    X(SSL_CTX_free)                                                                                \
    X(SSL_CTX_ctrl)                                                                                \
    X(SSL_CTX_load_verify_locations)                                                               \
    X(SSL_CTX_set_default_verify_paths)                                                            \
    X(SSL_CTX_set_verify)                                                                          \
    X(SSL_new)                                                                                     \
    X(SSL_free)                                                                                    \
    X(SSL_ctrl)                                                                                    \
    X(SSL_set_fd)                                                                                  \
    X(SSL_set1_host)                                                                               \
    X(SSL_get0_param)                                                                              \
    X(SSL_connect)                                                                                 \
    X(SSL_write)                                                                                   \
    X(SSL_shutdown)                                                                                \
    X(SSL_get_error)                                                                               \
    X(SSL_get_verify_result)                                                                       \
    X(X509_VERIFY_PARAM_set1_ip_asc)                                                               \
    X(X509_verify_cert_error_string)                                                               \
    X(EVP_md5)                                                                                     \
    X(EVP_MD_CTX_new)                                                                              \
    X(EVP_MD_CTX_free)                                                                             \
    X(EVP_DigestInit_ex)                                                                           \
    X(EVP_DigestUpdate)                                                                            \
    X(EVP_DigestFinal_ex)

struct wardd_openssl {
#define WARDD_OPENSSL_MEMBER(f) __typeof__(f) *f;
    WARDD_OPENSSL_CALLS(WARDD_OPENSSL_MEMBER)
#undef WARDD_OPENSSL_MEMBER
};

/* OpenSSL's calls, loaded at the first use (thread-safe); NULL with the
 * reason in err if the library cannot be loaded, and tried again at the
 * next call (util/lazylib.h). Once loaded it stays. */
const struct wardd_openssl *wardd_openssl(char *err, size_t errlen);

#endif
