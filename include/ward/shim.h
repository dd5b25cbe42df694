/*
 * ward/shim.h — the contract between libward-shim.so (in each program that
 * preloads it) and wardd (docs/SHIM.md).
 *
 * Two channels, both under wardd's run directory:
 *   shim.sock   a SOCK_SEQPACKET socket: one question, one answer per
 *               connection. The question carries the socket it is about
 *               (SCM_RIGHTS), so wardd reads its cookie itself; the asker is
 *               the peer's credentials, never a field of the question.
 *   shim.cache  answers the kernel gives without asking anyone (the
 *               program's verdict table allows the port), mapped read-only
 *               by the shim; wardd writes it under a sequence lock.
 * Both sides run on the same host: fields are in host byte order.
 */
#ifndef WARD_SHIM_H
#define WARD_SHIM_H

#include <stddef.h>
#include <stdint.h>

#define WARD_SHIM_MAGIC    0x4d494853u /* "SHIM" */
#define WARD_SHIM_VERSION  1
#define WARD_SHIM_SOCK     "shim.sock"
#define WARD_SHIM_CACHE    "shim.cache"
#define WARD_SHIM_NAME_MAX 253 /* a DNS name, without the final dot */
#define WARD_SHIM_RUN_DIR  "/run/ward"
#define WARD_SHIM_RUN_ENV  "WARD_RUN_DIR" /* another run directory (tests) */

enum ward_shim_op {
    WARD_SHIM_CONNECT = 1, /* connect(2) of a TCP or UDP socket */
    WARD_SHIM_SEND = 2,    /* a datagram with a destination (sendto, sendmsg, sendmmsg) */
    WARD_SHIM_ACCEPT = 3,  /* a connection accept(2) returned: addr is the peer */
};

struct ward_shim_question {
    uint32_t magic;
    uint8_t version;
    uint8_t op;       /* enum ward_shim_op */
    uint8_t proto;    /* 6 tcp, 17 udp */
    uint8_t name_len; /* bytes of name used; 0: no name known */
    uint16_t port;    /* the remote port */
    uint16_t _pad;    /* zero */
    uint32_t tid;     /* the asking thread (information only) */
    uint8_t addr[16]; /* the remote address, IPv4 mapped (::ffff:a.b.c.d) */
    char name[256];   /* the name the program asked getaddrinfo for */
};

enum ward_shim_verdict {
    WARD_SHIM_PASS = 0,  /* not decided here: the kernel layer decides */
    WARD_SHIM_ALLOW = 1, /* decided; the socket is marked, the kernel honours it */
    WARD_SHIM_DENY = 2,  /* decided: fail the call with `err` */
};

struct ward_shim_answer {
    uint32_t magic;
    uint8_t verdict; /* enum ward_shim_verdict */
    uint8_t _pad[3];
    int32_t err; /* DENY: ECONNREFUSED or EACCES */
};

/* Validates a question as received (len bytes): 0, or -1 with a reason. */
int ward_shim_question_check(const void *buf, size_t len, struct ward_shim_question *out,
                             const char **why);

/* ---- The cache ------------------------------------------------------------ */

#define WARD_SHIM_CACHE_MAGIC 0x48434857u /* "WHCH" */
#define WARD_SHIM_CACHE_SLOTS 4096        /* a power of two */
#define WARD_SHIM_CACHE_PROBE 8           /* slots tried from the home slot */

struct ward_shim_slot {
    uint64_t dev, ino; /* the program (its executable) */
    uint32_t uid;
    uint8_t proto, used;
    uint16_t port;
};

struct ward_shim_cache {
    uint32_t magic;
    uint32_t seq; /* odd while wardd writes */
    uint32_t nslots;
    uint32_t _pad;
    struct ward_shim_slot slot[WARD_SHIM_CACHE_SLOTS];
};

/* The home slot of a key: FNV-1a over its fields. */
static inline uint32_t ward_shim_slot_of(uint64_t dev, uint64_t ino, uint32_t uid, uint8_t proto,
                                         uint16_t port)
{
    uint64_t v[4] = {dev, ino, ((uint64_t)uid << 32) | ((uint64_t)proto << 16) | port, 0};
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < sizeof(v); i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32)) & (WARD_SHIM_CACHE_SLOTS - 1);
}

#endif /* WARD_SHIM_H */
