/*
 * cli/follow.c — `ward log --follow`: live events from wardd's event ring
 * after the log's rows (see follow.h). The events are filtered here, as the
 * log query filters rows: the ring carries everything.
 */
#include "cli/follow.h"

#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "ring/ring.h"

struct cli_follow {
    ward_client *c;
    ward_ring_reader *rd;
    int efd;            /* the ring's eventfd: written when events arrive */
    uint64_t seen_boot; /* the last log row printed: its run and number */
    uint64_t seen_bseq;
    bool seen;
    bool from_oldest; /* a ring of a new run: all of it is new to us */
};

static int subscribe(ward_client *c, void *ctx)
{
    cli_follow *fw = ctx;
    return cli_subscribe(c, fw->from_oldest, &fw->rd, &fw->efd);
}

static void unsubscribe(cli_follow *fw)
{
    ward_ring_reader_close(fw->rd);
    if (fw->efd >= 0)
        close(fw->efd);
    fw->rd = NULL;
    fw->efd = -1;
}

cli_follow *cli_follow_start(const char *name)
{
    cli_follow *fw = calloc(1, sizeof(*fw));
    if (!fw) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        return NULL;
    }
    fw->efd = -1;
    if (!(fw->c = cli_connect(name)) || subscribe(fw->c, fw) < 0) {
        if (fw->c)
            ward_client_close(fw->c);
        free(fw);
        return NULL;
    }
    return fw;
}

void cli_follow_seen(cli_follow *fw, const ward_event *row)
{
    if (row->kind != WARD_EVENT_DECISION && row->kind != WARD_EVENT_ALERT)
        return;
    if (!fw->seen || row->boot != fw->seen_boot || row->bseq > fw->seen_bseq) {
        fw->seen = true;
        fw->seen_boot = row->boot;
        fw->seen_bseq = row->bseq;
    }
}

/* What the log query would select (src/log/query.c: GLOB on exe and
 * domain), for an event that is not in the log yet. */
static bool selected(const ward_log_filter *f, const ward_event *ev)
{
    if (f->program && fnmatch(f->program, ev->exe, 0) != 0)
        return false;
    if (f->domain && fnmatch(f->domain, ev->domain, 0) != 0)
        return false;
    if (f->verdict >= 0 && (ev->kind != WARD_EVENT_DECISION || ev->verdict != f->verdict))
        return false;
    if (f->has_remote && !ward_cidr_contains(&f->remote, &ev->remote))
        return false;
    return true;
}

/* Prints what the ring holds that was not printed; the count so far. */
static unsigned long drain(cli_follow *fw, const ward_log_filter *f, unsigned long printed,
                           unsigned long count, void (*print)(const ward_event *ev, void *ctx),
                           void *ctx)
{
    ward_event ev;
    uint64_t lost = 0;
    while ((!count || printed < count) && ward_ring_read(fw->rd, &ev, &lost) > 0) {
        if (lost)
            fprintf(stderr, "%s: %llu events lost: this reader fell behind\n", cli_prog,
                    (unsigned long long)lost);
        lost = 0;
        if (fw->seen && ev.boot == fw->seen_boot && ev.bseq <= fw->seen_bseq)
            continue; /* printed from the log already */
        if (!selected(f, &ev))
            continue;
        print(&ev, ctx);
        printed++;
    }
    return printed;
}

int cli_follow_run(cli_follow *fw, const ward_log_filter *f, unsigned long count,
                   void (*print)(const ward_event *ev, void *ctx), void *ctx)
{
    unsigned long printed = 0;
    int rc = 0;
    while (!rc && (!count || printed < count)) {
        struct pollfd p[2] = {{fw->efd, POLLIN, 0}, {ward_client_fd(fw->c), POLLIN, 0}};
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents & (POLLHUP | POLLERR | POLLIN)) {
            char b;
            if (p[1].revents & (POLLHUP | POLLERR) ||
                recv(ward_client_fd(fw->c), &b, 1, MSG_PEEK) <= 0) {
                /* wardd went away: what its ring still holds first, then
                 * the new run's ring from its oldest event, so what the new
                 * wardd published before we got back is not missed. */
                printed = drain(fw, f, printed, count, print, ctx);
                unsubscribe(fw);
                ward_client_close(fw->c);
                fw->from_oldest = true;
                fw->c = cli_reconnect("ward-log", subscribe, fw);
                fprintf(stderr, "%s: wardd restarted: following its new run\n", cli_prog);
            } else {
                ward_msg m; /* a push nobody asked for: read past it */
                if (ward_client_recv(fw->c, &m, NULL, NULL, 0) == 1)
                    ward_msg_free(&m);
            }
        }
        ward_ring_eventfd_drain(fw->efd);
        printed = drain(fw, f, printed, count, print, ctx);
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = 1; /* the reader went away: nothing more to do */
    }
    return rc;
}

void cli_follow_free(cli_follow *fw)
{
    if (!fw)
        return;
    unsubscribe(fw);
    ward_client_close(fw->c);
    free(fw);
}
