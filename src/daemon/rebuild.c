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
 * the thread frees the old index. One rebuild runs at a time: an engine has
 * few indexes. The thread lives as long as wardd and waits for its next
 * task: creating one per rebuild cost the loop ~100 µs.
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
    int efd; /* a task is done, or the install has more to replay */
    enum { IDLE, BUILDING, INSTALLING, FREEING } state;
    ward_rebuild *job; /* the loop's: taken, being built or installed */
    /* The worker's, under mu: the job to build (build) or free, NULL once
     * done; set by the loop only while NULL. */
    ward_rebuild *task;
    bool build, quit, threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void wake(struct wardd_rebuild *r)
{
    uint64_t one = 1;
    while (write(r->efd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

/* Builds a job, or frees an installed one (the old index: tens of
 * thousands of blocks at 100k rules, work the loop need not do either). */
static void work(ward_rebuild *job, bool build)
{
    if (build)
        ward_rebuild_run(job); /* a failure shows at the install */
    else
        ward_rebuild_free(job);
}

static void *worker(void *arg)
{
    struct wardd_rebuild *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->task && !r->quit)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->quit)
            break;
        ward_rebuild *job = r->task;
        bool build = r->build;
        pthread_mutex_unlock(&r->mu);
        work(job, build);
        pthread_mutex_lock(&r->mu);
        r->task = NULL;
        wake(r);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

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
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    int rc = pthread_create(&r->thread, NULL, worker, r);
    r->threaded = rc == 0;
    if (rc != 0) /* rebuilds are then done on the loop, as an update would */
        wardd_log(LOG_WARNING, "rebuild thread: %s; rebuilding on the loop", strerror(rc));
    d->rebuild = r;
    return 0;
}

int wardd_rebuild_fd(const struct wardd *d)
{
    return d->rebuild->efd;
}

/* Hands the job to the worker: to build, or (FREEING) to free. */
static void start(struct wardd_rebuild *r, int state)
{
    ward_rebuild *job = r->job;
    r->state = state;
    if (state == FREEING)
        r->job = NULL;
    if (!r->threaded) {
        work(job, state == BUILDING);
        wake(r);
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->task = job;
    r->build = state == BUILDING;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
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
    pthread_mutex_lock(&r->mu); /* what the worker wrote, before it said so */
    bool busy = r->task != NULL;
    pthread_mutex_unlock(&r->mu);
    if (busy)
        return;
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
    if (r->threaded) {
        /* A task under way ends first (bounded: one build). */
        pthread_mutex_lock(&r->mu);
        r->quit = true;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    if (r->task != r->job)
        ward_rebuild_free(r->task); /* an old index not freed yet */
    ward_rebuild_free(r->job);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    close(r->efd);
    free(r);
    d->rebuild = NULL;
}
