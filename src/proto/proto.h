/*
 * proto/proto.h — Ward's control protocol (docs/PROTOCOL.md): versioned JSON
 * messages between wardd and its clients (the `ward` CLI; planned: `ward top`)
 * over the unix stream socket /run/ward/control.sock.
 *
 * Framing: one JSON object per line ('\n'-terminated; JSON text never holds a
 * raw newline). A message is at most WARD_PROTO_MAX_MSG bytes with its
 * newline. wardd is always the server: it answers requests and pushes
 * prompts; it never connects to a client.
 *
 * Three layers, each usable alone:
 *   codec  — ward_msg (C structs) <-> one framed line; the decoder is strict
 *            and total: any input gives a message or an error, never a crash;
 *   server — a non-blocking listener with bounded per-client buffers behind
 *            one epoll fd the daemon adds to its own loop; answers hello,
 *            enforces framing and authorization, hands the rest to a callback;
 *   client — a blocking helper for the CLI: connect, hello, call, receive.
 */
#ifndef WARD_PROTO_H
#define WARD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log/log.h"
#include "ward/engine.h"
#include "ward/event.h"
#include "ward/prompt.h"
#include "proto/stats.h"

#define WARD_PROTO_VERSION   1u
#define WARD_PROTO_MAX_MSG   65536u /* bytes, newline included */
#define WARD_PROTO_MAX_DEPTH 8      /* JSON nesting */
#define WARD_PROTO_MAX_LIST  256    /* elements of a list inside a rule */
#define WARD_PROTO_MAX_STR   4096   /* bytes of a free-form string */
#define WARD_PROTO_MAX_FDS   4      /* descriptors passed with one message */
#define WARD_PROTO_MAX_ROWS  5000   /* log rows one query answers (more: page by after_id) */
#define WARD_CONTROL_SOCKET  "/run/ward/control.sock"

/* ---- Messages ------------------------------------------------------------ */

enum ward_msg_type {
    /* requests (client -> wardd) */
    WARD_MSG_HELLO,
    WARD_MSG_STATUS,
    WARD_MSG_MODE_GET,
    WARD_MSG_MODE_SET,
    WARD_MSG_RULES_LIST,
    WARD_MSG_RULES_ADD,
    WARD_MSG_RULES_DELETE,
    WARD_MSG_RELOAD,
    WARD_MSG_SUBSCRIBE,
    WARD_MSG_PROMPT_REGISTER,
    WARD_MSG_PROMPT_ANSWER,
    WARD_MSG_LOG_QUERY,
    WARD_MSG_EXPLAIN,
    WARD_MSG_STATS_QUERY, /* proto/stats.h */
    WARD_MSG_CONNS_LIST,
    /* replies (wardd -> client, carrying the request's id) */
    WARD_MSG_OK,
    WARD_MSG_ERROR,
    WARD_MSG_HELLO_REPLY,
    WARD_MSG_STATUS_REPLY,
    WARD_MSG_MODE_REPLY,
    WARD_MSG_RULES_REPLY,
    WARD_MSG_RULE_ADDED,
    WARD_MSG_SUBSCRIBE_REPLY,
    WARD_MSG_LOG_REPLY,
    WARD_MSG_EXPLAIN_REPLY,
    WARD_MSG_STATS_REPLY,
    WARD_MSG_CONNS_REPLY,
    /* pushes (wardd -> client, id 0) */
    WARD_MSG_PROMPT,
    WARD_MSG_PROMPT_CLOSED,
    /* callouts (added last: the wire names them, not these numbers) */
    WARD_MSG_CALLOUT_LIST,
    WARD_MSG_CALLOUT_REPLY,
    /* run-time management of filters, sublayers and providers (docs/PROTOCOL.md) */
    WARD_MSG_FILTER_ADD,
    WARD_MSG_FILTER_DELETE,
    WARD_MSG_FILTER_LIST,
    WARD_MSG_SUBLAYER_ADD,
    WARD_MSG_SUBLAYER_DELETE,
    WARD_MSG_SUBLAYER_LIST,
    WARD_MSG_PROVIDER_ADD,
    WARD_MSG_PROVIDER_DELETE,
    WARD_MSG_PROVIDER_LIST,
    WARD_MSG_TXN_BEGIN,
    WARD_MSG_TXN_COMMIT,
    WARD_MSG_TXN_ABORT,
    WARD_MSG_OBJECT_ADDED,
    WARD_MSG_OBJECT_REPLY,
    /* limits: proto/stats.h */
    WARD_MSG_LIMITS_LIST,
    WARD_MSG_LIMITS_REPLY,
    /* antivirus: files scanned on demand (docs/AV.md) */
    WARD_MSG_SCAN,
    WARD_MSG_SCAN_REPLY,
    /* shared-object callouts loaded and unloaded at run time (docs/ENGINE.md) */
    WARD_MSG_CALLOUT_LOAD,
    WARD_MSG_CALLOUT_UNLOAD,
    WARD_MSG_COUNT
};
const char *ward_msg_type_name(enum ward_msg_type t); /* the wire name */
bool ward_msg_is_request(enum ward_msg_type t);

