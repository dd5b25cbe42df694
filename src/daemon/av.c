/*
 * av.c — antivirus scanning of programs (docs/AV.md).
 *
 * libclamav runs in ward-scand (src/scand), never in wardd: a crash or a
 * slow scan cannot stop the loop. wardd passes it descriptors, so the
 * helper reads nothing by path, and keeps the results by the binary's
 * SHA-256: a program is scanned the first time one of its binaries asks
 * for the network, and again only when its digest changes (or the
 * databases do). A binary found infected is denied. With scan-before-allow
 * its first connections wait in the kernel's queue for the result, at most
 * the policy's bound; with scan-in-background they go on and the result
 * counts from the next one. A helper that dies is started again with a
 * backoff (1 s doubling to a minute), and what it was scanning gets an
 * error result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "compile/kcompile.h"
#include "daemon/wardd.h"
#include "util/grow.h"
#include "scand/wire.h"
#include "ward/shim.h"

#define IN_FLIGHT 8    /* scans sent to the helper at once */
#define MAX_JOBS  1024 /* scans waiting, at most */
#define MAX_CACHE 4096 /* binaries whose result is kept */

enum av_state { AV_PENDING, AV_CLEAN, AV_INFECTED, AV_ERROR };

/* The result for one executable file (its identity and modification time)
 * and its digest: the copies of a binary share the result of its one scan. */
struct av_entry {
    ward_sha256 sha;
    ward_exe_id exe;  /* prompts ask by it, the kernel tables by it and mtime_ns */
    int64_t mtime_ns; /* ... and its modification time then (kernel tables: av_resolve) */
    uint32_t pid;     /* the process that asked first, and its path: for the alert */
    char path[WARD_EVENT_EXE_MAX];
    uint8_t state;
    bool released;    /* scan-before-allow: the bound passed, connections go on */
    int64_t bound_ms; /* when held connections stop waiting */
    char name[128];   /* the signature, or the error */
};

/* `ward scan`: one request's files, answered together. */
struct av_batch {
    uint64_t session;
    uint32_t req;
    size_t left;
    ward_msg reply;
};

struct av_job {
    uint64_t id;
    int fd; /* until sent */
    bool sent;
    ward_sha256 sha;        /* a program's binary (batch NULL) */
    struct av_batch *batch; /* or a file of `ward scan` */
    size_t index;           /* ... its place in the reply */
    bool mail;              /* or a mail attachment (mail.c): */
    uint64_t mail_id;       /* ... the proxy's connection */
};

struct wardd_av {
    struct wardd_helper h; /* ward-scand */
    struct scand_msg info;
    bool have_info;
    struct av_entry *cache;
    size_t n_cache;
    struct av_job *jobs;
    size_t n_jobs;
    struct av_held {
        ward_kqueued q;
        ward_sha256 sha;
        struct wardd_asker as;              /* the queue's packet or a shim's question */
        char claim[WARD_SHIM_NAME_MAX + 1]; /* the shim's name, unconfirmed ("" none) */
    } * held; /* scan-before-allow: connections waiting for a result */
    size_t n_held, cap_held;
    uint64_t next_id, scans, hits, infected;
    bool sync; /* results changed what the kernel's tables may hold */
    /* The files of the programs given kernel tables as known clean: one
     * written to must leave the tables before its next connection. */
    int watch_fd;
};

static const char *mode_name(enum ward_av_mode m)
{
    return m == WARD_AV_BEFORE_ALLOW ? "scan-before-allow"
           : m == WARD_AV_BACKGROUND ? "scan-in-background"
                                     : "off";
}

static struct av_entry *find(struct wardd_av *a, const ward_sha256 *sha)
{
    for (size_t i = 0; i < a->n_cache; i++)
        if (!memcmp(a->cache[i].sha.b, sha->b, sizeof(sha->b)))
            return &a->cache[i];
    return NULL;
}

/* The file's entry: the last one of the executable (mtime_ns < 0: any time). */
static struct av_entry *find_exe(struct wardd_av *a, ward_exe_id exe, int64_t mtime_ns)
{
    for (size_t i = a->n_cache; i-- > 0;)
        if (a->cache[i].exe.dev == exe.dev && a->cache[i].exe.ino == exe.ino &&
            (mtime_ns < 0 || a->cache[i].mtime_ns == mtime_ns))
            return &a->cache[i];
    return NULL;
}

