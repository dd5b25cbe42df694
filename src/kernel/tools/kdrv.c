/*
 * ward-kdrv — drives the kernel backend alone, without wardd, for the
 * kernel tests and benchmarks. Loads and attaches the hooks, installs the nft table in
 * the current network namespace, fills the verdict table from the command
 * line and answers queued packets.
 *
 *   ward-kdrv --cgroup PATH [--pin-dir DIR] [--allow EXE]... [--deny EXE]...
 *             [--ask EXE]... [--raw-allow EXE]... [--ask-mode allow|deny|hold]
 *             [--learn] [--control FIFO] [--fail-open] [--queue-num N]
 *             [--default allow|deny|ask] [--in-allow tcp:PORT] [--in-deny tcp:PORT]
 *             [--in-allow-prog EXE] [--in-deny-prog EXE]
 *             [--icmp-deny in|out:TYPE] [--ready FILE] [--no-repair]
 *             [--dns-block NAME|*.SUFFIX]... [--no-dns] [--static-rules FILE]
 *             [--fast-path] [--quiet] [--queue-maxlen N] [--no-nft] [--no-bpf]   (one half only:
 * for measurements) [--no-traffic] [--no-packet-log] [--policy FILE]
 *   ward-kdrv --boot-ruleset [--static-rules FILE | --policy FILE]   print the boot-time ruleset
 *   ward-kdrv --teardown [--pin-dir DIR]
 *
 * --policy compiles a Ward policy file's application rules into the verdict
 * tables with wardd's compiler (src/compile), as if a prompter were there
 * (this driver answers what the tables ask about with --ask-mode), and its
 * boot filters into the static chains (unless --static-rules); SIGHUP
 * loads it again.
 *
 * --ask-mode hold keeps undecided packets waiting until a line "allow" or
 * "deny" (optionally followed by the program's inode number) arrives on the
 * control FIFO; every waiting packet (of that program) gets it.
 * --learn writes each answer into the verdict table (program, proto, port),
 * so the program's next connection is decided in the kernel.
 * Output: one line per event on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compile/bootrules.h"
#include "compile/kcompile.h"
#include "kernel/backend.h"
#include "policy/policy.h"

#define MAX_LIST 64
#define MAX_HELD 8192

struct held {
    uint32_t id;
    ward_kqueued q;
};

static struct {
    ward_kernel *k;
    int ask_mode; /* WARD_KV_ALLOW, WARD_KV_DENY or WARD_KV_ASK (hold) */
    bool learn;
    bool quiet; /* no line per queued packet (benchmarks) */
    struct held held[MAX_HELD];
    size_t nheld;
} drv;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static const char *kv_name(int v)
{
    switch (v) {
    case WARD_KV_ALLOW:
        return "allow";
    case WARD_KV_DENY:
        return "deny";
    case WARD_KV_ASK:
        return "ask";
    default:
        return "none";
    }
}

static int kv_parse(const char *s)
{
    if (!strcmp(s, "allow"))
        return WARD_KV_ALLOW;
    if (!strcmp(s, "deny"))
        return WARD_KV_DENY;
    if (!strcmp(s, "ask") || !strcmp(s, "hold"))
        return WARD_KV_ASK;
    return -1;
}

static void learn(const ward_kqueued *q, int v)
{
    if (!drv.learn || !q->attributed)
        return;
    ward_kentry e = {.proto = q->proto,
                     .dir = q->dir,
                     .port = q->dir == WARD_KDIR_OUT ? q->rport : q->lport,
                     .verdict = (uint8_t)v};
    ward_kernel_program_put(drv.k, q->exe, &e);
}

static const char *ipstr(const ward_ip *ip, char *buf, size_t len)
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(ip->b, pre, sizeof(pre)))
        return inet_ntop(AF_INET, ip->b + 12, buf, (socklen_t)len);
    return inet_ntop(AF_INET6, ip->b, buf, (socklen_t)len);
}

