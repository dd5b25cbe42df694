/*
 * policy/policy.h — Ward's policy language: the one public header of the
 * policy module (docs/POLICY.md is the language reference).
 *
 * A ward_policy is a handle in the style of nftables' nft_ctx: it holds the
 * engine the policy was loaded into, the settings the engine does not keep
 * (prompt timeout, fail mode, alert thresholds, zone definitions) and the
 * diagnostics of the last run.
 *
 * Loading is all-or-nothing: every load builds a fresh engine and only hands
 * it over (replacing the previous one) when there were no errors at all.
 * Every error of a run is reported, as
 *     file:line:col: error: message
 *         the source line
 *         ^
 */
#ifndef WARD_POLICY_H
#define WARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ward/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_policy ward_policy;

#define WARD_POLICY_MAX_ALERTS          16
#define WARD_POLICY_MAX_DNSFILTER_LISTS 8
#define WARD_POLICY_MAX_STREAM_BYTES    (16u << 20)
#define WARD_POLICY_MAX_MAIL            64 /* mail rules */
#define WARD_POLICY_MAX_MAIL_TLS        8  /* local TLS listeners */
#define WARD_POLICY_MAX_URLFILTER       64
#define WARD_POLICY_MAX_RESOLVERS       32
#define WARD_POLICY_STREAM_BYTES        65536u /* the stream bound's defaults */
#define WARD_POLICY_STREAM_MS           5000u
#define WARD_POLICY_IDS_DEPTH           (1u << 20) /* set ids-depth's default */
#define WARD_POLICY_MAX_IDS_DEPTH       (1u << 30)
#define WARD_POLICY_MAX_LIMITS          64 /* programs with a rate limit or a quota */
/* A load stops after this many errors, as compilers do ("too many errors,
 * stopping"): garbage costs the same as a short list of mistakes. */
#define WARD_POLICY_MAX_ERRORS 20
/* One policy file, and all the files of one load together, at most. */
#define WARD_POLICY_MAX_FILE  (16u << 20)
#define WARD_POLICY_MAX_TOTAL (64u << 20)

/* The period a quota counts over: calendar days, weeks (from Monday) and
 * months, in wardd's local time. */
enum ward_quota_period {
    WARD_QUOTA_NONE = 0,
    WARD_QUOTA_DAY,
    WARD_QUOTA_WEEK,
    WARD_QUOTA_MONTH,
};

/* One program's `limit rate` and `quota` (docs/LIMITS.md). */
typedef struct ward_app_limit {
    char program[256];
    uint64_t rate_bits; /* bits a second, each direction; 0: no rate limit */
    uint64_t burst;     /* bytes the rate may run ahead; 0: the default */
    uint64_t quota;     /* bytes a period, both directions; 0: no quota */
    uint8_t period;     /* enum ward_quota_period */
    bool quota_alert;   /* `then alert`: only alert when used up (default: block) */
} ward_app_limit;

