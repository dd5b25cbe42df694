/*
 * The control socket's server side: a non-blocking unix stream listener and
 * its clients behind one epoll fd, so the daemon nests it in its own loop.
 *
 * Bounds keep a misbehaving client from costing wardd more than a fixed
 * amount: an input buffer of one maximum message per client; backpressure —
 * no further request of a client is read while more than READ_PAUSE bytes
 * of replies wait for it, so it cannot pile up replies; pushes (prompts) to
 * a client that has max_out bytes waiting disconnect it (a slow client is
 * never waited for); and max_clients connections.
 */
#define _GNU_SOURCE
#include "proto/proto.h"
#include "util/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct out_chunk {
    struct out_chunk *next;
    size_t len, off;
    int fds[WARD_PROTO_MAX_FDS];
    size_t nfds; /* sent with the chunk's first byte, then closed */
    char data[];
};

struct ward_conn {
    ward_server *srv;
    struct ward_conn *prev, *next;
    int fd;
    ward_peer peer;
    uint64_t session;
    bool hello_done;
    bool discarding; /* skipping the rest of an oversized line */
    bool closing;    /* close once the output is written */
    bool dead;       /* close now */
    bool eof;        /* the peer shut down its side: answer what it sent, then close */
    bool more_lines; /* complete requests wait in `in` while the client is paused */
    uint32_t events; /* registered with epoll */
    char *in;
    size_t in_len;
    struct out_chunk *out_head, *out_tail;
    size_t out_bytes;
    void *data;
};

#define READ_PAUSE      (256u << 10)
#define MAX_REPLY_QUEUE (64u << 20) /* replies are bounded by request limits; a backstop */

struct ward_server {
    ward_server_config cfg;
    char *path;
    int listen_fd;
    int ep;
    struct ward_conn *conns;
    size_t n_conns;
    uint64_t next_session;
    gid_t admin_gid;
};

ward_server *ward_server_new(const ward_server_config *cfg, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!cfg->path || strlen(cfg->path) >= sizeof(sa.sun_path)) {
        ward_errbuf_set(err, errlen, "socket path missing or too long");
        return NULL;
    }
    ward_server *s = calloc(1, sizeof(*s));
    if (!s) {
        ward_errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (!s->cfg.mode)
        s->cfg.mode = 0666;
    if (!s->cfg.max_clients)
        s->cfg.max_clients = 64;
    if (!s->cfg.max_out)
        s->cfg.max_out = 4u << 20;
    if (!s->cfg.name)
        s->cfg.name = "wardd";
    s->admin_gid = cfg->admin_gid == (gid_t)-1 ? ward_proto_admin_gid() : cfg->admin_gid;
    s->listen_fd = s->ep = -1;
    s->path = strdup(cfg->path);
    strcpy(sa.sun_path, cfg->path);

    struct stat st;
    /* A stale socket from a previous run; never remove anything else. */
    if (lstat(cfg->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            ward_errbuf_set(err, errlen, "%s exists and is not a socket", cfg->path);
            goto fail;
        }
        unlink(cfg->path);
    }
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        chmod(cfg->path, s->cfg.mode) < 0 || listen(s->listen_fd, 64) < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", cfg->path, strerror(errno));
        goto fail;
    }
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0) {
        ward_errbuf_set(err, errlen, "epoll: %s", strerror(errno));
        goto fail;
    }
    return s;
fail:
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
        unlink(cfg->path);
    }
    if (s->ep >= 0)
        close(s->ep);
    free(s->path);
    free(s);
    return NULL;
}

