/*
 * Port-scan and flood detection: a bounded open-addressing table of
 * sources. When it is full the source seen longest ago in the probe window
 * is replaced, so a spoofed-source flood costs a fixed amount of memory and
 * time per packet (and still trips flood-total).
 */
#include "alert/alert.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NS    1000000000LL
#define PROBE 8 /* slots looked at before replacing one */

struct source {
    ward_ip ip;
    int64_t last_seen; /* 0: free slot */
    int64_t sec_start; /* flood: start of the current one-second window */
    uint32_t sec_count;
    int64_t scan_alerted, flood_alerted;
    uint8_t n_ports;
    uint16_t ports[WARD_ALERT_MAX_SCAN_PORTS];
    int64_t port_time[WARD_ALERT_MAX_SCAN_PORTS];
};

struct ward_alert {
    ward_alert_config cfg;
    struct source *tab;
    size_t cap; /* power of two, twice max_sources */
    size_t used;
    int64_t total_start;
    uint32_t total_count;
    int64_t total_alerted;
    ward_alert_stats st;
};

void ward_alert_config_default(ward_alert_config *c)
{
    *c = (ward_alert_config){.scan_ports = 20,
                             .scan_window_s = 10,
                             .flood_pps = 500,
                             .flood_total_pps = 5000,
                             .cooldown_s = 60,
                             .max_sources = 4096};
}

ward_alert *ward_alert_new(const ward_alert_config *cfg)
{
    ward_alert *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->cfg = *cfg;
    if (a->cfg.scan_ports > WARD_ALERT_MAX_SCAN_PORTS)
        a->cfg.scan_ports = WARD_ALERT_MAX_SCAN_PORTS;
    if (!a->cfg.max_sources)
        a->cfg.max_sources = 4096;
    a->cap = 16;
    while (a->cap < 2 * (size_t)a->cfg.max_sources)
        a->cap <<= 1;
    a->tab = calloc(a->cap, sizeof(*a->tab));
    if (!a->tab) {
        free(a);
        return NULL;
    }
    return a;
}

void ward_alert_free(ward_alert *a)
{
    if (!a)
        return;
    free(a->tab);
    free(a);
}

static size_t hash_ip(const ward_ip *ip)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ ip->b[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

/* The source's slot: found, a free one, or the stalest in the probe window. */
static struct source *lookup(ward_alert *a, const ward_ip *ip, int64_t now)
{
    size_t mask = a->cap - 1, h = hash_ip(ip);
    struct source *stalest = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct source *s = &a->tab[(h + i) & mask];
        if (s->last_seen && memcmp(&s->ip, ip, sizeof(*ip)) == 0)
            return s;
        if (!stalest || s->last_seen < stalest->last_seen)
            stalest = s;
    }
    /* Probing stops at PROBE slots, so a source may sit in any of them:
     * take a free one if there is one, else evict the stalest. */
    if (stalest->last_seen)
        a->st.evicted++;
    else
        a->used++;
    memset(stalest, 0, sizeof(*stalest));
    stalest->ip = *ip;
    stalest->sec_start = now;
    return stalest;
}

static void make_alert(const ward_event *drop, const char *name, uint32_t count, ward_event *out)
{
    memset(out, 0, sizeof(*out));
    out->time_ns = drop->time_ns;
    out->kind = WARD_EVENT_ALERT;
    out->uid = WARD_UID_UNKNOWN;
    out->proto = drop->proto;
    out->direction = WARD_DIR_IN;
    out->verdict = drop->verdict;
    out->layer = drop->layer;
    out->reason = drop->reason;
    out->local = drop->local;
    out->lport = drop->lport;
    out->remote = drop->remote;
    out->rport = drop->rport;
    out->count = count;
    WARD_EVENT_SET(out, filter, name);
}

static bool cooled(const ward_alert *a, int64_t last, int64_t now)
{
    return !last || now - last >= (int64_t)a->cfg.cooldown_s * NS;
}

size_t ward_alert_feed(ward_alert *a, const ward_event *drop, ward_event *out, size_t max)
{
    if (drop->direction != WARD_DIR_IN || drop->kind != WARD_EVENT_DECISION)
        return 0;
    size_t n = 0;
    int64_t now = drop->time_ns;
    a->st.fed++;

    if (a->cfg.flood_total_pps) {
        if (now - a->total_start >= NS || now < a->total_start) {
            a->total_start = now;
            a->total_count = 0;
        }
        if (++a->total_count == a->cfg.flood_total_pps && cooled(a, a->total_alerted, now) &&
            n < max) {
            make_alert(drop, "flood-total", a->total_count, &out[n++]);
            memset(&out[n - 1].remote, 0, sizeof(ward_ip)); /* all sources */
            a->total_alerted = now;
        }
    }

    struct source *s = lookup(a, &drop->remote, now);
    s->last_seen = now;

    if (a->cfg.flood_pps) {
        if (now - s->sec_start >= NS || now < s->sec_start) {
            s->sec_start = now;
            s->sec_count = 0;
        }
        if (++s->sec_count == a->cfg.flood_pps && cooled(a, s->flood_alerted, now) && n < max) {
            make_alert(drop, "flood", s->sec_count, &out[n++]);
            s->flood_alerted = now;
        }
    }

    if (a->cfg.scan_ports) {
        /* Keep the distinct ports seen within the window. */
        int64_t horizon = now - (int64_t)a->cfg.scan_window_s * NS;
        uint8_t k = 0;
        bool seen = false;
        for (uint8_t i = 0; i < s->n_ports; i++) {
            if (s->port_time[i] < horizon)
                continue;
            s->ports[k] = s->ports[i];
            s->port_time[k] = s->port_time[i];
            if (s->ports[k] == drop->lport) {
                s->port_time[k] = now;
                seen = true;
            }
            k++;
        }
        s->n_ports = k;
        if (!seen && s->n_ports < a->cfg.scan_ports) {
            s->ports[s->n_ports] = drop->lport;
            s->port_time[s->n_ports] = now;
            s->n_ports++;
            if (s->n_ports == a->cfg.scan_ports && cooled(a, s->scan_alerted, now) && n < max) {
                make_alert(drop, "portscan", s->n_ports, &out[n++]);
                s->scan_alerted = now;
            }
        }
    }
    a->st.alerts += n;
    return n;
}

void ward_alert_stats_get(const ward_alert *a, ward_alert_stats *out)
{
    *out = a->st;
    out->sources = a->used;
}
