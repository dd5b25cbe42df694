/*
 * ward-maild — the mail proxy (docs/MAIL.md). wardd starts it with one end
 * of a socketpair as fd 3 and the port to listen on (loopback, IPv4 and
 * IPv6); Ward's nft table redirects the mail flows there. For each
 * connection it reads the original destination (SO_ORIGINAL_DST), has
 * wardd name the client's program and mark the upstream socket, connects
 * upstream, and relays through the protocol's state machine (session.h).
 * Each message is read with GMime, its attachments scanned through wardd
 * (ward-scand), and it goes on as wardd decides. A STARTTLS the server
 * accepts is ended here both ways (starttls()), the session read in the
 * clear between the two TLS sessions. Its local TLS listeners (further
 * arguments: set mail-tls-listen) take clients in TLS and connect to
 * their configured upstream in TLS, verified for its name; the session
 * is read the same way. It runs as nobody with a seccomp filter: what it
 * parses is the network's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netdb.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <time.h>

#include "confine/confine.h"
#include "mailtls/mailtls.h"
#include "mime/mime.h"
#include "mail/session.h"
#include "mail/wire.h"

#define WARDD_FD   3
#define HIGH_WATER (1u << 20) /* queued for one side: stop reading the other */
#define TLS_WAIT_S 10         /* a TLS handshake's time, at most (WARD_MAIL_TLS_WAIT) */
#define LISTENERS  8          /* local TLS listeners (WARD_POLICY_MAX_MAIL_TLS) */

/* A local TLS listener (set mail-tls-listen): its clients speak TLS to it,
 * the proxy speaks TLS to the upstream, verified for its host name. */
struct listener {
    int fd;
    enum mail_proto proto;
    struct sockaddr_in addr;
    char host[254];
    uint16_t port;
    struct sockaddr_storage up; /* resolved at start */
    socklen_t up_len;
};

struct conn;
struct end {
    struct conn *c;
    int fd;
    bool eof;
    SSL *ssl; /* after STARTTLS */
};

/* Where a connection's TLS handshakes are (tls_step). */
enum handshake {
    HS_NONE,     /* none, or done: the session is relayed */
    HS_ANSWER,   /* STARTTLS's yes is being written to the client */
    HS_CLIENT,   /* with the client, as its server */
    HS_SERVER,   /* with the server, verifying it; the client waits */
    HS_REFUSING, /* the server's failed: the client is told (tls_refused) */
};

/* A connection's handshakes: the loop drives them, each bounded. */
struct tls_state {
    enum handshake hs;
    int64_t deadline; /* CLOCK_MONOTONIC, ms: dropped if not done by then */
    const char *what; /* "TLS" (a listener's) or "STARTTLS" */
    char host[254];   /* the client's leaf's name without SNI, and the log's */
    char name[254];   /* the server is verified for this name */
    bool verify_host; /* ...always host (a listener's), else SNI, else host */
    char err[256];
};

struct conn {
    uint64_t id;
    struct end client, server;
    bool up;       /* connected upstream */
    bool deciding; /* a message is with wardd */
    bool dead;     /* dropped: freed once the events in hand are handled */
    struct mail_session s;
    struct sockaddr_storage dst;
    socklen_t dst_len;
    uint32_t pid;
    char program[256];
    struct maild_msg m;              /* the message's facts while its attachments are scanned */
    unsigned scans;                  /* scans it waits for */
    const struct listener *listener; /* NULL: a redirected connection */
    struct tls_state t;
    struct conn *next;
};

static int ep;
static struct conn *conns, *dead;
static uint64_t next_id;
static int listeners[2] = {-1, -1};
static struct ward_mailtls *tls; /* NULL: no CA, STARTTLS sessions are ended */
static struct listener tls_listeners[LISTENERS];
static int n_tls_listeners;
static int tls_wait_s = TLS_WAIT_S;

