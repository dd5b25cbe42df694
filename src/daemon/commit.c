/*
 * commit.c — the one commit point of wardd: every change of the policy in
 * force (an answer learned, a rule added or removed, the mode, a prompter
 * coming or going, a rule expiring, a reload) ends here, and here alone
 * is it written to disk and put into the kernel.
 *
 * The boot filters (lifetime `boot`) are compiled into the nft static
 * chains and into the boot ruleset file that ward-boot.service loads
 * before the network comes up. wardd's first table carries the same static
 * chains and replaces the boot ruleset in one nft transaction; a reload
 * that changes them swaps the chains' rules in one transaction too.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "compile/bootrules.h"
#include "store/store.h"

/* The boot ruleset sits beside the policy file. */
static void boot_path(struct wardd *d)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", d->opt.config);
    snprintf(d->boot_path, sizeof(d->boot_path), "%s/boot.nft", dirname(dir));
}

static int boot_compile(struct wardd *d)
{
    ward_boot_rules r;
    if (ward_boot_compile(d->engine, d->policy, &r) < 0)
        return -ENOMEM;
    free(d->boot_out);
    free(d->boot_in);
    d->boot_out = r.out;
    d->boot_in = r.in;
    wardd_log(LOG_DEBUG, "boot filters: %zu", r.n_filters);
    return 0;
}

/* The kernel config wardd runs with, as the boot ruleset needs it. */
static void boot_kernel_config(struct wardd *d, ward_kernel_config *kc)
{
    kc->fail = d->extras.fail_open ? WARD_KFAIL_OPEN : WARD_KFAIL_CLOSED;
    kc->static_out = d->boot_out;
    kc->static_in = d->boot_in;
}

int wardd_boot_config(struct wardd *d, ward_kernel_config *kc)
{
    boot_path(d);
    int rc = boot_compile(d);
    if (rc == 0)
        boot_kernel_config(d, kc);
    return rc;
}

/* The boot ruleset file, replaced atomically: a crash leaves the old one
 * or the new one for the next boot. */
static void boot_write(struct wardd *d)
{
    ward_kernel_config kc;
    ward_kernel_config_default(&kc);
    boot_kernel_config(d, &kc);
    size_t cap = 65536 + strlen(d->boot_out) + strlen(d->boot_in);
    char *buf = malloc(cap);
    if (!buf)
        return;
    static const char head[] = "# Written by wardd from the boot filters of %s; loaded by\n"
                               "# ward-boot.service (nft -f) before the network comes up.\n";
    int n = snprintf(buf, cap, head, d->opt.config);
    int rc = n < 0 || (size_t)n >= cap ? -ENOSPC
                                       : ward_kernel_boot_ruleset(&kc, buf + n, cap - (size_t)n);
    if (rc == 0)
        rc = ward_atomic_write(d->boot_path, buf, strlen(buf), 0644);
    if (rc < 0)
        wardd_log(LOG_ERR, "boot ruleset %s: %s (the previous file stays)", d->boot_path,
                  strerror(-rc));
    free(buf);
}

static void boot_commit(struct wardd *d)
{
    if (!d->boot_path[0])
        boot_path(d);
    if (boot_compile(d) < 0) {
        wardd_log(LOG_ERR, "boot filters: out of memory; the previous ones stay");
        return;
    }
    if (d->kernel) {
        int rc = ward_kernel_static_set(d->kernel, d->boot_out, d->boot_in);
        if (rc < 0) {
            /* Nor is the file written: the next boot would load them. */
            wardd_log(LOG_ERR, "boot filters: nft refused them (%s); the previous ones stay",
                      strerror(-rc));
            return;
        }
    }
    if (!d->opt.no_kernel)
        boot_write(d);
}

static int save_learned(struct wardd *d)
{
    /* Only what may outlive wardd; written so a crash leaves the old file
     * or the new one, never a mix. */
    int rc = ward_store_save_learned(d->policy, d->learned_path);
    if (rc < 0)
        wardd_log(LOG_ERR, "writing %s: %s", d->learned_path, strerror(-rc));
    return rc;
}

void wardd_commit(struct wardd *d, unsigned what)
{
    if (what & WARDD_CHANGED_LEARNED)
        save_learned(d);
    if (what & WARDD_CHANGED_POLICY) {
        boot_commit(d);
        wardd_limits_apply(d);
    }
    if (what & (WARDD_CHANGED_RULES | WARDD_CHANGED_POLICY))
        ward_callouts_sync_filters(d->callouts, d->engine); /* notify: filters come and go */
    if (what & (WARDD_CHANGED_POLICY | WARDD_CHANGED_LEARNED))
        wardd_files_rewatch(d); /* the programs named now */
    wardd_kernel_sync(d);
    wardd_shim_changed(d); /* what the tables allowed may have changed */
}

void wardd_boot_free(struct wardd *d)
{
    free(d->boot_out);
    free(d->boot_in);
    d->boot_out = d->boot_in = NULL;
}
