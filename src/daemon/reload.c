/*
 * reload.c — reloading the policy off the decision path.
 *
 * Parsing a policy reads files and builds a whole engine: however fast the
 * parser is, that is work the loop must not wait for while connections are
 * held in the queue. A reload (`ward reload`, SIGHUP) runs the parse on a
 * thread that shares nothing with the loop but its own copies of the paths
 * and the result; an eventfd tells the loop it is done, and the loop then
 * puts the new policy in force in one step and answers who asked.
 *
 * A reload asked for while one runs is not merged into it (the running parse
 * may have read the files before they changed): it starts when the running
 * one ends, and answers everyone who asked meanwhile.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "daemon/notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#define RELOAD_ERR_MAX 8192
#define MAX_WAITERS    64

struct waiter {
    uint64_t session; /* the client's: it may be gone by the answer */
    uint32_t id;
};

struct wardd_reload {
    int efd;
    bool running;  /* a parse is under way or its result waits on efd */
    bool threaded; /* ... on `thread`, to be joined */
    pthread_t thread;
    /* The thread's: written before the eventfd, read after it. */
    char *config, *learned;
    ward_policy *result;
    ward_dnsfilter *dnsf; /* the result's dnsfilter lists */
    /* Names the policy may use: callouts are loaded and unloaded only
     * while no parse runs (wardd_reload_running). */
    const char *const *callouts;
    char err[RELOAD_ERR_MAX];
    /* The loop's. */
    struct waiter now[MAX_WAITERS], next[MAX_WAITERS];
    size_t n_now, n_next;
    bool again; /* someone asked while the parse ran */
};

int wardd_reload_init(struct wardd *d)
{
    struct wardd_reload *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    r->config = strdup(d->opt.config);
    r->learned = strdup(d->learned_path);
    if (r->efd < 0 || !r->config || !r->learned) {
        int e = r->efd < 0 ? -errno : -ENOMEM;
        if (r->efd >= 0)
            close(r->efd);
        free(r->config);
        free(r->learned);
        free(r);
        return e;
    }
    r->callouts = d->callouts ? ward_callouts_names(d->callouts) : NULL;
    d->reload = r;
    return 0;
}

bool wardd_reload_running(const struct wardd *d)
{
    return d->reload && d->reload->running;
}

int wardd_reload_fd(const struct wardd *d)
{
    return d->reload->efd;
}

static void *parse_thread(void *arg)
{
    struct wardd_reload *r = arg;
    r->result =
        wardd_policy_parse(r->config, r->learned, r->callouts, &r->dnsf, r->err, sizeof(r->err));
    uint64_t one = 1;
    while (write(r->efd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void start(struct wardd *d)
{
    struct wardd_reload *r = d->reload;
    r->result = NULL;
    r->dnsf = NULL;
    r->err[0] = 0;
    wardd_notify("RELOADING=1");
    r->running = true;
    int rc = pthread_create(&r->thread, NULL, parse_thread, r);
    r->threaded = rc == 0;
    if (rc != 0) {
        /* No thread: parse here rather than refuse the reload. */
        wardd_log(LOG_WARNING, "reload thread: %s; parsing on the loop", strerror(rc));
        parse_thread(r);
    }
}

static bool add_waiter(struct waiter *v, size_t *n, ward_conn *c, uint32_t id)
{
    if (!c)
        return true;
    if (*n == MAX_WAITERS) {
        ward_conn_send_error(c, id, WARD_PE_BUSY, "too many reloads waiting");
        return false;
    }
    v[(*n)++] = (struct waiter){ward_conn_session(c), id};
    return true;
}

void wardd_reload_request(struct wardd *d, ward_conn *c, uint32_t id)
{
    struct wardd_reload *r = d->reload;
    if (r->running) {
        if (add_waiter(r->next, &r->n_next, c, id))
            r->again = true;
        return;
    }
    if (add_waiter(r->now, &r->n_now, c, id))
        start(d);
}

struct answer {
    struct wardd_reload *r;
    bool ok;
    const char *err;
};

static void answer_conn(ward_conn *c, void *ctx)
{
    struct answer *a = ctx;
    uint64_t session = ward_conn_session(c);
    for (size_t i = 0; i < a->r->n_now; i++) {
        if (a->r->now[i].session != session)
            continue;
        if (a->ok)
            ward_conn_send_ok(c, a->r->now[i].id);
        else
            ward_conn_send_failed(c, a->r->now[i].id, "policy not reloaded: ", a->err);
    }
}

void wardd_reload_done(struct wardd *d)
{
    struct wardd_reload *r = d->reload;
    uint64_t v;
    if (read(r->efd, &v, sizeof(v)) < 0 && errno == EAGAIN)
        return;
    if (r->threaded)
        pthread_join(r->thread, NULL);
    r->running = r->threaded = false;
    bool ok = false;
    if (r->result) {
        ward_policy *p = r->result;
        r->result = NULL;
        ok = wardd_policy_install(d, p, r->dnsf, r->err, sizeof(r->err)) == 0;
        r->dnsf = NULL;
    }
    if (ok) {
        wardd_log(LOG_INFO, "policy reloaded");
        wardd_until_exit_sweep(d);
        wardd_commit(d, WARDD_CHANGED_POLICY);
    } else {
        wardd_log(LOG_ERR, "reload refused, the previous policy stays: %s", r->err);
    }
    wardd_notify("READY=1");
    struct answer a = {r, ok, r->err};
    ward_server_foreach(d->server, answer_conn, &a);
    r->n_now = 0;
    if (r->again) {
        memcpy(r->now, r->next, r->n_next * sizeof(r->next[0]));
        r->n_now = r->n_next;
        r->n_next = 0;
        r->again = false;
        start(d);
    }
}

void wardd_reload_free(struct wardd *d)
{
    struct wardd_reload *r = d->reload;
    if (!r)
        return;
    if (r->threaded)
        pthread_join(r->thread, NULL); /* bounded: a parse stops at its limits */
    ward_policy_free(r->result);
    ward_dnsfilter_free(r->dnsf);
    close(r->efd);
    free(r->config);
    free(r->learned);
    free(r);
    d->reload = NULL;
}
