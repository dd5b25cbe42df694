/*
 * test_engine_diff.c — the engine's index against its reference evaluator
 * (and the explain path) over thousands of random policies and requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "randpolicy.h"

static void run(uint64_t seed, size_t policies, size_t filters, size_t requests)
{
    char msg[1 << 15];
    for (size_t p = 0; p < policies; p++) {
        struct bytes b = {.prng = seed * 0x9e3779b97f4a7c15ULL + p + 1};
        ward_engine *e = ward_engine_new();
        assert_non_null(e);
        rp_fill(e, &b, filters);
        for (size_t i = 0; i < requests; i++) {
            ward_request r;
            rp_request(&b, &r);
            if (rp_compare(e, &r, msg, sizeof(msg)) != 0)
                fail_msg("seed %llu policy %zu request %zu: %s", (unsigned long long)seed, p, i,
                         msg);
        }
        ward_engine_free(e);
    }
}

static void small_policies(void **state)
{
    (void)state;
    run(1, 2000, 8, 50);
}

static void medium_policies(void **state)
{
    (void)state;
    run(2, 200, 200, 200);
}

static void large_policy(void **state)
{
    (void)state;
    run(3, 3, 3000, 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_policies),
        cmocka_unit_test(medium_policies),
        cmocka_unit_test(large_policy),
    };
    return cmocka_run_group_tests_name("engine-diff", tests, NULL, NULL);
}
