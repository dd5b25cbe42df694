/*
 * ward/engine.h — Ward's filter engine. The one public header of the engine.
 *
 * The engine is pure C: it makes no system calls and keeps no global state.
 * Whatever it needs to know about the world (the clock, the host's own
 * addresses, whether a prompter is running) the caller tells it. That keeps
 * it testable, fuzzable and usable offline (`ward explain`).
 *
 * Object model (after the Windows Filtering Platform; docs/DESIGN.md):
 *   provider  — who owns a filter (admin, learned, a fleet bundle ...)
 *   layer     — a point of the stack where traffic is classified
 *   sublayer  — a weighted container of filters; global across layers
 *   filter    — weight, conditions, action (permit / block / callout), hard/soft
 *   callout   — a registered function a filter can hand the decision to
 * plus the classic per-program application rules (docs/DESIGN.md), kept in the
 * one sublayer of kind WARD_SUBLAYER_APPLICATIONS.
 *
 * Handles are opaque; definitions (filters, rules, conditions) are plain
 * structs the engine copies, so callers may build them on the stack.
 * Unless said otherwise, functions return 0 or a positive id on success and a
 * negative enum ward_err on failure; ward_engine_error() then says why.
 */
#ifndef WARD_ENGINE_H
#define WARD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_engine ward_engine;
typedef struct ward_trace ward_trace;

/* ---- Errors -------------------------------------------------------------- */

enum ward_err {
    WARD_OK = 0,
    WARD_E_NOMEM = -1,
    WARD_E_INVAL = -2, /* a malformed definition */
    WARD_E_NOENT = -3, /* no such object */
    WARD_E_EXIST = -4, /* an object of that name exists */
    WARD_E_FIELD = -5, /* a condition the filter's layer does not offer */
    WARD_E_LIMIT = -6, /* too many objects or values */
    WARD_E_BUSY = -7,  /* still named by other objects */
};
const char *ward_strerror(int err);

/* ---- Values -------------------------------------------------------------- */

/* An address is always 16 bytes. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d),
 * so a connection from an IPv4-mapped IPv6 socket matches IPv4 rules. */
typedef struct ward_ip {
    uint8_t b[16];
} ward_ip;

/* plen counts bits of the 16-byte form: an IPv4 /24 is plen 96 + 24 = 120. */
typedef struct ward_cidr {
    ward_ip ip;
    uint8_t plen;
} ward_cidr;

/* Inclusive range of a numeric field: ports, protocol, uid, gid, direction. */
typedef struct ward_range {
    uint32_t lo, hi;
} ward_range;

/* Weekdays and hours in local time. days: bit 0 = Sunday ... bit 6 =
 * Saturday. start/end: minutes after midnight, 0..1440. end <= start means
 * the window crosses midnight and its early-morning part belongs to the day
 * after a listed day ("fri 22:00-02:00" holds on Saturday at 01:00). */
typedef struct ward_time_window {
    uint8_t days;
    uint16_t start, end;
} ward_time_window;
#define WARD_DAYS_ALL      0x7f
#define WARD_DAYS_WEEKDAYS 0x3e

/* Executable identity: the file the process was started from. */
typedef struct ward_exe_id {
    uint64_t dev, ino;
} ward_exe_id;

typedef struct ward_sha256 {
    uint8_t b[32];
} ward_sha256;

void ward_ip_from_v4(ward_ip *ip, uint32_t addr_host_order);
bool ward_ip_is_v4(const ward_ip *ip);
/* Parse "1.2.3.4", "::1", "::ffff:1.2.3.4"; returns 0 or WARD_E_INVAL. */
int ward_ip_parse(const char *s, ward_ip *ip);
/* Parse "10.0.0.0/8", "fd00::/8", or a bare address (full length). An IPv4
 * prefix length is given in IPv4 bits. Host bits must be zero. */
int ward_cidr_parse(const char *s, ward_cidr *c);
/* Format into buf (at least WARD_IP_STRLEN / WARD_CIDR_STRLEN bytes);
 * IPv4 and mapped addresses print as dotted quads. Returns buf. */
