/*
 * mail.c — the mail proxy's side in wardd (docs/MAIL.md).
 *
 * With `set mail-proxy port N`, wardd starts ward-maild (src/mail, found
 * beside wardd) with one end of a socketpair as its fd 3 and has Ward's nft
 * table redirect the mail flows (TCP 25, 110, 143, 587) to it. The proxy
 * parses, wardd decides: it names the client's program (the socket's owner,
 * as the queue attributes a packet), marks the proxy's upstream socket so
 * neither the redirect nor the hooks stop it, has ward-scand scan the
 * attachments, and decides each message by the mail rules, first match:
 * it is logged and published like a connection, quarantined messages are
 * kept in STATE-DIR/quarantine (root's, 0700). A proxy that dies is started
 * again with a backoff (1 s doubling to a minute); meanwhile the redirected
 * flows are refused (the redirect stays: mail never goes around the proxy).
 * With `set mail-tls-listen` ward-maild also listens on loopback for
 * implicit TLS (its arguments; a change restarts it), and an upstream
 * whose TLS fails is an alert (mail-tls).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "compile/kcompile.h"
#include "daemon/wardd.h"
#include "mail/wire.h"
#include "scand/wire.h"

struct wardd_mail {
    struct wardd_helper h; /* ward-maild */
    uint16_t port;         /* the port it listens on */
    bool redirect_failed;
    char conf[4096];     /* its arguments (struct maild_args): a change restarts it */
    uint64_t decided;    /* messages decided since wardd started */
    uint64_t tls_failed; /* upstream TLS verifications that failed */
};

/* ward-maild's command line: PORT [--trust FILE] [PROTO ADDR PORT HOST PORT]... */
struct maild_args {
    char *argv[4 + 5 * WARD_POLICY_MAX_MAIL_TLS + 1];
    size_t n;
    char conf[4096]; /* the arguments, each after the other's NUL; zeros after */
    size_t used;
};

__attribute__((format(printf, 2, 3))) static void arg_add(struct maild_args *a, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(a->conf + a->used, sizeof(a->conf) - a->used, fmt, ap);
    va_end(ap);
    if (k < 0 || a->used + (size_t)k + 1 >= sizeof(a->conf))
        return; /* cannot be: the policy's strings are bounded */
    a->argv[a->n++] = a->conf + a->used;
    a->used += (size_t)k + 1;
}

static void maild_args(const ward_policy_extras *x, struct maild_args *a)
{
    memset(a, 0, sizeof(*a));
    arg_add(a, "ward-maild");
    arg_add(a, "%u", (unsigned)x->mail_port);
    if (x->mail_tls_trust[0]) {
        arg_add(a, "--trust");
        arg_add(a, "%s", x->mail_tls_trust);
    }
    for (size_t i = 0; i < x->n_mail_tls; i++) {
        const struct ward_mail_tls *l = &x->mail_tls[i];
        arg_add(a, "%s", ward_mail_tls_proto_name((enum ward_mail_tls_proto)l->proto));
        arg_add(a, "%u.%u.%u.%u", l->addr[0], l->addr[1], l->addr[2], l->addr[3]);
        arg_add(a, "%u", (unsigned)l->port);
        arg_add(a, "%s", l->upstream);
        arg_add(a, "%u", (unsigned)l->upstream_port);
    }
}

int wardd_mail_open(struct wardd *d, uint32_t tag)
{
    struct wardd_mail *m = calloc(1, sizeof(*m));
    if (!m)
        return -1;
    wardd_helper_init(&m->h, "ward-maild", tag);
    d->mail = m;
    return 0;
}

static void start(struct wardd *d, struct maild_args *a)
{
    struct wardd_mail *m = d->mail;
    if (wardd_helper_start(d, &m->h, a->argv) < 0)
        return;
    m->port = d->extras.mail_port;
    memcpy(m->conf, a->conf, sizeof(m->conf));
    wardd_log(LOG_INFO, "mail: %s started (pid %d, port %u, %zu TLS listeners)", m->h.path,
              (int)m->h.pid, (unsigned)m->port, d->extras.n_mail_tls);
}