enum ward_proto_err {
    WARD_PE_OK = 0,
    WARD_PE_BAD_JSON, /* not JSON, truncated, trailing bytes, not an object */
    WARD_PE_BAD_UTF8,
    WARD_PE_TOO_DEEP,
    WARD_PE_TOO_LARGE,
    WARD_PE_UNKNOWN_TYPE,
    WARD_PE_BAD_FIELD, /* wrong type, out of range, unknown field */
    WARD_PE_MISSING_FIELD,
    WARD_PE_HELLO_REQUIRED,
    WARD_PE_BAD_VERSION,
    WARD_PE_FORBIDDEN,
    WARD_PE_NOT_FOUND,
    WARD_PE_BUSY,   /* a limit was reached (clients, subscribers) */
    WARD_PE_FAILED, /* the operation was refused (e.g. an invalid rule) */
    WARD_PE_INTERNAL,
    WARD_PE_COUNT
};
const char *ward_proto_err_name(enum ward_proto_err e); /* the wire code */

/* One of wardd's callouts, as callout.reply lists it (strings owned by
 * the message). */
typedef struct ward_proto_callout {
    char *name;
    char *layers; /* "connect,accept,stream,dns": the ones it serves */
    bool builtin;
    char *path;        /* the shared object; NULL when built in */
    uint64_t host_pid; /* its host process; 0: not running (or built in) */
    uint64_t calls, failures, restarts, filters;
    uint64_t cached; /* calls answered from its kept answers (WARD_CALLOUT_F_CACHE) */
} ward_proto_callout;

/* A filter or sublayer as filter.list / sublayer.list show it (strings
 * owned by the message; NULL: not given). */
typedef struct ward_proto_object {
    uint64_t id;
    char *name;
    char *layer;    /* filters: the engine's layer name */
    char *sublayer; /* filters: their sublayer's name */
    uint32_t weight;
    char *action;   /* filters: permit, block or callout */
    char *provider; /* filters */
    bool dynamic;   /* gone when the session that added it closes */
    bool runtime;   /* added over the protocol (not from the policy files) */
    char *text;     /* filters: the filter in the policy language */
} ward_proto_object;

/* An application rule as the protocol carries it. Lists are heap arrays
 * owned by the message. */
typedef struct ward_proto_rule {
    uint64_t id;             /* 0 in rules.add */
    char *program;           /* required: executable path (or glob) */
    enum ward_action action; /* PERMIT ("allow") or BLOCK ("block") */
    enum ward_direction dir;
    uint8_t proto;     /* 0: any */
    ward_range *ports; /* remote port for out, local port for in */
    size_t n_ports;
    ward_cidr *remotes;
    size_t n_remotes;
    char **domains;
    size_t n_domains;
    char **zones;
    size_t n_zones;
    ward_range *users; /* the process's uid */
    size_t n_users;
    char **parents; /* programs one of the process's ancestors runs */
    size_t n_parents;
    ward_time_window *times;
    size_t n_times;
    char *provider; /* NULL: "admin" */
    ward_lifetime lifetime;
    char *origin; /* NULL: none */
    /* rules.add only: the rule in the policy language ("allow out tcp port
     * 443 to internet weekdays 08:00-19:00"), parsed by wardd with the
     * policy's grammar; then the fields above but program, provider and
     * origin are not given. NULL: the fields say it. */
    char *text;
} ward_proto_rule;

