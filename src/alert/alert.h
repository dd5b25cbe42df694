/*
 * alert/alert.h — portscan and flood detection from inbound drops (one of
 * Ward's functions: alert the user when the host is attacked).
 *
 * wardd feeds every inbound decision that dropped traffic; the detector
 * keeps a bounded table of recent sources and returns alert events (kind
 * WARD_EVENT_ALERT) for the ring and the log:
 *   portscan   — one source hit scan_ports distinct local ports within
 *                 scan_window_s seconds;
 *   flood       — one source sent flood_pps dropped packets within a second;
 *   flood-total — all sources together, flood_total_pps within a second.
 * Each alert repeats for the same source at most once per cooldown_s.
 * Pure computation: time comes from the events; no system calls.
 */
#ifndef WARD_ALERT_H
#define WARD_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "ward/event.h"

#define WARD_ALERT_MAX_SCAN_PORTS 64

typedef struct ward_alert_config {
    uint32_t scan_ports; /* 0: off; at most WARD_ALERT_MAX_SCAN_PORTS */
    uint32_t scan_window_s;
    uint32_t flood_pps;       /* 0: off */
    uint32_t flood_total_pps; /* 0: off */
    uint32_t cooldown_s;
    uint32_t max_sources; /* sources remembered at once; 0: 4096 */
} ward_alert_config;

/* Defaults: 20 ports in 10 s, 500 packets/s per source, 5000 packets/s in
 * all, 60 s between repeats, 4096 sources. */
void ward_alert_config_default(ward_alert_config *c);

typedef struct ward_alert ward_alert;

ward_alert *ward_alert_new(const ward_alert_config *cfg);
void ward_alert_free(ward_alert *a);

/* Feeds one drop (direction IN; other events are ignored). Writes up to max
 * alerts into out and returns how many (at most 3). */
size_t ward_alert_feed(ward_alert *a, const ward_event *drop, ward_event *out, size_t max);

typedef struct ward_alert_stats {
    uint64_t fed, alerts, evicted;
    size_t sources;
} ward_alert_stats;
void ward_alert_stats_get(const ward_alert *a, ward_alert_stats *out);

#endif /* WARD_ALERT_H */
