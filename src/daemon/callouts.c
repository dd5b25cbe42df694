/*
 * callouts.c — wardd's callouts: the built-in ones (dnsfilter, accounting,
 * ids, urlfilter) and the shared objects of the callout directory, each run
 * in its own ward-callout-host (found beside wardd). A shared object that is refused
 * (not root's, writable by others, another ABI, does not load) is logged
 * and left out: a policy naming it is then refused by name. `ward callout
 * load` and `unload` add and remove shared objects while wardd runs, with
 * the same checks; a loaded one lasts until wardd stops.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "callout/ids.h"
#include "util/spawn.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char host_path[PATH_MAX];

static const char *callout_dir(const struct wardd *d)
{
    return d->opt.callout_dir ? d->opt.callout_dir : WARD_CALLOUT_DIR;
}

int wardd_callouts_open(struct wardd *d)
{
    ward_sibling_path("ward-callout-host", host_path, sizeof(host_path));
    ward_callouts_config cfg = {.host_path = host_path[0] ? host_path : NULL,
                                .on_failure = WARD_V_BLOCK};
    if (!(d->callouts = ward_callouts_new(&cfg)) ||
        ward_callouts_add_builtin(d->callouts, &ward_dnsfilter_callout) < 0 ||
        ward_callouts_add_builtin(d->callouts, &ward_accounting_callout) < 0 ||
        ward_callouts_add_builtin(d->callouts, &ward_ids_callout) < 0 ||
        ward_callouts_add_builtin(d->callouts, &ward_urlfilter_callout) < 0)
        return -1;
    wardd_ids_open(d);
    char err[512];
    int loaded = ward_callouts_load_dir(d->callouts, callout_dir(d), err, sizeof(err));
    if (loaded < 0)
        wardd_log(LOG_ERR, "%s", err);
    for (size_t i = 0; i < ward_callouts_count(d->callouts); i++) {
        ward_callout_info info;
        ward_callouts_info(d->callouts, i, &info);
        wardd_log(LOG_INFO, "callout %s: %s%s%s", info.name, info.builtin ? "built in" : "",
                  info.path ? info.path : "", info.path ? ", in its own host process" : "");
    }
    return 0;
}

void wardd_callouts_close(struct wardd *d)
{
    ward_dnsfilter_use(NULL);
    wardd_ids_close(d);
    ward_accounting_free();
    ward_urlfilter_clear();
    ward_callouts_free(d->callouts);
    d->callouts = NULL;
    ward_dnsfilter_free(d->dnsfilter);
    d->dnsfilter = NULL;
}

ward_dnsfilter *wardd_dnsfilter_load(const ward_policy_extras *x, char *err, size_t errlen)
{
    ward_dnsfilter *f = ward_dnsfilter_new();
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < x->n_dnsfilter_lists; i++) {
        if (ward_dnsfilter_load_file(f, x->dnsfilter_lists[i], err, errlen) < 0) {
            ward_dnsfilter_free(f);
            return NULL;
        }
    }
    return f;
}

int wardd_urlfilter_use(const ward_policy_extras *x)
{
    ward_urlfilter_rule r[WARD_POLICY_MAX_URLFILTER];
    for (size_t i = 0; i < x->n_urlfilter; i++)
        r[i] = (ward_urlfilter_rule){x->urlfilter[i].deny, x->urlfilter[i].app,
                                     x->urlfilter[i].pattern};
    return ward_urlfilter_set(r, x->n_urlfilter);
}

void wardd_on_callout_list(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    size_t n = ward_callouts_count(d->callouts);
    ward_proto_callout *v = calloc(n ? n : 1, sizeof(*v));
    char(*layers)[64] = calloc(n ? n : 1, sizeof(*layers));
    if (!v || !layers) {
        free(v);
        free(layers);
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    static const char *const names[] = {"connect", "accept", "stream", "dns", "packet"};
    for (size_t i = 0; i < n; i++) {
        ward_callout_info info;
        ward_callouts_info(d->callouts, i, &info);
        for (size_t b = 0; b < sizeof(names) / sizeof(names[0]); b++)
            if (info.layers & (1u << b))
                snprintf(layers[i] + strlen(layers[i]), sizeof(layers[i]) - strlen(layers[i]),
                         "%s%s", layers[i][0] ? "," : "", names[b]);
        /* The reply only reads the strings: they stay the registry's. */
        v[i] = (ward_proto_callout){.name = (char *)info.name,
                                    .layers = layers[i],
                                    .builtin = info.builtin,
                                    .path = (char *)info.path,
                                    .host_pid = (uint64_t)info.host_pid,
                                    .calls = info.calls,
                                    .failures = info.failures,
                                    .restarts = info.restarts,
                                    .filters = info.filters,
                                    .cached = info.cached};
    }
    ward_conn_send_callouts(c, m->id, v, n);
    free(v);
    free(layers);
}