/* The engine's view of a wire rule: its lists borrowed (valid while r is),
 * no provider (the caller resolves the name). */
ward_app_rule ward_proto_rule_view(const ward_proto_rule *r);

/* One file's result in scan.reply (strings owned by the message). */
#define WARD_PROTO_MAX_SCAN 64 /* paths of one scan request */
typedef struct ward_proto_scan_result {
    char *path;
    enum ward_scan_result { WARD_SCAN_CLEAN, WARD_SCAN_INFECTED, WARD_SCAN_ERROR } result;
    char *name; /* the signature found, or the error; NULL when clean */
} ward_proto_scan_result;

typedef struct ward_proto_status {
    uint32_t version;
    enum ward_mode mode;
    int64_t uptime_s;
    uint64_t filters, apps, app_rules;
    uint64_t clients, prompters, subscribers, prompts_pending;
    uint64_t decisions, log_written, log_dropped;
    /* Where the process table's exec/fork/exit events come from:
     * "proc-connector", "tracepoints" or "none" (/proc read on demand). */
    char proc_source[16];
    uint64_t proc_execs, proc_exits; /* events applied from that source */
    uint64_t boot;                   /* this run's id (bseq of events counts within it) */
    uint64_t lost_last_run;          /* the previous run's decisions never logged (it was killed) */
    uint64_t prompt_overflow;    /* connections past max-waiting: the timeout's answer at once */
    uint64_t queue_dropped;      /* kernel: packets dropped, the queue was full */
    uint64_t queue_user_dropped; /* kernel: packets dropped, wardd's socket buffer was full */
    uint64_t kernel_events;      /* decisions of the kernel's hooks received (this run) */
    uint64_t kernel_lost;        /* ... lost: their ring was full (this run) */
    uint64_t folded;             /* repeats counted into an earlier row, not rows of their own */
    /* What is done when a packet socket (AF_PACKET) is made: "logged"
     * (reported after the fact: nothing here can refuse one), "unseen" or
     * "" (no kernel backend). */
    char packet_sockets[16];
    /* Intrusion detection (docs/IDS.md): the rules in force, flows
     * inspected, alerts raised, flows reset by drop/reject rules, bytes not
     * inspected (a reassembly bound), flows let go at the inspection depth
     * (they left the stream queue); the stream layer's bound reached:
     * flows passed (fail open) and reset (fail closed). */
    uint64_t ids_rules, ids_flows, ids_alerts, ids_blocks, ids_lost, ids_bypassed;
    uint64_t stream_bound_open, stream_bound_closed;
    /* Where injection alerts come from: "bpf-lsm", "tracepoint" or
     * "none". */
    char tamper_watch[16];
    /* Antivirus (docs/AV.md): the policy's mode ("off", "scan-before-allow",
     * "scan-in-background"), the scanner ("running", "down", "" when off),
     * libclamav's version and its databases, and the counters. */
    char av_mode[24], av_state[16], av_engine[32];
    uint64_t av_sigs, av_db_version;
    int64_t av_db_time; /* unix seconds */
    char av_error[256]; /* why the last database load failed (the old one stays) */
    uint64_t av_scans, av_cache_hits, av_infected, av_restarts;
    /* The mail proxy (docs/MAIL.md): ward-maild ("running", "down", "off"),
     * its redirect port (0: none), its TLS listeners, the messages decided
     * and the upstream TLS verifications that failed, in this run. */
    char mail_state[16];
    uint64_t mail_port, mail_listeners, mail_decided, mail_tls_failed;
} ward_proto_status;

