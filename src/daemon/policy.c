/*
 * policy.c — wardd's policy: the administrator's files plus the learned
 * rules, loaded all-or-nothing; rules that live only in memory (once, until
 * restart, a session's) carried across a reload; learned rules
 * written back atomically.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "store/store.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* What the learned rules file cannot hold (it must not outlive wardd):
 * carried from the old engine into the new one at a reload. The rest comes
 * back from the files. */
static bool lives_in_memory(const ward_lifetime *l)
{
    return l->kind == WARD_LIFE_UNTIL_RESTART || l->kind == WARD_LIFE_ONCE ||
           l->kind == WARD_LIFE_DYNAMIC;
}

/* Copies the rules that no file holds from the old engine into the new. */
static void carry_memory_rules(ward_engine *from, ward_engine *to)
{
    for (size_t i = 0; i < ward_app_count(from); i++) {
        ward_app_info a;
        ward_app_at(from, i, &a);
        for (size_t k = 0; k < a.n_rules; k++) {
            ward_app_rule r;
            ward_app_rule_at(from, a.id, k, NULL, &r);
            if (!lives_in_memory(&r.lifetime))
                continue;
            int64_t app = ward_app_find(to, a.path);
            if (app < 0) {
                app = ward_app_add(to, a.path, a.pin);
                if (app < 0)
                    continue;
                ward_app_set_fallback(to, (uint64_t)app, a.fallback);
            }
            const char *prov = ward_provider_name(from, r.provider);
            int p = prov ? ward_provider_find(to, prov) : -1;
            if (p < 0 && prov)
                p = ward_provider_add(to, prov);
            if (p < 0)
                continue;
            r.provider = (uint32_t)p;
            ward_app_rule_append(to, (uint64_t)app, &r);
        }
    }
}

/* The alert detector with the policy's thresholds ("set alert portscan
 * 20/10s", "set alert flood 500/1s"); the defaults for what it leaves out.
 * The parser has kept every value within what the detector honours. */
static ward_alert *alerts_for(const ward_policy_extras *x)
{
    ward_alert_config c;
    ward_alert_config_default(&c);
    for (size_t i = 0; i < x->n_alerts; i++) {
        const struct ward_alert_threshold *a = &x->alerts[i];
        if (strcmp(a->name, "portscan") == 0) {
            c.scan_ports = a->count;
            c.scan_window_s = a->window;
        } else if (strcmp(a->name, "flood") == 0) {
            c.flood_pps = a->count;
        } else if (strcmp(a->name, "flood-total") == 0) {
            c.flood_total_pps = a->count;
        }
    }
    return ward_alert_new(&c);
}

ward_policy *wardd_policy_parse(const char *config, const char *learned,
                                const char *const *callouts, ward_dnsfilter **dnsf, char *err,
                                size_t errlen)
{
    ward_policy *p = ward_policy_new();
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ward_policy_allow_callouts(p, callouts);
    const char *files[] = {config};
    int errors = ward_policy_load(p, files, 1);
    if (errors == 0 && access(learned, F_OK) == 0) {
        const char *more[] = {learned};
        errors = ward_policy_load_more(p, more, 1);
    }
    if (errors != 0) {
        snprintf(err, errlen, "%s", errors < 0 ? "out of memory" : ward_policy_diagnostics(p));
        ward_policy_free(p);
        return NULL;
    }
    /* The policy's blocklists belong to it: a list with an error refuses
     * the policy, as an error in the policy itself would. */
    if (!(*dnsf = wardd_dnsfilter_load(ward_policy_get_extras(p), err, errlen))) {
        ward_policy_free(p);
        return NULL;
    }
    return p;
}

int wardd_policy_install(struct wardd *d, ward_policy *p, ward_dnsfilter *dnsf, char *err,
                         size_t errlen)
{
    ward_alert *alerts = alerts_for(ward_policy_get_extras(p));
    ward_engine *e = ward_policy_engine(p);
    if (!alerts || (d->callouts && ward_callouts_attach(d->callouts, e) < 0)) {
        snprintf(err, errlen, "out of memory");
        ward_alert_free(alerts);
        ward_policy_free(p);
        ward_dnsfilter_free(dnsf);
        return -1;
    }
    ward_alert_free(d->alerts);
    d->alerts = alerts;
    ward_dnsfilter_use(dnsf);
    ward_dnsfilter_free(d->dnsfilter);
    d->dnsfilter = dnsf;
    if (d->engine)
        carry_memory_rules(d->engine, e);
    ward_engine_set_prompter(e, d->prompters > 0);
    ward_engine_defer_rebuilds(e); /* rebuild.c runs them off the loop */
    ward_policy_free(d->policy);
    d->policy = p;
    d->engine = e;
    wardd_runtime_reapply(d); /* what was added at run time stays in force */
    wardd_self_refresh(d);
    d->extras = *ward_policy_get_extras(p);
    wardd_syslog_configure(d->extras.syslog, d->extras.syslog_ca);
    if (d->callouts)
        ward_callouts_set_failure(d->callouts, d->extras.callout_failure);
    wardd_stream_configure(d);
    wardd_ids_configure(d);
    if (wardd_urlfilter_use(&d->extras) < 0)
        wardd_log(LOG_ERR, "urlfilter: out of memory: the rules of the last policy stay");
    /* The parser's memory is free now: give it back rather than keep the
     * high-water mark of a load for the daemon's whole life. */
    malloc_trim(0);
    ward_engine_stats st;
    ward_engine_stats_get(e, &st);
    wardd_log(LOG_INFO, "policy %s: %zu programs, %zu rules, %zu filters", d->opt.config, st.apps,
              st.app_rules, st.filters);
    return 0;
}

int wardd_policy_load(struct wardd *d, char *err, size_t errlen)
{
    ward_dnsfilter *dnsf = NULL;
    ward_policy *p = wardd_policy_parse(d->opt.config, d->learned_path,
                                        d->callouts ? ward_callouts_names(d->callouts) : NULL,
                                        &dnsf, err, errlen);
    return p ? wardd_policy_install(d, p, dnsf, err, errlen) : -1;
}
