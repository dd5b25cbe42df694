/*
 * fuzz_kcompile.c — libFuzzer target: the input drives a random policy, its
 * compiled kernel verdict tables and a stream of connections; wherever the
 * tables answer (by the hooks' own lookup order), the engine must agree
 * (tests/unit/kcgen.h says what is checked). A disagreement aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kcgen.c"
#include "randpolicy.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* The policy from the input; the connections from a generator seeded by
     * it (an input is spent on the policy long before enough connections). */
    struct bytes b = {.p = data, .n = size};
    uint64_t seed = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 0x100000001b3ULL;
    struct bytes conns = {.prng = seed | 1};
    struct kc_counts c = {0};
    static char msg[1 << 15];
    if (kc_run_one(&b, &conns, 200, &c, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "kernel table disagrees with the engine: %s\n", msg);
        abort();
    }
    return 0;
}