typedef struct ward_msg {
    enum ward_msg_type type;
    uint32_t id; /* request id, echoed in the reply; 0 for pushes */
    union {
        struct {
            uint32_t versions[8];
            size_t n_versions;
            char *client; /* NULL: not given */
        } hello;
        struct {
            uint32_t version;
            char *server;
            bool admin; /* the peer may change policy and answer prompts */
        } hello_reply;
        ward_proto_status status;
        struct {
            enum ward_mode mode;
        } mode; /* mode.set, mode.reply */
        struct {
            char *provider; /* NULL: all */
            char *program;  /* NULL: all */
        } rules_list;
        struct {
            ward_proto_rule *rules;
            size_t n;
            bool more; /* another rules.reply with the same id follows */
        } rules_reply;
        ward_proto_rule rule; /* rules.add */
        struct {
            uint64_t id;
        } rule_id; /* rules.delete, rule.added */
        struct {
            uint32_t version, record_size, capacity; /* + fds: memfd, eventfd */
        } subscribe_reply;
        struct {
            uint64_t prompt_id;
            enum ward_action action;
            enum ward_scope scope;
            enum ward_duration duration;
            uint32_t minutes; /* DUR_MINUTES: 1 .. 525600 */
            bool pin;         /* also pin the program to the digest of the binary asking */
        } answer;
        ward_log_filter log_query;
        struct {
            ward_event *rows; /* seq holds the log row id */
            size_t n;
            bool more;
        } log_reply;
        struct {
            ward_proto_callout *callouts;
            size_t n;
            bool more;
        } callout_reply;
        struct {
            char *text;   /* one statement in the policy language */
            bool dynamic; /* gone when this connection closes */
        } object_add;     /* filter.add, sublayer.add */
        struct {
            char *callout; /* load: a path or a name in the callout directory; unload: a name */
        } callout_op;      /* callout.load, callout.unload */
        struct {
            uint64_t id; /* 0 in object.added: staged in a transaction */
        } object_id;     /* filter.delete, sublayer.delete, object.added */
        struct {
            ward_proto_object *v;
            size_t n;
            bool more;
        } objects; /* object.reply */
        struct {
            uint64_t log_id; /* a logged connection, or 0 and ... */
            bool has_conn;
            ward_event conn; /* ... a described one, with what an event does not
                              * carry (NULL / false: unknown): */
            char *iface;     /* interface name */
            char *cgroup;    /* the process's cgroup path */
            bool has_sha256; /* the executable's digest */
            ward_sha256 sha256;
            bool has_gid;
            uint32_t gid;
        } explain;
        struct {
            enum ward_verdict verdict;
            enum ward_reason reason;
            uint64_t filter_id;
            char *filter; /* NULL: none */
            char *text;   /* the engine's trace, formatted */
        } explain_reply;
        struct {
            uint64_t prompt_id;
            uint32_t timeout_s; /* the policy's default applies after this */
            ward_event conn;
            char
                *av; /* the program's scan: "clean", "scanning", "infected: NAME", ...; NULL: off */
        } prompt;
        struct {
            uint64_t prompt_id;
            enum ward_verdict verdict;
            char *by; /* "answer", "timeout", "no-prompter" ... */
        } prompt_closed;
        struct {
            enum ward_proto_err code;
            char *message;
        } error;
        ward_stats_query stats_query;
        struct {
            ward_stats_row *rows;
            size_t n;
            bool more;
        } stats_reply;
        struct {
            ward_conn_info *conns;
            size_t n;
            bool more;
        } conns_reply;
        struct {
            ward_limit_row *rows;
            size_t n;
            bool more;
        } limits_reply;
        struct {
            char **paths;
            size_t n;
        } scan;
        struct {
            ward_proto_scan_result *v;
            size_t n;
        } scan_reply;
    } u;
} ward_msg;

/* Frees what a decoded (or hand-built, heap-owning) message owns; zeroes it. */
void ward_msg_free(ward_msg *m);

/* ---- Codec --------------------------------------------------------------- */

/* Decodes one line (without or with its trailing newline). On success fills
 * *out and returns WARD_PE_OK. On failure returns the error, leaves *out
 * owning nothing, with out->id the request id if it could be read (so the
 * error reply can carry it), and writes a message into err. */
enum ward_proto_err ward_proto_decode(const char *buf, size_t len, ward_msg *out, char *err,
                                      size_t errlen);

