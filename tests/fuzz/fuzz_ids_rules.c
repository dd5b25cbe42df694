/*
 * fuzz_ids_rules — libFuzzer target for the IDS rule parser (src/ids),
 * which reads rule files fetched from elsewhere. A set that fails must say
 * where ("fuzz:line:col: error: ..."); a set that loads is run over a few
 * packets, in both directions and split, so matching sees every rule.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ids/ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    ward_ids *ids = ward_ids_load_text("fuzz", (const char *)data, size, err, sizeof(err));
    if (!ids) {
        if (strncmp(err, "fuzz:", 5) != 0)
            __builtin_trap();
        return 0;
    }
    static const char *const pkts[] = {"GET /index.php HTTP/1.1\r\nUser-Agent: sqlmap\r\n\r\n",
                                       "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR", "\x00\xff\x90\x90",
                                       ""};
    for (uint8_t proto = 0; proto < 3; proto++) {
        static const uint8_t protos[] = {6, 17, 1};
        struct ward_ids_tuple t = {.proto = protos[proto], .client_port = 40000, .server_port = 80};
        t.client[10] = t.client[11] = t.server[10] = t.server[11] = 0xff;
        t.client[15] = 1;
        t.server[15] = 2;
        ward_ids_flow *f = ward_ids_flow_new(&t, "/usr/bin/curl", 4096, NULL);
        uint32_t seq[2] = {100, 100};
        for (size_t i = 0; f && i < 8; i++) {
            const char *s = pkts[i % 4];
            size_t n = i % 4 == 2 ? 4 : strlen(s);
            struct ward_ids_pkt p = {.to_server = i % 3 != 2,
                                     .established = i > 0,
                                     .seq = seq[i % 3 == 2],
                                     .data = (const uint8_t *)s,
                                     .len = n};
            seq[i % 3 == 2] += (uint32_t)n;
            ward_ids_inspect(ids, f, &p, i, NULL, NULL);
        }
        ward_ids_flow_free(f);
    }
    ward_ids_free(ids);
    return 0;
}
