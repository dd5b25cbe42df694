/*
 * mailtls/mailtls.h — TLS for the mail proxy (docs/MAILTLS.md), OpenSSL's.
 *
 * The proxy stands between a mail client and its server. Toward the
 * client it is the server: it presents a certificate for the server's
 * name, issued on demand by a local CA that Ward creates and the user
 * trusts in the mail client. Toward the server it is the client: it
 * verifies the server's certificate against the system's trust store (or
 * a given CA file) AND the host name; a failure is an error that says why,
 * never a connection that goes on unverified.
 *
 * ward_mailtls_accept and _connect take blocking sockets; the caller
 * bounds the waits (SO_RCVTIMEO, SO_SNDTIMEO). An event loop uses their
 * _start and ward_mailtls_step on non-blocking ones instead. Once TLS runs, the caller reads and
 * writes with SSL_read/SSL_write on the SSL * returned (its relay polls the descriptor and
 * SSL_pending) and ends it with ward_mailtls_close. OpenSSL writes with write(2): the caller
 * ignores SIGPIPE. A handle may serve several threads at once.
 */
#ifndef WARD_MAILTLS_H
#define WARD_MAILTLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct ward_mailtls;

/* The CA's files in ca_dir (made 0700 if missing; refused if others may
 * enter it: the CA's key is there). */
#define WARD_MAILTLS_CA_CERT "ca.pem"
#define WARD_MAILTLS_CA_KEY  "ca.key"
/* Where the proxy and `ward mail-ca` keep it unless told otherwise. */
#define WARD_MAILTLS_CA_DIR "/var/lib/ward/mail-ca"

/* A handle: the local CA in ca_dir, created on first use (an EC P-256 key
 * and a self-signed certificate valid ten years), loaded after; leaf
 * certificates cached in ca_dir/hosts/. trust_file: the CA certificates
 * that upstream servers are verified against, NULL for the system's store.
 * NULL with the reason in err. */
struct ward_mailtls *ward_mailtls_new(const char *ca_dir, const char *trust_file, char *err,
                                      size_t errlen);
void ward_mailtls_free(struct ward_mailtls *t);

/* The CA certificate's path: what the user imports into the mail client. */
const char *ward_mailtls_ca_path(const struct ward_mailtls *t);

/* The leaf certificate and key for host (a DNS name or an address), from
 * memory, from ca_dir/hosts/HOST.pem or issued now (SAN = host, valid 397
 * days, renewed a week before its end). The caller's references
 * (X509_free, EVP_PKEY_free). -1 with the reason in err (e.g. a host name
 * that is not one). */
int ward_mailtls_leaf(struct ward_mailtls *t, const char *host, X509 **cert, EVP_PKEY **key,
                      char *err, size_t errlen);

/* TLS as the server on an accepted client's fd: the certificate for the
 * name the client asks for (SNI), else for host (NULL: a client without
 * SNI is refused). The handshake is done on return; NULL with the reason. */
SSL *ward_mailtls_accept(struct ward_mailtls *t, int fd, const char *host, char *err,
                         size_t errlen);
/* The name the client asked for (SNI) on an accepted SSL, or NULL. */
const char *ward_mailtls_sni(const SSL *ssl);

/* TLS as the client to the server host on fd: SNI host; the chain verified
 * against the trust store and the certificate against host (a name or an
 * address). NULL with the reason ("certificate verify failed: hostname
 * mismatch" and the like). */
SSL *ward_mailtls_connect(struct ward_mailtls *t, int fd, const char *host, char *err,
                          size_t errlen);

/* The same handshakes for an event loop, on non-blocking sockets: _start
 * sets the SSL up (accept: host must live until the handshake is done),
 * NULL with the reason; ward_mailtls_step goes on with the handshake: 1
 * done (a server verified exactly as ward_mailtls_connect does), 0 to be
 * called again once fd is readable (*want_write false) or writable
 * (true), -1 failed with the reason (the caller frees the SSL). A NULL
 * want_write: a wait is a failure (a blocking socket's timeout). */
SSL *ward_mailtls_accept_start(struct ward_mailtls *t, int fd, const char *host, char *err,
                               size_t errlen);
SSL *ward_mailtls_connect_start(struct ward_mailtls *t, int fd, const char *host, char *err,
                                size_t errlen);
int ward_mailtls_step(SSL *ssl, bool *want_write, char *err, size_t errlen);

/* Shuts TLS down (one close_notify, no wait) and frees it; the fd stays. */
void ward_mailtls_close(SSL *ssl);

/* STARTTLS, in plain text on fd, before ward_mailtls_accept/_connect. */
enum ward_mail_proto { WARD_MAIL_SMTP, WARD_MAIL_POP3, WARD_MAIL_IMAP };

/* Toward the client (Ward is the server): greets as host, offers STARTTLS
 * (SMTP EHLO, POP3 CAPA, IMAP CAPABILITY) and refuses every other command
 * until the client asks for it. 0: the client asked, TLS starts now
 * (ward_mailtls_accept); 1: the client quit; -1: an error, in err. */
int ward_mailtls_starttls_client(int fd, enum ward_mail_proto proto, const char *host, char *err,
                                 size_t errlen);

/* Toward the server (Ward is the client): reads its greeting, asks for
 * STARTTLS (SMTP after EHLO ehlo_name, checking the server offers it; POP3
 * STLS; IMAP STARTTLS) and checks the server agrees and sent nothing more
 * in plain text. 0: TLS starts now (ward_mailtls_connect); -1 with why.
 * After TLS the session starts again as the protocol says (SMTP: the
 * client's EHLO). */
int ward_mailtls_starttls_server(int fd, enum ward_mail_proto proto, const char *ehlo_name,
                                 char *err, size_t errlen);

#endif