void wardd_mail_tick(struct wardd *d, int64_t now_ms)
{
    struct wardd_mail *m = d->mail;
    if (!m)
        return;
    uint16_t want = d->extras.mail_port;
    static struct maild_args a; /* 4 KiB: not on the stack */
    maild_args(&d->extras, &a);
    bool wanted = want || d->extras.n_mail_tls;
    if (m->h.fd >= 0 && (!wanted || memcmp(a.conf, m->conf, sizeof(m->conf)))) {
        wardd_helper_stop(&m->h);
        wardd_helper_reset(&m->h);
        wardd_log(LOG_INFO, "mail: ward-maild stopped (the policy's mail proxy changed)");
    }
    bool failed = d->kernel && ward_kernel_mail_redirect(d->kernel, want) < 0;
    if (failed && !m->redirect_failed) /* said once; tried again every tick */
        wardd_log(LOG_ERR, "mail: the redirect to port %u did not install", (unsigned)want);
    m->redirect_failed = failed;
    if (wanted && wardd_helper_due(&m->h, now_ms))
        start(d, &a);
}

void wardd_mail_close(struct wardd *d)
{
    if (!d->mail)
        return;
    wardd_helper_stop(&d->mail->h);
    free(d->mail);
    d->mail = NULL;
}

static void send_back(struct wardd *d, struct maild_msg *r)
{
    r->magic = MAILD_MAGIC;
    if (d->mail->h.fd >= 0 && maild_send(d->mail->h.fd, r, -1) < 0)
        wardd_log(LOG_WARNING, "mail: to ward-maild: %s", strerror(errno));
}

static void ip_of(ward_ip *ip, uint8_t family, const uint8_t *a)
{
    memset(ip, 0, sizeof(*ip));
    if (family == 6) {
        memcpy(ip->b, a, 16);
    } else {
        ip->b[10] = ip->b[11] = 0xff;
        memcpy(ip->b + 12, a, 4);
    }
}

/* The proxy's upstream socket for connection m: the mail mark (the
 * redirect spares it) and the hooks' pass to that address, for ward-maild's
 * binary only. Only a mail flow's upstream: a proxy that went wrong gets
 * no socket let through to anywhere else. 0 or -errno. */