static void log_q(const ward_kqueued *q, const char *what)
{
    char l[64], r[64];
    if (drv.quiet)
        return;
    printf("queue id=%u dir=%s proto=%u local=%s:%u remote=%s:%u domain=%s exe=%llu:%llu pid=%u "
           "comm=%.16s table=%s -> %s\n",
           q->id, q->dir == WARD_KDIR_OUT ? "out" : "in", q->proto, ipstr(&q->local, l, sizeof(l)),
           q->lport, ipstr(&q->remote, r, sizeof(r)), q->rport, q->domain[0] ? q->domain : "-",
           (unsigned long long)q->exe.dev, (unsigned long long)q->exe.ino, q->pid,
           q->attributed ? q->comm : "?", kv_name(q->table), what);
    fflush(stdout);
}

static uint64_t kevents_read;
static void on_kevent(void *ctx, const struct ward_kevent *e)
{
    (void)ctx;
    (void)e;
    kevents_read++;
}

static int on_queued(void *ctx, const ward_kqueued *q)
{
    (void)ctx;
    /* What the compiled table says wins; the ask mode answers the rest. */
    if (q->table == WARD_KV_ALLOW || q->table == WARD_KV_DENY) {
        log_q(q, kv_name(q->table));
        /* Inbound: compile into the nft port sets so the next one stays there. */
        if (q->dir == WARD_KDIR_IN && q->attributed)
            ward_kernel_inbound_port(drv.k, q->proto, q->lport, q->table);
        return q->table;
    }
    if (drv.ask_mode != WARD_KV_ASK) {
        log_q(q, kv_name(drv.ask_mode));
        learn(q, drv.ask_mode);
        return drv.ask_mode;
    }
    if (drv.nheld == MAX_HELD) {
        log_q(q, "deny (too many held)");
        return WARD_KV_DENY;
    }
    drv.held[drv.nheld].id = q->id;
    drv.held[drv.nheld].q = *q;
    drv.nheld++;
    log_q(q, "hold");
    return WARD_KV_ASK;
}

/* Answer the held packets of one program (ino != 0) or all of them. */
static void answer_held(int v, unsigned long long ino)
{
    size_t keep = 0;
    for (size_t i = 0; i < drv.nheld; i++) {
        if (ino && drv.held[i].q.exe.ino != ino) {
            drv.held[keep++] = drv.held[i];
            continue;
        }
        ward_kernel_queue_verdict(drv.k, drv.held[i].id, (uint8_t)v);
        learn(&drv.held[i].q, v);
        printf("answer id=%u -> %s\n", drv.held[i].id, kv_name(v));
    }
    drv.nheld = keep;
    fflush(stdout);
}

/* The listening port table -> nft sets, for programs with inbound verdicts. */
static void scan_listeners(void)
{
    static struct {
        uint8_t proto, verdict;
        uint16_t port;
    } done[1024];
    static size_t ndone;
    ward_klisten l[256];
    int n = ward_kernel_listeners(drv.k, l, 256);
    for (int i = 0; i < n; i++) {
        int v = ward_kernel_program_lookup(drv.k, l[i].exe, l[i].proto, WARD_KDIR_IN, l[i].port);
        if (v != WARD_KV_ALLOW && v != WARD_KV_DENY)
            continue;
        size_t j;
        for (j = 0; j < ndone; j++)
            if (done[j].proto == l[i].proto && done[j].port == l[i].port)
                break;
        if (j < ndone && done[j].verdict == v)
            continue;
        if (ward_kernel_inbound_port(drv.k, l[i].proto, l[i].port, (uint8_t)v))
            continue;
        printf("listen proto=%u port=%u exe=%llu:%llu pid=%u -> nft %s\n", l[i].proto, l[i].port,
               (unsigned long long)l[i].exe.dev, (unsigned long long)l[i].exe.ino, l[i].pid,
               kv_name(v));
        fflush(stdout);
        if (j == ndone && ndone < 1024)
            ndone++;
        if (j < 1024) {
            done[j].proto = l[i].proto;
            done[j].port = l[i].port;
            done[j].verdict = (uint8_t)v;
        }
    }
}