#define WARD_IP_STRLEN   46
#define WARD_CIDR_STRLEN 50
char *ward_ip_format(const ward_ip *ip, char *buf, size_t len);
char *ward_cidr_format(const ward_cidr *c, char *buf, size_t len);
bool ward_cidr_contains(const ward_cidr *c, const ward_ip *ip);
/* A digest as 64 hex digits (either case); returns 0 or WARD_E_INVAL. */
int ward_sha256_parse(const char *s, ward_sha256 *h);
#define WARD_SHA256_STRLEN 65
char *ward_sha256_format(const ward_sha256 *h, char *buf, size_t len); /* lower case; buf */

/* ---- Layers -------------------------------------------------------------- */

enum ward_layer {
    WARD_LAYER_CONNECT_OUT, /* a program opens a connection / sends a datagram */
    WARD_LAYER_ACCEPT_IN,   /* a connection arrives for a listening program */
    WARD_LAYER_BIND,        /* a program binds / listens on a local port */
    WARD_LAYER_PACKET_OUT,  /* non-socket traffic out: ICMP, IGMP, raw IP */
    WARD_LAYER_PACKET_IN,   /* non-socket traffic in */
    WARD_LAYER_DNS,         /* a name lookup and its answer */
    WARD_LAYER_COUNT
};
const char *ward_layer_name(enum ward_layer layer);
int ward_layer_from_name(const char *name); /* -1 if unknown */

enum ward_direction {
    WARD_DIR_OUT = 0,
    WARD_DIR_IN = 1,
    WARD_DIR_ANY = 2, /* only in application rules */
};

/* ---- Conditions ---------------------------------------------------------- */

enum ward_field {
    WARD_F_APP_PATH,      /* str: exact path, or a glob with * and ? */
    WARD_F_APP_ID,        /* exe_id: dev + inode */
    WARD_F_APP_SHA256,    /* sha256: the executable's digest */
    WARD_F_CMDLINE,       /* str: glob over the command line, args joined by spaces */
    WARD_F_UID,           /* range */
    WARD_F_GID,           /* range */
    WARD_F_CGROUP,        /* str: cgroup path, matches itself and everything below */
    WARD_F_PROTO,         /* range: IP protocol number */
    WARD_F_DIRECTION,     /* range: enum ward_direction */
    WARD_F_LOCAL_ADDR,    /* cidr */
    WARD_F_REMOTE_ADDR,   /* cidr */
    WARD_F_LOCAL_PORT,    /* range */
    WARD_F_REMOTE_PORT,   /* range */
    WARD_F_REMOTE_DOMAIN, /* str: "example.com" exact, "*.example.com" its subdomains */
    WARD_F_IFACE,         /* str: interface name */
    WARD_F_TIME,          /* time window */
    WARD_F_REMOTE_ZONE,   /* str: zone name (loopback, lan, internet, self, user zones) */
    WARD_F_LOCAL_ZONE,    /* str: zone name */
    WARD_F_ICMP_TYPE,     /* range: ICMP / ICMPv6 type (carried in rport) */
    WARD_F_ENCRYPTED_DNS, /* range: enum ward_encdns of the connection (outbound only) */
    WARD_F_COUNT
};
const char *ward_field_name(enum ward_field f);

/* What a field's values are: which member of ward_cond.v holds them. */
enum ward_value_kind {
    WARD_VAL_STR,   /* v.str */
    WARD_VAL_RANGE, /* v.range */
    WARD_VAL_CIDR,  /* v.cidr */
    WARD_VAL_EXE,   /* v.exe */
    WARD_VAL_SHA,   /* v.sha */
    WARD_VAL_TIME,  /* v.time */
};
enum ward_value_kind ward_field_kind(enum ward_field f);
int ward_field_from_name(const char *name); /* -1 if unknown */
/* The fields a layer offers; a filter using another is refused (WARD_E_FIELD). */
bool ward_layer_has_field(enum ward_layer layer, enum ward_field f);

/* One condition: the field's value is one of n values (or none of them, when
 * negated). A filter matches when all its conditions hold. */
