/*
 * service.h — wardd's decision core, apart from its I/O: the questions
 * waiting for an answer, and what an answer teaches the engine. Pure logic
 * with the clock passed in, so it is tested without sockets or a kernel.
 */
#ifndef WARD_SERVICE_H
#define WARD_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/engine.h"
#include "ward/prompt.h"

/* ---- Prompts ------------------------------------------------------------- */

/* One question to the user. Connections of the same program to the same
 * destination that arrive while it is open wait on it too: one answer
 * releases a burst (a browser opens six connections at once). */
typedef struct ward_prompt {
    uint64_t id;
    ward_request req; /* the first connection; strings owned by the prompt */
    uint32_t pid;
    uint64_t start_time;
    int64_t opened_ms, deadline_ms;
    size_t n_waiting;
} ward_prompt;

typedef struct prompt_table prompt_table;

prompt_table *prompts_new(void);
/* Frees the table; every waiting token goes to release (may be NULL). */
void prompts_free(prompt_table *t, void (*release)(void *token, void *ctx), void *ctx);

/* Adds a deferred connection waiting on `token`. Returns its prompt (new,
 * or the open one it joined: *is_new says which) or NULL when out of memory
 * or past `max_waiting` connections in all (the caller then applies the
 * policy's default at once: a flood of unknown connections must not grow
 * wardd without bound). */
const ward_prompt *prompts_add(prompt_table *t, const ward_request *r, uint32_t pid,
                               uint64_t start_time, void *token, int64_t now_ms, int64_t timeout_ms,
                               size_t max_waiting, bool *is_new);
const ward_prompt *prompts_get(const prompt_table *t, uint64_t id);
size_t prompts_count(const prompt_table *t);
size_t prompts_waiting(const prompt_table *t);
/* The i-th open prompt, oldest first (to show them to a new prompter). */
const ward_prompt *prompts_at(const prompt_table *t, size_t i);

/* Closes a prompt: each waiting connection goes to fn with its own request
 * (so the caller can classify it again under the new rules). */
int prompts_close(prompt_table *t, uint64_t id,
                  void (*fn)(void *token, const ward_request *r, void *ctx), void *ctx);
/* The earliest deadline, or -1 when nothing waits. */
int64_t prompts_next_deadline(const prompt_table *t);
/* Ids of prompts whose deadline has passed (at most max). */
size_t prompts_expired(const prompt_table *t, int64_t now_ms, uint64_t *ids, size_t max);

/* ---- Learning ------------------------------------------------------------ */

/* Teaches the engine an answer about r (the prompt's first connection, made
 * by process pid/start_time): appends a rule of provider "learned" to the
 * program, creating the program with the fallback "ask" when it is new, so
 * other destinations are asked about again. An answer about an unverified
 * program (r->app.unverified) is learned "until the process exits" whatever
 * its duration. A rule in force that already says the same for as long is
 * not duplicated: its id comes back. Returns the rule id or a negative
 * ward_err. */
int64_t ward_learn(ward_engine *e, const ward_request *r, uint32_t pid, uint64_t start_time,
                   const ward_answer *a, int64_t now_s);

#endif