/* Encodes one message as a framed line (newline included, and a NUL after
 * it that *len does not count) into a malloc'ed buffer. Strings that are not valid UTF-8 (paths may
 * hold any bytes) are sent with U+FFFD in place of the invalid bytes. Returns WARD_PE_OK,
 * WARD_PE_TOO_LARGE (the line would exceed WARD_PROTO_MAX_MSG) or
 * WARD_PE_BAD_FIELD (a value with no wire form, e.g. an unknown enum). */
enum ward_proto_err ward_proto_encode(const ward_msg *m, char **out, size_t *len);

/* One event as the JSON object the protocol uses (no newline), malloc'ed;
 * NULL when a field has no wire form. For `ward log --json` and `ward watch`. */
char *ward_proto_event_json(const ward_event *ev);

/* Wire names shared with the CLI (NULL / -1 when unknown). */
const char *ward_proto_mode_name(enum ward_mode m);
int ward_proto_mode_parse(const char *s);
const char *ward_proto_verdict_name(enum ward_verdict v);
int ward_proto_verdict_parse(const char *s);
const char *ward_proto_layer_name(enum ward_layer l);
const char *ward_proto_reason_name(enum ward_reason r);
const char *ward_proto_scope_name(enum ward_scope s);
const char *ward_proto_duration_name(enum ward_duration d);

/* ---- Authorization ------------------------------------------------------- */

enum ward_auth {
    WARD_AUTH_READ,  /* any local user: status, mode, rules, explain, own log rows */
    WARD_AUTH_ADMIN, /* root or group `ward`: everything */
};

typedef struct ward_peer {
    pid_t pid;
    uid_t uid;
    gid_t gid;
    enum ward_auth auth;
} ward_peer;

/* Reads SO_PEERCRED and SO_PEERGROUPS of a connected unix socket; admin when
 * uid 0, or the primary or a supplementary group is admin_gid ((gid_t)-1:
 * nobody by group). Returns 0 or -1 with errno. */
int ward_proto_peer(int fd, gid_t admin_gid, ward_peer *out);
/* The group `ward`'s gid, or (gid_t)-1 when there is none. */
gid_t ward_proto_admin_gid(void);
/* Whether a peer of that level may send that request. */
bool ward_proto_allowed(enum ward_msg_type t, enum ward_auth auth);
/* Whether the peer may see and answer a prompt about a process of proc_uid:
 * admins always, others for their own processes only. */
bool ward_proto_may_answer(const ward_peer *peer, uint32_t proc_uid);

/* ---- Server -------------------------------------------------------------- */

typedef struct ward_server ward_server;
typedef struct ward_conn ward_conn;

/* A request that passed framing, decoding, hello and authorization. The
 * callback answers with ward_conn_send (now or later: the id is in m). The
 * message is freed after the callback returns. */
typedef void (*ward_server_msg_fn)(ward_server *s, ward_conn *c, const ward_msg *m, void *ctx);
/* A client is going away: drop its subscriptions, prompter registration and
 * session-scoped (DYNAMIC) filters. The conn is freed after this returns. */
typedef void (*ward_server_close_fn)(ward_server *s, ward_conn *c, void *ctx);

typedef struct ward_server_config {
    const char *path;   /* socket path; its directory must exist */
    mode_t mode;        /* socket file mode; 0: 0666 (authorization is by peer) */
    gid_t admin_gid;    /* (gid_t)-1: look up group `ward` */
    size_t max_clients; /* 0: 64 */
    size_t max_out;     /* bytes queued to one client before it is dropped; 0: 4 MiB */
    const char *name;   /* "server" in hello.reply; NULL: "wardd" */
    ward_server_msg_fn on_msg;
    ward_server_close_fn on_close;
    void *ctx;
} ward_server_config;

ward_server *ward_server_new(const ward_server_config *cfg, char *err, size_t errlen);
/* Closes every client (calling on_close), the listener, and unlinks the path. */
void ward_server_free(ward_server *s);
/* An epoll fd: readable when ward_server_run has work. Add it to the daemon's
 * epoll set with EPOLLIN. */
