/*
 * rebuild.c — the engine's index rebuilds, off the loop.
 *
 * The classifier behind the filters rebuilds its decision tree once the
 * updates since the last build outnumber the rules (docs/ENGINE.md). Done
 * inside the update that tips it, a rule added or removed would hold every
 * decision and control request for the whole build: 10–15 ms at 10k
 * rules, ~100 ms at 100k. wardd's engine defers them instead: after each
 * round of events the loop asks it for a rebuild that is due, gets a
 * snapshot of one index, and a thread builds from it while the loop goes
 * on deciding and updating (updates meanwhile are correct at once: they go
 * to the index's tables, and to a log). An eventfd brings the result back;
 * the loop installs it, replaying the log a slice per round of events, and
 * a thread frees the old index. One rebuild runs at a time: an engine has
 * few indexes.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

struct wardd_rebuild {
    int efd; /* the thread is done, or the install has more to replay */
    enum { IDLE, BUILDING, INSTALLING, FREEING } state;
    bool threaded; /* the thread runs or is to be joined */
    pthread_t thread;
    ward_rebuild *job;
};

int wardd_rebuild_init(struct wardd *d)
{
    struct wardd_rebuild *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->efd < 0) {
        int e = -errno;
        free(r);
        return e;
    }
    d->rebuild = r;
    return 0;
}

int wardd_rebuild_fd(const struct wardd *d)
{
    return d->rebuild->efd;
}

static void wake(struct wardd_rebuild *r)
{
    uint64_t one = 1;
    while (write(r->efd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

/* Builds the job, or frees an installed one (the old index: tens of
 * thousands of blocks at 100k rules, work the loop need not do either). */
static void *worker(void *arg)
{
    struct wardd_rebuild *r = arg;
    if (r->state == BUILDING) {
        ward_rebuild_run(r->job); /* a failure shows at the install */
    } else {
        ward_rebuild_free(r->job);
        r->job = NULL;
    }
    wake(r);
    return NULL;
}

static void start(struct wardd_rebuild *r, int state)
{
    r->state = state;
    int rc = pthread_create(&r->thread, NULL, worker, r);
    r->threaded = rc == 0;
    if (rc != 0) {
        /* No thread: do it here, as the update itself would have. */
        wardd_log(LOG_WARNING, "rebuild thread: %s; rebuilding on the loop", strerror(rc));
        worker(r);
    }
}

void wardd_rebuild_poll(struct wardd *d)
{
    struct wardd_rebuild *r = d->rebuild;
    if (!r || r->state != IDLE || !d->engine)
        return;
    if ((r->job = ward_engine_rebuild_take(d->engine)))
        start(r, BUILDING);
}

void wardd_rebuild_done(struct wardd *d)
{
    struct wardd_rebuild *r = d->rebuild;
    uint64_t v;
    if (read(r->efd, &v, sizeof(v)) < 0 && errno == EAGAIN)
        return;
    if (r->threaded)
        pthread_join(r->thread, NULL);
    r->threaded = false;
    switch (r->state) {
    case BUILDING:
    case INSTALLING: {
        r->state = INSTALLING;
        int rc = ward_rebuild_install(r->job);
        if (rc > 0) {
            wake(r); /* the rest of the log after the events waiting */
            return;
        }
        /* NOENT: the index went with a policy reload; NOMEM: a later update
         * asks again. Either way the index in force answers correctly. */
        if (rc < 0 && rc != WARD_E_NOENT)
            wardd_log(LOG_WARNING, "index rebuild: %s", ward_strerror(rc));
        else if (rc == 0)
            wardd_log(LOG_DEBUG, "index rebuilt aside and installed");
        start(r, FREEING);
        return;
    }
    case FREEING:
        r->state = IDLE;
        wardd_rebuild_poll(d); /* another index may be due */
        return;
    case IDLE:
        return;
    }
}

void wardd_rebuild_free(struct wardd *d)
{
    struct wardd_rebuild *r = d->rebuild;
    if (!r)
        return;
    if (r->threaded)
        pthread_join(r->thread, NULL); /* bounded: one build */
    ward_rebuild_free(r->job);
    close(r->efd);
    free(r);
    d->rebuild = NULL;
}
