/* learn.c — what an answer to a prompt teaches the engine (see service.h). */
#include "service/service.h"

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
    return ward_app_rule_append(e, (uint64_t)app, &rule);
}
