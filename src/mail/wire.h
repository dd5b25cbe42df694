/*
 * mail/wire.h — ward-maild <-> wardd (docs/MAIL.md).
 *
 * One SOCK_SEQPACKET socketpair, ward-maild's end as its fd 3. The proxy
 * runs unprivileged and asks wardd for what needs root or the policy:
 *
 *   CONNECT  a client's connection was redirected to the proxy: its
 *            addresses, and the socket the proxy will connect upstream
 *            with (passed). wardd finds the client's program, marks the
 *            socket so the redirect and the hooks let it pass, and answers
 *            CONNECTED (verdict 0, program; or -errno).
 *   SCAN     an attachment's content (a memfd, passed): wardd has
 *            ward-scand scan it and answers SCANNED (enum mail_av, name).
 *            A local TLS listener's connection (listener > 0) names the
 *            listener as its destination and the upstream apart.
 *   TLS_FAILED  an upstream's TLS failed (text: why): wardd raises an alert.
 *   DECIDE   a message's facts, its scan results filled in, and the
 *            message (a memfd, passed): wardd decides by the policy's mail
 *            rules, logs, quarantines, and answers DECIDED (enum
 *            mail_outcome, the reason, the attachments to replace).
 */
#ifndef WARD_MAIL_WIRE_H
#define WARD_MAIL_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "mime/mime.h"
#include "mail/session.h"

#define MAILD_MAGIC 0x574d4c31u /* "WML1" */

enum maild_op {
    MAILD_CONNECT = 1,
    MAILD_CONNECTED,
    MAILD_SCAN,
    MAILD_SCANNED,
    MAILD_DECIDE,
    MAILD_DECIDED,
    MAILD_TLS_FAILED /* a server's TLS failed (text: why): an alert */
};
enum mail_outcome { MAIL_ALLOW, MAIL_REJECT, MAIL_QUARANTINE, MAIL_ALERT };

struct maild_msg {
    uint32_t magic, op;
    uint64_t id; /* the proxy's connection, in every message */
    /* The connection's addresses: sent with CONNECT and again with DECIDE
     * (for the log); first, so the proxy keeps them as it fills the rest. */
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* enum mail_proto */
    uint16_t cport; /* the client's port, and the original destination's */
    uint16_t dport;
    uint8_t listener; /* a local TLS listener's connection: its index + 1 (0: redirected) */
    uint8_t _pad;
    uint8_t caddr[16], daddr[16]; /* the same addresses (IPv4: the first 4 bytes) */
    /* A listener's: the upstream the proxy connects to (daddr, dport: the
     * listener, which the client's socket names). */
    uint8_t ufamily;
    uint8_t _pad2;
    uint16_t uport;
    uint8_t uaddr[16];
    int32_t verdict; /* CONNECTED: 0 or -errno; SCANNED: enum mail_av; DECIDED: enum mail_outcome */
    uint32_t index;  /* SCAN, SCANNED: the attachment */
    uint32_t replace;  /* DECIDED: the attachments to replace with a notice (bits) */
    uint32_t pid;      /* CONNECTED, DECIDE: the client's process (0: unknown) */
    char program[256]; /* CONNECTED, DECIDE: its program ("" unknown) */
    /* SCANNED: the signature or the error; DECIDED: the reason; DECIDE:
     * why the message could not be read ("": it was). */
    char text[256];
    struct mail_facts facts; /* DECIDE */
};

/* Sends m (with fd when >= 0) / receives one; as util/fdpass.h. */
int maild_send(int sock, const struct maild_msg *m, int fd);
int maild_recv(int sock, struct maild_msg *m, int *fd);

/* Whether port is a mail port the proxy takes (25, 587, 110, 143), and its protocol. */
bool mail_port_proto(uint16_t port, enum mail_proto *proto);
const char *mail_outcome_name(enum mail_outcome o);
const char *mail_proto_name(enum mail_proto p);

#endif
