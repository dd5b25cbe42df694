/*
 * fuzz_engine.c — libFuzzer target: the input drives a random policy and a
 * stream of requests; the indexed classifier, the reference evaluator and
 * the explain path must agree on every one, and nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "randpolicy.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct bytes b = {.p = data, .n = size};
    ward_engine *e = ward_engine_new();
    if (!e)
        return 0;
    rp_fill(e, &b, 1 + data[0] % 64);
    static char msg[1 << 15];
    while (b.off < b.n) {
        ward_request r;
        rp_request(&b, &r);
        if (rp_compare(e, &r, msg, sizeof(msg)) != 0) {
            fprintf(stderr, "engine mismatch: %s\n", msg);
            abort();
        }
    }
    ward_engine_free(e);
    return 0;
}