typedef struct ward_cond {
    enum ward_field field;
    bool negate;
    size_t n;
    union {
        const char *const *str;
        const ward_range *range;
        const ward_cidr *cidr;
        const ward_exe_id *exe;
        const ward_sha256 *sha;
        const ward_time_window *time;
    } v;
} ward_cond;

/* ---- Verdicts and actions ------------------------------------------------ */

enum ward_verdict {
    WARD_V_PERMIT,
    WARD_V_BLOCK,
    WARD_V_CONTINUE,        /* callouts only: no opinion, go on */
    WARD_V_DEFER,           /* hold the traffic until someone answers (ask) */
    WARD_V_NEED_MORE_DATA,  /* a callout needs more of the stream first */
    WARD_V_DROP_CONNECTION, /* block and tear down the connection */
};
const char *ward_verdict_name(enum ward_verdict v);

enum ward_action {
    WARD_ACT_PERMIT,
    WARD_ACT_BLOCK,
    WARD_ACT_CALLOUT,
};

/* Why the final verdict is what it is: pf's reason codes. */
enum ward_reason {
    WARD_R_DEFAULT,         /* nothing decided: the layer's default */
    WARD_R_FILTER,          /* a filter decided */
    WARD_R_CALLOUT,         /* a callout decided */
    WARD_R_CALLOUT_MISSING, /* the filter names an unregistered callout: block */
    WARD_R_VETO,            /* a callout vetoed a hard permit */
    WARD_R_NO_PROMPTER,     /* step 1: no prompter running */
    WARD_R_UNATTRIBUTED,    /* step 2: the process could not be identified */
    WARD_R_SELF,            /* step 3: remote address is the host itself */
    WARD_R_MODE,            /* step 4: work mode allow-all / deny-all */
    WARD_R_APP_RULE,        /* step 5: an application rule matched */
    WARD_R_APP_FALLBACK,    /* step 5: no rule matched: the program's fallback
                               (classically the opposite of the last rule) */
    WARD_R_APP_UNKNOWN,     /* step 5: program has no rules: ask */
    WARD_R_APP_PIN,         /* step 5: binary does not match its SHA-256 pin: ask */
    WARD_R_COUNT
};
const char *ward_reason_name(enum ward_reason r);

/* ---- Lifetimes ----------------------------------------------------------- */

enum ward_lifetime_kind {
    WARD_LIFE_PERSISTENT,    /* kept in the policy files */
    WARD_LIFE_DYNAMIC,       /* owned by one control session; gone when it closes */
    WARD_LIFE_TIMED,         /* until `expires` (unix seconds) */
    WARD_LIFE_ONCE,          /* one decision, then removed */
    WARD_LIFE_UNTIL_EXIT,    /* until the process (pid, start time) exits */
    WARD_LIFE_UNTIL_RESTART, /* until wardd restarts */
    WARD_LIFE_BOOT,          /* persistent and compiled into the boot-time ruleset */
};
const char *ward_lifetime_name(enum ward_lifetime_kind k);

typedef struct ward_lifetime {
    enum ward_lifetime_kind kind;
    uint64_t session;    /* DYNAMIC */
    int64_t expires;     /* TIMED: unix seconds */
    uint32_t pid;        /* UNTIL_EXIT */
    uint64_t start_time; /* UNTIL_EXIT: process start time, so a reused pid differs */
} ward_lifetime;

/* ---- Providers, sublayers, settings, zones -------------------------------- */

/* Built in, always present. */
#define WARD_PROVIDER_ADMIN   1u
#define WARD_PROVIDER_LEARNED 2u

int ward_provider_add(ward_engine *e, const char *name); /* returns the id */
int ward_provider_find(const ward_engine *e, const char *name);
const char *ward_provider_name(const ward_engine *e, uint32_t id);
/* Removes a provider no filter or application rule names (WARD_E_BUSY if
 * one does; admin and learned stay). Its id is not given out again. */
int ward_provider_remove(ward_engine *e, uint32_t id);

