/*
 * callout/internal.h — shared by the registry's files (not for wardd).
 */
#ifndef WARD_CALLOUT_INTERNAL_H
#define WARD_CALLOUT_INTERNAL_H

#include "callout/callout.h"
#include "callout/wire.h"

/* A shared-object callout's host process, seen from wardd (host.c). */
struct host {
    char *so_path;
    const char *host_path;
    unsigned budget_ms; /* per call */
    pid_t pid;          /* 0: not running */
    int fd;             /* -1: not running */
    uint32_t seq;
    int64_t down_since_ms; /* when it last failed: restarts wait a second */
    uint64_t restarts;
};

/* Starts the host for h->so_path and reads its hello (name, layers). 0, or
 * -1 with the reason in err (the process is gone then). */
int host_start(struct host *h, char *name, size_t namelen, uint32_t *layers, char *err,
               size_t errlen);
void host_stop(struct host *h);
/* One classify call within the budget; false when the host failed (crashed,
 * hung, answered nonsense): it has been stopped, and is restarted on a
 * later call, at most once a second. */
bool host_classify(struct host *h, const ward_callout_flow *f, const ward_callout_data *d,
                   enum ward_callout_verdict *out);
void host_notify(struct host *h, enum ward_callout_event ev, uint64_t id, const char *name);
void host_flow_delete(struct host *h, uint64_t flow_id);

/* The file checks of a shared object (sofile.c): a regular file owned by
 * root, not writable by group or others, in a directory likewise. */
int sofile_check(const char *path, char *err, size_t errlen);

int64_t callout_now_ms(void);

#endif
