/*
 * ui/gtk/conn.c — the control connection of ward-gtk, in GLib's main loop.
 *
 * The socket is non-blocking and watched by the main loop, so the window
 * never waits on wardd: requests are written (or queued) at once and their
 * replies come to callbacks by id. Lines are decoded by the protocol's own
 * codec; a line it does not know (a message newer than this build's codec)
 * reaches its callback raw. When wardd goes away, every waiting request is
 * told so, and the connection is tried again with a backoff from 100 ms to
 * 5 s, as `ward prompt` does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ui/gtk/wardgtk.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct waiting {
    wg_reply_fn fn;
    void *ud;
};

struct wg_conn {
    char *path;
    wg_conn_events ev;
    int fd;
    guint in_watch, out_watch, retry;
    bool hello_done, admin;
    GString *in, *out;
    int fds[WARD_PROTO_MAX_FDS]; /* received, not yet given to their reply */
    size_t nfds;
    uint32_t next_id, hello_id;
    GHashTable *waiting; /* id -> struct waiting */
    guint backoff_ms;
    char *last_error; /* said once per kind of failure, not every retry */
};

static void schedule_retry(wg_conn *c);
static gboolean on_readable(int fd, GIOCondition cond, gpointer data);

static void close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

static void set_state(wg_conn *c, enum wg_state st, const char *msg)
{
    if (c->ev.state)
        c->ev.state(st, c->admin, msg, c->ev.ud);
}

/* Drops the socket; every waiting request hears that no reply will come. */
static void drop(wg_conn *c, const char *why)
{
    bool was_up = c->hello_done;
    if (c->in_watch)
        g_source_remove(c->in_watch);
    if (c->out_watch)
        g_source_remove(c->out_watch);
    c->in_watch = c->out_watch = 0;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    close_fds(c->fds, c->nfds);
    c->nfds = 0;
    g_string_truncate(c->in, 0);
    g_string_truncate(c->out, 0);
    c->hello_done = false;
    GHashTable *w = c->waiting;
    c->waiting = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, w);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct waiting *wt = v;
        if (wt->fn)
            wt->fn(NULL, NULL, NULL, 0, wt->ud);
    }
    g_hash_table_destroy(w);
    if (was_up || g_strcmp0(c->last_error, why) != 0)
        set_state(c, WG_DISCONNECTED, why);
    g_free(c->last_error);
    c->last_error = g_strdup(why);
    schedule_retry(c);
}

static gboolean on_writable(int fd, GIOCondition cond, gpointer data)
{
    wg_conn *c = data;
    while (c->out->len) {
        ssize_t n = send(fd, c->out->str, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return G_SOURCE_CONTINUE;
        if (n <= 0) {
            c->out_watch = 0;
            drop(c, "wardd went away");
            return G_SOURCE_REMOVE;
        }
        g_string_erase(c->out, 0, n);
    }
    c->out_watch = 0;
    return G_SOURCE_REMOVE;
}

static void queue_line(wg_conn *c, const char *line, size_t len)
{
    g_string_append_len(c->out, line, (gssize)len);
    if (!c->out_watch)
        c->out_watch = g_unix_fd_add(c->fd, G_IO_OUT, on_writable, c);
}

static uint32_t next_id(wg_conn *c)
{
    if (++c->next_id == 0)
        c->next_id = 1;
    return c->next_id;
}

static int send_msg(wg_conn *c, ward_msg *m, wg_reply_fn fn, void *ud)
{
    if (c->fd < 0)
        return -1;
    m->id = next_id(c);
    char *line;
    size_t len;
    if (ward_proto_encode(m, &line, &len) != WARD_PE_OK)
        return -1;
    queue_line(c, line, len);
    free(line);
    struct waiting *w = g_new0(struct waiting, 1);
    w->fn = fn;
    w->ud = ud;
    g_hash_table_insert(c->waiting, GUINT_TO_POINTER(m->id), w);
    return 0;
}

int wg_conn_request(wg_conn *c, ward_msg *req, wg_reply_fn fn, void *ud)
{
    if (!c->hello_done)
        return -1;
    return send_msg(c, req, fn, ud);
}

int wg_conn_request_raw(wg_conn *c, const char *type, const char *members, wg_reply_fn fn, void *ud)
{
    if (!c->hello_done)
        return -1;
    uint32_t id = next_id(c);
    char *line = g_strdup_printf("{\"type\":\"%s\",\"id\":%u%s%s}\n", type, id,
                                 members && *members ? "," : "", members ? members : "");
    queue_line(c, line, strlen(line));
    g_free(line);
    struct waiting *w = g_new0(struct waiting, 1);
    w->fn = fn;
    w->ud = ud;
    g_hash_table_insert(c->waiting, GUINT_TO_POINTER(id), w);
    return 0;
}

void wg_conn_cancel(wg_conn *c, void *ud)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, c->waiting);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct waiting *w = v;
        if (w->ud == ud)
            w->fn = NULL; /* the reply still comes; nobody hears it */
    }
}