static int let_through(struct wardd *d, int sock, const struct maild_msg *m, const ward_ip *remote)
{
    enum mail_proto proto;
    uint32_t mark = 0;
    socklen_t l = sizeof(mark);
    const struct ward_mail_tls *tl = m->listener && m->listener <= d->extras.n_mail_tls
                                         ? &d->extras.mail_tls[m->listener - 1]
                                         : NULL;
    if (sock < 0 || getsockopt(sock, SOL_SOCKET, SO_MARK, &mark, &l) < 0)
        return -EBADF;
    /* A listener's upstream: the port the policy names for it. */
    if (m->listener ? !tl || tl->upstream_port != m->uport || tl->port != m->dport
                    : !mail_port_proto(m->dport, &proto) || (m->family != 4 && m->family != 6))
        return -EPERM;
    mark |= WARD_KMAIL_DEFAULT;
    if (setsockopt(sock, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
        return -errno;
    ward_exe_id self;
    if (!d->kernel || ward_kc_resolve_path(NULL, d->mail->h.path, &self) < 0)
        return 0;
    int rc =
        ward_kernel_shim_mark(d->kernel, sock, self, 6, remote, m->listener ? m->uport : m->dport);
    return rc == -EBADF ? 0 : rc; /* EBADF: no hooks to pass */
}

/* A redirected connection: its program, and the proxy's upstream socket let through. */
static void on_connect(struct wardd *d, const struct maild_msg *m, int sock)
{
    struct maild_msg r = {.op = MAILD_CONNECTED, .id = m->id};
    ward_ip local, remote;
    ip_of(&local, m->family, m->caddr);
    ip_of(&remote, m->family, m->daddr);
    ward_kqueued q;
    if (d->kernel &&
        ward_kernel_tcp_owner(d->kernel, &local, m->cport, &remote, m->dport, &q) == 0) {
        const ward_proc *p = wardd_attribute(d, q.pid, q.exe);
        if (p) {
            bool unverified;
            char buf[sizeof(r.program)];
            snprintf(r.program, sizeof(r.program), "%s",
                     wardd_program_name(d, p, &unverified, buf, sizeof(buf)));
            r.pid = p->pid;
        }
    }
    ward_ip up;
    ip_of(&up, m->ufamily, m->uaddr);
    r.verdict = let_through(d, sock, m, m->listener ? &up : &remote);
    send_back(d, &r);
}

/* Each address of a list ("A <a@x>, b@y"), bare, against the glob. */
static bool address_match(const char *glob, const char *list)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        char *lt = strchr(a, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        if (lt && gt) {
            *gt = '\0';
            a = lt + 1;
        }
        while (*a == ' ')
            a++;
        if (!fnmatch(glob, a, FNM_CASEFOLD))
            return true;
    }
    return false;
}

/* The first rule that matches the message, and the attachments it matched. */
static const struct ward_mail_rule *match(const ward_policy_extras *x, const struct maild_msg *m,
                                          uint32_t *which)
{
    const struct mail_facts *f = &m->facts;
    for (size_t i = 0; i < x->n_mail; i++) {
        const struct ward_mail_rule *r = &x->mail[i];
        if (r->app[0] && strcmp(r->app, m->program))
            continue;
        *which = 0;
        bool hit = false;
        switch (r->what) {
        case WARD_MAIL_FROM:
            hit = address_match(r->pattern, f->from);
            break;
        case WARD_MAIL_TO:
            hit = address_match(r->pattern, f->to);
            break;
        case WARD_MAIL_SUBJECT:
            hit = !fnmatch(r->pattern, f->subject, FNM_CASEFOLD);
            break;
        case WARD_MAIL_SIZE:
            hit = f->size > r->size;
            break;
        default:
            for (uint32_t a = 0; a < f->n_att; a++) {
                const struct mail_attachment *at = &f->att[a];
                if ((r->what == WARD_MAIL_ATTACHMENT &&
                     !fnmatch(r->pattern, at->name, FNM_CASEFOLD)) ||
                    (r->what == WARD_MAIL_TYPE && !fnmatch(r->pattern, at->type, FNM_CASEFOLD)) ||
                    (r->what == WARD_MAIL_VIRUS && at->av == MAIL_AV_INFECTED))
                    *which |= 1u << a;
            }
            hit = *which != 0;
        }
        if (hit)
            return r;
    }
    *which = 0;
    return NULL;
}

/* The message kept in STATE-DIR/quarantine; its file name in name. */
static int quarantine(struct wardd *d, int msg_fd, uint64_t id, char *name, size_t len)
{
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/quarantine", d->opt.state_dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    snprintf(name, len, "%lld-%llu-%llu.eml", (long long)time(NULL), (unsigned long long)d->boot,
             (unsigned long long)id);
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return -ENAMETOOLONG;
    struct stat st;
    if (msg_fd < 0 || fstat(msg_fd, &st) < 0)
        return -EBADF;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    off_t off = 0;
    int rc = 0;
    while (off < st.st_size && rc == 0)
        if (sendfile(fd, msg_fd, &off, (size_t)(st.st_size - off)) <= 0)
            rc = -EIO;
    close(fd);
    if (rc)
        unlink(path);
    return rc;
}