enum ward_sublayer_kind {
    WARD_SUBLAYER_FILTERS,      /* weighted WFP filters */
    WARD_SUBLAYER_APPLICATIONS, /* the classic per-program rules (at most one) */
};

/* Built in, always present: "admin" (filters, weight 0xc000) and
 * "applications" (weight 0x8000). */
#define WARD_SUBLAYER_ADMIN        1u
#define WARD_SUBLAYER_APPLICATIONS 2u

int ward_sublayer_add(ward_engine *e, const char *name, uint16_t weight,
                      enum ward_sublayer_kind kind); /* returns the id */
int ward_sublayer_find(const ward_engine *e, const char *name);
int ward_sublayer_remove(ward_engine *e, uint32_t id); /* and its filters */

typedef struct ward_sublayer_info {
    uint32_t id;
    const char *name;
    uint16_t weight;
    enum ward_sublayer_kind kind;
} ward_sublayer_info;
/* Sublayers, highest weight first; returns how many there are. */
size_t ward_sublayer_list(const ward_engine *e, ward_sublayer_info *out, size_t max);

enum ward_mode {
    WARD_MODE_ASK,
    WARD_MODE_ALLOW_ALL,
    WARD_MODE_DENY_ALL,
};
const char *ward_mode_name(enum ward_mode m);

/* Where "no prompter is running" takes effect. By default only the questions
 * (unknown programs, pins, fallback ask) get the outcome: the rules, deny
 * rules first of all, hold whether or not anybody is watching. A cautious
 * host may block everything before the rules while no prompter runs
 * (WARD_NP_ALL); that scope only accepts BLOCK, since a PERMIT there would
 * let a denied program through whenever the UI is gone. */
enum ward_np_scope {
    WARD_NP_QUESTIONS, /* rules first; only what would be asked */
    WARD_NP_ALL,       /* before the rules, BLOCK only */
};

/* Traffic to the host itself (loopback and its own addresses): step 3. */
enum ward_self_traffic {
    WARD_SELF_PASS,  /* passes before the rules, unasked and unlogged (classic) */
    WARD_SELF_RULES, /* a program's rules decide it too; what would be asked passes */
};

typedef struct ward_settings {
    enum ward_mode mode;
    enum ward_self_traffic self_traffic;
    enum ward_verdict no_prompter; /* outcome with nobody to ask: PERMIT or BLOCK */
    enum ward_np_scope no_prompter_scope;
    enum ward_verdict unattributed; /* step 2 outcome: PERMIT (classic) or BLOCK */
    enum ward_verdict layer_default[WARD_LAYER_COUNT]; /* when nothing decides */
} ward_settings;

/* Defaults: ask mode, PERMIT for questions nobody can answer (scope
 * WARD_NP_QUESTIONS) and for unattributed processes, PERMIT when nothing
 * decides. */
void ward_settings_default(ward_settings *s);
void ward_engine_settings(const ward_engine *e, ward_settings *out);
int ward_engine_configure(ward_engine *e, const ward_settings *s);

/* Whether a prompter (a UI that answers questions) is registered right now. */
void ward_engine_set_prompter(ward_engine *e, bool present);

/* The host's own addresses: the "self" zone, and decision step 3. */
int ward_engine_set_self(ward_engine *e, const ward_ip *ips, size_t n);

/* Zones. Built in: "loopback" (127/8, ::1), "lan" (RFC 1918, 100.64/10,
 * link-local, fc00::/7, fe80::/10), "multicast", "self" (see above),
 * "internet" (none of the others). A user zone is a named CIDR set; defining
 * a built-in name is refused. */
int ward_zone_define(ward_engine *e, const char *name, const ward_cidr *cidrs, size_t n);
bool ward_zone_exists(const ward_engine *e, const char *name);
/* Whether ip belongs to the zone (false for an unknown zone). */
bool ward_zone_contains(const ward_engine *e, const char *name, const ward_ip *ip);
/* The fixed address list of a built-in zone ("loopback", "lan",
 * "multicast"; *n set), or NULL for zones without one ("any", "self",
 * "internet", user zones): the boot-time ruleset writes them out. */
