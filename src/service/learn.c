/* learn.c — what an answer to a prompt teaches the engine (see service.h). */
#include "service/service.h"

#include <string.h>

/* Whether two rules match the same connections with the same action
 * (lifetimes aside). */
static bool same_match(const ward_app_rule *a, const ward_app_rule *b)
{
    if (a->dir != b->dir || a->proto != b->proto || a->action != b->action ||
        a->n_ports != b->n_ports || a->n_addrs != b->n_addrs || a->n_domains != b->n_domains ||
        a->n_zones != b->n_zones || a->n_times != b->n_times || a->n_zones || a->n_times ||
        a->n_users || b->n_users || a->n_parents || b->n_parents)
        return false;
    for (size_t i = 0; i < a->n_ports; i++)
        if (a->ports[i].lo != b->ports[i].lo || a->ports[i].hi != b->ports[i].hi)
            return false;
    for (size_t i = 0; i < a->n_addrs; i++)
        if (a->addrs[i].plen != b->addrs[i].plen ||
            memcmp(a->addrs[i].ip.b, b->addrs[i].ip.b, sizeof(a->addrs[i].ip.b)) != 0)
            return false;
    for (size_t i = 0; i < a->n_domains; i++)
        if (strcmp(a->domains[i], b->domains[i]) != 0)
            return false;
    return true;
}

/* Whether rule `have`, in force, already lasts as long as `want` would. */
static bool covers(const ward_lifetime *have, const ward_lifetime *want, int64_t now_s)
{
    switch (have->kind) {
    case WARD_LIFE_PERSISTENT:
    case WARD_LIFE_BOOT:
        return true;
    case WARD_LIFE_UNTIL_RESTART:
        return want->kind != WARD_LIFE_PERSISTENT && want->kind != WARD_LIFE_BOOT;
    case WARD_LIFE_UNTIL_EXIT:
        return want->kind == WARD_LIFE_UNTIL_EXIT && want->pid == have->pid &&
               want->start_time == have->start_time;
    case WARD_LIFE_TIMED:
        return have->expires > now_s && want->kind == WARD_LIFE_TIMED &&
               have->expires >= want->expires;
    default:
        return false;
    }
}

/* Appends rule to the program unless a rule in force already says the same
 * for as long: then that rule's id. A timed rule the answer outlives is
 * replaced rather than kept beside the new one. */
static int64_t append_unique(ward_engine *e, uint64_t app, const ward_app_rule *rule, int64_t now_s)
{
    ward_app_info info = {0};
    if (rule->lifetime.kind != WARD_LIFE_ONCE && ward_app_get(e, app, &info) == 0) {
        for (size_t i = 0; i < info.n_rules; i++) {
            uint64_t id;
            ward_app_rule have;
            if (ward_app_rule_at(e, app, i, &id, &have) < 0 || !same_match(&have, rule))
                continue;
            if (covers(&have.lifetime, &rule->lifetime, now_s))
                return (int64_t)id;
            if (have.lifetime.kind == WARD_LIFE_TIMED && rule->lifetime.kind == WARD_LIFE_TIMED) {
                ward_app_rule_remove(e, id);
                break;
            }
        }
    }
    return ward_app_rule_append(e, app, rule);
}

int64_t ward_learn(ward_engine *e, const ward_request *r, uint32_t pid, uint64_t start_time,
                   const ward_answer *a, int64_t now_s)
{
    if (!r->app.path || (a->action != WARD_ACT_PERMIT && a->action != WARD_ACT_BLOCK))
        return WARD_E_INVAL;
    int64_t app = ward_app_find(e, r->app.path);
    if (app < 0) {
        app = ward_app_add(e, r->app.path, NULL);
        if (app < 0)
            return app;
        /* Learned from one answer: ask again about what it does not cover. */
        ward_app_set_fallback(e, (uint64_t)app, WARD_FALLBACK_ASK);
    }

    uint16_t port = r->dir == WARD_DIR_IN ? r->lport : r->rport;
    ward_range ports = {port, port};
    ward_cidr host = {r->remote, 128};
    const char *domain = r->domain;
    ward_app_rule rule = {
        .dir = r->dir,
        .action = a->action,
        .provider = WARD_PROVIDER_LEARNED,
        .origin = "prompt",
    };
    switch (a->scope) {
    case WARD_SCOPE_DESTINATION:
        /* A name outlives the addresses behind it: prefer it when known. */
        if (domain) {
            rule.domains = &domain;
            rule.n_domains = 1;
        } else {
            rule.addrs = &host;
            rule.n_addrs = 1;
        }
        /* fall through */
    case WARD_SCOPE_PORT:
        rule.proto = r->proto;
        if (r->proto == 6 || r->proto == 17 || r->proto == 132) {
            rule.ports = &ports;
            rule.n_ports = 1;
        }
        break;
    case WARD_SCOPE_ANY:
        break;
    default:
        return WARD_E_INVAL;
    }
    enum ward_duration duration = a->duration;
    /* A program whose file is not the one at its path has no name a rule
     * could keep: whatever was answered holds for this process only, so the
     * real file at that path never gains rights from it. */
    if (r->app.unverified && duration != WARD_DUR_ONCE)
        duration = WARD_DUR_UNTIL_EXIT;
    if (duration == WARD_DUR_UNTIL_EXIT && !pid)
        return WARD_E_INVAL; /* no process to tie it to */
    switch (duration) {
    case WARD_DUR_ONCE:
        rule.lifetime.kind = WARD_LIFE_ONCE;
        break;
    case WARD_DUR_MINUTES:
        if (a->minutes == 0)
            return WARD_E_INVAL;
        rule.lifetime.kind = WARD_LIFE_TIMED;
        rule.lifetime.expires = now_s + (int64_t)a->minutes * 60;
        break;
    case WARD_DUR_UNTIL_EXIT:
        rule.lifetime.kind = WARD_LIFE_UNTIL_EXIT;
        rule.lifetime.pid = pid;
        rule.lifetime.start_time = start_time;
        break;
    case WARD_DUR_UNTIL_RESTART:
        rule.lifetime.kind = WARD_LIFE_UNTIL_RESTART;
        break;
    case WARD_DUR_FOREVER:
        rule.lifetime.kind = WARD_LIFE_PERSISTENT;
        break;
    default:
        return WARD_E_INVAL;
    }
    return append_unique(e, (uint64_t)app, &rule, now_s);
}
