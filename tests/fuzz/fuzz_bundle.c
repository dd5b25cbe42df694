/*
 * fuzz_bundle — libFuzzer target for the bundle format's reader
 * (src/sign/manifest.c): any bytes are refused or give a manifest whose
 * entries are safe paths in strict order, inside the data, covering it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_bundle b;
    char err[512];
    if (ward_bundle_parse(&b, data, size, err, sizeof(err)) < 0) {
        if (!err[0])
            abort(); /* every refusal says why */
        return 0;
    }
    uint64_t end = b.signed_len;
    if (b.n_files == 0 || b.version == 0 || b.signed_len >= size)
        abort();
    for (size_t i = 0; i < b.n_files; i++) {
        const ward_bundle_entry *e = &b.files[i];
        if (!ward_sign_path_ok(e->path) || e->offset < end || e->offset + e->size > size)
            abort();
        if (i && strcmp(b.files[i - 1].path, e->path) >= 0)
            abort();
        if (ward_bundle_find(&b, e->path) != e)
            abort();
        end = e->offset + e->size;
    }
    if (end != size)
        abort();
    free(b.files);
    return 0;
}
