/*
 * ui/top/top.h — `ward top`, the terminal UI: state shared by its parts.
 *
 * One poll loop (main.c) over the control connection (link.c), the event
 * ring, the traffic connection (traffic.c) and the terminal. Nothing waits
 * for wardd: requests go out, replies come back by id and are applied as
 * they arrive, so several prompts stay answerable at once.
 */
#ifndef WARD_TOP_H
#define WARD_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "ring/ring.h"
#include "ui/top/traffic.h"

#define TOP_SPARK       30 /* sparkline buckets ... */
#define TOP_SPARK_SECS  10 /* ... of this many seconds: five minutes */
#define TOP_RECENT      512
#define TOP_MAX_PROMPTS 64
#define TOP_MAX_ALERTS  1000
#define TOP_TEXT        512
#define TOP_CHAIN       (WARD_EVENT_EXE_MAX + WARD_EVENT_PARENTS_MAX + 128)
#define TOP_CHAIN_SEP   " ← "

enum top_view {
    VIEW_PROGRAMS,
    VIEW_PROMPTS,
    VIEW_RULES,
    VIEW_LOG,
    VIEW_ALERTS,
    VIEW_LISTEN,
    VIEW_DETAIL, /* one program: connections, rules, log, process tree */
    VIEW_COUNT
};

enum top_sort { SORT_ACTIVITY, SORT_NAME, SORT_BLOCKS, SORT_TRAFFIC, SORT_COUNT };

/* One program seen in decisions (the ring, the log) and in traffic. */
struct top_prog {
    char exe[WARD_EVENT_EXE_MAX];
    uint64_t permits, blocks, alerts;
    uint64_t spark[TOP_SPARK];     /* decisions per bucket, newest last */
    double spark_bytes[TOP_SPARK]; /* bytes/s per bucket (traffic), newest last */
    int64_t spark_at;              /* bucket number (time / TOP_SPARK_SECS) of the newest */
    char last_remote[WARD_IP_STRLEN];
    char last_domain[WARD_EVENT_DOMAIN_MAX];
    uint16_t last_port;
    uint8_t last_verdict;
    int64_t last_ns;
    uint32_t pid, uid;
    char chain[TOP_CHAIN]; /* the last decision's process and its parents */
    /* From traffic accounting (when wardd has it). */
    bool has_traffic;
    uint64_t bytes_in, bytes_out, conns;
    double rate_in, rate_out;
    uint64_t bytes_prev; /* in + out at the previous stats reply */
};

struct top_prompt {
    uint64_t id;
    int64_t deadline_ms; /* monotonic: when the policy's default applies */
    ward_event conn;
};

/* The answer being composed for one prompt (the others stay answerable). */
enum top_scope { TSCOPE_PORT, TSCOPE_HOST, TSCOPE_DOMAIN, TSCOPE_SUFFIX, TSCOPE_ANY };
struct top_answer {
    bool open;
    uint64_t prompt_id;
    enum ward_action action;
    enum top_scope scope;
    enum ward_duration duration;
    uint32_t minutes;
    bool pin; /* and pin the program to the digest of the binary asking */
};

/* A line of text being typed (filter, search, rule). */
enum top_input { INPUT_NONE, INPUT_FILTER, INPUT_SEARCH, INPUT_RULE_ADD, INPUT_RULE_EDIT };

enum link_state { LINK_DOWN, LINK_UP };

