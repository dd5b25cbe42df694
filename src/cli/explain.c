/*
 * ward explain — offline: load a policy, describe a connection, and print
 * how the engine decides it (every sublayer, filter and rule it looked at).
 *
 *   ward explain -f examples/ward.conf --app /usr/bin/curl --proto tcp \
 *                --to 93.184.216.34 --port 443 [--domain example.com] [--time "mon 10:00"]
 *   ward explain --daemon ...   the same connection, decided by wardd
 *
 * Exit codes: 0 explained, 1 the policy has errors, 2 usage error.
 */
#define _GNU_SOURCE
#include "callout/accounting.h"
#include "callout/callout.h"
#include "callout/dnsfilter.h"
#include "cli/cli.h"
#include "cli/daemon.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s explain [-f FILE]... [--layer L] [--app PATH] [--proto P]\n"
            "                    [--to ADDR] [--from ADDR] [--port N] [--sport N]\n"
            "                    [--domain NAME] [--time \"DAY HH:MM\"] [--uid N] [--gid N]\n"
            "                    [--cmdline TEXT] [--iface NAME] [--cgroup PATH]\n"
            "                    [--sha256 HEX] [--parent PATH]... [--self ADDR]...\n"
            "                    [--no-prompter] [--json]\n"
            "       %s explain --daemon [--layer L] [--app PATH] ... [--json]\n"
            "       %s explain --log ID [--json]\n"
            "  Loads the policy (default: the installed one), has the engine decide the\n"
            "  described connection and prints its trace. --layer: outbound (default),\n"
            "  inbound, dns. Outbound, --to/--port are the remote end; inbound,\n"
            "  --from/--sport are. --time defaults to now. ICMP: --port is the type.\n"
            "  --parent: the program of an ancestor, nearest first (the parent, then\n"
            "  its parent ...), as a rule's `parent` tests it.\n"
            "  --daemon: wardd decides it under the policy in force.\n"
            "  --log ID: a connection from `ward log`, explained by wardd under the\n"
            "  policy in force now.\n",
            cli_prog, cli_prog, cli_prog);
}

