/*
 * journal.c — decisions and alerts as structured journald entries, in
 * journald's native protocol: one datagram per entry, each field
 * "KEY=value\n", or "KEY\n" + 64-bit little-endian length + value + "\n"
 * when the value holds a newline (paths and command lines may).
 */
#define _GNU_SOURCE
#include "daemon/journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/wardd.h"

#define DEFAULT_SOCKET   "/run/systemd/journal/socket"
#define DEFAULT_BURST    200
#define DEFAULT_WINDOW_S 10
#define ENTRY_MAX        8192 /* every field of an event fits, well below a datagram's limit */

/* One budget per event type: a storm of decisions never hides an alert. */
struct budget {
    const char *kind; /* "decision", "alert" */
    int64_t start_ms; /* the window's start; 0: none open */
    uint32_t sent;
    uint64_t held;   /* over the burst: counted, not written */
    uint64_t failed; /* the socket refused them (journald busy or gone) */
};

static struct {
    int fd;
    struct sockaddr_un addr;
    socklen_t addrlen;
    uint32_t burst;
    int64_t window_ms;
    struct budget decisions, alerts;
} J = {.fd = -1, .decisions = {.kind = "decision"}, .alerts = {.kind = "alert"}};

struct entry {
    char buf[ENTRY_MAX];
    size_t len;
    bool overflow;
};

static void put(struct entry *e, const void *p, size_t n)
{
    if (e->overflow || n > sizeof(e->buf) - e->len) {
        e->overflow = true;
        return;
    }
    memcpy(e->buf + e->len, p, n);
    e->len += n;
}

static void field(struct entry *e, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    put(e, key, klen);
    if (!memchr(value, '\n', vlen)) {
        put(e, "=", 1);
        put(e, value, vlen);
    } else {
        unsigned char le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)((uint64_t)vlen >> (8 * i));
        put(e, "\n", 1);
        put(e, le, 8);
        put(e, value, vlen);
    }
    put(e, "\n", 1);
}

