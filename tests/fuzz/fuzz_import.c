/*
 * fuzz_import.c — libFuzzer target for the JSON and OpenSnitch importers:
 * whatever the input, the conversion must not crash, and the text it yields
 * must go through the loader without crashing either.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1 || size > 64 * 1024)
        return 0;
    /* The first byte picks the importer; the rest is the document. */
    char *doc = malloc(size);
    if (!doc)
        return 0;
    memcpy(doc, data + 1, size - 1);
    doc[size - 1] = 0;
    char *text = NULL, *report = NULL, err[256];
    if (data[0] & 1) {
        text = ward_json_to_policy(doc, err, sizeof(err));
    } else {
        const char *docs[1] = {doc}, *names[1] = {"fuzz.json"};
        text = ward_opensnitch_to_policy(docs, names, 1, &report);
    }
    if (text) {
        ward_policy *p = ward_policy_new();
        if (p) {
            ward_policy_skip_secrecy(p, true);
            ward_policy_load_text(p, "imported", text, strlen(text));
            ward_policy_free(p);
        }
    }
    free(text);
    free(report);
    free(doc);
    return 0;
}
