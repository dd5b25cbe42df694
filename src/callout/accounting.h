/*
 * callout/accounting.h — the built-in accounting callout: each program's
 * traffic (bytes in and out) in the current period, as filters see it.
 *
 * wardd feeds it what its traffic counters fold each second
 * (daemon/traffic.c) and, when it starts, what the traffic totals in SQLite
 * already hold for the period. A filter naming the callout
 * (`filter "hogs" layer outbound weight 10 callout accounting`) blocks,
 * without veto, a new connection of a program that has moved the policy's
 * `set accounting-limit` in the period; below it, or without a limit, the
 * callout has no opinion (continue).
 */
#ifndef WARD_CALLOUT_ACCOUNTING_H
#define WARD_CALLOUT_ACCOUNTING_H

#include <stdint.h>

#include "ward/callout.h"

/* Forgets every count: a new period began at period_start (unix seconds). */
void ward_accounting_reset(int64_t period_start);
int64_t ward_accounting_period(void); /* what the last reset said; 0: none */
void ward_accounting_add(const char *program, uint64_t bytes);
uint64_t ward_accounting_used(const char *program);
/* Bytes a program may move in the period; 0: no limit. */
void ward_accounting_set_limit(uint64_t bytes);
/* Frees the counts (at exit). */
void ward_accounting_free(void);

extern const ward_callout ward_accounting_callout;

#endif
