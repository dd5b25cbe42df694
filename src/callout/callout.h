/*
 * callout/callout.h — the callout registry: wardd's callouts, built in or
 * loaded from shared objects, handed to the engine (ward_callout_register).
 *
 * The registry is the bridge between the engine's callback (a request in, a
 * verdict out) and the public API of include/ward/callout.h: it turns the
 * request into the flow's metadata, keeps each flow's context per callout,
 * calls shared-object callouts in their host process within the time budget,
 * and gives the policy's failure outcome when a call fails.
 */
#ifndef WARD_CALLOUT_REGISTRY_H
#define WARD_CALLOUT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ward/callout.h"
#include "ward/engine.h"

#define WARD_CALLOUTS_MAX      32
#define WARD_CALLOUT_DIR       "/usr/lib/ward/callouts"
#define WARD_CALLOUT_BUDGET_MS 100 /* a call of a shared-object callout, at most */
#define WARD_CALLOUT_FLOW_IDLE 120 /* seconds: a flow not seen for this long has ended */

typedef struct ward_callouts ward_callouts;

typedef struct ward_callouts_config {
    unsigned budget_ms;           /* 0: WARD_CALLOUT_BUDGET_MS */
    enum ward_verdict on_failure; /* BLOCK (fail closed, the default) or PERMIT */
    const char *host_path;        /* the ward-callout-host binary */
    unsigned flow_idle_s;         /* 0: WARD_CALLOUT_FLOW_IDLE */
} ward_callouts_config;

ward_callouts *ward_callouts_new(const ward_callouts_config *cfg);
void ward_callouts_free(ward_callouts *r);

/* A callout running in this process (trusted code: it must not block). */
int ward_callouts_add_builtin(ward_callouts *r, const ward_callout *c);
/* A shared object, run in its own host process. Refused, with the reason in
 * err, when the file or its directory is not owned by root or is writable
 * by group or others, when its ABI does not match or it does not load. */
int ward_callouts_load(ward_callouts *r, const char *path, char *err, size_t errlen);
/* Every NAME.so in dir, in name order. A refused one does not keep the
 * others out: they load, and the call returns -1 with every refusal in err.
 * A missing directory loads nothing. Otherwise how many were loaded. */
int ward_callouts_load_dir(ward_callouts *r, const char *dir, char *err, size_t errlen);
/* Stops the shared object named name and forgets it (ward_callout_unregister
 * from e too); the flows it kept a context for end for it. Refused while a
 * filter of e names it (WARD_E_BUSY), for a built-in callout (WARD_E_INVAL)
 * and an unknown name (WARD_E_NOENT), with the reason in err. */
int ward_callouts_unload(ward_callouts *r, ward_engine *e, const char *name, char *err,
                         size_t errlen);

/* The outcome of a call that fails (the policy's `set callout-failure`). */
void ward_callouts_set_failure(ward_callouts *r, enum ward_verdict v);

/* Registers every callout with the engine (a new engine after a reload). */
int ward_callouts_attach(ward_callouts *r, ward_engine *e);
/* Names, NULL-terminated, valid while r lives: what a policy may name. */
const char *const *ward_callouts_names(const ward_callouts *r);

/* The layer's data for the classification that follows (stream bytes, DNS
 * answers); NULL clears it. The engine calls callouts synchronously inside
 * ward_classify, so the caller sets it right before and clears it after. */
void ward_callouts_set_data(ward_callouts *r, const ward_callout_data *data);

/* The flow's metadata, as callouts see it, for a request. */
void ward_callouts_flow_of(const ward_request *req, ward_callout_flow *f);
/* Calls the callout named name directly (the stream layer: wardd calls the
 * callout a flow was sent to with each new piece of its payload). f->layer
 * must be a layer the callout serves. 0 with the answer in out (a failed
 * call gives the failure outcome), or WARD_E_NOENT / WARD_E_INVAL. */
int ward_callouts_classify(ward_callouts *r, const char *name, const ward_callout_flow *f,
                           const ward_callout_data *d, int64_t now_s,
                           enum ward_callout_verdict *out);

/* The layers (enum ward_callout_layer bits) of the callout named name; 0
 * when there is none. */
uint32_t ward_callouts_layers(const ward_callouts *r, const char *name);

/* Tells callouts of filters naming them that were added or removed since
 * the last call (walks the engine's filters). */
void ward_callouts_sync_filters(ward_callouts *r, const ward_engine *e);

/* A flow ended (or was idle past flow_idle_s: ward_callouts_sweep):
 * flow_delete for every callout that kept a context for it. */
uint64_t ward_callouts_flow_id(const ward_request *req);
void ward_callouts_flow_end(ward_callouts *r, uint64_t flow_id);
void ward_callouts_sweep(ward_callouts *r, int64_t now_s);

typedef struct ward_callout_info {
    const char *name;
    uint32_t layers;
    bool builtin;
    const char *path; /* shared object; NULL when built in */
    pid_t host_pid;   /* 0: not running */
    uint64_t calls, failures, restarts, filters;
    uint64_t cached; /* calls answered from the cache (WARD_CALLOUT_F_CACHE) */
} ward_callout_info;
size_t ward_callouts_count(const ward_callouts *r);
int ward_callouts_info(const ward_callouts *r, size_t i, ward_callout_info *out);

/* A layer's bit (enum ward_callout_layer) for an engine layer; 0 if none. */
uint32_t ward_callout_layer_bit(enum ward_layer layer);
const char *ward_callout_verdict_name(enum ward_callout_verdict v);

#endif
