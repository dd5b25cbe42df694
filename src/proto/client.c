/*
 * The control socket's client side, for the CLI and other front ends:
 * blocking calls with timeouts. Pushes (prompts) that arrive while a call
 * waits for its reply are kept, in order, for ward_client_recv.
 */
#define _GNU_SOURCE
#include "proto/proto.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEPT 256

struct kept {
    ward_msg m;
    int fds[WARD_PROTO_MAX_FDS];
    size_t nfds;
};

struct ward_client {
    int fd;
    uint32_t next_id;
    uint32_t version;
    bool admin;
    char *in;
    size_t in_len;
    bool discarding;
    int pend_fds[WARD_PROTO_MAX_FDS]; /* arrived with the next message's first byte */
    size_t n_pend;
    struct kept kept[MAX_KEPT];
    size_t kept_head, kept_n;
};

static void close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ward_client *ward_client_connect(const char *path, const char *name, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path)
        path = WARD_CONTROL_SOCKET;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path too long");
        return NULL;
    }
    strcpy(sa.sun_path, path);
    ward_client *c = calloc(1, sizeof(*c));
    if (!c || !(c->in = malloc(WARD_PROTO_MAX_MSG))) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
        ward_client_close(c);
        return NULL;
    }
    ward_msg req = {.type = WARD_MSG_HELLO}, rep;
    req.u.hello.versions[0] = WARD_PROTO_VERSION;
    req.u.hello.n_versions = 1;
    req.u.hello.client = (char *)(name ? name : "ward");
    if (ward_client_call(c, &req, &rep, NULL, NULL, 5000) != 1) {
        snprintf(err, errlen, "%s: no answer to hello", path);
        ward_client_close(c);
        return NULL;
    }
    if (rep.type != WARD_MSG_HELLO_REPLY) {
        snprintf(err, errlen, "%s: %s", path,
                 rep.type == WARD_MSG_ERROR && rep.u.error.message ? rep.u.error.message
                                                                   : "unexpected reply");
        ward_msg_free(&rep);
        ward_client_close(c);
        return NULL;
    }
    c->version = rep.u.hello_reply.version;
    c->admin = rep.u.hello_reply.admin;
    ward_msg_free(&rep);
    return c;
}

void ward_client_close(ward_client *c)
{
    if (!c)
        return;
    while (c->kept_n) {
        struct kept *k = &c->kept[c->kept_head];
        ward_msg_free(&k->m);
        close_fds(k->fds, k->nfds);
        c->kept_head = (c->kept_head + 1) % MAX_KEPT;
        c->kept_n--;
    }
    close_fds(c->pend_fds, c->n_pend);
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c);
}

int ward_client_fd(const ward_client *c)
{
    return c->fd;
}

bool ward_client_admin(const ward_client *c)
{
    return c->admin;
}

uint32_t ward_client_version(const ward_client *c)
{
    return c->version;
}

int ward_client_send(ward_client *c, ward_msg *req)
{
    if (!req->id) {
        if (++c->next_id == 0)
            c->next_id = 1;
        req->id = c->next_id;
    }
    char *line;
    size_t len;
    if (ward_proto_encode(req, &line, &len) != WARD_PE_OK)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(line);
            return -1;
        }
        off += (size_t)n;
    }
    free(line);
    return 0;
}

/* One complete line from the buffer, if there is one: 1 and *out decoded
 * (a line that does not decode becomes an error message), 0 if none yet. */
static int take_line(ward_client *c, ward_msg *out, int *fds, size_t *nfds)
{
    char *nl = memchr(c->in, '\n', c->in_len);
    if (!nl)
        return 0;
    size_t len = (size_t)(nl - c->in);
    char err[256];
    bool skip = c->discarding;
    c->discarding = false;
    if (!skip && ward_proto_decode(c->in, len, out, err, sizeof(err)) != WARD_PE_OK) {
        /* wardd sent something this client does not understand */
        uint32_t id = out->id;
        memset(out, 0, sizeof(*out));
        out->type = WARD_MSG_ERROR;
        out->id = id;
        out->u.error.code = WARD_PE_BAD_JSON;
        out->u.error.message = strdup(err);
    }
    memmove(c->in, nl + 1, c->in_len - len - 1);
    c->in_len -= len + 1;
    if (skip)
        return take_line(c, out, fds, nfds);
    if (fds && nfds) {
        memcpy(fds, c->pend_fds, sizeof(int) * c->n_pend);
        *nfds = c->n_pend;
    } else {
        close_fds(c->pend_fds, c->n_pend);
    }
    c->n_pend = 0;
    return 1;
}