static void conn_free(struct ward_conn *c)
{
    ward_server *s = c->srv;
    if (s->cfg.on_close)
        s->cfg.on_close(s, c, s->cfg.ctx);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    while (c->out_head) {
        struct out_chunk *k = c->out_head;
        c->out_head = k->next;
        for (size_t i = 0; i < k->nfds; i++)
            close(k->fds[i]);
        free(k);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    free(c->in);
    free(c);
}

void ward_server_free(ward_server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_free(s->conns);
    close(s->listen_fd);
    close(s->ep);
    unlink(s->path);
    free(s->path);
    free(s);
}

int ward_server_fd(const ward_server *s)
{
    return s->ep;
}

size_t ward_server_clients(const ward_server *s)
{
    return s->n_conns;
}

void ward_server_foreach(ward_server *s, void (*fn)(ward_conn *c, void *ctx), void *ctx)
{
    for (struct ward_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (!c->dead)
            fn(c, ctx);
    }
}

const ward_peer *ward_conn_peer(const ward_conn *c)
{
    return &c->peer;
}

uint64_t ward_conn_session(const ward_conn *c)
{
    return c->session;
}

void ward_conn_set_data(ward_conn *c, void *data)
{
    c->data = data;
}

void *ward_conn_data(const ward_conn *c)
{
    return c->data;
}

void ward_conn_close(ward_conn *c)
{
    c->closing = true;
    if (!c->out_head)
        c->dead = true;
}

static bool paused(const struct ward_conn *c)
{
    return c->out_bytes > READ_PAUSE;
}

static void update_events(struct ward_conn *c)
{
    uint32_t want = (c->eof || c->closing || paused(c) ? 0u : (uint32_t)EPOLLIN) |
                    (c->out_head ? (uint32_t)EPOLLOUT : 0u);
    if (want == c->events)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    if (epoll_ctl(c->srv->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = want;
}

/* Writes what the socket takes now. */
static void flush_out(struct ward_conn *c)
{
    while (c->out_head && !c->dead) {
        struct out_chunk *k = c->out_head;
        struct iovec iov = {.iov_base = k->data + k->off, .iov_len = k->len - k->off};
        union {
            char buf[CMSG_SPACE(sizeof(int) * WARD_PROTO_MAX_FDS)];
            struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (k->nfds && k->off == 0) {
            memset(&u, 0, sizeof(u));
            msg.msg_control = u.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * k->nfds);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int) * k->nfds);
            memcpy(CMSG_DATA(cm), k->fds, sizeof(int) * k->nfds);
        }
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            c->dead = true;
            break;
        }
        if (k->off == 0) {
            for (size_t i = 0; i < k->nfds; i++)
                close(k->fds[i]);
            k->nfds = 0;
        }
        k->off += (size_t)n;
        c->out_bytes -= (size_t)n;
        if (k->off == k->len) {
            c->out_head = k->next;
            if (!c->out_head)
                c->out_tail = NULL;
            free(k);
        }
    }
    if (c->closing && !c->out_head)
        c->dead = true;
    if (!c->dead)
        update_events(c);
}

/* reply: an answer to a request (id != 0). Replies are not refused: the
 * client asked, and backpressure keeps it from asking again until it reads.
 * Pushes are, once max_out bytes wait: that client is not reading. */
static int queue_line(ward_conn *c, const char *line, size_t len, const int *fds, size_t nfds,
                      bool reply)
{
    if (c->dead)
        return -1;
    size_t bound = reply ? MAX_REPLY_QUEUE : c->srv->cfg.max_out;
    if (nfds > WARD_PROTO_MAX_FDS || c->out_bytes + len > bound) {
        c->dead = true; /* a client that does not read loses its connection */
        return -1;
    }
    struct out_chunk *k = malloc(sizeof(*k) + len);
    if (!k) {
        c->dead = true;
        return -1;
    }
    k->next = NULL;
    k->len = len;
    k->off = 0;
    k->nfds = 0;
    for (size_t i = 0; i < nfds; i++) {
        int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        if (d < 0) {
            for (size_t j = 0; j < k->nfds; j++)
                close(k->fds[j]);
            free(k);
            return -1;
        }
        k->fds[k->nfds++] = d;
    }
    memcpy(k->data, line, len);
    if (c->out_tail)
        c->out_tail->next = k;
    else
        c->out_head = k;
    c->out_tail = k;
    c->out_bytes += len;
    flush_out(c);
    return 0;
}

int ward_conn_send(ward_conn *c, const ward_msg *m, const int *fds, size_t nfds)
{
    char *line;
    size_t len;
    enum ward_proto_err e = ward_proto_encode(m, &line, &len);
    if (e != WARD_PE_OK) {
        if (m->type != WARD_MSG_ERROR && m->id)
            ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "reply could not be encoded: %s",
                                 ward_proto_err_name(e));
        return -1;
    }
    int rc = queue_line(c, line, len, fds, nfds, m->id != 0);
    free(line);
    return rc;
}

int ward_conn_send_error(ward_conn *c, uint32_t id, enum ward_proto_err code, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    ward_msg m = {.type = WARD_MSG_ERROR, .id = id};
    m.u.error.code = code;
    m.u.error.message = text;
    return ward_conn_send(c, &m, NULL, 0);
}

int ward_conn_send_ok(ward_conn *c, uint32_t id)
{
    ward_msg m = {.type = WARD_MSG_OK, .id = id};
    return ward_conn_send(c, &m, NULL, 0);
}

/* Sends items [0, n) in as few replies as fit; halves a part that is too
 * large. build fills m for items [i, i+k) with `more`. */
typedef void (*part_fn)(ward_msg *m, const void *items, size_t i, size_t k, bool more);

