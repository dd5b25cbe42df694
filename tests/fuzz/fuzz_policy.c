/*
 * fuzz_policy.c — libFuzzer target for the policy language: any input must
 * load or be refused with diagnostics, never crash; and whatever loads must
 * print in canonical form that loads again to exactly the same text.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* Relative includes resolve in an empty directory, not in whatever
     * directory the fuzzer runs in; merging needs the directory it was given. */
    for (int i = 1; i < *argc; i++)
        if (!strncmp((*argv)[i], "-merge", 6))
            return 0;
    char dir[] = "/tmp/fuzz_policy.XXXXXX";
    if (mkdtemp(dir) && chdir(dir) == 0)
        return 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    ward_policy *p = ward_policy_new();
    if (!p)
        return 0;
    ward_policy_skip_secrecy(p, true);
    int rc = ward_policy_load_text(p, "fuzz.conf", (const char *)data, size);
    if (rc == 0) {
        char *a = ward_policy_format(p, 0, 0);
        ward_policy *q = ward_policy_new();
        if (a && q) {
            ward_policy_skip_secrecy(q, true);
            if (ward_policy_load_text(q, "canon.conf", a, strlen(a)) != 0) {
                fprintf(stderr, "canonical form does not load:\n%s\n%s", a,
                        ward_policy_diagnostics(q));
                abort();
            }
            char *b = ward_policy_format(q, 0, 0);
            if (b && strcmp(a, b) != 0) {
                fprintf(stderr, "canonical form is not stable:\n%s\n----\n%s", a, b);
                abort();
            }
            free(b);
        }
        ward_policy_free(q);
        free(a);
    }
    ward_policy_free(p);
    return 0;
}