/* What the policy says that the engine does not hold: read by the daemon. */
typedef struct ward_policy_extras {
    unsigned prompt_timeout;          /* seconds a prompt waits */
    enum ward_verdict prompt_default; /* the answer when nobody answers: PERMIT or BLOCK */
    bool fail_open;                   /* traffic passes while wardd is down */
    /* An injection alert (docs/MONITOR.md) also suspends the target's
     * allow rules until the user answers again. */
    bool on_tamper_suspend;
    /* A pinned program's new binary is re-pinned when the package
     * manager's database (dpkg's md5sums) confirms it (docs/MONITOR.md). */
    bool trust_package_manager;
    /* The policy file changed outside ward: reload it (after the alert). */
    bool policy_change_reload;
    size_t n_alerts;
    struct ward_alert_threshold {
        char name[32];   /* portscan, flood, ... */
        uint32_t count;  /* events ... */
        uint32_t window; /* ... within this many seconds */
    } alerts[WARD_POLICY_MAX_ALERTS];
    enum ward_verdict callout_failure; /* a callout call that fails: BLOCK (default) or PERMIT */
    bool dnsfilter_zero;               /* the dnsfilter callout answers 0.0.0.0, not NXDOMAIN */
    size_t n_dnsfilter_lists;          /* its blocklists (absolute paths) */
    char dnsfilter_lists[WARD_POLICY_MAX_DNSFILTER_LISTS][256];
    /* The stream layer's bound (set stream-bound): bytes held per flow, how
     * long a packet is held, and the outcome when either is hit. */
    uint32_t stream_bytes, stream_ms;
    bool stream_fail_open;
    /* Intrusion detection rule updates (set ids-update URL every TIME):
     * wardd runs `ward update ids URL` at start and every ids_update_s
     * seconds; 0: never. */
    char ids_update_url[512];
    uint32_t ids_update_s;
    /* set ids-depth SIZE: bytes of each direction of a TCP flow the ids
     * callout inspects before it lets the flow go; 0: no depth. */
    uint32_t ids_depth;
    /* The accounting callout's `set accounting-limit SIZE per PERIOD`:
     * bytes a program may move in the period before the callout blocks its
     * new connections (0: no limit). */
    uint64_t accounting_limit;
    uint8_t accounting_period; /* enum ward_quota_period */
    size_t n_limits;
    ward_app_limit limits[WARD_POLICY_MAX_LIMITS];
    char policy_bundle[512]; /* a signed bundle's URL wardd polls ("": none) */
    uint32_t bundle_every;   /* ... every this many seconds */
    char syslog[300];        /* remote syslog: tcp://HOST:PORT or tls://HOST:PORT ("": none) */
    char syslog_ca[256];     /* the CA file for tls:// ("": the system's) */
    /* The urlfilter callout's rules (set urlfilter), in order. */
    size_t n_urlfilter;
    struct ward_policy_url {
        bool deny;
        char app[256];     /* "": every program */
        char pattern[256]; /* HOST[/PATH], the host in lower case */
    } urlfilter[WARD_POLICY_MAX_URLFILTER];
    /* Antivirus scanning of programs (docs/AV.md): off, or the first
     * connection of a binary not yet scanned waits for the scan (at most
     * av_bound seconds), or the scan runs beside it. */
    enum ward_av_mode { WARD_AV_OFF, WARD_AV_BEFORE_ALLOW, WARD_AV_BACKGROUND } av_mode;
    unsigned av_bound; /* seconds */
    /* Resolvers added to the built-in list of the encrypted-dns condition
     * (set encrypted-dns-resolver): addresses, prefixes or names. */
    size_t n_resolvers;
    char resolvers[WARD_POLICY_MAX_RESOLVERS][256];
    /* The mail proxy (docs/MAIL.md): the loopback port ward-maild listens
     * on and the mail flows are redirected to (0: off), and the mail rules
     * in order: the first that matches a message decides it. */
    uint16_t mail_port;
    size_t n_mail;
    struct ward_mail_rule {
        char app[256];     /* "": every program */
        uint8_t what;      /* enum ward_mail_what */
        uint8_t outcome;   /* enum ward_mail_outcome */
        uint64_t size;     /* WARD_MAIL_SIZE: a message larger than this */
        char pattern[256]; /* a glob, matched without regard to case */
        char origin[64];   /* "FILE:LINE", for the log */
    } mail[WARD_POLICY_MAX_MAIL];
    /* The mail proxy's local TLS listeners (set mail-tls-listen): a client
     * connects to 127.x.x.x:port in TLS, ward-maild connects to the
     * upstream in TLS, verified for its host name. And the CA file the
     * upstreams are verified against ("": the system's store). */
    size_t n_mail_tls;
    struct ward_mail_tls {
        uint8_t proto;   /* enum ward_mail_tls_proto */
        uint16_t port;   /* the listener's */
        uint8_t addr[4]; /* the listener's, in 127.0.0.0/8 */
        uint16_t upstream_port;
        char upstream[254]; /* the upstream's host name or address */
    } mail_tls[WARD_POLICY_MAX_MAIL_TLS];
    char mail_tls_trust[256];
} ward_policy_extras;

enum ward_mail_tls_proto { WARD_MAIL_TLS_SMTPS, WARD_MAIL_TLS_POP3S, WARD_MAIL_TLS_IMAPS };
const char *ward_mail_tls_proto_name(enum ward_mail_tls_proto p);
/* A listener's address ("127.0.0.1:10465") and upstream ("HOST:PORT"), as
 * the policy writes them. */
void ward_mail_tls_endpoints(const struct ward_mail_tls *l, char *listen, size_t llen, char *up,
                             size_t ulen);