const ward_cidr *ward_zone_builtin_cidrs(const char *name, size_t *n);

/* Encrypted DNS (the encrypted-dns condition, src/engine/encdns.c): DNS
 * over TLS or QUIC is port 853 to any server; DNS over HTTPS is port 443 to
 * a known resolver, by its address or by the name the connection was made
 * to. The resolvers are a built-in list of well-known ones plus those the
 * policy adds: an address or prefix ("192.0.2.53", "2001:db8::/64") or a
 * name ("doh.example.net", "*.doh.example.org"). */
enum ward_encdns {
    WARD_ENCDNS_NONE = 0,
    WARD_ENCDNS_DOT = 1, /* port 853: DNS over TLS (TCP) or over QUIC (UDP) */
    WARD_ENCDNS_DOH = 2, /* port 443 to a resolver: DNS over HTTPS */
};
const char *ward_encdns_name(enum ward_encdns k); /* "dot", "doh"; NULL for NONE */
int ward_resolver_add(ward_engine *e, const char *addr_or_name);

/* ---- Filters ------------------------------------------------------------- */

typedef struct ward_filter_def {
    const char *name; /* optional; shown in explain and logs */
    enum ward_layer layer;
    uint32_t sublayer; /* a FILTERS sublayer */
    uint32_t provider;
    uint32_t weight; /* higher first; equal weights: older filter first */
    enum ward_action action;
    bool hard;           /* hard: lower sublayers cannot override (section "Arbitration") */
    const char *callout; /* WARD_ACT_CALLOUT: the callout's name */
    const ward_cond *conds;
    size_t n_conds;
    ward_lifetime lifetime;
    const char *origin; /* optional: where it came from, e.g. "ward.conf:12" */
} ward_filter_def;

/* Returns a filter id (> 0) or a negative ward_err. */
int64_t ward_filter_add(ward_engine *e, const ward_filter_def *def);
int ward_filter_remove(ward_engine *e, uint64_t id);
/* Whether any filter of the layer has a condition on field f: a value the
 * caller need not compute for the layer's requests otherwise (a digest, a
 * cgroup, an interface name). */
bool ward_engine_uses_field(const ward_engine *e, enum ward_layer layer, enum ward_field f);
/* The definition as stored (pointers valid until the engine next changes). */
int ward_filter_get(const ward_engine *e, uint64_t id, ward_filter_def *out);

/* ---- Application rules (the decision order: docs/DESIGN.md) -------------- */

/* A program, identified by its path; optionally pinned to a digest. */
int64_t ward_app_add(ward_engine *e, const char *path, const ward_sha256 *pin);

/* What a program with rules gets when none of them fully matches. The
 * classic answer: the opposite of its last rule's action (rules are exceptions to
 * its default). A program whose rules were learned from narrow answers
 * ("allow this destination") should be asked again about other
 * destinations instead: WARD_FALLBACK_ASK. */
enum ward_app_fallback {
    WARD_FALLBACK_OPPOSITE,
    WARD_FALLBACK_ASK,
    WARD_FALLBACK_PERMIT,
    WARD_FALLBACK_BLOCK,
};
const char *ward_app_fallback_name(enum ward_app_fallback f);
int ward_app_set_fallback(ward_engine *e, uint64_t app_id, enum ward_app_fallback f);
int64_t ward_app_find(const ward_engine *e, const char *path);
/* Pins the program to another digest (NULL: unpins), set by provider (the
 * learned provider: the user vouched for a new binary). */
int ward_app_set_pin(ward_engine *e, uint64_t app_id, const ward_sha256 *pin, uint32_t provider);
int ward_app_remove(ward_engine *e, uint64_t app_id); /* and its rules */

/* One rule of a program. Empty lists mean "any". All listed checks must hold
 * (the classic checks: direction, protocol, port, time window, network type); a rule
 * may also name remote addresses, domains or the users it is for. */
