/*
 * cli/limits.c — `ward stats --limits [--json]`: each program's rate limit
 * and quota, and how much of the quota its period has used.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "policy/policy.h"

static void print_row(const ward_limit_row *r)
{
    char rate[32] = "-", quota[32] = "-", used[32] = "-", since[32] = "";
    if (r->rate_bits)
        ward_policy_fmt_rate(r->rate_bits, rate, sizeof(rate));
    if (r->quota) {
        char q[24];
        ward_policy_fmt_size(r->quota, q, sizeof(q));
        snprintf(quota, sizeof(quota), "%s/%s", q,
                 ward_policy_period_name((enum ward_quota_period)r->period));
        snprintf(used, sizeof(used), "%" PRIu64 " (%.1f%%)", r->used,
                 100.0 * (double)r->used / (double)r->quota);
        time_t t = (time_t)r->period_start;
        struct tm tm;
        strftime(since, sizeof(since), " since %Y-%m-%d", localtime_r(&t, &tm));
    }
    const char *state = !r->enforced     ? "not enforced"
                        : !r->exhausted  ? "ok"
                        : r->quota_alert ? "used up (alerted)"
                                         : "used up (blocked)";
    printf("%-10s %-16s %-22s %-18s %s%s\n", rate, quota, used, state, r->program, since);
}

struct limits_out {
    bool json;
    size_t n; /* rows printed so far */
};

static void print_part(const ward_msg *part, void *ctx)
{
    struct limits_out *out = ctx;
    for (size_t i = 0; i < part->u.limits_reply.n; i++, out->n++) {
        const ward_limit_row *r = &part->u.limits_reply.rows[i];
        if (out->json) {
            ward_msg m = {.type = WARD_MSG_LIMITS_REPLY};
            m.u.limits_reply.rows = (ward_limit_row *)r;
            m.u.limits_reply.n = 1;
            cli_print_json_item(&m, "limits");
            continue;
        }
        if (!out->n)
            printf("%-10s %-16s %-22s %-18s %s\n", "RATE", "QUOTA", "USED (BYTES)", "STATE",
                   "PROGRAM");
        print_row(r);
    }
}

int cli_stats_limits(bool json)
{
    ward_msg req = {.type = WARD_MSG_LIMITS_LIST};
    struct limits_out out = {.json = json};
    if (cli_request_parts("ward-stats", &req, WARD_MSG_LIMITS_REPLY, print_part, &out) < 0)
        return 1;
    if (!json && !out.n)
        printf("no program has a rate limit or a quota\n");
    return 0;
}