__attribute__((format(printf, 3, 4))) static void fieldf(struct entry *e, const char *key,
                                                         const char *fmt, ...)
{
    char v[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    field(e, key, v);
}

static bool send_entry(const struct entry *e)
{
    if (e->overflow)
        return false;
    return sendto(J.fd, e->buf, e->len, MSG_NOSIGNAL, (const struct sockaddr *)&J.addr,
                  J.addrlen) == (ssize_t)e->len;
}

/* "BURST/SECONDS", both above 0; false if it is not that. */
static bool parse_rate(const char *s, uint32_t *burst, int64_t *window_ms)
{
    char *end;
    unsigned long b = strtoul(s, &end, 10);
    if (end == s || *end != '/' || b == 0 || b > 1000000)
        return false;
    const char *w = end + 1;
    unsigned long sec = strtoul(w, &end, 10);
    if (end == w || *end || sec == 0 || sec > 86400)
        return false;
    *burst = (uint32_t)b;
    *window_ms = (int64_t)sec * 1000;
    return true;
}

void wardd_journal_open(void)
{
    const char *path = getenv("WARD_JOURNAL_SOCKET");
    if (!path || !*path) {
        if (!getenv("JOURNAL_STREAM"))
            return; /* not under systemd, and nobody asked */
        path = DEFAULT_SOCKET;
    }
    J.burst = DEFAULT_BURST;
    J.window_ms = DEFAULT_WINDOW_S * 1000;
    const char *rate = getenv("WARD_JOURNAL_RATE");
    if (rate && !parse_rate(rate, &J.burst, &J.window_ms))
        wardd_log(LOG_WARNING, "WARD_JOURNAL_RATE='%s' is not BURST/SECONDS: %u/%d used", rate,
                  DEFAULT_BURST, DEFAULT_WINDOW_S);
    if (strlen(path) >= sizeof(J.addr.sun_path)) {
        wardd_log(LOG_WARNING, "journal socket %s: path too long; no journal entries", path);
        return;
    }
    J.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (J.fd < 0) {
        wardd_log(LOG_WARNING, "journal socket: %s; no journal entries", strerror(errno));
        return;
    }
    J.addr.sun_family = AF_UNIX;
    memcpy(J.addr.sun_path, path, strlen(path) + 1);
    J.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
    wardd_log(LOG_INFO, "journal: decisions and alerts to %s (at most %u of each per %llds)", path,
              J.burst, (long long)(J.window_ms / 1000));
}

void wardd_journal_close(void)
{
    wardd_journal_tick(INT64_MAX); /* what the last windows held back is said */
    if (J.fd >= 0)
        close(J.fd);
    J.fd = -1;
}

/* The entry that says what a window held back, and a new window. */
static void window_end(struct budget *b)
{
    if (b->held || b->failed) {
        struct entry e = {.len = 0};
        fieldf(&e, "MESSAGE", "%" PRIu64 " %s entries held back (rate limit %u per %llds)%s",
               b->held + b->failed, b->kind, J.burst, (long long)(J.window_ms / 1000),
               b->failed ? ", some refused by the journal" : "");
        field(&e, "MESSAGE_ID", WARDD_JOURNAL_ID_HELD_BACK);
        fieldf(&e, "PRIORITY", "%d", LOG_WARNING);
        field(&e, "SYSLOG_IDENTIFIER", "wardd");
        field(&e, "WARD_EVENT", "held-back");
        field(&e, "WARD_HELD_KIND", b->kind);
        fieldf(&e, "WARD_HELD_BACK", "%" PRIu64, b->held);
        fieldf(&e, "WARD_NOT_WRITTEN", "%" PRIu64, b->failed);
        /* If even this one is refused, the counts stay for the next. */
        if (send_entry(&e))
            b->held = b->failed = 0;
    }
    b->sent = 0;
    b->start_ms = 0;
}

void wardd_journal_tick(int64_t now_ms)
{
    if (J.fd < 0)
        return;
    struct budget *bs[] = {&J.decisions, &J.alerts};
    for (size_t i = 0; i < 2; i++)
        if (bs[i]->start_ms && (now_ms == INT64_MAX || now_ms - bs[i]->start_ms >= J.window_ms))
            window_end(bs[i]);
}

const char *wardd_proto_name(uint8_t p, char *buf, size_t len)
{
    switch (p) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmpv6";
    default:
        snprintf(buf, len, "%u", p);
        return buf;
    }
}

void wardd_event_message(const ward_event *ev, char *buf, size_t len)
{
    const char *verdict = ward_proto_verdict_name((enum ward_verdict)ev->verdict);
    char proto[8], remote[WARD_IP_STRLEN] = "";
    static const ward_ip none;
    if (memcmp(&ev->remote, &none, sizeof(none)))
        ward_ip_format(&ev->remote, remote, sizeof(remote));
    const char *exe = ev->exe[0] ? ev->exe : "(unknown program)";
    if (ev->kind == WARD_EVENT_ALERT)
        snprintf(buf, len, "alert %s: %s%s%s (%u)", ev->filter, remote[0] ? "from " : "", remote,
                 ev->cmdline[0] ? ev->cmdline : "", ev->count);
    else
        snprintf(buf, len, "%s %s %s %s pid %u %s %s:%u%s%s by %s", verdict ? verdict : "?",
                 wardd_proto_name(ev->proto, proto, sizeof(proto)),
                 ev->direction == WARD_DIR_IN ? "in" : "out", exe, ev->pid,
                 ev->direction == WARD_DIR_IN ? "from" : "to", remote, ev->rport,
                 ev->domain[0] ? " " : "", ev->domain, ev->filter);
}

