/*
 * idsmatch.c — the intrusion detection matcher alone (bench/ids.sh runs
 * it first): RULES generated content rules plus the starter rules, TCP
 * flows of 1 MiB to the server fed in 1448-byte segments of printable
 * filler (no rule matches), CPU time of the thread. Prints
 *   idsmatch: rules=… flows=… mib=… cpu_s=… gbps=…
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ids/ids.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int nrules = argc > 1 ? atoi(argv[1]) : 1000;
    const char *starter = argc > 2 ? argv[2] : NULL;
    int flows = argc > 3 ? atoi(argv[3]) : 64;
    size_t cap = (size_t)nrules * 128 + (1u << 16), n = 0;
    char *text = malloc(cap);
    if (!text)
        return 1;
    if (starter) {
        FILE *f = fopen(starter, "r");
        if (!f) {
            perror(starter);
            return 1;
        }
        n = fread(text, 1, 1u << 16, f);
        fclose(f);
    }
    for (int i = 0; i < nrules; i++)
        n += (size_t)snprintf(
            text + n, cap - n,
            "alert tcp any any -> any any (msg:\"b%d\"; content:\"ward-bench-%05d-x\"; "
            "nocase; sid:%d;)\n",
            i, i, 9200000 + i);
    char err[512];
    ward_ids *ids = ward_ids_load_text("bench", text, n, err, sizeof(err));
    free(text);
    if (!ids) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    enum { SEG = 1448, FLOW = 1 << 20 };
    static uint8_t seg[SEG];
    for (size_t i = 0; i < SEG; i++)
        seg[i] = (uint8_t)('a' + (i * 7 + i / 26) % 26);
    struct ward_ids_tuple t = {.proto = 6, .client_port = 40000, .server_port = 80};
    t.client[10] = t.client[11] = t.server[10] = t.server[11] = 0xff;
    t.client[15] = 1;
    t.server[15] = 2;
    size_t bytes = 0;
    unsigned alerts = 0;
    double t0 = cpu_s();
    for (int f = 0; f < flows; f++) {
        ward_ids_flow *fl = ward_ids_flow_new(&t, "/usr/bin/iperf3", FLOW, NULL);
        for (uint32_t off = 0; off + SEG <= FLOW; off += SEG) {
            struct ward_ids_pkt p = {
                .to_server = true, .established = true, .seq = off, .data = seg, .len = SEG};
            if (ward_ids_inspect(ids, fl, &p, 0, NULL, NULL) != WARD_IDS_NONE)
                alerts++;
            bytes += SEG;
        }
        ward_ids_flow_free(fl);
    }
    double s = cpu_s() - t0;
    printf("idsmatch: rules=%zu flows=%d mib=%.0f cpu_s=%.3f gbps=%.2f alerts=%u\n",
           ward_ids_count(ids), flows, (double)bytes / (1 << 20), s, (double)bytes * 8 / s / 1e9,
           alerts);
    ward_ids_free(ids);
    return 0;
}
