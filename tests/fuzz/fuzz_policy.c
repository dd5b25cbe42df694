/*
 * fuzz_policy.c — libFuzzer target for the policy language: any input must
 * load or be refused with diagnostics, never crash; and whatever loads must
 * print in canonical form that loads again to exactly the same text. The
 * input is also one application rule for ward_policy_add_rule (`ward rules
 * add`): appended whole or not at all.
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

static size_t rule_count(ward_engine *e)
{
    ward_engine_stats st;
    ward_engine_stats_get(e, &st);
    return st.app_rules;
}

static void add_rule(const unsigned char *data, size_t size)
{
    static const char base[] = "zone office = { 10.20.0.0/16 }\nprovider \"fleet\"\n"
                               "app \"/usr/bin/a\" {\n    allow out tcp\n}\n";
    ward_policy *p = ward_policy_new();
    char *text = malloc(size + 1);
    if (p && text && ward_policy_load_text(p, "base.conf", base, sizeof(base) - 1) == 0) {
        memcpy(text, data, size);
        text[size] = 0;
        ward_engine *e = ward_policy_engine(p);
        int64_t app = ward_app_find(e, "/usr/bin/a");
        size_t before = rule_count(e);
        char err[4096];
        ward_rule_text rt = {.name = "rule",
                             .text = text,
                             .app_id = (uint64_t)app,
                             .program = "/usr/bin/a",
                             .provider = WARD_PROVIDER_ADMIN,
                             .session = 7};
        int64_t id = ward_policy_add_rule(p, e, &rt, err, sizeof(err));
        if (rule_count(e) != before + (id >= 0)) {
            fprintf(stderr, "add_rule: %lld, but %zu rules became %zu\n", (long long)id, before,
                    rule_count(e));
            abort();
        }
    }
    free(text);
    ward_policy_free(p);
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
    add_rule(data, size);
    return 0;
}
