/*
 * rsyslog.c — `set syslog tcp://HOST:PORT` or `tls://HOST:PORT [ca FILE]`:
 * every decision and alert as an RFC 5424 message, framed by octet
 * counting (RFC 6587: "LEN SP MSG"), the way rsyslog (imtcp, imptcp) and
 * syslog-ng (syslog() source) receive it. TLS is OpenSSL's, the server's
 * certificate verified against the CA file (or the system's) and its name
 * or address checked.
 *
 * The loop only formats and queues; a thread of its own connects, sends
 * and reconnects (1 s, doubling to 30 s). A reload that changes the server
 * does not wait for the old thread (it may be in a connect): that one ends
 * on its own. A full queue drops the oldest
 * message and counts it; the count is said in one message once the
 * connection is back.
 */
#define _GNU_SOURCE
#include "daemon/journal.h"
#include "daemon/openssl.h"
#include "daemon/wardd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX  4096
#define MSG_MAX    4096
#define IO_TIMEOUT 5000         /* ms: connect, handshake, one send */
#define SD_ID      "ward@32473" /* 32473: the enterprise number for examples (RFC 5612) */

struct rsys {
    char url[300], ca[256], host[256], port[8];
    bool tls;
    const struct wardd_openssl *S; /* tls: OpenSSL's calls */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *q[QUEUE_MAX]; /* a ring of framed messages */
    size_t head, n;
    uint64_t dropped;
    bool stop;
    bool detached; /* stopped by a reload: the thread frees it when it ends */
    /* The thread's. */
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
};

static struct rsys *R;
static char hostname[256] = "-";

/* ---- formatting ------------------------------------------------------------------ */

/* An SD-PARAM value: '"', '\' and ']' escaped. */
static void sd_param(char *buf, size_t len, size_t *at, const char *name, const char *value)
{
    if (*at >= len)
        return;
    int n = snprintf(buf + *at, len - *at, " %s=\"", name);
    *at += n > 0 ? (size_t)n : 0;
    for (const char *v = value; *v && *at + 3 < len; v++) {
        if (*v == '"' || *v == '\\' || *v == ']')
            buf[(*at)++] = '\\';
        buf[(*at)++] = *v;
    }
    if (*at + 1 < len)
        buf[(*at)++] = '"';
    buf[*at < len ? *at : len - 1] = '\0';
}

/* The framed message ("LEN SP <PRI>1 ..."), malloc'd. */
static char *format(const ward_event *ev)
{
    bool alert = ev->kind == WARD_EVENT_ALERT;
    int sev = alert ? LOG_WARNING : ev->verdict == (uint8_t)WARD_V_PERMIT ? LOG_INFO : LOG_NOTICE;
    char ts[40], frac[16], sd[2048], msg[1024], num[24], proto[8];
    char local[WARD_IP_STRLEN] = "", remote[WARD_IP_STRLEN] = "";
    time_t secs = (time_t)(ev->time_ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(frac, sizeof(frac), ".%06dZ", (int)(ev->time_ns % 1000000000 / 1000));
    static const ward_ip none;
    if (memcmp(&ev->local, &none, sizeof(none)))
        ward_ip_format(&ev->local, local, sizeof(local));
    if (memcmp(&ev->remote, &none, sizeof(none)))
        ward_ip_format(&ev->remote, remote, sizeof(remote));

    size_t at = (size_t)snprintf(sd, sizeof(sd), "[" SD_ID);
    sd_param(sd, sizeof(sd), &at, "event", alert ? "alert" : "decision");
    if (!alert) {
        const char *v = ward_proto_verdict_name((enum ward_verdict)ev->verdict);
        const char *r = ward_proto_reason_name((enum ward_reason)ev->reason);
        const char *l = ward_proto_layer_name((enum ward_layer)ev->layer);
        sd_param(sd, sizeof(sd), &at, "verdict", v ? v : "");
        sd_param(sd, sizeof(sd), &at, "reason", r ? r : "");
        sd_param(sd, sizeof(sd), &at, "layer", l ? l : "");
        sd_param(sd, sizeof(sd), &at, "direction", ev->direction == WARD_DIR_IN ? "in" : "out");
        sd_param(sd, sizeof(sd), &at, "proto", wardd_proto_name(ev->proto, proto, sizeof(proto)));
    }
    struct {
        const char *name, *value;
    } text[] = {{"exe", ev->exe},       {alert ? "detail" : "cmdline", ev->cmdline},
                {"local", local},       {"remote", remote},
                {"domain", ev->domain}, {alert ? "alert" : "filter", ev->filter}};
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        if (text[i].value[0] && !(alert && !strcmp(text[i].name, "local")))
            sd_param(sd, sizeof(sd), &at, text[i].name, text[i].value);
    struct {
        const char *name;
        uint64_t value;
        bool shown;
    } nums[] = {{"pid", ev->pid, ev->pid != 0}, {"uid", ev->uid, ev->uid != WARD_UID_UNKNOWN},
                {"lport", ev->lport, !alert},   {"rport", ev->rport, !alert},
                {"count", ev->count, true},     {"boot", ev->boot, true},
                {"seq", ev->bseq, true}};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)nums[i].value);
        if (nums[i].shown)
            sd_param(sd, sizeof(sd), &at, nums[i].name, num);
    }
    if (at + 2 < sizeof(sd))
        sd[at++] = ']', sd[at] = '\0';
    wardd_event_message(ev, msg, sizeof(msg));

    char body[MSG_MAX];
    int blen = snprintf(body, sizeof(body), "<%d>1 %s%s %s wardd %d %s %s %s", LOG_DAEMON | sev, ts,
                        frac, hostname, (int)getpid(), alert ? "alert" : "decision", sd, msg);
    if (blen < 0)
        return NULL;
    if ((size_t)blen >= sizeof(body))
        blen = sizeof(body) - 1;
    char *framed = malloc((size_t)blen + 16);
    if (framed)
        snprintf(framed, (size_t)blen + 16, "%d %.*s", blen, blen, body);
    return framed;
}