static int parse_port(const char *s, uint16_t *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 0 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int parse_when(const char *s, uint8_t *wday, uint16_t *minute)
{
    static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    char d[8];
    int h, m;
    if (sscanf(s, "%3s %d:%d", d, &h, &m) != 3 || h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    for (int i = 0; i < 7; i++) {
        if (!strcasecmp(d, days[i])) {
            *wday = (uint8_t)i;
            *minute = (uint16_t)(h * 60 + m);
            return 0;
        }
    }
    return -1;
}

static int proto_of(const char *s)
{
    static const struct {
        const char *n;
        int v;
    } t[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(s, t[i].n))
            return t[i].v;
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 0 && v <= 255 ? (int)v : -1;
}

static const char *const step_kinds[] = {"check",          "filter",   "app-rule",
                                         "sublayer-start", "sublayer", "final"};
static const char *const step_outcomes[] = {"no-match",   "match",   "continue", "expired", "taken",
                                            "overridden", "ignored", "skipped",  "passed"};

static void json_add_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* The decision and every step of its trace, as one JSON object. */
static void print_trace_json(const ward_trace *t, const ward_decision *d)
{
    json_object *o = json_object_new_object(), *steps = json_object_new_array();
    json_add_str(o, "verdict", ward_verdict_name(d->verdict));
    json_add_str(o, "reason", ward_reason_name(d->reason));
    json_object_object_add(o, "hard", json_object_new_boolean(d->hard));
    json_object_object_add(o, "id", json_object_new_int64((int64_t)d->filter_id));
    for (size_t i = 0; i < ward_trace_count(t); i++) {
        const ward_trace_step *st = ward_trace_at(t, i);
        json_object *j = json_object_new_object();
        json_add_str(j, "kind", step_kinds[st->kind]);
        json_add_str(j, "outcome", step_outcomes[st->outcome]);
        json_object_object_add(j, "sublayer", json_object_new_int64(st->sublayer));
        if (st->id)
            json_object_object_add(j, "id", json_object_new_int64((int64_t)st->id));
        if (st->outcome == WARD_OUT_NO_MATCH && st->kind == WARD_STEP_FILTER)
            json_add_str(j, "field", ward_field_name(st->field));
        json_add_str(j, "text", st->text);
        json_object_array_add(steps, j);
    }
    json_object_object_add(o, "steps", steps);
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

/* Prints wardd's answer to an explain request. */
static int explain_remote(ward_msg *req, bool json)
{
    ward_msg rep;
    if (cli_request("ward-explain", req, &rep) < 0)
        return 1;
    if (json) {
        json_object *o = json_object_new_object();
        json_add_str(o, "verdict", ward_verdict_name(rep.u.explain_reply.verdict));
        json_add_str(o, "reason", ward_reason_name(rep.u.explain_reply.reason));
        json_object_object_add(o, "id",
                               json_object_new_int64((int64_t)rep.u.explain_reply.filter_id));
        json_add_str(o, "text", rep.u.explain_reply.text);
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    } else {
        fputs(rep.u.explain_reply.text ? rep.u.explain_reply.text : "", stdout);
    }
    ward_msg_free(&rep);
    return 0;
}

/* `ward explain --log ID`: why wardd decided a logged connection as it
 * did, re-classified by the daemon under the policy in force now. */
static int explain_logged(const char *arg, bool json)
{
    char *end;
    unsigned long long id = strtoull(arg, &end, 10);
    if (*end || !id) {
        fprintf(stderr, "%s: explain: --log takes a log row id (the first column of ward log)\n",
                cli_prog);
        return EXIT_USAGE;
    }
    ward_msg req = {.type = WARD_MSG_EXPLAIN};
    req.u.explain.log_id = id;
    return explain_remote(&req, json);
}

/* `ward explain --daemon ...`: the described connection, decided by wardd
 * under the policy in force (its prompters, its "self" addresses). */
static int explain_daemon(const ward_request *r, bool has_gid, bool json)
{
    ward_msg req = {.type = WARD_MSG_EXPLAIN};
    ward_event *ev = &req.u.explain.conn;
    req.u.explain.has_conn = true;
    ev->kind = WARD_EVENT_DECISION;
    ev->layer = (uint8_t)r->layer;
    ev->direction = (uint8_t)r->dir;
    ev->proto = r->proto;
    ev->local = r->local;
    ev->remote = r->remote;
    ev->lport = r->lport;
    ev->rport = r->rport;
    ev->uid = r->has_user ? r->uid : WARD_UID_UNKNOWN;
    ev->time_ns = r->now * 1000000000;
    WARD_EVENT_SET(ev, exe, r->app.path);
    WARD_EVENT_SET(ev, cmdline, r->app.cmdline);
    ward_event_set_parents(ev, r->app.ancestors, r->app.n_ancestors);
    WARD_EVENT_SET(ev, domain, r->domain);
    /* Borrowed: the request does not outlive r. */
    req.u.explain.iface = (char *)r->iface;
    req.u.explain.cgroup = (char *)r->cgroup;
    req.u.explain.has_sha256 = r->app.sha256 != NULL;
    if (r->app.sha256)
        req.u.explain.sha256 = *r->app.sha256;
    req.u.explain.has_gid = has_gid;
    req.u.explain.gid = r->gid;
    return explain_remote(&req, json);
}

/* The coming instant of "DAY HH:MM" in local time (this week's, or now). */
static int64_t instant_of(uint8_t wday, uint16_t minute)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_mday += (int)wday - tm.tm_wday;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int cmd_explain(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--log") == 0) {
        bool json = argc == 4 && strcmp(argv[3], "--json") == 0;
        if (argc > 4 || (argc == 4 && !json)) {
            usage(stderr);
            return EXIT_USAGE;
        }
        return explain_logged(argv[2], json);
    }
    enum {
        O_LAYER = 256,
        O_APP,
        O_PROTO,
        O_TO,
        O_FROM,
        O_PORT,
        O_SPORT,
        O_DOMAIN,
        O_TIME,
        O_UID,
        O_GID,
        O_CMDLINE,
        O_IFACE,
        O_CGROUP,
        O_SHA,
        O_SELF,
        O_PARENT,
        O_NOPROMPT,
        O_JSON,
        O_DAEMON
    };
    static const struct option opts[] = {
        {"file", required_argument, NULL, 'f'},
        {"layer", required_argument, NULL, O_LAYER},
        {"app", required_argument, NULL, O_APP},
        {"proto", required_argument, NULL, O_PROTO},
        {"to", required_argument, NULL, O_TO},
        {"from", required_argument, NULL, O_FROM},
        {"port", required_argument, NULL, O_PORT},
        {"sport", required_argument, NULL, O_SPORT},
        {"domain", required_argument, NULL, O_DOMAIN},
        {"time", required_argument, NULL, O_TIME},
        {"uid", required_argument, NULL, O_UID},
        {"gid", required_argument, NULL, O_GID},
        {"cmdline", required_argument, NULL, O_CMDLINE},
        {"iface", required_argument, NULL, O_IFACE},
        {"cgroup", required_argument, NULL, O_CGROUP},
        {"sha256", required_argument, NULL, O_SHA},
        {"self", required_argument, NULL, O_SELF},
        {"parent", required_argument, NULL, O_PARENT},
        {"no-prompter", no_argument, NULL, O_NOPROMPT},
        {"json", no_argument, NULL, O_JSON},
        {"daemon", no_argument, NULL, O_DAEMON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *files[64];
    int n_files = 0;
    const char *layer_s = "outbound", *to = NULL, *from = NULL, *when = NULL;
    uint16_t port = 0, sport = 0;
    bool prompter = true, json = false, daemon = false;
    ward_ip self[16];
    size_t n_self = 0;
    ward_sha256 sha;
    bool has_sha = false, has_gid = false;
    ward_request req = {0};
    const char *parents[WARD_MAX_ANCESTORS];
    size_t n_parents = 0;
    req.proto = 6;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (n_files < 64)
                files[n_files++] = optarg;
            break;
        case O_LAYER:
            layer_s = optarg;
            break;
        case O_APP:
            req.app.path = optarg;
            break;
        case O_PROTO: {
            int p = proto_of(optarg);
            if (p < 0) {
                fprintf(stderr, "%s: bad protocol '%s'\n", cli_prog, optarg);
                return EXIT_USAGE;
            }
            req.proto = (uint8_t)p;
            break;
        }
        case O_TO:
            to = optarg;
            break;
        case O_FROM:
            from = optarg;
            break;
        case O_PORT:
        case O_SPORT:
            if (parse_port(optarg, c == O_PORT ? &port : &sport) < 0) {
                fprintf(stderr, "%s: bad port '%s'\n", cli_prog, optarg);
                return EXIT_USAGE;
            }
            break;
        case O_DOMAIN:
            req.domain = optarg;
            break;
        case O_TIME:
            when = optarg;
            break;
        case O_UID:
        case O_GID:
            req.has_user = true;
            has_gid = has_gid || c == O_GID;
            *(c == O_UID ? &req.uid : &req.gid) = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case O_CMDLINE:
            req.app.cmdline = optarg;
            break;
        case O_IFACE:
            req.iface = optarg;
            break;
        case O_CGROUP:
            req.cgroup = optarg;
            break;
        case O_SHA:
            if (ward_sha256_parse(optarg, &sha) != 0) {
                fprintf(stderr, "%s: bad sha256 '%s'\n", cli_prog, optarg);
                return EXIT_USAGE;
            }
            has_sha = true;
            break;
        case O_SELF:
            if (n_self >= 16 || ward_ip_parse(optarg, &self[n_self]) < 0) {
                fprintf(stderr, "%s: bad address '%s'\n", cli_prog, optarg);
                return EXIT_USAGE;
            }
            n_self++;
            break;
        case O_PARENT:
            if (n_parents >= WARD_MAX_ANCESTORS || optarg[0] != '/') {
                fprintf(stderr, "%s: --parent '%s': an absolute path, at most %d of them\n",
                        cli_prog, optarg, WARD_MAX_ANCESTORS);
                return EXIT_USAGE;
            }
            parents[n_parents++] = optarg;
            break;
        case O_NOPROMPT:
            prompter = false;
            break;
        case O_JSON:
            json = true;
            break;
        case O_DAEMON:
            daemon = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int layer = ward_policy_layer_from_word(layer_s);
    if (layer < 0 || !ward_policy_layer_supported((enum ward_layer)layer)) {
        fprintf(stderr, "%s: %s layer '%s' (outbound, inbound or dns)\n", cli_prog,
                layer < 0 ? "unknown" : "wardd decides no", layer_s);
        return EXIT_USAGE;
    }
    req.layer = (enum ward_layer)layer;
    bool inbound =
        layer == WARD_LAYER_ACCEPT_IN || layer == WARD_LAYER_PACKET_IN || layer == WARD_LAYER_BIND;
    req.dir = inbound && layer != WARD_LAYER_BIND ? WARD_DIR_IN : WARD_DIR_OUT;
    ward_ip *remote = inbound ? &req.local : &req.remote,
            *local = inbound ? &req.remote : &req.local;
    /* Outbound: --to is the remote end. Inbound: --from is. */
    if (to && ward_ip_parse(to, remote) < 0) {
        fprintf(stderr, "%s: bad address '%s'\n", cli_prog, to);
        return EXIT_USAGE;
    }
    if (from && ward_ip_parse(from, local) < 0) {
        fprintf(stderr, "%s: bad address '%s'\n", cli_prog, from);
        return EXIT_USAGE;
    }
    if (!from && !inbound)
        ward_ip_from_v4(&req.local, 0xc0a8010a); /* 192.168.1.10: a host on a LAN */
    if (inbound) {
        req.lport = port;
        req.rport = sport ? sport : 40000;
    } else {
        req.rport = port;
        req.lport = sport ? sport : 40000;
    }
    if (has_sha)
        req.app.sha256 = &sha;
    req.app.ancestors = parents;
    req.app.n_ancestors = n_parents;
    req.now = (int64_t)time(NULL);
    if (when) {
        if (parse_when(when, &req.wday, &req.minute) < 0) {
            fprintf(stderr, "%s: bad time '%s' (e.g. \"mon 10:00\")\n", cli_prog, when);
            return EXIT_USAGE;
        }
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        req.wday = (uint8_t)tm.tm_wday;
        req.minute = (uint16_t)(tm.tm_hour * 60 + tm.tm_min);
    }
    if (daemon) {
        if (n_files || n_self || !prompter) {
            fprintf(stderr,
                    "%s: explain --daemon uses wardd's policy, self addresses and "
                    "prompters: -f, --self and --no-prompter do not apply\n",
                    cli_prog);
            return EXIT_USAGE;
        }
        if (when)
            req.now = instant_of(req.wday, req.minute);
        return explain_daemon(&req, has_gid, json);
    }

    ward_policy *p = cli_policy_new();
    if (!p)
        return 1;
    if (cli_policy_load(p, files, n_files) != 0) {
        ward_policy_free(p);
        return 1;
    }
    ward_engine *e = ward_policy_engine(p);
    ward_engine_set_prompter(e, prompter);
    if (n_self)
        ward_engine_set_self(e, self, n_self);
    /* The built-in callouts as wardd has them, with the policy's lists:
     * a callout filter explains as it decides under wardd. */
    char err[512];
    ward_callouts *reg = ward_callouts_new(NULL);
    const ward_policy_extras *x = ward_policy_get_extras(p);
    ward_dnsfilter *df = ward_dnsfilter_new();
    for (size_t i = 0; df && i < x->n_dnsfilter_lists; i++) {
        if (ward_dnsfilter_load_file(df, x->dnsfilter_lists[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", cli_prog, err);
            ward_dnsfilter_free(df);
            ward_callouts_free(reg);
            ward_policy_free(p);
            return 1;
        }
    }
    if (!reg || !df || ward_callouts_add_builtin(reg, &ward_dnsfilter_callout) < 0 ||
        ward_callouts_add_builtin(reg, &ward_accounting_callout) < 0 ||
        ward_callouts_attach(reg, e) < 0) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        ward_dnsfilter_free(df);
        ward_callouts_free(reg);
        ward_policy_free(p);
        return 1;
    }
    ward_dnsfilter_use(df);
    ward_trace *tr = ward_trace_new();
    ward_decision d;
    int rc = tr ? ward_classify(e, &req, &d, tr, 0) : WARD_E_NOMEM;
    ward_dnsfilter_use(NULL);
    ward_dnsfilter_free(df);
    ward_callouts_free(reg);
    if (rc < 0) {
        fprintf(stderr, "%s: classify: %s\n", cli_prog, ward_strerror(rc));
        ward_trace_free(tr);
        ward_policy_free(p);
        return 1;
    }
    if (json) {
        print_trace_json(tr, &d);
        ward_trace_free(tr);
        ward_policy_free(p);
        return 0;
    }
    size_t need = ward_trace_format(tr, NULL, 0);
    char *buf = malloc(need + 1);
    if (buf) {
        ward_trace_format(tr, buf, need + 1);
        fputs(buf, stdout);
        if (need && buf[need - 1] != '\n')
            putchar('\n');
    }
    free(buf);
    ward_trace_free(tr);
    ward_policy_free(p);
    return 0;
}
