/*
 * accounting.c — the built-in accounting callout (callout/accounting.h):
 * bytes per program in the current period, in an open-addressing table
 * keyed by the program's path. Built in, it runs in wardd's loop: a lookup
 * is a hash and a string compare.
 */
#define _GNU_SOURCE
#include "callout/accounting.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ACC_SLOTS 4096 /* programs counted in a period, at most; a power of two */

struct slot {
    char *program;
    uint64_t bytes;
};

static struct slot *slots;
static size_t used_slots;
static uint64_t limit;
static int64_t period;

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* The program's slot; made when make is set and there is room. */
static struct slot *find(const char *program, bool make)
{
    if (!slots && (!make || !(slots = calloc(ACC_SLOTS, sizeof(*slots)))))
        return NULL;
    for (size_t i = hash(program) & (ACC_SLOTS - 1), n = 0; n < ACC_SLOTS;
         i = (i + 1) & (ACC_SLOTS - 1), n++) {
        if (!slots[i].program) {
            /* Kept a quarter free: probes stay short. */
            if (!make || used_slots >= ACC_SLOTS * 3 / 4 || !(slots[i].program = strdup(program)))
                return NULL;
            used_slots++;
            return &slots[i];
        }
        if (!strcmp(slots[i].program, program))
            return &slots[i];
    }
    return NULL;
}

void ward_accounting_free(void)
{
    for (size_t i = 0; slots && i < ACC_SLOTS; i++)
        free(slots[i].program);
    free(slots);
    slots = NULL;
    used_slots = 0;
}

void ward_accounting_reset(int64_t period_start)
{
    ward_accounting_free();
    period = period_start;
}

int64_t ward_accounting_period(void)
{
    return period;
}

void ward_accounting_add(const char *program, uint64_t bytes)
{
    struct slot *s = program && *program && bytes ? find(program, true) : NULL;
    if (s)
        s->bytes += bytes;
}

uint64_t ward_accounting_used(const char *program)
{
    const struct slot *s = program ? find(program, false) : NULL;
    return s ? s->bytes : 0;
}

void ward_accounting_set_limit(uint64_t bytes)
{
    limit = bytes;
}

static enum ward_callout_verdict accounting_classify(const ward_callout_flow *flow,
                                                     const ward_callout_data *data, void **ctx)
{
    (void)data;
    (void)ctx;
    if (!limit || !flow->app || ward_accounting_used(flow->app) < limit)
        return WARD_CALLOUT_CONTINUE;
    return WARD_CALLOUT_BLOCK_NO_VETO;
}

const ward_callout ward_accounting_callout = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "accounting",
    .layers = WARD_CALLOUT_L_CONNECT | WARD_CALLOUT_L_ACCEPT,
    .classify = accounting_classify,
};
