/*
 * cli/follow.h — `ward log --follow`: the log's rows, then every new
 * decision and alert as wardd publishes it, for shipping to log stores.
 *
 * The subscription to the event ring is made before the log is read, so
 * nothing published in between is missed; what both hold (same run of
 * wardd, same sequence number) is printed once.
 */
#ifndef WARD_CLI_FOLLOW_H
#define WARD_CLI_FOLLOW_H

#include <stdbool.h>

#include "proto/proto.h"
#include "ward/event.h"

typedef struct cli_follow cli_follow;

/* Subscribes to wardd's event ring (root or group ward); NULL (printed)
 * when it cannot. */
cli_follow *cli_follow_start(const char *name);
/* A row of the log that was printed: live events up to it are not again. */
void cli_follow_seen(cli_follow *fw, const ward_event *row);
/* Prints the live events f selects (program, verdict, remote, domain;
 * times are not used) with print, until count were printed (0: no end) or
 * stdout fails; follows wardd across restarts (the new run's ring is read
 * from its oldest event: what it published before we got back is printed). Returns 0, or 1 when
 * stdout failed. */
int cli_follow_run(cli_follow *fw, const ward_log_filter *f, unsigned long count,
                   void (*print)(const ward_event *ev, void *ctx), void *ctx);
void cli_follow_free(cli_follow *fw);

#endif