enum ward_mail_what {
    WARD_MAIL_FROM,
    WARD_MAIL_TO,
    WARD_MAIL_SUBJECT,
    WARD_MAIL_ATTACHMENT, /* an attachment's file name */
    WARD_MAIL_TYPE,       /* an attachment's MIME type */
    WARD_MAIL_VIRUS,      /* an attachment the scanner finds infected */
    WARD_MAIL_SIZE,
};
/* As mail/wire.h's enum mail_outcome. */
enum ward_mail_outcome { WARD_MAIL_ALLOW, WARD_MAIL_REJECT, WARD_MAIL_QUARANTINE, WARD_MAIL_ALERT };
/* The words: "from" ... "size"; "allow" ... "alert". */
const char *ward_mail_what_name(enum ward_mail_what w);
const char *ward_mail_outcome_name(enum ward_mail_outcome o);

/* The limits of a program path in x, or NULL. */
const ward_app_limit *ward_policy_limit_of(const ward_policy_extras *x, const char *program);
/* "2mbit", "10GB": how the language writes a rate (bits a second) or a size. */
void ward_policy_fmt_rate(uint64_t bits, char *buf, size_t len);
void ward_policy_fmt_size(uint64_t bytes, char *buf, size_t len);
const char *ward_policy_period_name(enum ward_quota_period p); /* day, week, month */

ward_policy *ward_policy_new(void);
void ward_policy_free(ward_policy *p);

/* Policy files must be owned by root (or by the caller's own uid, as pfctl
 * allows) and not writable by group or others. Tests running as root add
 * another trusted owner here. */
void ward_policy_trust_uid(ward_policy *p, uid_t uid);
/* Skip the ownership and mode checks (fuzzing, in-memory policies). */
void ward_policy_skip_secrecy(ward_policy *p, bool skip);

/* Loads the files, in order, into one fresh engine (includes followed).
 * Returns the number of errors (0: the new engine is now the policy's) or a
 * negative ward_err when out of memory. The previous engine stays in force
 * when there is any error. */
int ward_policy_load(ward_policy *p, const char *const *files, size_t n);
/* The same for text in memory; `name` is used in messages; includes are
 * resolved against the current directory. */
int ward_policy_load_text(ward_policy *p, const char *name, const char *text, size_t len);
/* Adds the files to the current engine, all-or-nothing: the learned rules
 * file on top of the administrator's policy. A pin there replaces the
 * administrator's pin of the same program (an answer vouched for the new
 * binary); elsewhere two pins of one program are an error. */
int ward_policy_load_more(ward_policy *p, const char *const *files, size_t n);

/* One application rule in the language, as a program's block holds it
 * ("allow out tcp port 443 to internet weekdays 08:00-19:00 until-restart"),
 * parsed with the same grammar and appended to e for app_id (e: the engine
 * of this policy, whose zones and providers the rule may name). A rule that
 * names no provider gets `provider`; a `session` lifetime gets `session`.
 * All or nothing: the rule id, or a negative ward_err with the diagnostics
 * (file:line:col against `name`) in err. */
typedef struct ward_rule_text {
    const char *name; /* in messages, e.g. "rule" */
    const char *text;
    uint64_t app_id;
    const char *program;
    uint32_t provider;
    uint64_t session;
} ward_rule_text;
int64_t ward_policy_add_rule(ward_policy *p, ward_engine *e, const ward_rule_text *rt, char *err,
                             size_t errlen);

/* One filter, sublayer or provider statement in the language ("filter \"x\"
 * layer outbound block to port 25", "sublayer lab weight 0xd000",
 * "provider fleet") added to e, as
 * ward_policy_add_rule adds a rule. With session != 0 a filter that names
 * no lifetime is dynamic, that session's. All or nothing: the new object's
 * id with its kind in *kind, or a negative ward_err with the diagnostics
 * (name:line:col) in err. */
enum ward_obj_kind { WARD_OBJ_FILTER = 1, WARD_OBJ_SUBLAYER = 2, WARD_OBJ_PROVIDER = 3 };
typedef struct ward_object_text {
    const char *name; /* in messages, e.g. "filter" */
    const char *text;
    uint64_t session; /* what a `session` lifetime belongs to */
    bool dynamic;     /* no lifetime given: the session's */
} ward_object_text;
int64_t ward_policy_add_object(ward_policy *p, ward_engine *e, const ward_object_text *ot,
                               int *kind, char *err, size_t errlen);