static int send_parts(ward_conn *c, uint32_t id, enum ward_msg_type type, const void *items,
                      size_t n, part_fn build)
{
    size_t i = 0, k = n ? n : 1;
    do {
        if (k > n - i)
            k = n - i;
        ward_msg m = {.type = type, .id = id};
        bool more = i + k < n;
        build(&m, items, i, k, more);
        char *line;
        size_t len;
        enum ward_proto_err e = ward_proto_encode(&m, &line, &len);
        if (e == WARD_PE_TOO_LARGE && k > 1) {
            k /= 2;
            continue;
        }
        if (e != WARD_PE_OK)
            return ward_conn_send_error(c, id, WARD_PE_INTERNAL, "an item cannot be encoded"), -1;
        int rc = queue_line(c, line, len, NULL, 0, true);
        free(line);
        if (rc < 0)
            return -1;
        i += k;
    } while (i < n);
    return 0;
}

/* A reply kind sent in parts: its builder (items [i, i+k) into the
 * reply's FIELD.ARRAY) and its public sender. */
#define SEND_IN_PARTS(NAME, TYPE, FIELD, ARRAY, ITEM)                                              \
    static void build_##NAME(ward_msg *m, const void *items, size_t i, size_t k, bool more)        \
    {                                                                                              \
        m->u.FIELD.ARRAY = (ITEM *)items + i;                                                      \
        m->u.FIELD.n = k;                                                                          \
        m->u.FIELD.more = more;                                                                    \
    }                                                                                              \
    int ward_conn_send_##NAME(ward_conn *c, uint32_t id, const ITEM *v, size_t n)                  \
    {                                                                                              \
        return send_parts(c, id, TYPE, v, n, build_##NAME);                                        \
    }

SEND_IN_PARTS(log_rows, WARD_MSG_LOG_REPLY, log_reply, rows, ward_event)
SEND_IN_PARTS(rules, WARD_MSG_RULES_REPLY, rules_reply, rules, ward_proto_rule)
SEND_IN_PARTS(stats, WARD_MSG_STATS_REPLY, stats_reply, rows, ward_stats_row)
SEND_IN_PARTS(conns, WARD_MSG_CONNS_REPLY, conns_reply, conns, ward_conn_info)
SEND_IN_PARTS(objects, WARD_MSG_OBJECT_REPLY, objects, v, ward_proto_object)
SEND_IN_PARTS(callouts, WARD_MSG_CALLOUT_REPLY, callout_reply, callouts, ward_proto_callout)
SEND_IN_PARTS(limits, WARD_MSG_LIMITS_REPLY, limits_reply, rows, ward_limit_row)

static void do_hello(struct ward_conn *c, const ward_msg *m)
{
    uint32_t best = 0;
    for (size_t i = 0; i < m->u.hello.n_versions; i++)
        if (m->u.hello.versions[i] == WARD_PROTO_VERSION)
            best = WARD_PROTO_VERSION;
    if (!best) {
        ward_conn_send_error(c, m->id, WARD_PE_BAD_VERSION, "this server speaks version %u",
                             WARD_PROTO_VERSION);
        return;
    }
    c->hello_done = true;
    ward_msg r = {.type = WARD_MSG_HELLO_REPLY, .id = m->id};
    r.u.hello_reply.version = best;
    r.u.hello_reply.server = (char *)c->srv->cfg.name;
    r.u.hello_reply.admin = c->peer.auth == WARD_AUTH_ADMIN;
    ward_conn_send(c, &r, NULL, 0);
}

static void handle_line(struct ward_conn *c, const char *line, size_t len)
{
    ward_msg m;
    char err[256];
    enum ward_proto_err e = ward_proto_decode(line, len, &m, err, sizeof(err));
    if (e != WARD_PE_OK) {
        ward_conn_send_error(c, m.id, e, "%s", err);
        return;
    }
    if (!ward_msg_is_request(m.type)) {
        ward_conn_send_error(c, m.id, WARD_PE_UNKNOWN_TYPE, "\"%s\" is not a request",
                             ward_msg_type_name(m.type));
    } else if (m.type == WARD_MSG_HELLO) {
        do_hello(c, &m);
    } else if (!c->hello_done) {
        ward_conn_send_error(c, m.id, WARD_PE_HELLO_REQUIRED, "say hello first");
    } else if (!ward_proto_allowed(m.type, c->peer.auth) ||
               (m.type == WARD_MSG_EXPLAIN && m.u.explain.log_id &&
                c->peer.auth != WARD_AUTH_ADMIN)) {
        /* A log row may be another user's: others explain a row they got
         * from their own log.query by passing it as "conn". */
        ward_conn_send_error(c, m.id, WARD_PE_FORBIDDEN, "\"%s\" needs root or group ward (uid %u)",
                             ward_msg_type_name(m.type), (unsigned)c->peer.uid);
    } else {
        if (m.type == WARD_MSG_LOG_QUERY && c->peer.auth != WARD_AUTH_ADMIN) {
            m.u.log_query.has_uid = true; /* other users see their own rows only */
            m.u.log_query.uid = c->peer.uid;
        }
        if (c->srv->cfg.on_msg)
            c->srv->cfg.on_msg(c->srv, c, &m, c->srv->cfg.ctx);
        else
            ward_conn_send_error(c, m.id, WARD_PE_INTERNAL, "no handler");
    }
    ward_msg_free(&m);
}

/* Handles the complete lines in the input buffer until the client is paused. */
static void process_lines(struct ward_conn *c)
{
    size_t start = 0;
    while (!c->dead && !c->closing && !paused(c)) {
        char *nl = memchr(c->in + start, '\n', c->in_len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - c->in);
        if (c->discarding)
            c->discarding = false;
        else
            handle_line(c, c->in + start, end - start);
        start = end + 1;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    c->more_lines = memchr(c->in, '\n', c->in_len) != NULL;
    if (!c->more_lines && c->in_len == WARD_PROTO_MAX_MSG) {
        /* No newline within the maximum: refuse it, skip to the next one. */
        if (!c->discarding)
            ward_conn_send_error(c, 0, WARD_PE_TOO_LARGE, "message longer than %u bytes",
                                 WARD_PROTO_MAX_MSG);
        c->discarding = true;
        c->in_len = 0;
    }
}

static void read_in(struct ward_conn *c)
{
    if (c->in_len < WARD_PROTO_MAX_MSG && !c->eof) {
        ssize_t n = recv(c->fd, c->in + c->in_len, WARD_PROTO_MAX_MSG - c->in_len, MSG_DONTWAIT);
        if (n == 0) {
            c->eof = true; /* half-closed (`printf ... | socat`): still answer */
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            c->dead = true;
            return;
        } else if (n > 0) {
            c->in_len += (size_t)n;
        }
    }
    process_lines(c);
}

static void do_accept(ward_server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        ward_peer peer;
        if (s->n_conns >= s->cfg.max_clients || ward_proto_peer(fd, s->admin_gid, &peer) < 0) {
            static const char busy[] = "{\"type\":\"error\",\"id\":0,\"code\":\"busy\",\"message\":"
                                       "\"too many clients\"}\n";
            if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            }
            close(fd);
            continue;
        }
        struct ward_conn *c = calloc(1, sizeof(*c));
        char *in = malloc(WARD_PROTO_MAX_MSG);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (c)
            c->events = EPOLLIN;
        if (!c || !in || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            free(c);
            free(in);
            close(fd);
            continue;
        }
        c->srv = s;
        c->fd = fd;
        c->in = in;
        c->peer = peer;
        c->session = ++s->next_session;
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
    }
}