static const char *dns_block[MAX_LIST];
static size_t ndns_block;

static int on_dns(void *ctx, const ward_kdns_answer *a)
{
    (void)ctx;
    char c[64], addrs[512] = "";
    size_t o = 0;
    for (size_t i = 0; i < a->naddr && o < sizeof(addrs) - 64; i++)
        o += (size_t)snprintf(addrs + o, sizeof(addrs) - o, "%s%s", i ? "," : "",
                              ipstr(&a->addrs[i], c, sizeof(c)));
    int v = WARD_KV_ALLOW;
    for (size_t i = 0; i < ndns_block; i++)
        if (ward_kernel_dns_match(dns_block[i], a->qname))
            v = WARD_KV_DENY;
    printf("dns answer qname=%s client=%s:%u trusted=%d addrs=%s -> %s\n",
           a->qname[0] ? a->qname : "?", ipstr(&a->client, c, sizeof(c)), a->cport, a->trusted,
           addrs[0] ? addrs : "-", !a->trusted ? "drop (no matching query)" : kv_name(v));
    fflush(stdout);
    return v;
}

static int exe_of(const char *path, ward_exe_id *id)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "ward-kdrv: %s: %s\n", path, strerror(errno));
        return -1;
    }
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return 0;
}

static int port_parse(const char *s, uint8_t *proto, uint16_t *port)
{
    char p[8];
    unsigned n;
    if (sscanf(s, "%7[a-z]:%u", p, &n) != 2 || n > 65535)
        return -1;
    *proto = !strcmp(p, "tcp") ? 6 : !strcmp(p, "udp") ? 17 : 0;
    *port = (uint16_t)n;
    return *proto ? 0 : -1;
}

static void print_stats(void)
{
    ward_kstats st;
    ward_kernel_stats(drv.k, &st);
    printf("stats allow=%llu deny=%llu ask=%llu raw_deny=%llu backstop=%llu queued=%llu "
           "answered=%llu queue_dropped=%llu repairs=%llu dns_answers=%llu dns_untrusted=%llu "
           "dns_blocked=%llu unmarked=%llu handover=%llu self=%llu\n",
           (unsigned long long)st.hook[WARD_STAT_ALLOW],
           (unsigned long long)st.hook[WARD_STAT_DENY], (unsigned long long)st.hook[WARD_STAT_ASK],
           (unsigned long long)st.hook[WARD_STAT_RAW_DENY],
           (unsigned long long)st.hook[WARD_STAT_BACKSTOP], (unsigned long long)st.queued,
           (unsigned long long)st.answered, (unsigned long long)st.queue_dropped,
           (unsigned long long)st.repairs, (unsigned long long)st.dns_answers,
           (unsigned long long)st.dns_untrusted, (unsigned long long)st.dns_blocked,
           (unsigned long long)st.hook[WARD_STAT_UNMARKED],
           (unsigned long long)st.hook[WARD_STAT_HANDOVER],
           (unsigned long long)st.hook[WARD_STAT_SELF]);
    fflush(stdout);
}

static void read_control(int fd)
{
    static char buf[512];
    static size_t len;
    ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
    if (n <= 0)
        return;
    len += (size_t)n;
    buf[len] = '\0';
    char *nl;
    while ((nl = strchr(buf, '\n'))) {
        *nl = '\0';
        char word[16] = "";
        unsigned long long ino = 0;
        sscanf(buf, "%15s %llu", word, &ino);
        int v = kv_parse(word);
        if (v == WARD_KV_ALLOW || v == WARD_KV_DENY)
            answer_held(v, ino);
        else if (!strcmp(word, "stats"))
            print_stats();
        else if (!strcmp(buf, "quit"))
            stop = 1;
        size_t rest = len - (size_t)(nl + 1 - buf);
        memmove(buf, nl + 1, rest + 1);
        len = rest;
    }
    if (len == sizeof(buf) - 1)
        len = 0;
}