static struct conn *find(uint64_t id)
{
    for (struct conn *c = conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static void drop(struct conn *c)
{
    if (c->dead)
        return;
    for (struct conn **p = &conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    ward_mailtls_close(c->client.ssl);
    ward_mailtls_close(c->server.ssl);
    for (int i = 0; i < 2; i++) {
        int fd = i ? c->server.fd : c->client.fd;
        /* Out of the set first: the upstream socket went to wardd too, and
         * a copy elsewhere would keep it there, its events naming c. */
        if (fd >= 0) {
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            close(fd);
        }
    }
    mail_session_free(&c->s);
    c->dead = true;
    c->next = dead;
    dead = c;
}

/* Writes what is queued for e; false when the connection broke. */
static bool flush_to(struct end *e, struct mail_buf *b)
{
    while (b->len) {
        if (e->ssl) {
            int n = SSL_write(e->ssl, b->p, b->len > INT32_MAX ? INT32_MAX : (int)b->len);
            if (n <= 0) {
                int err = SSL_get_error(e->ssl, n);
                ERR_clear_error();
                return err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ;
            }
            mail_buf_take(b, (size_t)n);
            continue;
        }
        ssize_t n = send(e->fd, b->p, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        mail_buf_take(b, (size_t)n);
    }
    return true;
}

/* Reads what e has into buf: > 0 bytes, 0 its end, -1 nothing now. */
static ssize_t read_from(struct end *e, char *buf, size_t len)
{
    if (!e->ssl) {
        ssize_t n = recv(e->fd, buf, len, MSG_DONTWAIT);
        return n >= 0 ? n : errno == EAGAIN || errno == EINTR ? -1 : 0;
    }
    int n = SSL_read(e->ssl, buf, (int)len);
    if (n > 0)
        return n;
    int err = SSL_get_error(e->ssl, n);
    ERR_clear_error();
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? -1 : 0;
}

/* What to wait for on e; nothing: out of the set (a closed side's hangup
 * would be reported again and again). */
static void watch(struct end *e, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = e};
    if (!events)
        epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL);
    else if (epoll_ctl(ep, EPOLL_CTL_MOD, e->fd, &ev) < 0)
        epoll_ctl(ep, EPOLL_CTL_ADD, e->fd, &ev);
}

/* Flushes both ways and says what to wait for; false: the connection is done. */
static bool update(struct conn *c)
{
    struct mail_session *s = &c->s;
    if (s->failed || !flush_to(&c->client, &s->to_client) || !flush_to(&c->server, &s->to_server))
        return false;
    /* A side that closed: done once what it said has gone through. */
    if (c->server.eof && !s->to_client.len && !s->pending)
        return false;
    if (c->client.eof && !s->to_server.len && !s->pending && !c->deciding)
        shutdown(c->server.fd, SHUT_WR);
    /* A side is read while what it said can go somewhere: its bytes not
     * yet read by the session (a message is being decided) and those queued
     * for the other side stay under the mark. */
    bool read_c = !c->client.eof && s->cin.len < HIGH_WATER && s->to_server.len < HIGH_WATER;
    bool read_s = !c->server.eof && s->sin.len < HIGH_WATER && s->to_client.len < HIGH_WATER;
    watch(&c->client, (read_c ? EPOLLIN : 0) | (s->to_client.len ? EPOLLOUT : 0));
    watch(&c->server, (read_s ? EPOLLIN : 0) | (s->to_server.len ? EPOLLOUT : 0));
    return true;
}

static bool starttls(struct conn *c);

static void send_decide(struct conn *c)
{
    int fd = memfd_create("ward-mail", MFD_CLOEXEC);
    if (fd >= 0 && write(fd, c->s.msg.p, c->s.msg.len) != (ssize_t)c->s.msg.len) {
        close(fd);
        fd = -1;
    }
    c->m.op = MAILD_DECIDE;
    if (maild_send(WARDD_FD, &c->m, fd) < 0)
        fprintf(stderr, "ward-maild: to wardd: %s\n", strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void scan_one(void *ctx, uint32_t index, const void *data, size_t len)
{
    struct conn *c = ctx;
    int fd = memfd_create("ward-attachment", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0) {
        if (fd >= 0)
            close(fd);
        return; /* not scanned: the verdict stays "none" */
    }
    struct maild_msg m = {.magic = MAILD_MAGIC, .op = MAILD_SCAN, .id = c->id, .index = index};
    if (maild_send(WARDD_FD, &m, fd) == 0)
        c->scans++;
    close(fd);
}

/* list += more (", "-separated both); an address twice does no harm. */
static void addresses_add(char *list, size_t cap, const char *more)
{
    size_t used = strlen(list);
    if (more[0])
        snprintf(list + used, cap - used, "%s%s", used ? ", " : "", more);
}

/* A message is held: its facts, its attachments to the scanner, then to wardd. */
static void start_decision(struct conn *c)
{
    c->deciding = true;
    c->scans = 0;
    /* The connection's addresses (from CONNECT) stay; the rest is the message's. */
    struct maild_msg *m = &c->m;
    memset(&m->verdict, 0, sizeof(*m) - offsetof(struct maild_msg, verdict));
    c->m.magic = MAILD_MAGIC;
    c->m.id = c->id;
    c->m.proto = (uint8_t)c->s.proto;
    c->m.pid = c->pid;
    snprintf(c->m.program, sizeof(c->m.program), "%s", c->program);
    struct mail_facts *f = &c->m.facts;
    if (mail_mime_read(c->s.msg.p, c->s.msg.len, f, scan_one, c) < 0)
        snprintf(c->m.text, sizeof(c->m.text), "not a readable message (no header)");
    /* SMTP: the envelope's addresses too, which headers need not show (Bcc). */
    addresses_add(f->from, sizeof(f->from), c->s.env_from);
    addresses_add(f->to, sizeof(f->to), c->s.env_to);
    if (!c->scans)
        send_decide(c);
}

static void decided(struct conn *c, const struct maild_msg *m)
{
    c->deciding = false;
    struct mail_session *s = &c->s;
    char *repl = NULL;
    size_t len = 0;
    int rc;
    if (m->verdict == MAIL_REJECT) {
        rc = mail_session_decide(s, false, NULL, 0, m->text);
    } else if (m->verdict == MAIL_QUARANTINE && m->replace &&
               mail_mime_replace(s->msg.p, s->msg.len, m->replace, m->text, &repl, &len) == 0) {
        rc = mail_session_decide(s, true, repl, len, NULL);
    } else if (m->verdict == MAIL_QUARANTINE) {
        rc = mail_session_decide(s, false, NULL, 0, m->text); /* the whole message is kept */
    } else {
        rc = mail_session_decide(s, true, NULL, 0, NULL);
    }
    free(repl);
    /* What was read meanwhile may hold the server's yes to STARTTLS. */
    if (rc < 0 || (c->s.opaque ? !starttls(c) : !update(c)))
        drop(c);
    else if (s->pending && !c->t.hs)
        start_decision(c); /* the next one, read meanwhile */
}

static void from_wardd(void)
{
    for (;;) {
        struct maild_msg m;
        int fd;
        int rc = maild_recv(WARDD_FD, &m, &fd);
        if (fd >= 0)
            close(fd);
        if (rc == -EAGAIN)
            return;
        if (rc == 0 || (rc < 0 && rc != -EPROTO))
            exit(0); /* wardd is gone */
        struct conn *c = rc == 1 ? find(m.id) : NULL;
        if (!c)
            continue;
        if (m.op == MAILD_CONNECTED) {
            if (m.verdict < 0) {
                fprintf(stderr, "ward-maild: connection %llu refused: %s\n",
                        (unsigned long long)c->id, strerror(-m.verdict));
                drop(c);
                continue;
            }
            c->pid = m.pid;
            snprintf(c->program, sizeof(c->program), "%s", m.program);
            if (connect(c->server.fd, (struct sockaddr *)&c->dst, c->dst_len) < 0 &&
                errno != EINPROGRESS) {
                drop(c);
                continue;
            }
            watch(&c->server, EPOLLOUT);
        } else if (m.op == MAILD_SCANNED && c->deciding && m.index < c->m.facts.n_att) {
            struct mail_attachment *a = &c->m.facts.att[m.index];
            a->av = m.verdict;
            snprintf(a->av_name, sizeof(a->av_name), "%.95s", m.text);
            if (--c->scans == 0)
                send_decide(c);
        } else if (m.op == MAILD_DECIDED && c->deciding) {
            decided(c, &m);
        }
    }
}

/* A client accepted on lfd: its connection, and its address in peer. */
static struct conn *conn_new(int lfd, struct sockaddr_storage *peer)
{
    socklen_t plen = sizeof(*peer);
    int fd = accept4(lfd, (struct sockaddr *)peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    c->client = (struct end){c, fd, false, NULL};
    c->server = (struct end){c, -1, false, NULL};
    c->dst_len = sizeof(c->dst);
    c->id = ++next_id;
    return c;
}

/* Asks wardd for the program and the upstream socket's pass; dropped if that fails. */
static void conn_start(struct conn *c, const struct maild_msg *m, bool ok)
{
    mail_session_init(&c->s, (enum mail_proto)m->proto);
    c->server.fd =
        ok ? socket(c->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
    c->m = *m; /* its addresses, for the log */
    c->next = conns;
    conns = c;
    if (c->server.fd < 0 || maild_send(WARDD_FD, m, c->server.fd) < 0)
        drop(c);
}

/* A client of a local TLS listener: its program is the client socket's
 * owner (127.x:cport to the listener), its upstream the listener's. */
static void accept_listener(struct listener *l)
{
    struct sockaddr_storage peer;
    struct conn *c = conn_new(l->fd, &peer);
    if (!c)
        return;
    const struct sockaddr_in *p = (const void *)&peer;
    struct maild_msg m = {.magic = MAILD_MAGIC,
                          .op = MAILD_CONNECT,
                          .id = c->id,
                          .family = 4,
                          .proto = (uint8_t)l->proto,
                          .cport = ntohs(p->sin_port),
                          .dport = l->port,
                          .listener = (uint8_t)(l - tls_listeners + 1)};
    memcpy(m.caddr, &p->sin_addr, 4);
    memcpy(m.daddr, &l->addr.sin_addr, 4);
    c->listener = l;
    memcpy(&c->dst, &l->up, l->up_len);
    c->dst_len = l->up_len;
    if (l->up.ss_family == AF_INET6) {
        const struct sockaddr_in6 *u = (const void *)&l->up;
        m.ufamily = 6;
        m.uport = ntohs(u->sin6_port);
        memcpy(m.uaddr, &u->sin6_addr, 16);
    } else {
        const struct sockaddr_in *u = (const void *)&l->up;
        m.ufamily = 4;
        m.uport = ntohs(u->sin_port);
        memcpy(m.uaddr, &u->sin_addr, 4);
    }
    conn_start(c, &m, peer.ss_family == AF_INET);
}

static void accept_one(int lfd)
{
    struct sockaddr_storage peer;
    struct conn *c = conn_new(lfd, &peer);
    if (!c)
        return;
    struct maild_msg m = {.magic = MAILD_MAGIC, .op = MAILD_CONNECT, .id = c->id};
    bool v6 = peer.ss_family == AF_INET6;
    int rc = v6 ? getsockopt(c->client.fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &c->dst, &c->dst_len)
                : getsockopt(c->client.fd, SOL_IP, SO_ORIGINAL_DST, &c->dst, &c->dst_len);
    bool known;
    if (rc == 0 && v6) {
        const struct sockaddr_in6 *d = (void *)&c->dst, *p = (void *)&peer;
        m.family = 6;
        m.dport = ntohs(d->sin6_port);
        m.cport = ntohs(p->sin6_port);
        memcpy(m.daddr, &d->sin6_addr, 16);
        memcpy(m.caddr, &p->sin6_addr, 16);
    } else if (rc == 0) {
        const struct sockaddr_in *d = (void *)&c->dst, *p = (void *)&peer;
        m.family = 4;
        m.dport = ntohs(d->sin_port);
        m.cport = ntohs(p->sin_port);
        memcpy(m.daddr, &d->sin_addr, 4);
        memcpy(m.caddr, &p->sin_addr, 4);
    }
    enum mail_proto proto = MAIL_SMTP;
    known = mail_port_proto(m.dport, &proto);
    m.proto = (uint8_t)proto;
    /* Not redirected (no original destination), or not a mail port: dropped. */
    conn_start(c, &m, rc == 0 && known);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the client gets when the server's TLS fails, in its protocol. */
static const char *const tls_failed[] = {
    [MAIL_SMTP] = "421 4.7.0",
    [MAIL_POP3] = "-ERR",
    [MAIL_IMAP] = "* BYE",
};

/* The client is told why the server's TLS failed, in its protocol: one
 * write, not waited for (the connection is dropped next). */
static void tell_refused(struct conn *c)
{
    char line[400];
    snprintf(line, sizeof(line), "%s Ward: the mail server's TLS failed: %s\r\n",
             tls_failed[c->s.proto], c->t.err);
    SSL_write(c->client.ssl, line, (int)strlen(line));
    ERR_clear_error();
}

/* The server's TLS failed: wardd gets an alert, the client the protocol's
 * error, after its first line when it speaks first (after STARTTLS: it
 * is waited for, within a bound of its own). False: drop it now. */
static bool tls_refused(struct conn *c, bool client_first)
{
    struct maild_msg m = c->m;
    m.op = MAILD_TLS_FAILED;
    m.pid = c->pid;
    snprintf(m.program, sizeof(m.program), "%s", c->program);
    snprintf(m.text, sizeof(m.text), "%s", c->t.err);
    maild_send(WARDD_FD, &m, -1);
    if (!client_first) {
        tell_refused(c);
        return false;
    }
    c->t.hs = HS_REFUSING;
    c->t.deadline = now_ms() + tls_wait_s * 1000LL;
    watch(&c->server, 0);
    watch(&c->client, EPOLLIN);
    return true;
}

/* A handshake failed (why in c->t.err): logged; the client told when it
 * was the server's. False: drop it now. */
static bool tls_failed_now(struct conn *c)
{
    struct tls_state *t = &c->t;
    bool server = t->hs == HS_SERVER;
    fprintf(stderr, "ward-maild: connection %llu to %s (%s): %s%s: %s\n", (unsigned long long)c->id,
            t->host, server ? t->name : t->host, t->what, server ? " to the server" : "", t->err);
    return server && tls_refused(c, !c->listener);
}

/* Waits for fd to be ready as the handshake wants, the other side out of
 * the set (what it says waits in its socket). */
static void handshake_wait(struct end *e, struct end *other, bool want_write)
{
    watch(other, 0);
    watch(e, want_write ? EPOLLOUT : EPOLLIN);
}

/* Drives c's handshakes as far as the sockets allow: the client's, then
 * the server's (verified); then the session is relayed. Nothing passes
 * either way until the server is verified. False: drop it now. */
static bool tls_step(struct conn *c)
{
    struct tls_state *t = &c->t;
    bool want_write = false;
    int rc;
    if (t->hs == HS_REFUSING) {
        char line[400];
        rc = SSL_read(c->client.ssl, line, sizeof(line));
        int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(c->client.ssl, rc);
        ERR_clear_error();
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            handshake_wait(&c->client, &c->server, e == SSL_ERROR_WANT_WRITE);
            return true;
        }
        tell_refused(c);
        return false;
    }
    if (t->hs == HS_ANSWER) {
        if (!flush_to(&c->client, &c->s.to_client)) {
            snprintf(t->err, sizeof(t->err), "the client left before STARTTLS's answer");
            return tls_failed_now(c);
        }
        if (c->s.to_client.len) {
            handshake_wait(&c->client, &c->server, true);
            return true;
        }
        c->client.ssl =
            ward_mailtls_accept_start(tls, c->client.fd, t->host, t->err, sizeof(t->err));
        t->hs = HS_CLIENT;
        if (!c->client.ssl)
            return tls_failed_now(c);
        fprintf(stderr, "ward-maild: connection %llu to %s: %s, the client's handshake begins\n",
                (unsigned long long)c->id, t->host, t->what);
    }
    if (t->hs == HS_CLIENT) {
        rc = ward_mailtls_step(c->client.ssl, &want_write, t->err, sizeof(t->err));
        if (rc == 0)
            handshake_wait(&c->client, &c->server, want_write);
        if (rc <= 0)
            return rc == 0 || tls_failed_now(c);
        const char *sni = ward_mailtls_sni(c->client.ssl);
        snprintf(t->name, sizeof(t->name), "%s", !t->verify_host && sni ? sni : t->host);
        c->server.ssl =
            ward_mailtls_connect_start(tls, c->server.fd, t->name, t->err, sizeof(t->err));
        t->hs = HS_SERVER;
        if (!c->server.ssl)
            return tls_failed_now(c);
    }
    rc = ward_mailtls_step(c->server.ssl, &want_write, t->err, sizeof(t->err));
    if (rc == 0)
        handshake_wait(&c->server, &c->client, want_write);
    if (rc <= 0)
        return rc == 0 || tls_failed_now(c);
    for (int i = 0; i < 2; i++) {
        struct end *e = i ? &c->server : &c->client;
        /* The loop's writes are partial and from buffers that move. */
        SSL_set_mode(e->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    fprintf(stderr, "ward-maild: connection %llu to %s: %s both ways, %s verified\n",
            (unsigned long long)c->id, t->host, t->what, t->name);
    t->hs = HS_NONE;
    if (!c->listener)
        mail_session_restart(&c->s); /* after STARTTLS: on the clear text */
    return update(c);
}

/* TLS both ways begins: toward the client with a leaf of Ward's CA for the
 * name it asks for (SNI), else for host; then toward the server, verified
 * for host if verify_host, else for that same name. The handshakes run in
 * the loop (tls_step), after what is queued for the client (STARTTLS's
 * yes) is written, tls_wait_s at most in all. False: the connection is to
 * be dropped (and why is logged). */
static bool tls_both(struct conn *c, const char *what, const char *host, bool verify_host)
{
    struct mail_session *s = &c->s;
    struct tls_state *t = &c->t;
    t->what = what;
    t->verify_host = verify_host;
    snprintf(t->host, sizeof(t->host), "%s", host);
    snprintf(t->name, sizeof(t->name), "%s", host);
    t->err[0] = '\0';
    t->hs = HS_ANSWER;
    t->deadline = now_ms() + tls_wait_s * 1000LL;
    if (!tls)
        snprintf(t->err, sizeof(t->err), "no TLS here (Ward's mail CA could not be opened)");
    else if (s->cin.len || s->sin.len)
        snprintf(t->err, sizeof(t->err), "plain text after STARTTLS from the %s (an injection)",
                 s->cin.len ? "client" : "server");
    else
        return tls_step(c);
    return tls_failed_now(c);
}

/* The handshakes not done within their bound: dropped, as failed ones
 * are. The time to the next bound (ms; -1: none) for the loop's wait. */
static int tls_expire(void)
{
    int64_t t = now_ms(), next = 0;
    for (struct conn *c = conns, *n; c; c = n) {
        n = c->next; /* drop() unlinks c */
        if (c->t.hs == HS_NONE)
            continue;
        if (c->t.deadline <= t) {
            if (c->t.hs == HS_REFUSING) {
                tell_refused(c);
                drop(c);
                continue;
            }
            snprintf(c->t.err, sizeof(c->t.err), "%.200s: TLS handshake not done within %d s",
                     c->t.hs == HS_SERVER ? c->t.name : "client", tls_wait_s);
            if (!tls_failed_now(c)) {
                drop(c);
                continue;
            }
            /* Refusing now: the client is told after its line, its own bound. */
        }
        next = !next || c->t.deadline < next ? c->t.deadline : next;
    }
    return next ? (int)(next - t) : -1;
}

/* The server took the client's STARTTLS (its yes is queued for the
 * client): TLS both ways for the name the client asks for, else the
 * server's address; then the session starts again on the clear text. */
static bool starttls(struct conn *c)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr_in6 *d6 = (const void *)&c->dst;
    const struct sockaddr_in *d4 = (const void *)&c->dst;
    inet_ntop(c->dst.ss_family,
              c->dst.ss_family == AF_INET6 ? (const void *)&d6->sin6_addr
                                           : (const void *)&d4->sin_addr,
              addr, sizeof(addr));
    /* A listener's session is in TLS already; so is one that took STARTTLS
     * once (a second would leak and replace its TLS). */
    return !c->listener && !c->client.ssl && tls_both(c, "STARTTLS", addr, false);
}

static void on_end(struct end *e, uint32_t events)
{
    struct conn *c = e->c;
    bool client = e == &c->client;
    if (c->dead)
        return;
    if (c->t.hs) {
        if (!tls_step(c))
            drop(c);
        return;
    }
    if (!client && !c->up) {
        int err = 0;
        socklen_t l = sizeof(err);
        getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            drop(c);
            return;
        }
        c->up = true;
        /* A listener's: TLS both ways before a byte passes, the upstream
         * verified for its configured name whatever the client asks. */
        if (c->listener ? !tls_both(c, "TLS", c->listener->host, true) : !update(c))
            drop(c);
        return;
    }
    /* TLS: what OpenSSL has decrypted already is read now too (epoll
     * would not say so again). */
    bool more = events & (EPOLLIN | EPOLLHUP | EPOLLERR);
    while (more) {
        char buf[65536];
        ssize_t n = read_from(e, buf, sizeof(buf));
        if (n > 0) {
            if ((client ? mail_session_client : mail_session_server)(&c->s, buf, (size_t)n) < 0) {
                drop(c);
                return;
            }
        } else if (n == 0) {
            e->eof = true;
        }
        more = n > 0 && e->ssl && SSL_pending(e->ssl) > 0;
    }
    if (c->s.opaque) {
        if (!starttls(c))
            drop(c);
        return;
    }
    if (c->s.pending && !c->deciding)
        start_decision(c);
    if (!update(c))
        drop(c);
}

static int listen_at(const struct sockaddr *a, socklen_t len)
{
    int fd = socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (a->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, a, len) < 0 || listen(fd, 128) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_on(int family, uint16_t port)
{
    if (family == AF_INET6) {
        struct sockaddr_in6 a = {
            .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        return listen_at((struct sockaddr *)&a, sizeof(a));
    }
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return listen_at((struct sockaddr *)&a, sizeof(a));
}

/* A local TLS listener from its five arguments (PROTO ADDR PORT HOST
 * UPSTREAM-PORT), the upstream resolved now (later, no DNS: confined).
 * False, and why said, if it cannot be. */
static bool tls_listener(char **arg)
{
    static const char *const protos[] = {
        [MAIL_SMTP] = "smtps", [MAIL_POP3] = "pop3s", [MAIL_IMAP] = "imaps"};
    struct listener *l = &tls_listeners[n_tls_listeners];
    int port = atoi(arg[2]);
    l->proto = MAIL_SMTP;
    while (l->proto <= MAIL_IMAP && strcmp(protos[l->proto], arg[0]))
        l->proto++;
    l->addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    l->port = (uint16_t)port;
    snprintf(l->host, sizeof(l->host), "%s", arg[3]);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = n_tls_listeners == LISTENERS || l->proto > MAIL_IMAP || port <= 0 || port > 65535 ||
                     inet_pton(AF_INET, arg[1], &l->addr.sin_addr) != 1
                 ? EAI_FAIL
                 : getaddrinfo(arg[3], arg[4], &hints, &res);
    if (rc == 0 && res->ai_addrlen <= sizeof(l->up)) {
        memcpy(&l->up, res->ai_addr, res->ai_addrlen);
        l->up_len = res->ai_addrlen;
        l->fd = listen_at((struct sockaddr *)&l->addr, sizeof(l->addr));
    }
    if (res)
        freeaddrinfo(res);
    if (rc != 0 || !l->up_len || l->fd < 0) {
        fprintf(stderr, "ward-maild: no %s listener on %s:%s for %s:%s: %s\n", arg[0], arg[1],
                arg[2], arg[3], arg[4], rc ? gai_strerror(rc) : strerror(errno));
        return false;
    }
    fprintf(stderr, "ward-maild: %s on %s:%d, upstream %s:%s\n", arg[0], arg[1], port, arg[3],
            arg[4]);
    n_tls_listeners++;
    return true;
}

int main(int argc, char **argv)
{
    int port = argc >= 2 ? atoi(argv[1]) : -1;
    const char *trust = getenv("WARD_MAIL_TLS_TRUST");
    int arg = 2;
    if (argc >= 4 && !strcmp(argv[2], "--trust")) {
        trust = argv[3];
        arg = 4;
    }
    if (port < 0 || port > 65535 || (argc - arg) % 5 || (port == 0 && argc == arg)) {
        fprintf(stderr, "usage: ward-maild PORT [--trust FILE] [PROTO ADDR PORT HOST PORT]...\n"
                        "(started by wardd, fd 3 its socket; PORT 0: no redirected flows)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *wait = getenv("WARD_MAIL_TLS_WAIT");
    if (wait && *wait) {
        char *end;
        long w = strtol(wait, &end, 10);
        if (*end || w < 1 || w > 3600)
            fprintf(stderr, "ward-maild: WARD_MAIL_TLS_WAIT=%s is not 1..3600 s; %d s it is\n",
                    wait, TLS_WAIT_S);
        else
            tls_wait_s = (int)w;
    }
    /* The CA's key is root's: opened before the privileges go. Leaves
     * issued later stay in memory (nobody may not write the CA's folder). */
    const char *ca_dir = getenv("WARD_MAIL_CA_DIR");
    char err[256];
    tls = ward_mailtls_new(ca_dir && *ca_dir ? ca_dir : WARD_MAILTLS_CA_DIR,
                           trust && *trust ? trust : NULL, err, sizeof(err));
    if (!tls)
        fprintf(stderr, "ward-maild: no TLS (STARTTLS sessions are ended): %s\n", err);
    for (; arg < argc; arg += 5)
        tls_listener(argv + arg);
    if (port) {
        listeners[0] = listen_on(AF_INET, (uint16_t)port);
        listeners[1] = listen_on(AF_INET6, (uint16_t)port); /* no IPv6: IPv4 only */
        if (listeners[0] < 0) {
            fprintf(stderr, "ward-maild: listening on 127.0.0.1:%d: %s\n", port, strerror(errno));
            return 1;
        }
    }
    if (ward_drop_to_nobody("ward-maild", NULL) < 0 || ward_confine(NULL, 0) != 0) {
        perror("ward-maild: dropping privileges");
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    for (int i = 0; i < 2; i++) {
        ev.data.ptr = &listeners[i];
        if (listeners[i] >= 0)
            epoll_ctl(ep, EPOLL_CTL_ADD, listeners[i], &ev);
    }
    for (int i = 0; i < n_tls_listeners; i++) {
        ev.data.ptr = &tls_listeners[i];
        epoll_ctl(ep, EPOLL_CTL_ADD, tls_listeners[i].fd, &ev);
    }
    fcntl(WARDD_FD, F_SETFL, O_NONBLOCK);
    ev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, WARDD_FD, &ev);
    fprintf(stderr, "ward-maild: listening on port %d\n", port);
    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, tls_expire());
        if (n < 0 && errno != EINTR)
            return 1;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (!p)
                from_wardd();
            else if (p == &listeners[0] || p == &listeners[1])
                accept_one(*(int *)p);
            else if (p >= (void *)tls_listeners && p < (void *)(tls_listeners + LISTENERS))
                accept_listener(p);
            else
                on_end(p, evs[i].events);
        }
        while (dead) {
            struct conn *c = dead;
            dead = c->next;
            free(c);
        }
    }
}