int ward_server_run(ward_server *s, int timeout_ms)
{
    struct epoll_event evs[32];
    int n = epoll_wait(s->ep, evs, 32, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        struct ward_conn *c = evs[i].data.ptr;
        if (!c) {
            do_accept(s);
            continue;
        }
        if (c->dead)
            continue;
        if (evs[i].events & EPOLLOUT)
            flush_out(c);
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            read_in(c);
    }
    for (struct ward_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        /* Requests held back while the client was paused, now it has read. */
        if (!c->dead && c->more_lines && !paused(c))
            process_lines(c);
        if (!c->dead && c->eof && !c->more_lines && !c->out_head)
            c->dead = true;
        if (!c->dead)
            update_events(c);
        /* Reap here, after the batch: evs[] may still point at a dead client. */
        if (c->dead)
            conn_free(c);
    }
    return n;
}

int ward_conn_send_failed(ward_conn *c, uint32_t id, const char *prefix, const char *text)
{
    /* As much as a client accepts in one string, cut at a line. */
    static const char cut[] = "... (more in wardd's log)\n";
    char msg[WARD_PROTO_MAX_STR];
    int n = snprintf(msg, sizeof(msg), "%s%s", prefix, text);
    if (n >= (int)sizeof(msg)) {
        char *nl = memrchr(msg, '\n', sizeof(msg) - sizeof(cut));
        size_t at = nl ? (size_t)(nl - msg) + 1 : sizeof(msg) - sizeof(cut);
        memcpy(msg + at, cut, sizeof(cut));
    }
    ward_msg m = {.type = WARD_MSG_ERROR, .id = id};
    m.u.error.code = WARD_PE_FAILED;
    m.u.error.message = msg;
    return ward_conn_send(c, &m, NULL, 0);
}