/* Whether the registry may change now; answers the refusal when not. */
static bool may_change(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    if (!d->callouts) {
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "wardd runs no callouts");
        return false;
    }
    if (wardd_reload_running(d)) {
        /* The parse reads the callouts' names: they change after it. */
        ward_conn_send_error(c, m->id, WARD_PE_BUSY, "a reload is under way: try again");
        return false;
    }
    return true;
}

/* A bare name: letters, digits, '_' and '-' (NAME.so of the callout directory). */
static bool callout_name_ok(const char *s)
{
    if (!*s || strlen(s) > 60)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

void wardd_on_callout_load(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    const char *arg = m->u.callout_op.callout;
    char path[PATH_MAX], err[512];
    if (!may_change(d, c, m))
        return;
    if (arg[0] == '/') {
        snprintf(path, sizeof(path), "%s", arg);
    } else if (callout_name_ok(arg)) {
        snprintf(path, sizeof(path), "%s/%s.so", callout_dir(d), arg);
    } else {
        ward_conn_send_error(c, m->id, WARD_PE_BAD_FIELD,
                             "callout '%s': an absolute path or the name of NAME.so in %s", arg,
                             callout_dir(d));
        return;
    }
    /* The names before, to tell the new one should attaching fail. */
    const char *before[WARD_CALLOUTS_MAX];
    size_t n_before = 0;
    for (const char *const *nm = ward_callouts_names(d->callouts);
         nm && *nm && n_before < WARD_CALLOUTS_MAX; nm++)
        before[n_before++] = *nm;
    if (ward_callouts_load(d->callouts, path, err, sizeof(err)) < 0) {
        wardd_log(LOG_WARNING, "ward callout load: %s", err);
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "%s", err);
        return;
    }
    if (ward_callouts_attach(d->callouts, d->engine) < 0) {
        /* Not half loaded: the registry forgets it too, so a retry is a
         * fresh load, not "already loaded". */
        for (const char *const *nm = ward_callouts_names(d->callouts); nm && *nm; nm++) {
            bool old = false;
            for (size_t i = 0; i < n_before && !old; i++)
                old = before[i] == *nm;
            if (!old) {
                ward_callouts_unload(d->callouts, d->engine, *nm, err, sizeof(err));
                break;
            }
        }
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    wardd_log(LOG_INFO, "callout %s: loaded at run time, in its own host process", path);
    ward_conn_send_ok(c, m->id);
}

void wardd_on_callout_unload(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    char err[512];
    if (!may_change(d, c, m))
        return;
    int rc =
        ward_callouts_unload(d->callouts, d->engine, m->u.callout_op.callout, err, sizeof(err));
    if (rc < 0) {
        ward_conn_send_error(c, m->id,
                             rc == WARD_E_NOENT  ? WARD_PE_NOT_FOUND
                             : rc == WARD_E_BUSY ? WARD_PE_BUSY
                                                 : WARD_PE_FAILED,
                             "%s", err);
        return;
    }
    wardd_log(LOG_INFO, "callout %s unloaded", m->u.callout_op.callout);
    ward_conn_send_ok(c, m->id);
}