int wardd_av_open(struct wardd *d, uint32_t tag)
{
    struct wardd_av *a = calloc(1, sizeof(*a));
    if (!a || !(a->cache = calloc(MAX_CACHE, sizeof(*a->cache))) ||
        !(a->jobs = calloc(MAX_JOBS, sizeof(*a->jobs)))) {
        if (a)
            free(a->cache);
        free(a);
        return -1;
    }
    wardd_helper_init(&a->h, "ward-scand", tag);
    a->watch_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    if (a->watch_fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, a->watch_fd, &ev) < 0)
        wardd_log(LOG_WARNING,
                  "av: inotify: %s; a program rewritten in place keeps its kernel "
                  "table until the next change of the tables",
                  strerror(errno));
    d->av = a;
    return 0;
}

static void start(struct wardd *d)
{
    struct wardd_av *a = d->av;
    const char *db = d->opt.av_db ? d->opt.av_db : WARDD_AV_DB;
    /* libclamav unpacks archives into files: a directory in the run
     * directory (ward.service leaves /tmp read-only), which the helper
     * makes its own as it drops its privileges. */
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s/scan", d->opt.run_dir);
    char *argv[] = {"ward-scand", (char *)db, tmp, NULL};
    if (wardd_helper_start(d, &a->h, argv) == 0)
        wardd_log(LOG_INFO, "av: %s started (pid %d, databases %s)", a->h.path, (int)a->h.pid, db);
}

/* Sends what waits, at most IN_FLIGHT at a time. */
static void pump(struct wardd_av *a)
{
    size_t flying = 0;
    for (size_t i = 0; i < a->n_jobs && a->h.fd >= 0; i++) {
        struct av_job *j = &a->jobs[i];
        if (j->sent) {
            flying++;
            continue;
        }
        if (flying >= IN_FLIGHT)
            break;
        struct scand_msg m = {.magic = SCAND_MAGIC, .op = SCAND_SCAN, .id = j->id};
        if (scand_send(a->h.fd, &m, j->fd) < 0)
            break; /* full, or gone: the loop sees which */
        close(j->fd);
        j->fd = -1;
        j->sent = true;
        a->scans++;
        flying++;
    }
}

static void reply_batch(struct wardd *d, struct av_batch *b);

/* Queues a scan of fd (taken). false when too many wait. */
static bool enqueue(struct wardd *d, int fd, const ward_sha256 *sha, struct av_batch *b,
                    size_t index)
{
    struct wardd_av *a = d->av;
    if (a->n_jobs == MAX_JOBS) {
        close(fd);
        return false;
    }
    struct av_job *j = &a->jobs[a->n_jobs++];
    *j = (struct av_job){.id = ++a->next_id, .fd = fd, .batch = b, .index = index};
    if (sha)
        j->sha = *sha;
    pump(a);
    return true;
}

/* The queued connections waiting for the result of binary sha (NULL:
 * for results whose bound passed) are decided again: the result is known
 * now, or they go on without it. */
static void release_held(struct wardd *d, const ward_sha256 *sha)
{
    struct wardd_av *a = d->av;
    size_t n = 0;
    for (size_t i = 0; i < a->n_held; i++) {
        const struct av_entry *e = find(a, &a->held[i].sha);
        bool go = sha ? !memcmp(a->held[i].sha.b, sha->b, sizeof(sha->b)) : !e || e->released;
        if (go)
            n++;
    }
    if (!n)
        return;
    /* Out of the list first: deciding them may hold others. */
    struct av_held *go = malloc(n * sizeof(*go));
    if (!go)
        return;
    size_t k = 0, j = 0;
    for (size_t i = 0; i < a->n_held; i++) {
        const struct av_entry *e = find(a, &a->held[i].sha);
        if (sha ? !memcmp(a->held[i].sha.b, sha->b, sizeof(sha->b)) : !e || e->released)
            go[k++] = a->held[i];
        else
            a->held[j++] = a->held[i];
    }
    a->n_held = j;
    for (size_t i = 0; i < k; i++) {
        const struct av_held *h = &go[i];
        int v = wardd_decide(d, &h->q, h->claim[0] ? h->claim : NULL, &h->as);
        if (v == WARD_KV_ASK)
            continue; /* on a prompt now: answered when it closes */
        if (h->as.via == WARD_VIA_SHIM)
            wardd_shim_answer(d, h->as.shim_id,
                              v == WARD_KV_ALLOW  ? WARD_V_PERMIT
                              : v == WARD_KV_DENY ? WARD_V_BLOCK
                                                  : WARD_V_DEFER);
        else if (d->kernel)
            ward_kernel_queue_verdict(d->kernel, h->q.id, (uint8_t)v);
    }
    free(go);
}