typedef struct ward_app_rule {
    enum ward_direction dir; /* OUT, IN or ANY */
    uint8_t proto;           /* 0 = any */
    const ward_range *ports; /* remote port for OUT, local port for IN */
    size_t n_ports;
    const ward_time_window *times;
    size_t n_times;
    const char *const *zones; /* network type of the remote address */
    size_t n_zones;
    const ward_cidr *addrs; /* remote addresses */
    size_t n_addrs;
    const char *const *domains; /* remote domain: exact or "*.suffix" */
    size_t n_domains;
    const ward_range *users; /* the process's uid */
    size_t n_users;
    /* The process's ancestors: an exact path or a glob, any of which one
     * ancestor (parent, grandparent ...) must run. */
    const char *const *parents;
    size_t n_parents;
    enum ward_action action; /* PERMIT or BLOCK */
    uint32_t provider;
    ward_lifetime lifetime;
    const char *origin;
} ward_app_rule;

/* Appends a rule to the program's ordered list; returns the rule id. */
int64_t ward_app_rule_append(ward_engine *e, uint64_t app_id, const ward_app_rule *rule);
int ward_app_rule_remove(ward_engine *e, uint64_t rule_id);

typedef struct ward_app_info {
    uint64_t id;
    const char *path;
    const ward_sha256 *pin; /* NULL when not pinned */
    size_t n_rules;
    enum ward_app_fallback fallback;
    uint32_t pin_provider; /* who set the pin (0: the program's definition) */
} ward_app_info;
/* Enumeration, in the order programs were added and rules appended. */
size_t ward_app_count(const ward_engine *e);
int ward_app_at(const ward_engine *e, size_t i, ward_app_info *out);
/* By id, without a walk: a program, and a rule with the program it belongs to. */
int ward_app_get(const ward_engine *e, uint64_t app_id, ward_app_info *out);
int ward_app_rule_get(const ward_engine *e, uint64_t rule_id, uint64_t *app_id, ward_app_rule *out);
int ward_app_rule_at(const ward_engine *e, uint64_t app_id, size_t i, uint64_t *rule_id,
                     ward_app_rule *out);

/* ---- Enumeration and bulk removal ---------------------------------------- */

/* Calls fn for every filter in (sublayer weight, filter weight) order; stops
 * when fn returns non-zero and returns that value. */
typedef int (*ward_filter_fn)(uint64_t id, const ward_filter_def *def, void *ctx);
int ward_filter_foreach(const ward_engine *e, ward_filter_fn fn, void *ctx);

/* Removes every filter and application rule of a provider; returns how many. */
int ward_provider_flush(ward_engine *e, uint32_t provider);
/* Removes what a lifetime ends: DYNAMIC of `session`, TIMED past `now`,
 * UNTIL_EXIT of (pid, start_time). Returns how many were removed. */
int ward_engine_end_session(ward_engine *e, uint64_t session);
int ward_engine_expire(ward_engine *e, int64_t now);
int ward_engine_process_exited(ward_engine *e, uint32_t pid, uint64_t start_time);

/* ---- Callouts ------------------------------------------------------------ */

typedef struct ward_request ward_request;

typedef struct ward_callout_result {
    enum ward_verdict verdict;
    bool veto; /* with BLOCK: overturns even a hard permit */
} ward_callout_result;

typedef ward_callout_result (*ward_callout_fn)(const ward_request *req, void *ctx);
int ward_callout_register(ward_engine *e, const char *name, ward_callout_fn fn, void *ctx);
int ward_callout_unregister(ward_engine *e, const char *name);

/* ---- Classification ------------------------------------------------------ */

typedef struct ward_app_ctx {
    const char *path; /* NULL: the process could not be attributed */
    ward_exe_id exe;
    const ward_sha256 *sha256; /* NULL: not computed */
    const char *cmdline;       /* NULL: unknown */
    /* The process: a rule living "until the process exits" applies to that
     * process alone. pid 0: not known (such rules do not apply). */
    uint32_t pid;
    uint64_t start_time;
    /* path names a file that is not the one the process runs (another
     * mount namespace, a deleted or replaced file): path is then a label
     * no policy names, and an answer about it is learned for this process
     * only. */
    bool unverified;
    /* The programs of the process's ancestors, nearest first (parent,
     * grandparent ...): what a rule's `parent` condition tests. */
    const char *const *ancestors;
    size_t n_ancestors;
} ward_app_ctx;
/* How many ancestors a process's chain keeps (the nearest ones). */
#define WARD_MAX_ANCESTORS 16