static const char *allow[MAX_LIST], *deny[MAX_LIST], *ask[MAX_LIST], *raw[MAX_LIST];
static const char *in_allow_prog[MAX_LIST], *in_deny_prog[MAX_LIST];
static size_t nallow, ndeny, nask, nraw, nin_allow_prog, nin_deny_prog;

/* The command line's programs into the verdict table. replace: each
 * program's table is replaced (learned entries go), atomically per entry. */
static int apply_programs(bool replace)
{
    ward_exe_id id;
    for (size_t i = 0; i < nallow + ndeny + nask + nin_allow_prog + nin_deny_prog + nraw; i++) {
        size_t j = i;
        const char *p;
        ward_kentry e = {.proto = WARD_KPROTO_ANY, .dir = WARD_KDIR_OUT};
        if (j < nallow) {
            p = allow[j];
            e.verdict = WARD_KV_ALLOW;
        } else if ((j -= nallow) < ndeny) {
            p = deny[j];
            e.verdict = WARD_KV_DENY;
        } else if ((j -= ndeny) < nask) {
            p = ask[j];
            e.verdict = WARD_KV_ASK;
        } else if ((j -= nask) < nin_allow_prog) {
            p = in_allow_prog[j];
            e.dir = WARD_KDIR_IN;
            e.verdict = WARD_KV_ALLOW;
        } else if ((j -= nin_allow_prog) < nin_deny_prog) {
            p = in_deny_prog[j];
            e.dir = WARD_KDIR_IN;
            e.verdict = WARD_KV_DENY;
        } else {
            p = raw[j - nin_deny_prog];
            e.proto = WARD_KPROTO_RAW;
            e.verdict = WARD_KV_ALLOW;
        }
        if (exe_of(p, &id))
            return -1;
        if (replace ? ward_kernel_program_set(drv.k, id, &e, 1)
                    : ward_kernel_program_put(drv.k, id, &e))
            return -1;
    }
    return 0;
}

static const char *policy_file;
static bool static_given; /* --static-rules: the policy's boot filters are not used */
static char boot_out[16384], boot_in[16384];

/* The policy's boot filters as the static chains, as wardd compiles them. */
static int policy_boot(ward_policy *p)
{
    ward_boot_rules r;
    if (ward_boot_compile(ward_policy_engine(p), p, &r) < 0)
        return -1;
    int rc = strlen(r.out) < sizeof(boot_out) && strlen(r.in) < sizeof(boot_in) ? 0 : -1;
    if (rc == 0) {
        memcpy(boot_out, r.out, strlen(r.out) + 1);
        memcpy(boot_in, r.in, strlen(r.in) + 1);
    }
    ward_boot_rules_free(&r);
    return rc;
}

static int policy_boot_config(ward_kernel_config *cfg)
{
    ward_policy *p = ward_policy_new();
    if (!p)
        return -1;
    int rc = ward_policy_load(p, &policy_file, 1) != 0 ? -1 : policy_boot(p);
    if (ward_policy_error_count(p))
        fprintf(stderr, "ward-kdrv: %s", ward_policy_diagnostics(p));
    ward_policy_free(p);
    cfg->static_out = boot_out;
    cfg->static_in = boot_in;
    return rc;
}
#define MAX_POLICY_PROGS 1024
static ward_exe_id policy_progs[MAX_POLICY_PROGS];
static size_t npolicy_progs;

/* The host's own addresses into the hooks' map, as wardd does at each load
 * (wardd also follows address events; the driver reads them per policy). */