/* The id of a raw line: what the codec could not read, or -1. */
static int64_t raw_id(const char *line)
{
    const char *p = strstr(line, "\"id\":");
    return p ? g_ascii_strtoll(p + 5, NULL, 10) : -1;
}

static void handle_hello(wg_conn *c, const ward_msg *m)
{
    if (m->type != WARD_MSG_HELLO_REPLY) {
        drop(c, m->type == WARD_MSG_ERROR && m->u.error.message ? m->u.error.message
                                                                : "wardd refused hello");
        return;
    }
    c->hello_done = true;
    c->admin = m->u.hello_reply.admin;
    c->backoff_ms = BACKOFF_MIN_MS;
    g_clear_pointer(&c->last_error, g_free);
    set_state(c, WG_CONNECTED, NULL);
}

/* One line from wardd. Returns false when the connection was dropped. */
static bool handle_line(wg_conn *c, const char *line, size_t len)
{
    ward_msg m;
    char err[256];
    bool known = ward_proto_decode(line, len, &m, err, sizeof(err)) == WARD_PE_OK;
    /* Descriptors travel with subscribe.reply alone. A read that brings them
     * may also bring earlier lines (the kernel ends a read after the chunk
     * that carries descriptors, not before it), so they wait for their line. */
    int fds[WARD_PROTO_MAX_FDS];
    size_t nfds = 0;
    if (known && m.type == WARD_MSG_SUBSCRIBE_REPLY) {
        nfds = c->nfds;
        memcpy(fds, c->fds, sizeof(int) * nfds);
        c->nfds = 0;
    }
    uint32_t id = known ? m.id : (uint32_t)raw_id(line);
    if (!c->hello_done) {
        close_fds(fds, nfds);
        g_hash_table_remove(c->waiting, GUINT_TO_POINTER(id));
        if (!known) {
            drop(c, "wardd does not speak this protocol");
            return false;
        }
        handle_hello(c, &m);
        ward_msg_free(&m);
        return c->fd >= 0;
    }
    if (known && (m.type == WARD_MSG_PROMPT || m.type == WARD_MSG_PROMPT_CLOSED)) {
        if (c->ev.push)
            c->ev.push(&m, c->ev.ud);
        ward_msg_free(&m);
        close_fds(fds, nfds);
        return true;
    }
    struct waiting *w = g_hash_table_lookup(c->waiting, GUINT_TO_POINTER(id));
    bool keep = false;
    if (w && w->fn)
        keep = w->fn(known ? &m : NULL, line, fds, nfds, w->ud);
    close_fds(fds, nfds);
    if (w && !keep)
        g_hash_table_remove(c->waiting, GUINT_TO_POINTER(id));
    if (known)
        ward_msg_free(&m);
    return true;
}