/* The log's and the event stream's record of a decided message. */
static void publish(struct wardd *d, const struct maild_msg *m, enum mail_outcome o,
                    const struct ward_mail_rule *r, const char *atts)
{
    const struct mail_facts *f = &m->facts;
    char filter[64], what[2400];
    snprintf(filter, sizeof(filter), "mail %s%s%.40s", mail_outcome_name(o), r ? " " : "",
             r ? r->origin : "");
    snprintf(what, sizeof(what), "from=%s to=%s subject=\"%s\" size=%llu%s%s%s%s%s", f->from, f->to,
             f->subject, (unsigned long long)f->size, atts[0] ? " attachments=" : "", atts,
             m->text[0] ? " (" : "", m->text, m->text[0] ? ")" : "");
    wardd_log(LOG_INFO, "mail: %s %s (pid %u): %s: %s", mail_proto_name((enum mail_proto)m->proto),
              m->program[0] ? m->program : "?", m->pid, filter, what);
    ward_event ev;
    wardd_event_new(&ev, WARD_EVENT_DECISION);
    ev.pid = m->pid;
    ev.proto = 6;
    ev.direction = WARD_DIR_OUT;
    ev.layer = WARD_LAYER_CONNECT_OUT;
    ev.reason = r ? WARD_R_FILTER : WARD_R_DEFAULT;
    ev.verdict = o == MAIL_REJECT ? WARD_V_BLOCK : WARD_V_PERMIT;
    ip_of(&ev.local, m->family, m->caddr);
    /* A listener's: the upstream, where the mail goes. */
    if (m->listener)
        ip_of(&ev.remote, m->ufamily, m->uaddr);
    else
        ip_of(&ev.remote, m->family, m->daddr);
    ev.lport = m->cport;
    ev.rport = m->listener ? m->uport : m->dport;
    WARD_EVENT_SET(&ev, exe, m->program);
    WARD_EVENT_SET(&ev, filter, filter);
    WARD_EVENT_SET(&ev, cmdline, what);
    WARD_EVENT_SET(&ev, domain, f->message_id);
    wardd_emit(d, &ev);
    if (o == MAIL_ALERT)
        wardd_alert(d, "mail", 1, m->pid, "%s: %s", m->program[0] ? m->program : "?", what);
}

static void on_decide(struct wardd *d, struct maild_msg *m, int msg_fd)
{
    const struct mail_facts *f = &m->facts;
    uint32_t which = 0;
    /* A message GMime cannot read is refused: what the rules would look at
     * is not there, and the client may read it otherwise. */
    bool unreadable = m->text[0] != '\0';
    const struct ward_mail_rule *r = unreadable ? NULL : match(&d->extras, m, &which);
    enum mail_outcome o = unreadable ? MAIL_REJECT : r ? (enum mail_outcome)r->outcome : MAIL_ALLOW;
    char atts[512] = "";
    bool infected = false;
    for (uint32_t a = 0; a < f->n_att; a++) {
        const struct mail_attachment *at = &f->att[a];
        size_t n = strlen(atts);
        snprintf(atts + n, sizeof(atts) - n, "%s%s (%s, %llu B%s%s)", a ? ", " : "",
                 at->name[0] ? at->name : "-", at->type, (unsigned long long)at->size,
                 at->av == MAIL_AV_INFECTED ? ", infected: " : "",
                 at->av == MAIL_AV_INFECTED ? at->av_name : "");
        infected |= at->av == MAIL_AV_INFECTED;
    }
    if (infected && !r)
        o = MAIL_ALERT; /* a virus no rule names is not passed in silence */
    /* An attachment past the limit, or whose scan failed, could hide what
     * the rules look for: the message is refused rather than passed. */
    uint32_t unscanned = f->n_att_all > f->n_att ? f->n_att_all - f->n_att : 0;
    for (uint32_t a = 0; a < f->n_att; a++)
        unscanned += f->att[a].av != MAIL_AV_CLEAN && f->att[a].av != MAIL_AV_INFECTED;
    if (!unreadable && unscanned && o != MAIL_REJECT) {
        o = MAIL_REJECT;
        r = NULL;
        wardd_log(LOG_WARNING,
                  "mail: message from %.200s rejected: %u of its %u attachments not scanned "
                  "(over the limit of %d, or the scan failed)",
                  f->from, unscanned, f->n_att_all, MAIL_MAX_ATTACHMENTS);
    }
    struct maild_msg reply = {.op = MAILD_DECIDED, .id = m->id, .verdict = (int32_t)o};
    if (o == MAIL_REJECT && unreadable)
        snprintf(reply.text, sizeof(reply.text), "message rejected by Ward: %.200s", m->text);
    else if (o == MAIL_REJECT && !r)
        snprintf(reply.text, sizeof(reply.text),
                 "message rejected by Ward (%u attachments could not be scanned)", unscanned);
    else if (o == MAIL_REJECT)
        snprintf(reply.text, sizeof(reply.text), "message rejected by Ward (mail rule %s)",
                 r->origin);
    if (o == MAIL_QUARANTINE) {
        char name[96];
        int rc = quarantine(d, msg_fd, m->id, name, sizeof(name));
        if (rc < 0) {
            wardd_log(LOG_ERR, "mail: the message could not be quarantined: %s: rejected",
                      strerror(-rc));
            o = MAIL_REJECT;
            reply.verdict = MAIL_REJECT;
            snprintf(reply.text, sizeof(reply.text),
                     "message rejected by Ward (its quarantine failed)");
        } else {
            reply.replace = which;
            snprintf(reply.text, sizeof(reply.text),
                     which ? "Ward kept this attachment in quarantine (%s, mail rule %s)."
                           : "message quarantined by Ward (%s, mail rule %s)",
                     name, r->origin);
            size_t n = strlen(atts);
            snprintf(atts + n, sizeof(atts) - n, " quarantined=%s", name);
        }
    }
    publish(d, m, o, r, atts);
    d->mail->decided++;
    send_back(d, &reply);
}

