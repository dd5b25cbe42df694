/*
 * mailtls/starttls.h — the plain-text talk before STARTTLS, as a state
 * machine with no I/O (negotiate.c drives it on a socket; the fuzzer
 * feeds it lines): toward a client Ward is the server that offers
 * STARTTLS and refuses everything else; toward a server Ward is the
 * client that asks for it.
 */
#ifndef WARD_MAILTLS_STARTTLS_H
#define WARD_MAILTLS_STARTTLS_H

#include <stddef.h>

#include "mailtls/mailtls.h"

/* A longer line is refused (the protocols' own limits are 512 to 1000). */
#define STARTTLS_LINE_MAX 1000

enum starttls_role { STARTTLS_TO_CLIENT, STARTTLS_TO_SERVER };

/* After starttls_init and each starttls_feed: first write out[0..out_len),
 * then: read the next line and feed it; start TLS now; close (the client
 * quit); or fail (why). */
enum starttls_act { STARTTLS_READ, STARTTLS_GO, STARTTLS_QUIT, STARTTLS_FAIL };

struct starttls {
    enum ward_mail_proto proto;
    enum starttls_role role;
    int stage;
    int offered;   /* SMTP: the server's EHLO listed STARTTLS */
    int count;     /* lines fed: a peer that never gets there is cut off */
    int refused;   /* a client's commands refused */
    char name[64]; /* ours: the name we greet as, or give in EHLO */
    char out[1024];
    size_t out_len;
    char why[256];
};

/* name: the host we greet as (toward the client) or the EHLO name (toward
 * the server); NULL or not a plain host name: "localhost". */
enum starttls_act starttls_init(struct starttls *s, enum ward_mail_proto proto,
                                enum starttls_role role, const char *name);
/* One line, without its CRLF; len > STARTTLS_LINE_MAX: a line too long
 * (its text is not read). */
enum starttls_act starttls_feed(struct starttls *s, const char *line, size_t len);

#endif