/* ---- the sender ------------------------------------------------------------------ */

static void rsys_destroy(struct rsys *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->q[(r->head + i) % QUEUE_MAX]);
    if (r->ctx)
        r->S->SSL_CTX_free(r->ctx);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

static void disconnect(struct rsys *r)
{
    if (r->ssl) {
        r->S->SSL_shutdown(r->ssl);
        r->S->SSL_free(r->ssl);
        r->ssl = NULL;
    }
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

static bool wait_fd(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, IO_TIMEOUT) == 1 && !(p.revents & (POLLERR | POLLNVAL));
}

static int tcp_connect(struct rsys *r)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    int e = getaddrinfo(r->host, r->port, &hints, &res);
    if (e) {
        wardd_log(LOG_WARNING, "syslog %s: %s", r->url, gai_strerror(e));
        return -1;
    }
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        int err = 0;
        socklen_t el = sizeof(err);
        if ((connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) ||
            !wait_fd(fd, POLLOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        wardd_log(LOG_WARNING, "syslog %s: cannot connect", r->url);
    return fd;
}

static void tls_error(struct rsys *r, const char *what)
{
    char buf[256] = "";
    unsigned long e = r->S->ERR_get_error();
    if (e)
        r->S->ERR_error_string_n(e, buf, sizeof(buf));
    long v = r->ssl ? r->S->SSL_get_verify_result(r->ssl) : X509_V_OK;
    wardd_log(LOG_WARNING, "syslog %s: %s: %s%s%s", r->url, what, buf, v != X509_V_OK ? " " : "",
              v != X509_V_OK ? r->S->X509_verify_cert_error_string(v) : "");
    r->S->ERR_clear_error();
}

/* Drives an SSL call on the non-blocking socket: 1 done, 0 failed. */
static int tls_io(struct rsys *r, int rc)
{
    int e = r->S->SSL_get_error(r->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        return wait_fd(r->fd, POLLIN) ? -1 : 0;
    if (e == SSL_ERROR_WANT_WRITE)
        return wait_fd(r->fd, POLLOUT) ? -1 : 0;
    return 0;
}

static bool connect_server(struct rsys *r)
{
    if ((r->fd = tcp_connect(r)) < 0)
        return false;
    if (!r->tls)
        return true;
    struct in6_addr a6;
    struct in_addr a4;
    bool ip = inet_pton(AF_INET, r->host, &a4) == 1 || inet_pton(AF_INET6, r->host, &a6) == 1;
    r->ssl = r->S->SSL_new(r->ctx);
    if (!r->ssl || !r->S->SSL_set_fd(r->ssl, r->fd) ||
        !(ip ? r->S->X509_VERIFY_PARAM_set1_ip_asc(r->S->SSL_get0_param(r->ssl), r->host)
             : r->S->SSL_set1_host(r->ssl, r->host) &&
                   r->S->SSL_ctrl(r->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                  r->host))) {
        tls_error(r, "TLS setup");
        disconnect(r);
        return false;
    }
    int rc, step;
    while ((rc = r->S->SSL_connect(r->ssl)) != 1)
        if ((step = tls_io(r, rc)) == 0) {
            tls_error(r, "TLS handshake (certificate verified against the CA)");
            disconnect(r);
            return false;
        }
    return true;
}

static bool send_all(struct rsys *r, const char *p, size_t len)
{
    while (len) {
        ssize_t w;
        if (r->ssl) {
            int rc = r->S->SSL_write(r->ssl, p, (int)len);
            if (rc <= 0) {
                if (tls_io(r, rc) == 0)
                    return false;
                continue;
            }
            w = rc;
        } else {
            w = send(r->fd, p, len, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                if (!wait_fd(r->fd, POLLOUT))
                    return false;
                continue;
            }
            if (w <= 0)
                return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

static void *sender(void *arg)
{
    struct rsys *r = arg;
    int backoff = 1000;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        if (!r->n) {
            pthread_cond_wait(&r->cv, &r->mu);
            continue;
        }
        char *m = r->q[r->head];
        uint64_t dropped = r->dropped;
        pthread_mutex_unlock(&r->mu);
        bool ok = r->fd >= 0 || connect_server(r);
        if (ok && dropped) {
            char note[200], framed[240];
            int n = snprintf(note, sizeof(note),
                             "<%d>1 - %s wardd %d dropped - %llu messages dropped (queue full)",
                             LOG_DAEMON | LOG_WARNING, hostname, (int)getpid(),
                             (unsigned long long)dropped);
            snprintf(framed, sizeof(framed), "%d %s", n, note);
            ok = send_all(r, framed, strlen(framed));
        }
        ok = ok && send_all(r, m, strlen(m));
        pthread_mutex_lock(&r->mu);
        if (ok) {
            r->dropped -= dropped <= r->dropped ? dropped : r->dropped;
            /* Unless the loop dropped it meanwhile (the queue was full). */
            if (r->n && r->q[r->head] == m) {
                free(m);
                r->head = (r->head + 1) % QUEUE_MAX;
                r->n--;
            }
            backoff = 1000;
            continue;
        }
        disconnect(r);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += backoff / 1000;
        backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
        while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
            ;
    }
    bool detached = r->detached;
    pthread_mutex_unlock(&r->mu);
    disconnect(r);
    if (detached)
        rsys_destroy(r);
    return NULL;
}

/* ---- the loop's side ------------------------------------------------------------- */

/* Stops the sender: waits for it (wardd stops), or leaves it to end and
 * free itself (a reload). */
static void rsys_stop(struct rsys *r, bool wait)
{
    if (!r)
        return;
    pthread_t t = r->thread;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    r->detached = !wait;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (!wait) {
        pthread_detach(t);
        return;
    }
    pthread_join(t, NULL);
    rsys_destroy(r);
}
static struct rsys *rsys_new(const char *url, const char *ca)
{
    struct rsys *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->fd = -1;
    snprintf(r->url, sizeof(r->url), "%s", url);
    snprintf(r->ca, sizeof(r->ca), "%s", ca);
    r->tls = !strncmp(url, "tls://", 6);
    /* The parser checked the shape: SCHEME://HOST:PORT. */
    if (sscanf(url + 6, "%255[^:/]:%7s", r->host, r->port) != 2) {
        free(r);
        return NULL;
    }
    char why[256];
    if (r->tls && !(r->S = wardd_openssl(why, sizeof(why)))) {
        wardd_log(LOG_WARNING, "syslog %s: %s", url, why);
        free(r);
        return NULL;
    }
    if (r->tls) {
        r->ctx = r->S->SSL_CTX_new(r->S->TLS_client_method());
        if (!r->ctx ||
            !r->S->SSL_CTX_ctrl(r->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL) ||
            !(ca[0] ? r->S->SSL_CTX_load_verify_locations(r->ctx, ca, NULL)
                    : r->S->SSL_CTX_set_default_verify_paths(r->ctx))) {
            tls_error(r, ca[0] ? ca : "the system's CA certificates");
            if (r->ctx)
                r->S->SSL_CTX_free(r->ctx);
            free(r);
            return NULL;
        }
        r->S->SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, sender, r)) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        if (r->ctx)
            r->S->SSL_CTX_free(r->ctx);
        free(r);
        return NULL;
    }
    return r;
}

void wardd_syslog_configure(const char *url, const char *ca)
{
    if (R && !strcmp(R->url, url) && !strcmp(R->ca, ca))
        return;
    rsys_stop(R, false);
    R = NULL;
    if (!url[0])
        return;
    if (hostname[0] == '-' && gethostname(hostname, sizeof(hostname)) < 0)
        snprintf(hostname, sizeof(hostname), "-");
    hostname[sizeof(hostname) - 1] = '\0';
    R = rsys_new(url, ca);
    if (R)
        wardd_log(LOG_INFO, "syslog: decisions and alerts to %s (RFC 5424, octet counting%s)", url,
                  R->tls ? ", TLS" : "");
    else
        wardd_log(LOG_WARNING, "syslog %s: not started", url);
}

void wardd_syslog_event(const ward_event *ev)
{
    if (!R || (ev->kind != WARD_EVENT_DECISION && ev->kind != WARD_EVENT_ALERT))
        return;
    char *m = format(ev);
    if (!m)
        return;
    pthread_mutex_lock(&R->mu);
    if (R->n == QUEUE_MAX) {
        /* The oldest goes, unless the sender holds it right now. */
        size_t victim = (R->head + 1) % QUEUE_MAX;
        free(R->q[victim]);
        for (size_t i = 1; i + 1 < R->n; i++)
            R->q[(R->head + i) % QUEUE_MAX] = R->q[(R->head + i + 1) % QUEUE_MAX];
        R->n--;
        R->dropped++;
    }
    R->q[(R->head + R->n) % QUEUE_MAX] = m;
    R->n++;
    pthread_cond_signal(&R->cv);
    pthread_mutex_unlock(&R->mu);
}

void wardd_syslog_close(void)
{
    rsys_stop(R, true);
    R = NULL;
}
