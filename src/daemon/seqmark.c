/*
 * seqmark.c — how far this run of wardd got, kept where a crash cannot take
 * it. Every decision and alert gets a sequence number within the run (the
 * boot id: the run's start time in ms). A small file in the state directory
 * is mapped shared and each published event stores its number there: two
 * stores into the page cache, no system call, so the hot path does not slow
 * down. A SIGKILL leaves the page cache as it was (only a power loss can
 * lose the last page). The next start compares it with the log: what the
 * last run published after the last row it logged was lost, and is counted,
 * said, and marked in the log with a "lost" row.
 */
#define _GNU_SOURCE
#include "daemon/journal.h"
#include "daemon/wardd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char mark_magic[8] = "wardseq1";

static struct wardd_mark fallback; /* no file: counted in memory only */

void wardd_mark_open(struct wardd *d)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/published", d->opt.state_dir);
    d->mark = &fallback;
    memset(&d->prev_mark, 0, sizeof(d->prev_mark));
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    void *m = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, sizeof(struct wardd_mark)) == 0)
        m = mmap(NULL, sizeof(struct wardd_mark), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    if (m == MAP_FAILED) {
        wardd_log(LOG_WARNING, "%s: %s: decisions lost in a crash will not be counted", path,
                  strerror(errno));
    } else {
        d->mark = m;
        if (memcmp(d->mark->magic, mark_magic, sizeof(mark_magic)) == 0)
            d->prev_mark = *d->mark;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t boot = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (boot <= d->prev_mark.boot)
        boot = d->prev_mark.boot + 1; /* a clock set back: still a new id */
    d->boot = boot;
    d->next_bseq = 0;
    *d->mark = (struct wardd_mark){.boot = boot};
    memcpy(d->mark->magic, mark_magic, sizeof(mark_magic));
}

void wardd_mark_recover(struct wardd *d)
{
    const struct wardd_mark *p = &d->prev_mark;
    if (!p->boot || !p->next)
        return;
    int64_t last = ward_log_last_bseq(d->log_path, p->boot);
    if (last < -1) {
        wardd_log(LOG_WARNING, "cannot read %s: the last run's losses are not counted",
                  d->log_path);
        return;
    }
    uint64_t logged_to = (uint64_t)(last + 1); /* sequence numbers below it reached the log */
    if (logged_to >= p->next)
        return;
    d->lost_last_run = p->next - logged_to;
    wardd_log(LOG_WARNING,
              "the last run (boot %llu) published %llu decisions; its log ends at %lld: %llu were "
              "never logged (it stopped before writing them)",
              (unsigned long long)p->boot, (unsigned long long)p->next, (long long)last,
              (unsigned long long)d->lost_last_run);
    /* A row that closes the gap, so `ward log` shows it where it happened. */
    ward_event ev = {.kind = WARD_EVENT_LOST, .boot = p->boot, .bseq = p->next};
    ev.time_ns = p->last_ns;
    ev.uid = WARD_UID_UNKNOWN;
    ev.count = d->lost_last_run > UINT32_MAX ? UINT32_MAX : (uint32_t)d->lost_last_run;
    WARD_EVENT_SET(&ev, filter, "wardd stopped");
    ward_log_submit(d->log, &ev);
}

void wardd_mark_close(struct wardd *d)
{
    if (d->mark != &fallback)
        munmap(d->mark, sizeof(*d->mark));
    d->mark = &fallback;
}

void wardd_event_new(ward_event *ev, int kind)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    memset(ev, 0, sizeof(*ev));
    ev->time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    ev->kind = (uint8_t)kind;
    ev->uid = WARD_UID_UNKNOWN;
    ev->count = 1;
}

void wardd_emit(struct wardd *d, ward_event *ev)
{
    ev->boot = d->boot;
    ev->bseq = d->next_bseq++;
    ward_ring_write(d->ring, ev);
    ward_log_submit(d->log, ev);
    wardd_journal_event(ev);
    wardd_syslog_event(ev);
    d->mark->next = d->next_bseq;
    d->mark->last_ns = ev->time_ns;
}