int ward_server_fd(const ward_server *s);
/* Accepts, reads, dispatches and writes what is ready, waiting up to
 * timeout_ms (0: do not wait). Returns the number of events handled or -1. */
int ward_server_run(ward_server *s, int timeout_ms);
size_t ward_server_clients(const ward_server *s);
/* Calls fn for every client (e.g. to push a prompt to every prompter). */
void ward_server_foreach(ward_server *s, void (*fn)(ward_conn *c, void *ctx), void *ctx);

/* Queues a message (and descriptors, dup'ed here) for the client. Returns 0,
 * or -1 when the message cannot be encoded, or it is a push (id 0) and the
 * client already has max_out bytes waiting (the client is then disconnected:
 * a slow client never holds wardd). A client with more than 256 KiB of
 * replies waiting is not read from until it catches up. */
int ward_conn_send(ward_conn *c, const ward_msg *m, const int *fds, size_t nfds);
int ward_conn_send_error(ward_conn *c, uint32_t id, enum ward_proto_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ward_conn_send_ok(ward_conn *c, uint32_t id);
/* A `failed` error carrying all of a long message (a parser's every
 * diagnostic) as far as one string holds, cut at a line; where
 * ward_conn_send_error keeps a short one. */
int ward_conn_send_failed(ward_conn *c, uint32_t id, const char *prefix, const char *text);
/* Sends rows (or rules) as several replies of at most WARD_PROTO_MAX_MSG,
 * all with `more` set but the last. */
int ward_conn_send_log_rows(ward_conn *c, uint32_t id, const ward_event *rows, size_t n);
int ward_conn_send_rules(ward_conn *c, uint32_t id, const ward_proto_rule *rules, size_t n);
int ward_conn_send_stats(ward_conn *c, uint32_t id, const ward_stats_row *rows, size_t n);
int ward_conn_send_conns(ward_conn *c, uint32_t id, const ward_conn_info *conns, size_t n);
int ward_conn_send_objects(ward_conn *c, uint32_t id, const ward_proto_object *v, size_t n);
int ward_conn_send_callouts(ward_conn *c, uint32_t id, const ward_proto_callout *v, size_t n);
int ward_conn_send_limits(ward_conn *c, uint32_t id, const ward_limit_row *rows, size_t n);
const ward_peer *ward_conn_peer(const ward_conn *c);
uint64_t ward_conn_session(const ward_conn *c); /* unique per connection: DYNAMIC lifetimes */
void ward_conn_set_data(ward_conn *c, void *data);
void *ward_conn_data(const ward_conn *c);
/* Closes after the queued output is written (or at once if it cannot be). */
void ward_conn_close(ward_conn *c);

/* ---- Client -------------------------------------------------------------- */

typedef struct ward_client ward_client;

/* Connects and says hello. NULL with a message in err on failure. */
ward_client *ward_client_connect(const char *path, const char *name, char *err, size_t errlen);
void ward_client_close(ward_client *c);
int ward_client_fd(const ward_client *c);
bool ward_client_admin(const ward_client *c);
uint32_t ward_client_version(const ward_client *c);

/* Sends a request; assigns req->id when it is 0. Returns 0 or -1. */
int ward_client_send(ward_client *c, ward_msg *req);
/* Receives the next message (reply or push). Descriptors that came with it
 * are stored in fds (up to WARD_PROTO_MAX_FDS; *nfds set; the caller closes
 * them) or closed when fds is NULL. Returns 1, 0 on timeout (timeout_ms < 0:
 * wait forever), -1 on error or when wardd closed the connection. */
int ward_client_recv(ward_client *c, ward_msg *out, int *fds, size_t *nfds, int timeout_ms);
/* Sends req and waits for the reply with its id; pushes that arrive
 * meanwhile are kept for ward_client_recv. For multi-part replies call
 * ward_client_recv while reply->u.*.more is set. */
int ward_client_call(ward_client *c, ward_msg *req, ward_msg *reply, int *fds, size_t *nfds,
                     int timeout_ms);

#endif /* WARD_PROTO_H */
