/*
 * words.c — the words of the policy language that the parser reads and the
 * printer writes: layers, protocols, time windows, lifetimes, and the order
 * conditions are kept in. One table each, so what is printed parses back.
 */
#define _GNU_SOURCE
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const layer_words[WARD_LAYER_COUNT] = {
    "outbound", "inbound", "bind", "packet-out", "packet-in", "dns",
};

const char *layer_word(enum ward_layer l)
{
    return (unsigned)l < WARD_LAYER_COUNT ? layer_words[l] : "?";
}

const char *ward_policy_layer_name(enum ward_layer l)
{
    return layer_word(l);
}

int ward_policy_layer_from_word(const char *w)
{
    return layer_from_word(w);
}

int layer_from_word(const char *w)
{
    for (int i = 0; i < WARD_LAYER_COUNT; i++)
        if (!strcmp(layer_words[i], w))
            return i;
    if (!strcmp(w, "connect"))
        return WARD_LAYER_CONNECT_OUT;
    if (!strcmp(w, "accept"))
        return WARD_LAYER_ACCEPT_IN;
    return ward_layer_from_name(w);
}

bool ward_policy_layer_supported(enum ward_layer l)
{
    return l == WARD_LAYER_CONNECT_OUT || l == WARD_LAYER_ACCEPT_IN || l == WARD_LAYER_DNS;
}

/* Where "to" means the local end: traffic coming in, and binding. */
bool layer_is_inbound(enum ward_layer l)
{
    return l == WARD_LAYER_ACCEPT_IN || l == WARD_LAYER_PACKET_IN || l == WARD_LAYER_BIND;
}

static const struct {
    const char *name;
    uint8_t num;
} protos[] = {{"icmp", 1}, {"igmp", 2},   {"tcp", 6},    {"udp", 17}, {"gre", 47},
              {"esp", 50}, {"icmp6", 58}, {"sctp", 132}, {NULL, 0}};

int proto_number(const char *w)
{
    for (int i = 0; protos[i].name; i++)
        if (strcmp(protos[i].name, w) == 0)
            return protos[i].num;
    if (strcmp(w, "ipv6-icmp") == 0)
        return 58;
    return -1;
}

void ward_policy_fmt_proto(uint32_t p, char *buf, size_t len)
{
    for (int i = 0; protos[i].name; i++) {
        if (protos[i].num == p) {
            snprintf(buf, len, "%s", protos[i].name);
            return;
        }
    }
    snprintf(buf, len, "%u", p);
}

void ward_policy_fmt_time(const ward_time_window *w, char *buf, size_t len)
{
    static const char *const order[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    static const int bit[] = {1, 2, 3, 4, 5, 6, 0};
    size_t off = 0;
    buf[0] = 0;
    if (w->days == WARD_DAYS_ALL)
        off = (size_t)snprintf(buf, len, "daily");
    else if (w->days == WARD_DAYS_WEEKDAYS)
        off = (size_t)snprintf(buf, len, "weekdays");
    else if (w->days == 0x41)
        off = (size_t)snprintf(buf, len, "weekends");
    else
        for (int i = 0; i < 7; i++)
            if (w->days & (1u << bit[i]) && off < len)
                off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", order[i]);
    bool whole = w->start == 0 && (w->end == 1440 || w->end == 0);
    if (!whole && off < len)
        snprintf(buf + off, len - off, " %02u:%02u-%02u:%02u", w->start / 60, w->start % 60,
                 w->end / 60, w->end % 60);
}

void ward_policy_fmt_lifetime(const ward_lifetime *l, char *buf, size_t len)
{
    switch (l->kind) {
    case WARD_LIFE_PERSISTENT:
        buf[0] = 0;
        return;
    case WARD_LIFE_BOOT:
        snprintf(buf, len, "boot");
        return;
    case WARD_LIFE_ONCE:
        snprintf(buf, len, "once");
        return;
    case WARD_LIFE_UNTIL_RESTART:
        snprintf(buf, len, "until-restart");
        return;
    case WARD_LIFE_DYNAMIC:
        snprintf(buf, len, "session %llu", (unsigned long long)l->session);
        return;
    case WARD_LIFE_UNTIL_EXIT:
        snprintf(buf, len, "until-exit pid %u start %llu", l->pid,
                 (unsigned long long)l->start_time);
        return;
    case WARD_LIFE_TIMED: {
        time_t t = (time_t)l->expires;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            memset(&tm, 0, sizeof(tm));
        snprintf(buf, len, "until %04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return;
    }
    }
    buf[0] = 0;
}

/* The order conditions are given to the engine (and printed in). */
int policy_field_rank(enum ward_field f)
{
    static const enum ward_field order[] = {
        WARD_F_APP_PATH,      WARD_F_APP_SHA256,  WARD_F_APP_ID,        WARD_F_CMDLINE,
        WARD_F_UID,           WARD_F_GID,         WARD_F_CGROUP,        WARD_F_IFACE,
        WARD_F_PROTO,         WARD_F_DIRECTION,   WARD_F_LOCAL_ZONE,    WARD_F_LOCAL_ADDR,
        WARD_F_LOCAL_PORT,    WARD_F_REMOTE_ZONE, WARD_F_REMOTE_ADDR,   WARD_F_REMOTE_PORT,
        WARD_F_REMOTE_DOMAIN, WARD_F_ICMP_TYPE,   WARD_F_ENCRYPTED_DNS, WARD_F_TIME,
    };
    for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
        if (order[i] == f)
            return i;
    return 99;
}