static void event_entry(struct entry *e, const ward_event *ev)
{
    bool alert = ev->kind == WARD_EVENT_ALERT;
    const char *verdict = ward_proto_verdict_name((enum ward_verdict)ev->verdict);
    char proto[8], local[WARD_IP_STRLEN] = "", remote[WARD_IP_STRLEN] = "";
    /* An all-zero address is one the record does not know (a connect
     * decided in the kernel has no local address yet): no field, not "::". */
    static const ward_ip none;
    if (memcmp(&ev->local, &none, sizeof(none)))
        ward_ip_format(&ev->local, local, sizeof(local));
    if (memcmp(&ev->remote, &none, sizeof(none)))
        ward_ip_format(&ev->remote, remote, sizeof(remote));
    char msg[1024];
    wardd_event_message(ev, msg, sizeof(msg));
    field(e, "MESSAGE", msg);
    field(e, "MESSAGE_ID", alert ? WARDD_JOURNAL_ID_ALERT : WARDD_JOURNAL_ID_DECISION);
    fieldf(e, "PRIORITY", "%d",
           alert                                   ? LOG_WARNING
           : ev->verdict == (uint8_t)WARD_V_PERMIT ? LOG_INFO
                                                   : LOG_NOTICE);
    field(e, "SYSLOG_IDENTIFIER", "wardd");
    field(e, "WARD_EVENT", alert ? "alert" : "decision");
    if (!alert) {
        field(e, "WARD_VERDICT", verdict ? verdict : "");
        const char *reason = ward_proto_reason_name((enum ward_reason)ev->reason);
        field(e, "WARD_REASON", reason ? reason : "");
        const char *layer = ward_proto_layer_name((enum ward_layer)ev->layer);
        field(e, "WARD_LAYER", layer ? layer : "");
        field(e, "WARD_DIRECTION", ev->direction == WARD_DIR_IN ? "in" : "out");
        field(e, "WARD_PROTO", wardd_proto_name(ev->proto, proto, sizeof(proto)));
    }
    if (ev->exe[0])
        field(e, "WARD_EXE", ev->exe);
    if (ev->cmdline[0])
        field(e, alert ? "WARD_DETAIL" : "WARD_CMDLINE", ev->cmdline);
    if (ev->pid)
        fieldf(e, "WARD_PID", "%u", ev->pid);
    if (ev->uid != WARD_UID_UNKNOWN)
        fieldf(e, "WARD_UID", "%u", ev->uid);
    if (local[0] && !alert)
        field(e, "WARD_LOCAL", local);
    if (!alert)
        fieldf(e, "WARD_LPORT", "%u", ev->lport);
    if (remote[0])
        field(e, "WARD_REMOTE", remote);
    if (!alert)
        fieldf(e, "WARD_RPORT", "%u", ev->rport);
    if (ev->domain[0])
        field(e, "WARD_DOMAIN", ev->domain);
    if (ev->filter[0])
        field(e, alert ? "WARD_ALERT" : "WARD_FILTER", ev->filter);
    fieldf(e, "WARD_COUNT", "%u", ev->count);
    fieldf(e, "WARD_BOOT", "%" PRIu64, ev->boot);
    fieldf(e, "WARD_SEQ", "%" PRIu64, ev->bseq);
}

void wardd_journal_event(const ward_event *ev)
{
    if (J.fd < 0 || (ev->kind != WARD_EVENT_DECISION && ev->kind != WARD_EVENT_ALERT))
        return;
    struct budget *b = ev->kind == WARD_EVENT_ALERT ? &J.alerts : &J.decisions;
    int64_t now = wardd_now_ms();
    if (b->start_ms && now - b->start_ms >= J.window_ms)
        window_end(b);
    if (!b->start_ms)
        b->start_ms = now;
    if (b->sent >= J.burst) {
        b->held++;
        return;
    }
    b->sent++;
    struct entry e = {.len = 0};
    event_entry(&e, ev);
    if (!send_entry(&e))
        b->failed++;
}
