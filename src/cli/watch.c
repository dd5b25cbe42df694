/*
 * cli/watch.c — `ward watch [--json] [--count N]`: decisions as they
 * happen, read from wardd's shared-memory event ring (the classic
 * design's shared packet buffer). A reader that falls behind loses the oldest
 * events and is told how many; it never slows wardd down. When wardd goes
 * away it connects again with backoff and subscribes to the new ring.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "ring/ring.h"

struct sub {
    ward_ring_reader *rd;
    int efd; /* the ring's eventfd: written when events arrive */
};

/* Subscribes c to the event ring: 0 and sub filled, or -1 (printed). */
static int subscribe(ward_client *c, void *ctx)
{
    struct sub *s = ctx;
    return cli_subscribe(c, false, &s->rd, &s->efd);
}

static void unsubscribe(struct sub *s)
{
    ward_ring_reader_close(s->rd);
    close(s->efd);
    *s = (struct sub){NULL, -1};
}

int cmd_watch(int argc, char **argv)
{
    bool json = false;
    unsigned long count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            char *end;
            count = strtoul(argv[++i], &end, 10);
            if (*end || !count)
                goto usage;
        } else {
            goto usage;
        }
    }
    ward_client *c = cli_connect("ward-watch");
    if (!c)
        return 1;
    struct sub sub = {NULL, -1};
    if (subscribe(c, &sub) < 0) {
        ward_client_close(c);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned long seen = 0;
    while (!count || seen < count) {
        /* The control connection closing means wardd went away: a new one
         * has a new ring, so subscribe again. */
        struct pollfd p[2] = {{sub.efd, POLLIN, 0}, {ward_client_fd(c), POLLIN, 0}};
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents & (POLLHUP | POLLERR | POLLIN)) {
            char b;
            if (p[1].revents & (POLLHUP | POLLERR) ||
                recv(ward_client_fd(c), &b, 1, MSG_PEEK) <= 0) {
                unsubscribe(&sub);
                ward_client_close(c);
                c = cli_reconnect("ward-watch", subscribe, &sub);
                fprintf(json ? stderr : stdout, "wardd restarted: reconnected\n");
                continue;
            }
            ward_msg m; /* a push nobody asked for: read past it */
            if (ward_client_recv(c, &m, NULL, NULL, 0) == 1)
                ward_msg_free(&m);
        }
        ward_ring_eventfd_drain(sub.efd);
        ward_event ev;
        uint64_t lost = 0;
        while ((!count || seen < count) && ward_ring_read(sub.rd, &ev, &lost) > 0) {
            if (lost)
                fprintf(json ? stderr : stdout, "(%llu events lost: this reader fell behind)\n",
                        (unsigned long long)lost);
            if (json)
                cli_print_event_json(stdout, &ev);
            else
                cli_print_event(stdout, &ev);
            seen++;
            lost = 0;
        }
    }
    unsubscribe(&sub);
    ward_client_close(c);
    return 0;
usage:
    fprintf(stderr, "usage: %s watch [--json] [--count N]\n", cli_prog);
    return EXIT_USAGE;
}
