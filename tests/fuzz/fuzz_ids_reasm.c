/*
 * fuzz_ids_reasm — libFuzzer target for TCP reassembly (src/ids/reasm.c).
 * The input is a list of segments (2 bytes offset, 1 byte length, the
 * bytes); a plain array of "first byte received wins" is the model. The
 * reassembled stream must be the model's contiguous prefix (up to the flow
 * bound), and the host must hold exactly what the stream holds. An odd
 * first byte: no flow bound, the buffer a window (ward_reasm_slide after
 * each segment) that must be the model's bytes [base, base + len).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ids/reasm.h"

#define FLOW_MAX 2048
#define SPAN     (65536 + 256)
#define KEEP     64 /* window mode: what a slide keeps */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t model[SPAN];
    static uint8_t have[SPAN];
    memset(have, 0, sizeof(have));
    struct ward_reasm_host host = {.max = size > 0 ? (size_t)data[0] * 16 : 0};
    bool window = size > 0 && (data[0] & 1);
    size_t max = window ? SPAN : FLOW_MAX;
    struct ward_reasm r;
    ward_reasm_init(&r, window ? SIZE_MAX : FLOW_MAX, &host);
    uint32_t isn = 0xffffff00u; /* the sequence numbers wrap inside */
    ward_reasm_start(&r, isn);
    bool host_refused = false;
    size_t at = 1;
    while (at + 3 <= size) {
        size_t off = (size_t)data[at] | (size_t)data[at + 1] << 8, len = data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        uint64_t lost = r.lost;
        if (ward_reasm_add(&r, isn + (uint32_t)off, data + at, len) < 0)
            __builtin_trap();
        /* What the model takes: bytes within the bound not yet received;
         * a piece the host had no room for is lost, in the model too. */
        size_t end = off + len, beyond = end > max ? end - (off > max ? off : max) : 0;
        if (r.lost - lost > beyond)
            host_refused = true;
        for (size_t i = 0; i < len && !host_refused; i++)
            if (off + i < max && !have[off + i]) {
                have[off + i] = 1;
                model[off + i] = data[at + i];
            }
        at += len;
        if (host_refused)
            break;
        if (window)
            ward_reasm_slide(&r, KEEP);
    }
    size_t prefix = 0;
    while (prefix < max && have[prefix])
        prefix++;
    if (!host_refused &&
        (r.base + r.len != prefix || (r.len && memcmp(r.buf, model + r.base, r.len) != 0)))
        __builtin_trap();
    if (host.held != r.len + r.wait_bytes || host.held > host.max)
        __builtin_trap();
    ward_reasm_release(&r);
    if (host.held != 0)
        __builtin_trap();
    return 0;
}
