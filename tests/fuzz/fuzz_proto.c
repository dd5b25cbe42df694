/* libFuzzer target: the control-protocol decoder (everything a client can
 * send wardd goes through it). Properties: no crash, no leak, no undefined
 * behaviour; and whatever decodes re-encodes to a line that decodes to the
 * same message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_msg m;
    char err[256];
    if (ward_proto_decode((const char *)data, size, &m, err, sizeof(err)) != WARD_PE_OK)
        return 0;
    char *a = NULL, *b = NULL;
    size_t la, lb;
    /* A decoded message may grow when encoded (defaults are written out). */
    if (ward_proto_encode(&m, &a, &la) == WARD_PE_OK) {
        ward_msg back;
        if (ward_proto_decode(a, la, &back, err, sizeof(err)) != WARD_PE_OK)
            abort();
        if (ward_proto_encode(&back, &b, &lb) != WARD_PE_OK || la != lb || memcmp(a, b, la))
            abort();
        ward_msg_free(&back);
    }
    free(a);
    free(b);
    ward_msg_free(&m);
    return 0;
}
