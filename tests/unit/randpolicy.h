/*
 * randpolicy.h — random policies and requests for differential testing of
 * the engine's index against its reference evaluator. Driven by a byte
 * source, so the unit test (a PRNG) and the fuzzer (its input) share it.
 */
#ifndef WARD_TEST_RANDPOLICY_H
#define WARD_TEST_RANDPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "ward/engine.h"

struct bytes {
    const uint8_t *p;
    size_t n, off;
    uint64_t prng; /* used when p is NULL */
};

uint32_t rp_u32(struct bytes *b, uint32_t bound); /* in [0, bound) */

/* Adds up to n_filters random filters, apps and rules to e. */
void rp_fill(ward_engine *e, struct bytes *b, size_t n_filters);
/* A random request drawn near the values the policies use. */
void rp_request(struct bytes *b, ward_request *r);
/* Classifies r with the index, the reference and the trace; returns 0 if all
 * agree, or describes the mismatch into msg. */
int rp_compare(ward_engine *e, const ward_request *r, char *msg, size_t len);

#endif
