/*
 * limits.c — the words of rate limits and quotas: rates ("2mbit"), sizes
 * ("10GB", "512MiB") and quota periods, read by the parser and written by
 * the printer, one table each so what is printed parses back.
 */
#include "policy/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    uint64_t mul;
};

/* Largest first: the printer takes the first that divides exactly. */
static const struct unit rate_units[] = {
    {"gbit", 1000000000ull}, {"mbit", 1000000ull}, {"kbit", 1000ull}, {"bit", 1}, {NULL, 0}};
static const struct unit size_units[] = {{"TiB", 1ull << 40},
                                         {"TB", 1000000000000ull},
                                         {"GiB", 1ull << 30},
                                         {"GB", 1000000000ull},
                                         {"MiB", 1ull << 20},
                                         {"MB", 1000000ull},
                                         {"KiB", 1ull << 10},
                                         {"KB", 1000ull},
                                         {"B", 1},
                                         {NULL, 0}};
static const char *const periods[] = {"", "day", "week", "month"};

static bool scaled(const char *s, const struct unit *units, bool nocase, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    for (const struct unit *u = units; u->name; u++) {
        if (nocase ? strcasecmp(end, u->name) : strcmp(end, u->name))
            continue;
        if (v > UINT64_MAX / u->mul)
            return false;
        *out = v * u->mul;
        return true;
    }
    return false;
}

bool limit_rate_word(const char *s, uint64_t *bits)
{
    return scaled(s, rate_units, false, bits);
}

bool limit_size_word(const char *s, uint64_t *bytes)
{
    /* "10gb" reads as plainly as "10GB"; "kb" is not a kilobit here. */
    return scaled(s, size_units, true, bytes);
}

int limit_period_word(const char *s)
{
    for (int i = WARD_QUOTA_DAY; i <= WARD_QUOTA_MONTH; i++)
        if (!strcmp(s, periods[i]))
            return i;
    return -1;
}

static void fmt_scaled(uint64_t v, const struct unit *units, char *buf, size_t len)
{
    const struct unit *u = units;
    while (u[1].name && (!v || v % u->mul))
        u++;
    snprintf(buf, len, "%llu%s", (unsigned long long)(v / u->mul), u->name);
}

void ward_policy_fmt_rate(uint64_t bits, char *buf, size_t len)
{
    fmt_scaled(bits, rate_units, buf, len);
}

void ward_policy_fmt_size(uint64_t bytes, char *buf, size_t len)
{
    fmt_scaled(bytes, size_units, buf, len);
}

const char *ward_policy_period_name(enum ward_quota_period p)
{
    return (unsigned)p <= WARD_QUOTA_MONTH && p ? periods[p] : "?";
}

const ward_app_limit *ward_policy_limit_of(const ward_policy_extras *x, const char *program)
{
    for (size_t i = 0; i < x->n_limits; i++)
        if (!strcmp(x->limits[i].program, program))
            return &x->limits[i];
    return NULL;
}