void wardd_mail_ready(struct wardd *d)
{
    struct wardd_mail *mp = d->mail;
    for (;;) {
        if (mp->h.fd < 0)
            return;
        static struct maild_msg m; /* large: not on the stack */
        int fd;
        int rc = maild_recv(mp->h.fd, &m, &fd);
        if (rc == -EAGAIN)
            break;
        if (rc <= 0) {
            if (fd >= 0)
                close(fd);
            wardd_helper_crashed(&mp->h, "mail: ward-maild",
                                 rc == 0 ? "stopped" : "answered nonsense");
            return;
        }
        switch (m.op) {
        case MAILD_CONNECT:
            on_connect(d, &m, fd);
            break;
        case MAILD_SCAN:
            if (fd < 0 || !wardd_av_scan_mail(d, fd, m.id, m.index)) {
                struct maild_msg r = {
                    .op = MAILD_SCANNED, .id = m.id, .index = m.index, .verdict = MAIL_AV_ERROR};
                snprintf(r.text, sizeof(r.text), "not scanned");
                send_back(d, &r);
            }
            fd = -1; /* the scanner's now */
            break;
        case MAILD_DECIDE:
            on_decide(d, &m, fd);
            break;
        case MAILD_TLS_FAILED:
            mp->tls_failed++;
            m.text[sizeof(m.text) - 1] = '\0';
            m.program[sizeof(m.program) - 1] = '\0';
            wardd_alert(d, "mail-tls", 1, m.pid, "%s: the mail server's TLS failed: %s",
                        m.program[0] ? m.program : "?", m.text);
            break;
        }
        if (fd >= 0)
            close(fd);
    }
}

void wardd_mail_status(struct wardd *d, ward_proto_status *s)
{
    struct wardd_mail *m = d->mail;
    bool wanted = d->extras.mail_port || d->extras.n_mail_tls;
    snprintf(s->mail_state, sizeof(s->mail_state), "%s",
             !wanted || !m  ? "off"
             : m->h.fd >= 0 ? "running"
             : m->h.starts  ? "down"
                            : "not started");
    s->mail_port = d->extras.mail_port;
    s->mail_listeners = d->extras.n_mail_tls;
    if (m) {
        s->mail_decided = m->decided;
        s->mail_tls_failed = m->tls_failed;
    }
}

void wardd_mail_scanned(struct wardd *d, uint64_t id, uint32_t index, int verdict, const char *text)
{
    if (!d->mail)
        return;
    struct maild_msg r = {.op = MAILD_SCANNED, .id = id, .index = index};
    r.verdict = verdict == SCAND_INFECTED ? MAIL_AV_INFECTED
                : verdict == SCAND_CLEAN  ? MAIL_AV_CLEAN
                                          : MAIL_AV_ERROR;
    snprintf(r.text, sizeof(r.text), "%s", text);
    send_back(d, &r);
}