/* Takes out an object of that kind again (a ward_err). */
int ward_policy_remove_object(ward_engine *e, int kind, int64_t id);
/* One filter as the policy states it (no newline), malloc'd; NULL when
 * there is no such filter or no memory. */
char *ward_policy_format_filter(const ward_engine *e, uint64_t id);

/* Diagnostics of the last load, as text (empty when none). */
const char *ward_policy_diagnostics(const ward_policy *p);
size_t ward_policy_error_count(const ward_policy *p);

/* The loaded engine (NULL before a successful load); still owned by p. */
ward_engine *ward_policy_engine(ward_policy *p);
/* Hands the engine over to the caller; p keeps its settings, not the engine. */
ward_engine *ward_policy_take_engine(ward_policy *p);
const ward_policy_extras *ward_policy_get_extras(const ward_policy *p);

enum ward_print_flags {
    WARD_PRINT_PROVIDER_ONLY = 1u << 0, /* only rules and filters of one provider */
    /* Leave out what must not outlive the daemon: once, until-restart and
     * session rules (the learned rules file holds the rest). */
    WARD_PRINT_DURABLE_ONLY = 1u << 1,
};

/* The policy in canonical form (malloc'd, NUL-terminated; NULL when out of
 * memory): settings, zones, providers, sublayers, filters in engine order,
 * programs and their rules in order. Printing and parsing it again gives the
 * same text. With WARD_PRINT_PROVIDER_ONLY only `provider`'s filters and
 * application rules are printed (the learned rules file). */
char *ward_policy_format(const ward_policy *p, unsigned flags, uint32_t provider);

/* One application rule as a program's block holds it ("allow out tcp port
 * 443 provider learned until-restart"), malloc'd (NULL when out of memory).
 * provider: the rule's provider's name (NULL or "admin": none is printed).
 * `ward rules add PROGRAM` takes the text back. */
char *ward_policy_format_rule(const ward_app_rule *r, const char *provider);

/* Text forms of single values, shared with the store (JSON) and the CLI. */
void ward_policy_fmt_time(const ward_time_window *w, char *buf, size_t len);
void ward_policy_fmt_lifetime(const ward_lifetime *l, char *buf, size_t len);
const char *ward_policy_layer_name(enum ward_layer l); /* outbound, inbound, ... */
/* A layer as the language names it (or by the engine's name); -1 if unknown. */
int ward_policy_layer_from_word(const char *w);
void ward_policy_fmt_proto(uint32_t proto, char *buf, size_t len);
/* The i-th value of a condition as the language writes it (raw: strings
 * unquoted and protocols as numbers, as JSON holds them). */
void ward_policy_fmt_value(const ward_cond *c, size_t i, bool raw, char *buf, size_t len);
/* Quotes s for the language: "..." with \" and \\ escaped. */
void ward_policy_quote(const char *s, char *buf, size_t len);
/* The update interval as `set ids-update URL every` takes it: "6h". */
void ward_policy_interval_format(uint32_t s, char *buf, size_t len);
/* The stream bound as `set stream-bound` takes it: "64KB 5s fail-closed". */
void ward_policy_stream_bound_format(const ward_policy_extras *x, char *buf, size_t len);
/* A size as the settings take it: "1MB", "64KB", "100" (bytes). */
void ward_policy_size_format(uint32_t n, char *buf, size_t len);

/* The layers wardd decides (outbound, inbound, dns): the language refuses
 * filters and defaults for the engine's other layers. */
bool ward_policy_layer_supported(enum ward_layer l);

/* The callouts wardd registers with its engine, NULL-terminated: the only
 * names `callout NAME` accepts. One list, so a callout added to wardd is
 * added here and nowhere else (src/policy/callouts.c). */
extern const char *const ward_policy_callouts[];
/* More callout names the policy may use (wardd's shared-object callouts),
 * NULL-terminated; the array must outlive p's loads. */
void ward_policy_allow_callouts(ward_policy *p, const char *const *names);

/* Zones defined by the policy (the engine cannot list them). */
size_t ward_policy_zone_count(const ward_policy *p);
const char *ward_policy_zone_at(const ward_policy *p, size_t i, const ward_cidr **cidrs, size_t *n);

/* Edit distance, for "did you mean" (exposed for the tests). */
size_t ward_policy_edit_distance(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif /* WARD_POLICY_H */