static gboolean on_readable(int fd, GIOCondition cond, gpointer data)
{
    wg_conn *c = data;
    char buf[16384];
    union {
        char b[CMSG_SPACE(sizeof(int) * WARD_PROTO_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        c->in_watch = 0;
        drop(c, "wardd went away");
        return G_SOURCE_REMOVE;
    }
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int got[WARD_PROTO_MAX_FDS * 2];
        k = MIN(k, G_N_ELEMENTS(got));
        memcpy(got, CMSG_DATA(cm), k * sizeof(int));
        for (size_t i = 0; i < k; i++) {
            if (c->nfds < WARD_PROTO_MAX_FDS)
                c->fds[c->nfds++] = got[i];
            else
                close(got[i]);
        }
    }
    g_string_append_len(c->in, buf, n);
    char *nl;
    while (c->fd >= 0 && (nl = memchr(c->in->str, '\n', c->in->len))) {
        size_t len = (size_t)(nl - c->in->str);
        char *line = g_strndup(c->in->str, len);
        g_string_erase(c->in, 0, (gssize)len + 1);
        bool up = handle_line(c, line, len);
        g_free(line);
        if (!up)
            return G_SOURCE_REMOVE; /* drop() removed this watch */
    }
    if (c->in->len > WARD_PROTO_MAX_MSG) {
        c->in_watch = 0;
        drop(c, "wardd sent a line longer than the protocol allows");
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void try_connect(wg_conn *c)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_strlcpy(sa.sun_path, c->path, sizeof(sa.sun_path));
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        char *why = g_strdup_printf("cannot connect to %s: %s", c->path, g_strerror(errno));
        drop(c, why);
        g_free(why);
        return;
    }
    c->in_watch = g_unix_fd_add(c->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, c);
    ward_msg hello = {.type = WARD_MSG_HELLO};
    hello.u.hello.versions[0] = WARD_PROTO_VERSION;
    hello.u.hello.n_versions = 1;
    hello.u.hello.client = (char *)"ward-gtk";
    if (send_msg(c, &hello, NULL, NULL) < 0)
        drop(c, "cannot say hello to wardd");
}

static gboolean on_retry(gpointer data)
{
    wg_conn *c = data;
    c->retry = 0;
    try_connect(c);
    return G_SOURCE_REMOVE;
}

static void schedule_retry(wg_conn *c)
{
    if (c->retry)
        return;
    c->retry = g_timeout_add(c->backoff_ms, on_retry, c);
    c->backoff_ms = MIN(c->backoff_ms * 2, BACKOFF_MAX_MS);
}

wg_conn *wg_conn_new(const char *path, const wg_conn_events *ev)
{
    wg_conn *c = g_new0(wg_conn, 1);
    c->path = g_strdup(path ? path : WARD_CONTROL_SOCKET);
    c->ev = *ev;
    c->fd = -1;
    c->in = g_string_new(NULL);
    c->out = g_string_new(NULL);
    c->waiting = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    c->backoff_ms = BACKOFF_MIN_MS;
    try_connect(c);
    return c;
}

void wg_conn_free(wg_conn *c)
{
    if (!c)
        return;
    c->ev.state = NULL;
    if (c->retry)
        g_source_remove(c->retry);
    if (c->in_watch)
        g_source_remove(c->in_watch);
    if (c->out_watch)
        g_source_remove(c->out_watch);
    if (c->fd >= 0)
        close(c->fd);
    c->in_watch = c->out_watch = c->retry = 0;
    c->fd = -1;
    c->hello_done = false; /* a request made from a callback below fails at once */
    close_fds(c->fds, c->nfds);
    c->nfds = 0;
    /* Whoever waits frees what it waits with when told nothing will come. */
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, c->waiting);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct waiting *w = v;
        if (w->fn)
            w->fn(NULL, NULL, NULL, 0, w->ud);
    }
    g_hash_table_destroy(c->waiting);
    g_string_free(c->in, TRUE);
    g_string_free(c->out, TRUE);
    g_free(c->last_error);
    g_free(c->path);
    g_free(c);
}

bool wg_conn_connected(const wg_conn *c)
{
    return c->hello_done;
}

const char *wg_conn_path(const wg_conn *c)
{
    return c->path;
}
