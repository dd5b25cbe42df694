/*
 * lograte — how many decisions per second the connection log absorbs, and
 * what a submit costs the deciding thread (it must never wait for the disk).
 *
 *   lograte DBFILE N   submits N events as fast as it can, then waits until
 *                      the writer thread has committed them; prints
 *   lograte: events=N written=W dropped=D log_events_per_s=X submit_p50_ns=A submit_p99_ns=B
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: lograte DBFILE N\n");
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 10);
    char err[256];
    ward_log_config cfg = {.path = argv[1], .queue_cap = 1u << 18};
    ward_log *l = ward_log_open(&cfg, err, sizeof(err));
    if (!l || !n) {
        fprintf(stderr, "lograte: %s\n", l ? "N must be > 0" : err);
        return 1;
    }
    int64_t *lat = malloc(n * sizeof(*lat));
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = WARD_EVENT_DECISION;
    ev.proto = 6;
    ev.verdict = WARD_V_PERMIT;
    ev.count = 1;
    ward_ip_parse("10.77.0.1", &ev.local);
    WARD_EVENT_SET(&ev, exe, "/usr/bin/curl");
    WARD_EVENT_SET(&ev, cmdline, "curl -s https://example.com/");
    WARD_EVENT_SET(&ev, domain, "example.com");
    int64_t start = now_ns();
    for (size_t i = 0; i < n; i++) {
        ev.time_ns = start + (int64_t)i;
        ev.pid = (uint32_t)(1000 + i % 5000);
        ev.rport = (uint16_t)(1024 + i % 60000);
        ward_ip_from_v4(&ev.remote, 0x5db8d800u + (uint32_t)(i % 256));
        int64_t a = now_ns();
        ward_log_submit(l, &ev);
        lat[i] = now_ns() - a;
    }
    ward_log_sync(l, 120000);
    int64_t total = now_ns() - start;
    ward_log_stats st;
    ward_log_stats_get(l, &st);
    qsort(lat, n, sizeof(*lat), cmp);
    printf("lograte: events=%zu written=%llu dropped=%llu log_events_per_s=%.0f "
           "submit_p50_ns=%lld submit_p99_ns=%lld\n",
           n, (unsigned long long)st.written, (unsigned long long)st.dropped,
           (double)st.written * 1e9 / (double)total, (long long)lat[n / 2],
           (long long)lat[n * 99 / 100]);
    free(lat);
    ward_log_close(l);
    return 0;
}
