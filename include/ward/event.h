/*
 * ward/event.h — one decision or alert, as wardd publishes it.
 *
 * The contract shared by the event ring (src/ring), the connection log
 * (src/log), the control protocol (src/proto) and every reader of them (the
 * CLI; planned: `ward top`, a GUI). The record is fixed-size and holds no pointers, so
 * it can be copied into shared memory and across processes as it is; strings
 * are NUL-terminated and truncated to fit (ward_event_set_str).
 *
 * Enumerated fields hold the engine's enums (include/ward/engine.h); they are
 * stored in fixed-width integers so the layout does not depend on the
 * compiler's choice of enum size.
 */
#ifndef WARD_EVENT_H
#define WARD_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ward/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_EVENT_EXE_MAX     256 /* bytes, including the NUL */
#define WARD_EVENT_CMDLINE_MAX 256
#define WARD_EVENT_DOMAIN_MAX  256 /* a DNS name is at most 253 characters */
#define WARD_EVENT_NAME_MAX    64  /* deciding filter's name, alert name */
#define WARD_EVENT_PARENTS_MAX 512

enum ward_event_kind {
    WARD_EVENT_DECISION = 0, /* the engine decided a connection or packet */
    WARD_EVENT_ALERT = 1,    /* a port scan or flood detector fired (src/alert) */
    WARD_EVENT_LOST = 2,     /* log marker: `count` events of `boot` before `bseq` were
                              * published but never logged (wardd stopped first) */
    WARD_EVENT_GAP = 3,      /* a log query's answer (`ward log --gaps`): `count` events of
                              * `boot` from `bseq` on are missing from the log */
};

/* Which layer a connection's one decision was asked for (docs/SHIM.md). */
enum ward_via {
    WARD_VIA_KERNEL = 0, /* the kernel hooks or its queue */
    WARD_VIA_SHIM = 1,   /* libward-shim.so, in the program's socket calls */
};

typedef struct ward_event {
    uint64_t seq;      /* set by the ring: 0, 1, 2 ... in publication order */
    int64_t time_ns;   /* CLOCK_REALTIME, nanoseconds since the epoch */
    uint32_t pid;      /* 0: unknown */
    uint32_t uid;      /* (uint32_t)-1: unknown */
    uint8_t kind;      /* enum ward_event_kind */
    uint8_t proto;     /* IP protocol number: 6 tcp, 17 udp, 1 icmp, 58 icmpv6 */
    uint8_t direction; /* enum ward_direction: OUT or IN */
    uint8_t verdict;   /* enum ward_verdict: what was done */
    uint8_t layer;     /* enum ward_layer */
    uint8_t reason;    /* enum ward_reason */
    uint16_t lport;    /* local port */
    uint16_t rport;    /* remote port; ICMP: the type */
    uint8_t via;       /* enum ward_via: the layer that asked (decisions) */
    uint8_t name_src;  /* enum ward_name_src: where domain was learnt */
    uint32_t count;    /* alerts: packets or ports counted; decisions: 1 */
    ward_ip local;
    ward_ip remote;
    uint64_t filter_id; /* deciding filter or application rule; 0: none */
    uint64_t boot;      /* which run of wardd published it (its start time in ms) */
    uint64_t bseq;      /* 0, 1, 2 ... per boot: every decision and alert, logged or not */
    uint8_t encdns;     /* enum ward_encdns: the connection is DNS over TLS or HTTPS */
    uint8_t _spare[15]; /* keeps the record a multiple of 16 bytes (the ring's slots) */
    char exe[WARD_EVENT_EXE_MAX];         /* "" when not attributed */
    char cmdline[WARD_EVENT_CMDLINE_MAX]; /* arguments joined by spaces */
    char domain[WARD_EVENT_DOMAIN_MAX];   /* remote name if known */
    char filter[WARD_EVENT_NAME_MAX];     /* deciding filter's name; alert: its name */
    /* The programs of the process's ancestors, nearest first, one a line
     * (WARD_EVENT_PARENTS_SEP); those that do not fit are left out whole. */
    char parents[WARD_EVENT_PARENTS_MAX];
} ward_event;

#define WARD_UID_UNKNOWN UINT32_MAX

/* Copies src into a fixed field, truncating, terminating and zero-filling. */
static inline void ward_event_set_str(char *dst, size_t cap, const char *src)
{
    size_t n = 0; /* strnlen is POSIX; this header is plain C17 */
    while (src && n < cap - 1 && src[n])
        n++;
    if (n)
        memcpy(dst, src, n);
    memset(dst + n, 0, cap - n); /* no stale bytes reach shared memory or the log */
}
#define WARD_EVENT_SET(ev, field, src) ward_event_set_str((ev)->field, sizeof((ev)->field), (src))

#define WARD_EVENT_PARENTS_SEP '\n'

/* Writes an ancestor chain into ev->parents, as many whole paths as fit. */
static inline void ward_event_set_parents(ward_event *ev, const char *const *v, size_t n)
{
    size_t off = 0;
    memset(ev->parents, 0, sizeof(ev->parents));
    for (size_t i = 0; i < n && v[i]; i++) {
        size_t len = strlen(v[i]);
        if (off + (off > 0) + len >= sizeof(ev->parents))
            break;
        if (off)
            ev->parents[off++] = WARD_EVENT_PARENTS_SEP;
        memcpy(ev->parents + off, v[i], len);
        off += len;
    }
}

/* Splits a copy of ev->parents (buf, WARD_EVENT_PARENTS_MAX bytes) into
 * out (at most max paths); returns how many. */
static inline size_t ward_event_parents(const ward_event *ev, char *buf, const char **out,
                                        size_t max)
{
    size_t n = 0;
    memcpy(buf, ev->parents, WARD_EVENT_PARENTS_MAX);
    buf[WARD_EVENT_PARENTS_MAX - 1] = '\0';
    for (char *s = buf; *s && n < max;) {
        out[n++] = s;
        char *sep = strchr(s, WARD_EVENT_PARENTS_SEP);
        if (!sep)
            break;
        *sep = '\0';
        s = sep + 1;
    }
    return n;
}

/* The program and its ancestors on one line, nearest first, sep between
 * ("/usr/bin/curl ← /usr/bin/bash ← /usr/sbin/sshd"): what the UIs show of
 * a connection's parent chain. Cut short (whole bytes) when len is small. */
static inline void ward_event_chain(const ward_event *ev, const char *sep, char *buf, size_t len)
{
    size_t off = 0, seplen = strlen(sep);
    const char *s = ev->exe[0] ? ev->exe : "?";
    if (!len)
        return;
    for (size_t i = 0; off + 1 < len && s[i] && i < sizeof(ev->exe); i++)
        buf[off++] = s[i];
    for (size_t i = 0; i < sizeof(ev->parents) && ev->parents[i] && off + 1 < len; i++) {
        if (i == 0 || ev->parents[i] == WARD_EVENT_PARENTS_SEP) {
            for (size_t k = 0; k < seplen && off + 1 < len; k++)
                buf[off++] = sep[k];
            if (ev->parents[i] == WARD_EVENT_PARENTS_SEP)
                continue;
        }
        buf[off++] = ev->parents[i];
    }
    buf[off] = '\0';
}

#ifdef __cplusplus
}
#endif
#endif /* WARD_EVENT_H */
