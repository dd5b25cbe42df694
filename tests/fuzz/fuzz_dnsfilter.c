/*
 * fuzz_dnsfilter — libFuzzer target for the dnsfilter blocklist parser
 * (src/callout/dnsfilter.c), which reads lists downloaded from anywhere.
 * A list that loads must find its own plain names; a list that fails must
 * leave the filter as it was.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callout/dnsfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_dnsfilter *f = ward_dnsfilter_new();
    if (!f)
        return 0;
    char err[512];
    const char *text = (const char *)data;
    if (ward_dnsfilter_load_text(f, "fuzz", text, size, err, sizeof(err)) != 0) {
        if (ward_dnsfilter_count(f) != 0 || strncmp(err, "fuzz:", 5) != 0)
            __builtin_trap();
    } else {
        /* A one-name line that loaded is found again. */
        const char *nl = memchr(text, '\n', size);
        size_t n = nl ? (size_t)(nl - text) : size;
        char first[300];
        if (n > 0 && n < sizeof(first) && !memchr(text, ' ', n) && !memchr(text, '\t', n) &&
            !memchr(text, '#', n) && !memchr(text, '\r', n) && text[0] != '/' && text[0] != '!' &&
            text[0] != '*' && !memchr(text, ':', n)) {
            memcpy(first, text, n);
            first[n] = '\0';
            if (strcmp(first, "localhost") && strncmp(first, "ip6-", 4) &&
                ward_dnsfilter_match(f, first) == WARD_DNSF_MISS)
                __builtin_trap();
        }
    }
    ward_dnsfilter_free(f);
    return 0;
}