static void finish_job(struct wardd *d, struct av_job *j, int verdict, const char *text)
{
    struct wardd_av *a = d->av;
    if (j->mail) {
        if (verdict == SCAND_INFECTED)
            a->infected++;
        wardd_mail_scanned(d, j->mail_id, (uint32_t)j->index, verdict, text);
        return;
    }
    if (j->batch) {
        ward_proto_scan_result *r = &j->batch->reply.u.scan_reply.v[j->index];
        r->result = verdict == SCAND_INFECTED ? WARD_SCAN_INFECTED
                    : verdict == SCAND_CLEAN  ? WARD_SCAN_CLEAN
                                              : WARD_SCAN_ERROR;
        r->name = verdict == SCAND_CLEAN ? NULL : strdup(text);
        if (verdict == SCAND_INFECTED)
            a->infected++;
        if (--j->batch->left == 0)
            reply_batch(d, j->batch);
        return;
    }
    struct av_entry *e = find(a, &j->sha);
    if (!e)
        return;
    for (size_t i = 0; i < a->n_cache; i++) {
        struct av_entry *c = &a->cache[i];
        if (memcmp(c->sha.b, e->sha.b, sizeof(c->sha.b)))
            continue;
        c->state = verdict == SCAND_INFECTED ? AV_INFECTED
                   : verdict == SCAND_CLEAN  ? AV_CLEAN
                                             : AV_ERROR;
        snprintf(c->name, sizeof(c->name), "%s", text);
    }
    char hex[WARD_SHA256_STRLEN];
    ward_sha256_format(&e->sha, hex, sizeof(hex));
    if (e->state == AV_INFECTED) {
        a->infected++;
        wardd_alert(d, "av-infected", 1, e->pid, "%s: %s (sha256 %s): denied", e->path, e->name,
                    hex);
        wardd_prompts_close_exe(d, e->exe, WARD_V_BLOCK, "av-infected");
    } else if (e->state == AV_ERROR) {
        wardd_log(LOG_WARNING, "av: binary %s not scanned: %s (allowed as if clean)", hex, e->name);
    } else {
        wardd_log(LOG_DEBUG, "av: binary %s clean", hex);
        a->sync = true; /* known clean: its program may be decided in the kernel now */
    }
    release_held(d, &e->sha);
}

/* Job i is done: out of the queue, in order. */
static void drop_job(struct wardd_av *a, size_t i)
{
    if (a->jobs[i].fd >= 0)
        close(a->jobs[i].fd);
    memmove(&a->jobs[i], &a->jobs[i + 1], (a->n_jobs - i - 1) * sizeof(*a->jobs));
    a->n_jobs--;
}

static void on_info(struct wardd *d, const struct scand_msg *m)
{
    struct wardd_av *a = d->av;
    bool first = !a->have_info;
    a->info = *m;
    a->have_info = true;
    if (m->verdict < 0) {
        wardd_log(LOG_ERR, "av: the signature databases were not loaded: %s%s", m->text,
                  m->sigs ? "; scanning goes on with the previous ones" : "");
        return;
    }
    wardd_log(LOG_INFO, "av: libclamav %s, %u signatures (database version %u)", m->version,
              m->sigs, m->db_version);
    if (first)
        return;
    /* New signatures: what was scanned is scanned again at its next use. */
    size_t k = 0;
    for (size_t i = 0; i < a->n_cache; i++)
        if (a->cache[i].state == AV_PENDING)
            a->cache[k++] = a->cache[i];
    a->n_cache = k;
    a->sync = true; /* the programs in the kernel's tables come back to wardd */
}