static void put_self(void)
{
    struct ifaddrs *ifa;
    ward_ip ips[256];
    size_t n = 0;
    if (getifaddrs(&ifa) < 0)
        return;
    for (struct ifaddrs *i = ifa; i && n < 256; i = i->ifa_next) {
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
            ward_ip_from_v4(&ips[n++],
                            ntohl(((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr));
        else if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6)
            memcpy(ips[n++].b, &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
    }
    freeifaddrs(ifa);
    ward_kernel_self_set(drv.k, ips, n);
}

/* The policy's application rules into the verdict tables: compiled as wardd
 * compiles them; programs it programmed before and no longer does are
 * withdrawn. All or nothing on a policy error. */
struct policy_set {
    ward_exe_id now[MAX_POLICY_PROGS];
    size_t n;
    int rc;
};

static int policy_set_one(void *ctx, const ward_kc_program *pr)
{
    struct policy_set *ps = ctx;
    if (ps->n == MAX_POLICY_PROGS)
        return 1;
    if (ward_kernel_program_set(drv.k, pr->exe, pr->e, pr->n)) {
        ps->rc = -1;
        return 0;
    }
    printf("policy program %s exe=%llu:%llu entries=%zu\n", pr->path,
           (unsigned long long)pr->exe.dev, (unsigned long long)pr->exe.ino, pr->n);
    ps->now[ps->n++] = pr->exe;
    return 0;
}

static int apply_policy(void)
{
    ward_policy *p = ward_policy_new();
    if (!p)
        return -1;
    if (ward_policy_load(p, &policy_file, 1) != 0) {
        fprintf(stderr, "ward-kdrv: %s", ward_policy_diagnostics(p));
        ward_policy_free(p);
        return -1;
    }
    if (!static_given && (policy_boot(p) || ward_kernel_static_set(drv.k, boot_out, boot_in))) {
        ward_policy_free(p);
        return -1;
    }
    ward_settings st;
    ward_engine_settings(ward_policy_engine(p), &st);
    ward_kernel_self_rules(drv.k, st.self_traffic == WARD_SELF_RULES);
    put_self();
    ward_kc_options o = {
        .prompter = true, .now = (int64_t)time(NULL), .resolve = ward_kc_resolve_path};
    ward_kc_tables t;
    if (ward_kc_compile(ward_policy_engine(p), &o, &t) < 0) {
        ward_policy_free(p);
        return -1;
    }
    static struct policy_set ps;
    ps = (struct policy_set){0};
    ward_kc_foreach(&t, policy_set_one, &ps);
    ward_kernel_self_blocks(drv.k, t.n_blocks > 0);
    ward_exe_id *now = ps.now;
    int rc = ps.rc;
    size_t n = ps.n;
    for (size_t i = 0; i < npolicy_progs; i++) {
        bool kept = false;
        for (size_t k = 0; k < n && !kept; k++)
            kept = now[k].dev == policy_progs[i].dev && now[k].ino == policy_progs[i].ino;
        if (!kept)
            ward_kernel_program_set(drv.k, policy_progs[i], NULL, 0);
    }
    memcpy(policy_progs, now, n * sizeof(*now));
    npolicy_progs = n;
    printf("policy: %zu programs, %zu entries\n", t.n, t.entries);
    fflush(stdout);
    ward_kc_tables_free(&t);
    ward_policy_free(p);
    return rc;
}

/* Static (boot-time) filters: lines "out RULE" / "in RULE" ('#' comments). */
static int read_static(const char *path, ward_kernel_config *cfg)
{
    static char out[16384], in[16384];
    size_t no = 0, ni = 0;
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ward-kdrv: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        bool o = !strncmp(line, "out ", 4), i = !strncmp(line, "in ", 3);
        if (!o && !i)
            continue;
        char *buf = o ? out : in;
        size_t *n = o ? &no : &ni;
        int w = snprintf(buf + *n, sizeof(out) - *n, "    %s;\n", line + (o ? 4 : 3));
        if (w < 0 || (size_t)w >= sizeof(out) - *n) {
            fclose(f);
            return -1;
        }
        *n += (size_t)w;
    }
    fclose(f);
    cfg->static_out = out;
    cfg->static_in = in;
    return 0;
}

static volatile sig_atomic_t reload;

static void on_hup(int sig)
{
    (void)sig;
    reload = 1;
}

int main(int argc, char **argv)
{
    ward_kernel_config cfg;
    ward_kernel_config_default(&cfg);
    const char *in_allow[MAX_LIST], *in_deny[MAX_LIST], *icmp_deny[MAX_LIST];
    size_t nin_allow = 0, nin_deny = 0, nicmp = 0;
    const char *control = NULL, *ready = NULL;
    bool teardown = false, repair = true, boot = false;
    drv.ask_mode = WARD_KV_DENY;

    enum {
        O_CGROUP = 256,
        O_PIN,
        O_ALLOW,
        O_DENY,
        O_ASK,
        O_RAW,
        O_ASKMODE,
        O_LEARN,
        O_CONTROL,
        O_FAILOPEN,
        O_QNUM,
        O_DEFAULT,
        O_INALLOW,
        O_INDENY,
        O_ICMPDENY,
        O_READY,
        O_TEARDOWN,
        O_NOREPAIR,
        O_MARK,
        O_INALLOWPROG,
        O_INDENYPROG,
        O_DNSBLOCK,
        O_NODNS,
        O_STATIC,
        O_BOOT,
        O_NONFT,
        O_NOBPF,
        O_QMAXLEN,
        O_FAST,
        O_NOTRAFFIC,
        O_NOPACKET,
        O_QUIET,
        O_POLICY
    };
    static const struct option opts[] = {
        {"cgroup", 1, 0, O_CGROUP},
        {"pin-dir", 1, 0, O_PIN},
        {"allow", 1, 0, O_ALLOW},
        {"deny", 1, 0, O_DENY},
        {"ask", 1, 0, O_ASK},
        {"raw-allow", 1, 0, O_RAW},
        {"ask-mode", 1, 0, O_ASKMODE},
        {"learn", 0, 0, O_LEARN},
        {"control", 1, 0, O_CONTROL},
        {"fail-open", 0, 0, O_FAILOPEN},
        {"queue-num", 1, 0, O_QNUM},
        {"default", 1, 0, O_DEFAULT},
        {"in-allow", 1, 0, O_INALLOW},
        {"in-deny", 1, 0, O_INDENY},
        {"icmp-deny", 1, 0, O_ICMPDENY},
        {"ready", 1, 0, O_READY},
        {"teardown", 0, 0, O_TEARDOWN},
        {"no-repair", 0, 0, O_NOREPAIR},
        {"mark", 1, 0, O_MARK},
        {"in-allow-prog", 1, 0, O_INALLOWPROG},
        {"in-deny-prog", 1, 0, O_INDENYPROG},
        {"dns-block", 1, 0, O_DNSBLOCK},
        {"no-dns", 0, 0, O_NODNS},
        {"static-rules", 1, 0, O_STATIC},
        {"boot-ruleset", 0, 0, O_BOOT},
        {"no-nft", 0, 0, O_NONFT},
        {"no-bpf", 0, 0, O_NOBPF},
        {"queue-maxlen", 1, 0, O_QMAXLEN},
        {"fast-path", 0, 0, O_FAST},
        {"no-traffic", 0, 0, O_NOTRAFFIC},
        {"no-packet-log", 0, 0, O_NOPACKET},
        {"quiet", 0, 0, O_QUIET},
        {"policy", 1, 0, O_POLICY},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
#define PUSH(arr, n)                                                                               \
    do {                                                                                           \
        if ((n) == MAX_LIST)                                                                       \
            return 2;                                                                              \
        (arr)[(n)++] = optarg;                                                                     \
    } while (0)
        switch (c) {
        case O_CGROUP:
            cfg.cgroup = optarg;
            break;
        case O_PIN:
            cfg.pin_dir = optarg;
            break;
        case O_ALLOW:
            PUSH(allow, nallow);
            break;
        case O_DENY:
            PUSH(deny, ndeny);
            break;
        case O_ASK:
            PUSH(ask, nask);
            break;
        case O_RAW:
            PUSH(raw, nraw);
            break;
        case O_INALLOW:
            PUSH(in_allow, nin_allow);
            break;
        case O_INDENY:
            PUSH(in_deny, nin_deny);
            break;
        case O_INALLOWPROG:
            PUSH(in_allow_prog, nin_allow_prog);
            break;
        case O_DNSBLOCK:
            PUSH(dns_block, ndns_block);
            break;
        case O_STATIC:
            static_given = true;
            if (read_static(optarg, &cfg))
                return 2;
            break;
        case O_QUIET:
            drv.quiet = true;
            break;
        case O_POLICY:
            policy_file = optarg;
            break;
        case O_FAST:
            cfg.notrack = true;
            break;
        case O_NOTRAFFIC: /* the hooks without traffic accounting: what it costs */
            cfg.no_traffic = true;
            break;
        case O_NOPACKET: /* without the packet socket tracepoint: what it costs */
            cfg.no_packet_log = true;
            break;
        case O_QMAXLEN:
            cfg.queue_maxlen = (uint32_t)atoi(optarg);
            break;
        case O_NONFT:
            cfg.no_nft = true;
            break;
        case O_NOBPF:
            cfg.no_bpf = true;
            break;
        case O_BOOT:
            boot = true;
            break;
        case O_NODNS:
            cfg.no_dns = true;
            break;
        case O_INDENYPROG:
            PUSH(in_deny_prog, nin_deny_prog);
            break;
        case O_ICMPDENY:
            PUSH(icmp_deny, nicmp);
            break;
        case O_ASKMODE:
            if ((drv.ask_mode = kv_parse(optarg)) < 0)
                return 2;
            break;
        case O_DEFAULT: {
            int v = kv_parse(optarg);
            if (v < 0)
                return 2;
            cfg.default_verdict = (uint8_t)v;
            break;
        }
        case O_LEARN:
            drv.learn = true;
            break;
        case O_CONTROL:
            control = optarg;
            break;
        case O_FAILOPEN:
            cfg.fail = WARD_KFAIL_OPEN;
            break;
        case O_QNUM:
            cfg.queue_num = (uint16_t)atoi(optarg);
            break;
        case O_MARK:
            cfg.mark = (uint32_t)strtoul(optarg, NULL, 0);
            break;
        case O_READY:
            ready = optarg;
            break;
        case O_TEARDOWN:
            teardown = true;
            break;
        case O_NOREPAIR:
            repair = false;
            break;
        default:
            fprintf(stderr, "usage: see the header of src/kernel/tools/kdrv.c\n");
            return 2;
        }
    }
    if (teardown)
        return ward_kernel_teardown(&cfg) ? 1 : 0;
    if (policy_file && !static_given && policy_boot_config(&cfg))
        return 1;
    if (boot) {
        static char rs[65536];
        if (ward_kernel_boot_ruleset(&cfg, rs, sizeof(rs)))
            return 1;
        fputs(rs, stdout);
        return 0;
    }

    char why[512];
    int err = ward_kernel_open(&cfg, &drv.k, why, sizeof(why));
    if (err) {
        fprintf(stderr, "ward-kdrv: %s\n", why);
        return 1;
    }
    if (ward_kernel_bpffs_mounted(drv.k)[0])
        printf("bpffs: none was mounted: mounted one on %s; pins under %s\n",
               ward_kernel_bpffs_mounted(drv.k), ward_kernel_pin_dir(drv.k));
    if (!cfg.no_bpf && (apply_programs(false) || (policy_file && apply_policy())))
        goto fail;
    if (!cfg.no_bpf)
        ward_kernel_listeners_scan(drv.k); /* listening since before the hooks */
    for (size_t i = 0; i < nin_allow + nin_deny; i++) {
        uint8_t proto;
        uint16_t port;
        const char *s = i < nin_allow ? in_allow[i] : in_deny[i - nin_allow];
        if (port_parse(s, &proto, &port) ||
            ward_kernel_inbound_port(drv.k, proto, port,
                                     i < nin_allow ? WARD_KV_ALLOW : WARD_KV_DENY))
            goto fail;
    }
    for (size_t i = 0; i < nicmp; i++) {
        char dir[8];
        unsigned type;
        if (sscanf(icmp_deny[i], "%7[a-z]:%u", dir, &type) != 2 ||
            ward_kernel_icmp(drv.k, 1, strcmp(dir, "in") ? WARD_KDIR_OUT : WARD_KDIR_IN,
                             (uint8_t)type, WARD_KV_DENY))
            goto fail;
    }

    ward_kernel_dns_callback(drv.k, on_dns, NULL);
    int cfd = -1;
    if (control && (cfd = open(control, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
        fprintf(stderr, "ward-kdrv: %s: %s\n", control, strerror(errno));
        goto fail;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    ward_kstats st;
    ward_kernel_stats(drv.k, &st);
    printf("ready queue=%u %s fail=%s\n", cfg.queue_num,
           st.native_queue ? "native-queue" : "xt-NFQUEUE",
           cfg.fail == WARD_KFAIL_OPEN ? "open" : "closed");
    fflush(stdout);
    if (ready) {
        FILE *f = fopen(ready, "w");
        if (f)
            fclose(f);
    }

    time_t last_check = time(NULL);
    while (!stop) {
        struct pollfd p[4] = {
            {.fd = ward_kernel_queue_fd(drv.k), .events = POLLIN},
            {.fd = cfd, .events = POLLIN},
            {.fd = ward_kernel_nft_monitor_fd(drv.k), .events = POLLIN},
            {.fd = ward_kernel_events_fd(drv.k), .events = POLLIN},
        };
        int n = poll(p, 4, 50);
        if (n < 0 && errno != EINTR)
            break;
        if (reload) {
            /* Policy reload: verdicts replaced entry by entry (never
             * missing), the nft table replaced in one transaction. */
            reload = 0;
            int rc = apply_programs(true) || (policy_file && apply_policy());
            int rc2 = ward_kernel_nft_repair(drv.k);
            printf("reload: %s\n", rc || rc2 ? "failed" : "done");
            fflush(stdout);
        }
        /* A foreign change to the table first: repair before anything else. */
        ward_knft_change ch;
        if (n > 0 && (p[2].revents & POLLIN) && ward_kernel_nft_monitor_drain(drv.k, &ch) &&
            repair) {
            int rc = ward_kernel_nft_repair(drv.k);
            printf("nft: table inet ward was changed by someone else (%s%s, pid %u): %s\n",
                   ch.what & WARD_KNFT_ADDED ? "added" : "",
                   ch.what & WARD_KNFT_DELETED ? " deleted" : "", ch.pid,
                   rc ? strerror(-rc) : "restored");
            fflush(stdout);
        }
        /* The hooks: the kernel sends nothing when a link is detached. */
        ward_khooks hk;
        static time_t last_hook_fail;
        int hrc = repair ? ward_kernel_hooks_check(drv.k, true, &hk) : 0;
        if (hrc > 0 || (hrc < 0 && time(NULL) != last_hook_fail)) {
            if (hrc < 0)
                last_hook_fail = time(NULL); /* a failing repair: once a second */
            printf("hooks: %u links detached, %u replaced, %u pins removed, %u not repaired: "
                   "%s\n",
                   hk.detached, hk.replaced, hk.unpinned, hk.failed,
                   hk.failed ? "FAILED" : "restored");
            fflush(stdout);
        }
        /* The hooks' decisions are read as wardd reads them (and only
         * counted): the benchmarks measure the path wardd runs. */
        ward_kernel_events_drain(drv.k, on_kevent, NULL); /* woken only when filling up */
        if (n > 0 && (p[0].revents & POLLIN))
            ward_kernel_queue_dispatch(drv.k, on_queued, NULL);
        if (n > 0 && (p[1].revents & POLLIN))
            read_control(cfd);
        scan_listeners();
        /* And a full check now and then (missed notifications). */
        time_t now = time(NULL);
        if (repair && now - last_check >= 2) {
            last_check = now;
            if (ward_kernel_nft_check(drv.k, true) == 1) {
                printf("nft: table inet ward was found damaged: restored\n");
                fflush(stdout);
            }
        }
    }
    answer_held(WARD_KV_DENY, 0);
    if (cfd >= 0)
        close(cfd);
    print_stats();
    ward_kernel_close(drv.k);
    return 0;
fail:
    ward_kernel_close(drv.k);
    return 1;
}