/* Where a remote name was learnt (docs/KERNEL.md, "Names"). */
enum ward_name_src {
    WARD_NAME_NONE = 0,
    WARD_NAME_DNS,       /* a DNS answer over UDP */
    WARD_NAME_DNS_TCP,   /* a DNS answer over TCP */
    WARD_NAME_MDNS,      /* a multicast DNS answer */
    WARD_NAME_LLMNR,     /* an LLMNR answer */
    WARD_NAME_SNI,       /* the TLS ClientHello's server name */
    WARD_NAME_HTTP_HOST, /* the HTTP request's Host */
    WARD_NAME_SHIM,      /* the name the program resolved (libward-shim) */
    WARD_NAME_SRC_COUNT
};
/* "dns", "dns-tcp", "mdns", "llmnr", "sni", "http-host", "shim"; NULL for
 * NONE or out of range. */
const char *ward_name_src_name(unsigned src);
/* The value of such a name; WARD_NAME_NONE for NULL or an unknown name. */
unsigned ward_name_src_parse(const char *name);

struct ward_request {
    enum ward_layer layer;
    enum ward_direction dir;
    uint8_t proto;
    ward_ip local, remote;
    uint16_t lport, rport; /* for ICMP: rport carries the ICMP type */
    const char *domain;    /* remote name if known, else NULL */
    uint8_t domain_src;    /* enum ward_name_src: where domain was learnt */
    const char *iface;     /* NULL: unknown */
    ward_app_ctx app;
    bool has_user;
    uint32_t uid, gid;
    const char *cgroup; /* NULL: unknown */
    int64_t now;        /* unix seconds: lifetimes */
    uint8_t wday;       /* local time for windows: 0 = Sunday */
    uint16_t minute;    /* minutes after local midnight */
};

/* The encrypted DNS a request is, by the rules above (ward_resolver_add). */
enum ward_encdns ward_encrypted_dns(const ward_engine *e, const ward_request *r);

typedef struct ward_decision {
    enum ward_verdict verdict; /* never CONTINUE */
    enum ward_reason reason;
    bool hard;
    uint64_t filter_id; /* deciding filter or application rule id; 0 if none */
    uint32_t sublayer;  /* deciding sublayer; 0 if none */
    uint32_t provider;  /* provider of the deciding filter or rule; 0 if none */
} ward_decision;

enum ward_classify_flags {
    WARD_CLASSIFY_LINEAR = 1u << 0, /* the reference evaluator, not the index */
};

/* Whether one condition holds for a request: the meaning filters give it. A
 * compiler may ask it of the fields it knows ahead (the program's path). */
bool ward_cond_holds(const ward_engine *e, const ward_cond *c, const ward_request *r);

/* Classifies one request. trace may be NULL; when given, it is filled with
 * every step (and classification uses the reference evaluator so that every
 * earlier candidate can be explained). Once-only rules that decide are
 * consumed. Returns 0 or a negative ward_err. */
int ward_classify(ward_engine *e, const ward_request *req, ward_decision *out, ward_trace *trace,
                  unsigned flags);

/* ---- Explain ------------------------------------------------------------- */

enum ward_step_kind {
    WARD_STEP_CHECK,          /* a decision-order step (no prompter, self, mode ...) */
    WARD_STEP_FILTER,         /* a filter */
    WARD_STEP_APP_RULE,       /* an application rule */
    WARD_STEP_SUBLAYER_START, /* evaluation of a sublayer begins (or is skipped) */
    WARD_STEP_SUBLAYER,       /* a sublayer's result and how arbitration took it */
    WARD_STEP_FINAL,          /* the final decision */
};