/* The helper is gone: what it was scanning fails, the rest waits for the
 * next helper. */
static void crashed(struct wardd *d, const char *why)
{
    struct wardd_av *a = d->av;
    wardd_helper_crashed(&a->h, "av: ward-scand", why);
    for (size_t i = 0; i < a->n_jobs;) {
        if (!a->jobs[i].sent) {
            i++;
            continue;
        }
        struct av_job j = a->jobs[i];
        drop_job(a, i);
        finish_job(d, &j, SCAND_ERROR, "the scanner stopped while scanning it");
    }
}

/* A watched program's file changed: the tables are synced at once (the
 * resolver withdraws it), before its next connection can use them. */
static void files_changed(struct wardd *d)
{
    struct wardd_av *a = d->av;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    while (a->watch_fd >= 0 && read(a->watch_fd, buf, sizeof(buf)) > 0)
        any = true;
    if (!any)
        return;
    wardd_log(LOG_INFO, "av: a program with a kernel table changed on disk: the tables are synced");
    wardd_commit(d, 0);
}

void wardd_av_ready(struct wardd *d)
{
    struct wardd_av *a = d->av;
    files_changed(d);
    for (;;) {
        if (a->h.fd < 0)
            return;
        struct scand_msg m;
        int fd;
        int rc = scand_recv(a->h.fd, &m, &fd);
        if (fd >= 0)
            close(fd);
        if (rc == -EAGAIN)
            break;
        if (rc <= 0) {
            crashed(d, rc == 0 ? "exited" : "answered nonsense");
            return;
        }
        if (m.op == SCAND_INFO) {
            on_info(d, &m);
            continue;
        }
        for (size_t i = 0; m.op == SCAND_RESULT && i < a->n_jobs; i++) {
            if (a->jobs[i].id != m.id || !a->jobs[i].sent)
                continue;
            struct av_job j = a->jobs[i];
            drop_job(a, i);
            finish_job(d, &j, m.verdict, m.text);
            break;
        }
    }
    pump(a);
}

void wardd_av_tick(struct wardd *d, int64_t now_ms)
{
    struct wardd_av *a = d->av;
    if (!a)
        return;
    /* Started when the policy scans, or when `ward scan` asks. */
    if ((d->extras.av_mode != WARD_AV_OFF || a->n_jobs) && wardd_helper_due(&a->h, now_ms)) {
        start(d);
        pump(a);
    }
    /* Bounds passed: those connections go on without the result. */
    bool any = false;
    for (size_t i = 0; i < a->n_cache; i++) {
        struct av_entry *e = &a->cache[i];
        if (e->state == AV_PENDING && !e->released && now_ms >= e->bound_ms) {
            e->released = true;
            any = true;
        }
    }
    if (any)
        release_held(d, NULL);
    if (a->sync) {
        a->sync = false;
        wardd_commit(d, 0);
    }
}

int64_t wardd_av_next_deadline(struct wardd *d)
{
    struct wardd_av *a = d->av;
    int64_t next = -1;
    if (!a || !a->n_held)
        return -1; /* nothing waits on a bound */
    for (size_t i = 0; i < a->n_cache; i++) {
        const struct av_entry *e = &a->cache[i];
        if (e->state == AV_PENDING && !e->released && (next < 0 || e->bound_ms < next))
            next = e->bound_ms;
    }
    return next;
}

void wardd_av_close(struct wardd *d)
{
    struct wardd_av *a = d->av;
    if (!a)
        return;
    wardd_helper_stop(&a->h);
    if (a->watch_fd >= 0)
        close(a->watch_fd);
    for (size_t i = 0; i < a->n_jobs; i++) {
        if (a->jobs[i].fd >= 0)
            close(a->jobs[i].fd);
        if (a->jobs[i].batch && --a->jobs[i].batch->left == 0) {
            ward_msg_free(&a->jobs[i].batch->reply);
            free(a->jobs[i].batch);
        }
    }
    free(a->jobs);
    free(a->cache);
    free(a->held);
    free(a);
    d->av = NULL;
}

