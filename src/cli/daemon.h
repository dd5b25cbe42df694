/*
 * cli/daemon.h — what the subcommands that talk to wardd share: connecting
 * to the control socket, calling, and printing rules and events.
 */
#ifndef WARD_CLI_DAEMON_H
#define WARD_CLI_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "proto/proto.h"
#include "ring/ring.h"
#include "ward/event.h"

#define CLI_TIMEOUT_MS 10000

/* Connects to $WARD_SOCKET or /run/ward/control.sock; prints why not and
 * returns NULL. */
ward_client *cli_connect(const char *name);
/* Sends req and waits for its reply; an error reply or a failure is printed
 * ("ward: wardd: forbidden: ...") and gives -1. */
int cli_call(ward_client *c, ward_msg *req, ward_msg *reply, int *fds, size_t *nfds);
/* For the long-lived clients (`ward prompt`, `ward watch`) after wardd went
 * away: connects again, waiting 100 ms, then twice as long each time up to
 * 5 s, until wardd answers and setup(c, ctx) succeeds (it registers or
 * subscribes again). Quiet while it waits. */
ward_client *cli_reconnect(const char *name, int (*setup)(ward_client *c, void *ctx), void *ctx);
/* Connects, sends req, waits for its reply, closes: for one-shot requests. */
int cli_request(const char *name, ward_msg *req, ward_msg *reply);
/* Subscribes c to wardd's event ring: 0 with the mapped reader (from its
 * oldest event or from now) and the eventfd written when events arrive, or
 * -1 (printed). */
/* Prints the one element of m's list member (a reply holding one item) as a
 * JSON object on a line of its own, as wardd sends it. */
void cli_print_json_item(const ward_msg *m, const char *member);
/* `ward stats --limits`: rate limits and quotas, and their usage. */
int cli_stats_limits(bool json);
int cli_subscribe(ward_client *c, bool from_oldest, ward_ring_reader **rd, int *efd);
/* The same for a request answered in several parts (rules, log rows): fn
 * sees each part of type `type`. Returns 0, or -1 (printed) on failure or
 * when the reply was cut short. */
int cli_request_parts(const char *name, ward_msg *req, enum ward_msg_type type,
                      void (*fn)(const ward_msg *part, void *ctx), void *ctx);
/* filter.c: the lists, additions and deletions `ward filter`, `ward
 * sublayer` and `ward provider` share. list returns -1 on a usage error. */
void cli_print_object(const ward_proto_object *x, bool json);
int cli_object_list(const char *client, enum ward_msg_type type, int argc, char **argv);
int cli_object_add(const char *client, enum ward_msg_type type, const char *text, bool dynamic);
int cli_object_delete(const char *client, enum ward_msg_type type, const char *arg);
/* One rule as a line of the policy language (the way `ward show` prints). */
void cli_print_rule(FILE *f, const ward_proto_rule *r);
void cli_print_rule_json(FILE *f, const ward_proto_rule *r);
/* One event as a line for people; as a JSON object for programs. */
void cli_print_event(FILE *f, const ward_event *ev);
void cli_print_event_json(FILE *f, const ward_event *ev);

int cmd_status(int argc, char **argv);
int cmd_mode(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_prompt(int argc, char **argv);
int cmd_stats(int argc, char **argv); /* cli/stats.c */
int cmd_conns(int argc, char **argv); /* cli/conns.c */
int cmd_ps(int argc, char **argv);    /* cli/ps.c */

#endif
