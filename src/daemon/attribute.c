/*
 * attribute.c — which process and program a kernel record belongs to, and
 * the name the rules know that program by: for the decisions, the kernel's
 * events and traffic accounting alike.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <stdio.h>

static bool same_exe(const ward_proc *p, ward_exe_id exe)
{
    return p && p->id.dev == exe.dev && p->id.ino == exe.ino;
}

/* The program a queued connection belongs to. The hook saw the executable
 * (dev, inode) at connect time; the process may have exec'd since, so the
 * table's view is used only when it still names that same executable. */
const ward_proc *wardd_attribute(struct wardd *d, uint32_t pid, ward_exe_id exe)
{
    const ward_proc *p = proctab_lookup(d->procs, pid);
    /* A pid that a rule until-exit waits for: its start time is checked
     * against /proc, so a newer process with that pid, whose events are not
     * read yet, never passes for the one the rule is for. */
    for (size_t i = 0; p && i < d->n_watches; i++) {
        if (d->watches[i].pid == pid) {
            if (proctab_start_time(d->procs, pid) != p->start_time)
                p = proctab_refresh(d->procs, pid);
            break;
        }
    }
    /* The table may lag instead: events are drained once per wakeup, and
     * the packets read in that batch can come from processes whose exec is
     * not drained yet. /proc says which of the two it is. */
    if (p && !same_exe(p, exe))
        p = proctab_refresh(d->procs, pid);
    return same_exe(p, exe) ? p : NULL;
}

/* The name the rules know the process's program by: its path when the file
 * at that path in our mount namespace is the file it runs; otherwise a label
 * that says so, which no rule names (and the prompt and the log show). */
const char *wardd_program_name(struct wardd *d, const ward_proc *p, bool *unverified, char *buf,
                               size_t len)
{
    *unverified = !proctab_verify(d->procs, p);
    if (!*unverified)
        return p->exe;
    snprintf(buf, len, "%s " WARDD_UNVERIFIED_MARK, p->exe);
    return buf;
}