struct top {
    /* connection (link.c) */
    const char *sock;
    ward_client *c;
    enum link_state state;
    bool ever_up, admin, subscribed, registered;
    char sub_error[160];
    ward_ring_reader *rd;
    int efd;
    int64_t retry_at_ms, backoff_ms;
    unsigned reconnects;
    ward_proto_status status;
    bool has_status;
    /* traffic (traffic.c): "unknown" when wardd does not serve it */
    int tfd;
    char *tbuf;
    size_t tlen;
    bool stats_known, stats_missing, conns_known, conns_missing;
    struct top_conn *conns;
    size_t n_conns;
    /* model (model.c) */
    struct top_prog *progs;
    size_t n_progs, cap_progs;
    ward_event recent[TOP_RECENT]; /* decisions and alerts, a ring */
    size_t n_recent, recent_head;
    ward_event *alerts;
    size_t n_alerts, cap_alerts;
    uint64_t events_lost;
    /* prompts (prompts.c) */
    struct top_prompt prompts[TOP_MAX_PROMPTS];
    size_t n_prompts;
    struct top_answer ans;
    /* lists from wardd */
    ward_proto_rule *rules;
    size_t n_rules;
    uint32_t rules_req;
    ward_event *log;
    size_t n_log;
    uint32_t log_req;
    ward_proto_rule *drules; /* the drilled program's */
    size_t n_drules;
    uint32_t drules_req;
    ward_event *dlog;
    size_t n_dlog;
    uint32_t dlog_req;
    /* screen (draw.c, keys.c) */
    enum top_view view, back;
    enum top_sort sort;
    size_t sel[VIEW_COUNT], top_row[VIEW_COUNT];
    char filter[TOP_TEXT], search[TOP_TEXT];
    char detail[WARD_EVENT_EXE_MAX];
    enum top_input input;
    char in_buf[4 * TOP_TEXT]; /* a rule being edited: its program and its text */
    size_t in_len;
    uint64_t edit_rule;
    bool confirm_delete;
    char msg[256];
    int64_t msg_until_ms;
    bool quit, dirty;
};

/* say.c */
int64_t top_now_ms(void);
void top_say(struct top *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* link.c: the control connection */
void link_poll(struct top *t); /* connects (again) when due */
void link_close(struct top *t);
int link_fd(const struct top *t); /* -1 when down */
void link_readable(struct top *t);
void link_ring_readable(struct top *t);
uint32_t link_send(struct top *t, ward_msg *m); /* the request id, or 0 */
/* What to do with the reply to request id: an answer to prompt arg, a rule
 * added (arg: the rule it replaces, 0 none), deleted (arg), or a rule added
 * for prompt arg, after which `then` (an answer) is sent. */
enum link_pending { P_ANSWER, P_RULE_ADD, P_RULE_DEL, P_ANSWER_AFTER_RULE };
void link_expect(uint32_t id, enum link_pending kind, uint64_t arg, const ward_msg *then);
/* link_send, then link_expect for what it sent. */
void link_request(struct top *t, ward_msg *m, enum link_pending kind, uint64_t arg,
                  const ward_msg *then);
void link_refresh_rules(struct top *t);
void link_refresh_log(struct top *t);
void link_refresh_detail(struct top *t);

/* traffic.c: stats.query, conns.list */
void traffic_poll(struct top *t);
void traffic_readable(struct top *t);
void traffic_close(struct top *t);
const char *traffic_state(const struct top *t);

/* model.c */
void model_event(struct top *t, const ward_event *ev);
struct top_prog *model_prog(struct top *t, const char *exe, bool create);
void model_tick(struct top *t); /* shifts sparklines as time passes */
/* A traffic rate seen now: the newest bucket keeps the highest. */
void model_traffic(struct top_prog *p, double bytes_per_s);
size_t model_sorted(struct top *t, struct top_prog **out, size_t max);
void model_free(struct top *t);
void model_free_rules(ward_proto_rule **v, size_t *n);

/* prompts.c. An answer goes out through request (link_request): the
 * prompts are fed by the link and do not call back into it. */
typedef void (*top_request_fn)(struct top *t, ward_msg *m, enum link_pending kind, uint64_t arg,
                               const ward_msg *then);
void prompts_push(struct top *t, const ward_msg *m);
void prompts_closed(struct top *t, uint64_t id, const char *by, enum ward_verdict v);
void prompts_clear(struct top *t);
void prompts_open_answer(struct top *t, size_t i, enum ward_action a);
bool prompts_key(struct top *t, int ch, top_request_fn request); /* the answer form's keys */
void prompts_send(struct top *t, top_request_fn request);
void prompts_answer_reply(struct top *t, const ward_msg *rep, uint64_t prompt_id);

/* ruletext.c */
void ruletext(const ward_proto_rule *r, char *buf, size_t len);

/* procs.c: process tree and listening sockets, from /proc */
struct top_listen {
    char program[WARD_EVENT_EXE_MAX];
    uint32_t pid, uid;
    const char *proto;
    char addr[WARD_IP_STRLEN];
    uint16_t port;
};
size_t procs_listening(struct top_listen *out, size_t max);
/* Lines of the process tree of the processes running exe. */
size_t procs_tree(const char *exe, char (*lines)[160], size_t max);

/* draw.c, keys.c */
void draw(struct top *t);
void keys(struct top *t, int ch);

#endif