/* Reads from the socket once, waiting up to timeout_ms. 1: got bytes, 0:
 * timeout, -1: closed or error. */
static int fill(ward_client *c, int timeout_ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -1;
    if (r == 0)
        return 0;
    if (c->in_len == WARD_PROTO_MAX_MSG) {
        c->discarding = true; /* an oversized line: drop it */
        c->in_len = 0;
    }
    struct iovec iov = {.iov_base = c->in + c->in_len, .iov_len = WARD_PROTO_MAX_MSG - c->in_len};
    union {
        char buf[CMSG_SPACE(sizeof(int) * WARD_PROTO_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int got[WARD_PROTO_MAX_FDS * 2];
        if (k > sizeof(got) / sizeof(*got))
            k = sizeof(got) / sizeof(*got);
        memcpy(got, CMSG_DATA(cm), k * sizeof(int));
        for (size_t i = 0; i < k; i++) {
            if (c->n_pend < WARD_PROTO_MAX_FDS)
                c->pend_fds[c->n_pend++] = got[i];
            else
                close(got[i]);
        }
    }
    c->in_len += (size_t)n;
    return 1;
}

static int next_message(ward_client *c, ward_msg *out, int *fds, size_t *nfds, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    for (;;) {
        int r = take_line(c, out, fds, nfds);
        if (r)
            return r;
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            wait = left > 0 ? (int)left : 0;
        }
        r = fill(c, wait);
        if (r < 0)
            return -1;
        if (r == 0 && deadline >= 0 && now_ms() >= deadline)
            return 0;
    }
}

int ward_client_recv(ward_client *c, ward_msg *out, int *fds, size_t *nfds, int timeout_ms)
{
    if (nfds)
        *nfds = 0;
    if (c->kept_n) {
        struct kept *k = &c->kept[c->kept_head];
        *out = k->m;
        if (fds && nfds) {
            memcpy(fds, k->fds, sizeof(int) * k->nfds);
            *nfds = k->nfds;
        } else {
            close_fds(k->fds, k->nfds);
        }
        c->kept_head = (c->kept_head + 1) % MAX_KEPT;
        c->kept_n--;
        return 1;
    }
    return next_message(c, out, fds, nfds, timeout_ms);
}

int ward_client_call(ward_client *c, ward_msg *req, ward_msg *reply, int *fds, size_t *nfds,
                     int timeout_ms)
{
    if (ward_client_send(c, req) < 0)
        return -1;
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    for (;;) {
        int left = -1;
        if (deadline >= 0) {
            int64_t l = deadline - now_ms();
            left = l > 0 ? (int)l : 0;
        }
        struct kept k = {.nfds = 0};
        int r = next_message(c, &k.m, k.fds, &k.nfds, left);
        if (r <= 0)
            return r;
        if (k.m.id == req->id && k.m.type != WARD_MSG_PROMPT &&
            k.m.type != WARD_MSG_PROMPT_CLOSED) {
            *reply = k.m;
            if (fds && nfds) {
                memcpy(fds, k.fds, sizeof(int) * k.nfds);
                *nfds = k.nfds;
            } else {
                close_fds(k.fds, k.nfds);
                if (nfds)
                    *nfds = 0;
            }
            return 1;
        }
        if (c->kept_n == MAX_KEPT) { /* nobody is reading pushes: drop them */
            ward_msg_free(&k.m);
            close_fds(k.fds, k.nfds);
            continue;
        }
        c->kept[(c->kept_head + c->kept_n) % MAX_KEPT] = k;
        c->kept_n++;
    }
}
