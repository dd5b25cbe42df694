/*
 * fuzz_shim — libFuzzer target for the shim's question as wardd receives it
 * (src/proto/shimwire.c): any program may send one. A question that passes
 * must be one the shim could have built: its fields in range, its name
 * only host-name characters, nothing after it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ward/shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_shim_question q;
    const char *why = NULL;
    if (ward_shim_question_check(data, size, &q, &why) != 0) {
        if (!why)
            __builtin_trap(); /* a refusal says why */
        return 0;
    }
    if (size != sizeof(q) || why || q.magic != WARD_SHIM_MAGIC || q.name_len > WARD_SHIM_NAME_MAX ||
        (q.proto != 6 && q.proto != 17) || q.op < WARD_SHIM_CONNECT || q.op > WARD_SHIM_ACCEPT ||
        memchr(q.name, '\0', q.name_len) || q.name[q.name_len] != '\0')
        __builtin_trap();
    return 0;
}