enum ward_step_outcome {
    WARD_OUT_NO_MATCH,   /* a condition failed: see field */
    WARD_OUT_MATCH,      /* matched and decided its sublayer */
    WARD_OUT_CONTINUE,   /* matched; its callout said continue */
    WARD_OUT_EXPIRED,    /* its lifetime has ended */
    WARD_OUT_TAKEN,      /* arbitration: this sublayer's verdict stands */
    WARD_OUT_OVERRIDDEN, /* arbitration: overridden by a lower sublayer */
    WARD_OUT_IGNORED,    /* arbitration: a higher decision could not be overridden */
    WARD_OUT_SKIPPED,    /* not evaluated (a hard block already decided) */
    WARD_OUT_PASSED,     /* a check that did not apply */
};

typedef struct ward_trace_step {
    enum ward_step_kind kind;
    enum ward_step_outcome outcome;
    uint32_t sublayer;
    uint64_t id;               /* filter or rule id */
    enum ward_verdict verdict; /* what this step said, when it said anything */
    bool hard;
    enum ward_field field;   /* NO_MATCH: the first condition that failed */
    enum ward_reason reason; /* CHECK and FINAL */
    const char *text;        /* a human sentence, owned by the trace */
} ward_trace_step;

ward_trace *ward_trace_new(void);
void ward_trace_free(ward_trace *t);
size_t ward_trace_count(const ward_trace *t);
const ward_trace_step *ward_trace_at(const ward_trace *t, size_t i);
/* Writes the trace as text a person can read, snprintf-style: returns the
 * length it needed (excluding the NUL). */
size_t ward_trace_format(const ward_trace *t, char *buf, size_t len);

/* ---- The engine ---------------------------------------------------------- */

ward_engine *ward_engine_new(void);
void ward_engine_free(ward_engine *e);
/* The message of the last failed call (empty if none). */
const char *ward_engine_error(const ward_engine *e);

typedef struct ward_engine_stats {
    size_t filters, apps, app_rules, index_bytes;
    uint64_t classified, by_verdict[WARD_V_DROP_CONNECTION + 1], by_reason[WARD_R_COUNT];
} ward_engine_stats;
void ward_engine_stats_get(const ward_engine *e, ward_engine_stats *out);

/* ---- Index rebuilds off the caller's thread ------------------------------- */

/* The index rebuilds its decision tree now and then (after as many updates
 * as rules). By default the update that tips it does so, inline. After
 * ward_engine_defer_rebuilds() no update does: the engine only says a
 * rebuild is due, and the caller runs it aside (docs/ENGINE.md,
 * "Rebuilding off the loop"):
 *
 *   r = ward_engine_rebuild_take(e);     // the engine's thread: a snapshot
 *   ward_rebuild_run(r);                 // any thread: touches only r
 *   while (ward_rebuild_install(r) > 0)  // the engine's thread again,
 *       ...;                             // other work between the calls
 *   ward_rebuild_free(r);                // any thread once installed
 *
 * Answers never depend on it: between take and install, updates go where
 * they would with no rebuild under way, and are replayed on the new index
 * at the install. */
typedef struct ward_rebuild ward_rebuild;
void ward_engine_defer_rebuilds(ward_engine *e);
/* A rebuild that is due, or NULL (none due, one of this index already
 * taken, or out of memory: a later update asks again). */
ward_rebuild *ward_engine_rebuild_take(ward_engine *e);
/* Builds the new index from the snapshot: 0 or WARD_E_NOMEM. */
int ward_rebuild_run(ward_rebuild *r);
/* Puts the built index in force, with the updates made since the take:
 * 0; 1 when it replayed part of those updates (at most 64 a call) and must
 * be called again; WARD_E_NOENT when its index is gone (a new policy, a
 * sublayer removed) or was rebuilt otherwise; WARD_E_NOMEM when not built
 * or out of memory. On an error nothing changed. */
int ward_rebuild_install(ward_rebuild *r);
/* Frees r: after ward_rebuild_install returned anything but 1, on any
 * thread (with it goes the old index); before, on the engine's thread
 * only, and the rebuild is cancelled. */
void ward_rebuild_free(ward_rebuild *r);

#ifdef __cplusplus
}
#endif
#endif /* WARD_ENGINE_H */