/* A new entry for sha, the oldest result making room. */
static struct av_entry *add_entry(struct wardd_av *a, const ward_sha256 *sha, ward_exe_id exe)
{
    if (a->n_cache == MAX_CACHE) {
        memmove(&a->cache[0], &a->cache[1], (MAX_CACHE - 1) * sizeof(*a->cache));
        a->n_cache--;
    }
    struct av_entry *e = &a->cache[a->n_cache++];
    *e = (struct av_entry){.sha = *sha, .exe = exe, .state = AV_PENDING};
    return e;
}

enum wardd_av_outcome wardd_av_check(struct wardd *d, const ward_kqueued *q, const char *claim,
                                     const struct wardd_asker *as, const ward_proc *p, char *name,
                                     size_t namelen)
{
    struct wardd_av *a = d->av;
    ward_sha256 sha;
    if (!a || d->extras.av_mode == WARD_AV_OFF || !p || proctab_sha256(d->procs, p, &sha) != 0)
        return WARDD_AV_GO;
    struct av_entry *e = find(a, &sha);
    if (e && e->state != AV_PENDING) {
        a->hits++;
        if (!find_exe(a, p->id, p->mtime_ns)) {
            /* Another copy of a binary known: its result, under its name. */
            struct av_entry c = *e;
            e = add_entry(a, &sha, p->id);
            *e = c;
            e->exe = p->id;
            e->mtime_ns = p->mtime_ns;
            e->pid = p->pid;
            snprintf(e->path, sizeof(e->path), "%s", p->exe ? p->exe : "?");
            if (e->state == AV_CLEAN)
                a->sync = true; /* its program may have a kernel table now */
        }
        if (e->state != AV_INFECTED)
            return WARDD_AV_GO;
        snprintf(name, namelen, "%s", e->name);
        return WARDD_AV_DENY;
    }
    if (!e) {
        /* The file the process runs, whatever its path says now. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/%u/exe", p->pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != p->id.dev || st.st_ino != p->id.ino) {
            if (fd >= 0)
                close(fd);
            return WARDD_AV_GO;
        }
        if (!enqueue(d, fd, &sha, NULL, 0))
            return WARDD_AV_GO;
        e = add_entry(a, &sha, p->id);
        e->mtime_ns = p->mtime_ns;
        e->pid = p->pid;
        snprintf(e->path, sizeof(e->path), "%s", p->exe ? p->exe : "?");
        e->bound_ms = wardd_now_ms() + (int64_t)d->extras.av_bound * 1000;
    }
    if (d->extras.av_mode != WARD_AV_BEFORE_ALLOW || e->released || a->n_held >= d->opt.max_waiting)
        return WARDD_AV_GO;
    struct av_held *grown = ward_grow(a->held, &a->cap_held, a->n_held, sizeof(*grown), 16);
    if (!grown)
        return WARDD_AV_GO;
    a->held = grown;
    struct av_held *h = &a->held[a->n_held++];
    *h = (struct av_held){.q = *q, .sha = sha, .as = *as};
    snprintf(h->claim, sizeof(h->claim), "%s", claim ? claim : "");
    return WARDD_AV_HOLD;
}

const char *wardd_av_finding(struct wardd *d, ward_exe_id exe, char *buf, size_t len)
{
    struct wardd_av *a = d->av;
    if (!a || d->extras.av_mode == WARD_AV_OFF)
        return NULL;
    const struct av_entry *e = find_exe(a, exe, -1);
    if (!e)
        return "not scanned";
    switch (e->state) {
    case AV_PENDING:
        return "scanning";
    case AV_CLEAN:
        return "clean";
    case AV_INFECTED:
        snprintf(buf, len, "infected: %s", e->name);
        return buf;
    default:
        snprintf(buf, len, "not scanned: %s", e->name);
        return buf;
    }
}

int wardd_av_resolve(void *ctx, const char *path, ward_exe_id *out)
{
    struct wardd *d = ctx;
    struct stat st;
    if (ward_kc_resolve_path(NULL, path, out) < 0)
        return -1;
    if (!d->av || d->extras.av_mode == WARD_AV_OFF)
        return 0;
    if (stat(path, &st) < 0)
        return -1;
    const struct av_entry *e =
        find_exe(d->av, *out, (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
    if (!e || e->state != AV_CLEAN)
        return -1;
    if (d->av->watch_fd >= 0)
        inotify_add_watch(d->av->watch_fd, path,
                          IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF);
    return 0;
}

bool wardd_av_scan_mail(struct wardd *d, int fd, uint64_t id, uint32_t index)
{
    struct wardd_av *a = d->av;
    if (!a || a->n_jobs == MAX_JOBS) {
        close(fd);
        return false;
    }
    a->jobs[a->n_jobs++] =
        (struct av_job){.id = ++a->next_id, .fd = fd, .index = index, .mail = true, .mail_id = id};
    pump(a);
    return true;
}

/* ---- ward scan --------------------------------------------------------- */

struct batch_send {
    struct av_batch *b;
    bool sent;
};

static void send_to_session(ward_conn *c, void *ctx)
{
    struct batch_send *s = ctx;
    if (!s->sent && ward_conn_session(c) == s->b->session) {
        s->b->reply.id = s->b->req;
        ward_conn_send(c, &s->b->reply, NULL, 0);
        s->sent = true;
    }
}

static void reply_batch(struct wardd *d, struct av_batch *b)
{
    struct batch_send s = {b, false};
    ward_server_foreach(d->server, send_to_session, &s);
    ward_msg_free(&b->reply);
    free(b);
}

void wardd_av_on_scan(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    struct wardd_av *a = d->av;
    struct av_batch *b = calloc(1, sizeof(*b));
    size_t n = m->u.scan.n;
    if (!a || !b || !(b->reply.u.scan_reply.v = calloc(n, sizeof(ward_proto_scan_result)))) {
        free(b);
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    if (a->n_jobs + n > MAX_JOBS) {
        free(b->reply.u.scan_reply.v);
        free(b);
        ward_conn_send_error(c, m->id, WARD_PE_BUSY, "%zu scans are waiting already", a->n_jobs);
        return;
    }
    b->reply.type = WARD_MSG_SCAN_REPLY;
    b->reply.u.scan_reply.n = n;
    b->session = ward_conn_session(c);
    b->req = m->id;
    b->left = n + 1; /* the last file cannot answer before they are all queued */
    for (size_t i = 0; i < n; i++) {
        ward_proto_scan_result *r = &b->reply.u.scan_reply.v[i];
        r->path = strdup(m->u.scan.paths[i]);
        /* wardd (root) opens the file: the request is an administrator's. */
        int fd = open(m->u.scan.paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        const char *err = NULL;
        if (fd < 0)
            err = strerror(errno);
        else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
            err = "not a regular file";
        if (err) {
            if (fd >= 0)
                close(fd);
            r->result = WARD_SCAN_ERROR;
            r->name = strdup(err);
            b->left--;
            continue;
        }
        enqueue(d, fd, NULL, b, i);
    }
    if (--b->left == 0)
        reply_batch(d, b);
}

void wardd_av_status(struct wardd *d, ward_proto_status *s)
{
    struct wardd_av *a = d->av;
    snprintf(s->av_mode, sizeof(s->av_mode), "%s", mode_name(d->extras.av_mode));
    if (!a)
        return;
    snprintf(s->av_state, sizeof(s->av_state), "%s",
             a->h.fd >= 0  ? "running"
             : a->h.starts ? "down"
                           : "not started");
    if (a->have_info) {
        snprintf(s->av_engine, sizeof(s->av_engine), "%s", a->info.version);
        snprintf(s->av_error, sizeof(s->av_error), "%s", a->info.text);
        s->av_sigs = a->info.sigs;
        s->av_db_version = a->info.db_version;
        s->av_db_time = a->info.db_time;
    }
    s->av_scans = a->scans;
    s->av_cache_hits = a->hits;
    s->av_infected = a->infected;
    s->av_restarts = a->h.starts ? a->h.starts - 1 : 0;
}
