/* cli/daemon.c — talking to wardd, and printing what it says. */
#define _GNU_SOURCE
#include "cli/daemon.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "policy/policy.h"

ward_client *cli_connect(const char *name)
{
    const char *path = getenv("WARD_SOCKET");
    if (!path || !*path)
        path = WARD_CONTROL_SOCKET;
    char err[256];
    ward_client *c = ward_client_connect(path, name, err, sizeof(err));
    if (!c)
        fprintf(stderr, "%s: cannot reach wardd at %s: %s\n", cli_prog, path, err);
    return c;
}

ward_client *cli_reconnect(const char *name, int (*setup)(ward_client *c, void *ctx), void *ctx)
{
    const char *path = getenv("WARD_SOCKET");
    if (!path || !*path)
        path = WARD_CONTROL_SOCKET;
    long wait_ms = 100;
    for (;;) {
        struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        char err[256];
        ward_client *c = ward_client_connect(path, name, err, sizeof(err));
        if (c && setup(c, ctx) == 0)
            return c;
        ward_client_close(c);
        wait_ms = wait_ms * 2 > 5000 ? 5000 : wait_ms * 2;
    }
}

int cli_call(ward_client *c, ward_msg *req, ward_msg *reply, int *fds, size_t *nfds)
{
    if (ward_client_call(c, req, reply, fds, nfds, CLI_TIMEOUT_MS) != 1) {
        fprintf(stderr, "%s: no answer from wardd\n", cli_prog);
        return -1;
    }
    if (reply->type == WARD_MSG_ERROR) {
        fprintf(stderr, "%s: wardd: %s: %s\n", cli_prog, ward_proto_err_name(reply->u.error.code),
                reply->u.error.message ? reply->u.error.message : "");
        ward_msg_free(reply);
        return -1;
    }
    return 0;
}

int cli_request(const char *name, ward_msg *req, ward_msg *reply)
{
    ward_client *c = cli_connect(name);
    if (!c)
        return -1;
    int rc = cli_call(c, req, reply, NULL, NULL);
    ward_client_close(c);
    return rc;
}

static bool has_more(const ward_msg *m)
{
    return m->type == WARD_MSG_RULES_REPLY     ? m->u.rules_reply.more
           : m->type == WARD_MSG_LOG_REPLY     ? m->u.log_reply.more
           : m->type == WARD_MSG_STATS_REPLY   ? m->u.stats_reply.more
           : m->type == WARD_MSG_CONNS_REPLY   ? m->u.conns_reply.more
           : m->type == WARD_MSG_OBJECT_REPLY  ? m->u.objects.more
           : m->type == WARD_MSG_CALLOUT_REPLY ? m->u.callout_reply.more
           : m->type == WARD_MSG_LIMITS_REPLY  ? m->u.limits_reply.more
                                               : false;
}

/* Parts of one reply at the most: far more than any list wardd holds
 * (16 GiB of 64 KiB parts), so a peer that never ends its reply is cut off. */
#define CLI_MAX_PARTS 262144

static int each_part(ward_client *c, ward_msg *reply, enum ward_msg_type type,
                     void (*fn)(const ward_msg *part, void *ctx), void *ctx)
{
    if (reply->type != type) {
        ward_msg_free(reply);
        fprintf(stderr, "%s: wardd answered with another kind of reply\n", cli_prog);
        return -1;
    }
    for (unsigned parts = 1;; parts++) {
        fn(reply, ctx);
        bool more = has_more(reply);
        ward_msg_free(reply);
        if (!more)
            return 0;
        if (parts == CLI_MAX_PARTS) {
            fprintf(stderr, "%s: wardd's reply did not end after %u parts\n", cli_prog, parts);
            return -1;
        }
        if (ward_client_recv(c, reply, NULL, NULL, CLI_TIMEOUT_MS) != 1 || reply->type != type) {
            if (reply->type != type)
                ward_msg_free(reply);
            fprintf(stderr, "%s: wardd's reply was cut short\n", cli_prog);
            return -1;
        }
    }
}

int cli_request_parts(const char *name, ward_msg *req, enum ward_msg_type type,
                      void (*fn)(const ward_msg *part, void *ctx), void *ctx)
{
    ward_client *c = cli_connect(name);
    if (!c)
        return -1;
    ward_msg reply;
    int rc = cli_call(c, req, &reply, NULL, NULL);
    if (rc == 0)
        rc = each_part(c, &reply, type, fn, ctx);
    ward_client_close(c);
    return rc;
}

/* ID "PROGRAM" RULE: the rule in the language, as `ward rules add PROGRAM`
 * takes it back. */
void cli_print_rule(FILE *f, const ward_proto_rule *r)
{
    char q[4200];
    ward_policy_quote(r->program, q, sizeof(q));
    ward_app_rule ar = ward_proto_rule_view(r);
    char *text = ward_policy_format_rule(&ar, r->provider ? r->provider : "admin");
    fprintf(f, "%-6llu %s %s\n", (unsigned long long)r->id, q, text ? text : "?");
    free(text);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void cli_print_rule_json(FILE *f, const ward_proto_rule *r)
{
    char buf[256];
    fprintf(f, "{\"id\":%llu,\"program\":", (unsigned long long)r->id);
    json_str(f, r->program);
    fprintf(f, ",\"action\":\"%s\",\"direction\":\"%s\",\"protocol\":%u,\"ports\":[",
            r->action == WARD_ACT_PERMIT ? "allow" : "deny",
            r->dir == WARD_DIR_IN    ? "in"
            : r->dir == WARD_DIR_OUT ? "out"
                                     : "any",
            r->proto);
    for (size_t i = 0; i < r->n_ports; i++)
        fprintf(f, "%s[%u,%u]", i ? "," : "", r->ports[i].lo, r->ports[i].hi);
    fputs("],\"to\":[", f);
    size_t k = 0;
    for (size_t i = 0; i < r->n_zones; i++, k++) {
        fputs(k ? "," : "", f);
        json_str(f, r->zones[i]);
    }
    for (size_t i = 0; i < r->n_remotes; i++, k++) {
        fputs(k ? "," : "", f);
        json_str(f, ward_cidr_format(&r->remotes[i], buf, sizeof(buf)));
    }
    for (size_t i = 0; i < r->n_domains; i++, k++) {
        fputs(k ? "," : "", f);
        json_str(f, r->domains[i]);
    }
    fputs("],\"users\":[", f);
    for (size_t i = 0; i < r->n_users; i++)
        fprintf(f, "%s[%u,%u]", i ? "," : "", r->users[i].lo, r->users[i].hi);
    fputs("],\"parents\":[", f);
    for (size_t i = 0; i < r->n_parents; i++) {
        fputs(i ? "," : "", f);
        json_str(f, r->parents[i]);
    }
    fputs("],\"provider\":", f);
    json_str(f, r->provider ? r->provider : "admin");
    ward_policy_fmt_lifetime(&r->lifetime, buf, sizeof(buf));
    fputs(",\"lifetime\":", f);
    json_str(f, *buf ? buf : "persistent");
    fputs("}\n", f);
}

static const char *proto_text(uint8_t p, char *buf, size_t len)
{
    ward_policy_fmt_proto(p, buf, len);
    return buf;
}

/* ADDR:PORT; "*" for the side a record does not know (a connect decided
 * in the kernel has no local address yet): never a made-up "::". */
static const char *endpoint(const ward_ip *ip, uint16_t port, char *buf, size_t len)
{
    static const ward_ip none;
    char a[WARD_IP_STRLEN];
    if (!memcmp(ip, &none, sizeof(none)))
        snprintf(buf, len, port ? "*:%u" : "*", port);
    else
        snprintf(buf, len, "%s:%u", ward_ip_format(ip, a, sizeof(a)), port);
    return buf;
}

void cli_print_event(FILE *f, const ward_event *ev)
{
    char when[32], l[WARD_IP_STRLEN + 8], r[WARD_IP_STRLEN + 8], p[16];
    time_t t = (time_t)(ev->time_ns / 1000000000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    if (ev->kind == WARD_EVENT_ALERT && !ev->proto) {
        /* Not about traffic: Ward's own kernel objects were tampered with. */
        fprintf(f, "%s ALERT %s (%u)%s%s\n", when, ev->filter, ev->count,
                ev->cmdline[0] ? ": " : "", ev->cmdline);
        return;
    }
    if (ev->kind == WARD_EVENT_ALERT) {
        fprintf(f, "%s ALERT %s from %s (%u)\n", when, ev->filter,
                ward_ip_format(&ev->remote, r, sizeof(r)), ev->count);
        return;
    }
    if (ev->kind == WARD_EVENT_LOST || ev->kind == WARD_EVENT_GAP) {
        /* A marker closes its gap (its own number is past it); a gap
         * starts at its number. */
        uint64_t first = ev->kind == WARD_EVENT_LOST ? ev->bseq - ev->count : ev->bseq;
        fprintf(f, "%s … %u decisions not logged (%s; boot %llu, seq %llu-%llu)\n", when, ev->count,
                ev->filter[0] ? ev->filter : "not written", (unsigned long long)ev->boot,
                (unsigned long long)first, (unsigned long long)(first + ev->count - 1));
        return;
    }
    char times[24] = "";
    if (ev->count > 1) /* repeats folded into this row */
        snprintf(times, sizeof(times), " x%u", ev->count);
    /* The kernel layer is the default; the shim is said. */
    const char *src = ev->domain[0] ? ward_name_src_name(ev->name_src) : NULL;
    const char *encdns = ward_encdns_name(ev->encdns);
    fprintf(
        f, "%s %-6s %-5s %s %s %s %s%s%s%s%s%s%s%s%s pid %u uid %d %s [%s]%s%s\n", when,
        ward_verdict_name((enum ward_verdict)ev->verdict), proto_text(ev->proto, p, sizeof(p)),
        ev->direction == WARD_DIR_IN ? "in " : "out", endpoint(&ev->local, ev->lport, l, sizeof(l)),
        ev->direction == WARD_DIR_IN ? "<-" : "->", endpoint(&ev->remote, ev->rport, r, sizeof(r)),
        ev->domain[0] ? " (" : "", ev->domain, src ? " from " : "", src ? src : "",
        ev->domain[0] ? ")" : "", encdns ? " [encrypted DNS: " : "", encdns ? encdns : "",
        encdns ? "]" : "", ev->pid, ev->uid == WARD_UID_UNKNOWN ? -1 : (int)ev->uid,
        ev->exe[0] ? ev->exe : "?", ev->filter, times, ev->via == WARD_VIA_SHIM ? " via shim" : "");
}

void cli_print_event_json(FILE *f, const ward_event *ev)
{
    char *s = ward_proto_event_json(ev);
    if (s)
        fprintf(f, "%s\n", s);
    free(s);
}

int cli_subscribe(ward_client *c, bool from_oldest, ward_ring_reader **rd, int *efd)
{
    ward_msg req = {.type = WARD_MSG_SUBSCRIBE}, rep;
    int fds[WARD_PROTO_MAX_FDS];
    size_t nfds = 0;
    if (cli_call(c, &req, &rep, fds, &nfds) < 0)
        return -1;
    ward_msg_free(&rep);
    if (nfds != 2) {
        fprintf(stderr, "%s: wardd sent no event ring\n", cli_prog);
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        return -1;
    }
    *rd = ward_ring_reader_open(fds[0], from_oldest);
    close(fds[0]);
    if (!*rd) {
        fprintf(stderr, "%s: cannot map the event ring\n", cli_prog);
        close(fds[1]);
        return -1;
    }
    *efd = fds[1];
    return 0;
}

void cli_print_json_item(const ward_msg *m, const char *member)
{
    char *line, key[64];
    size_t len;
    if (ward_proto_encode(m, &line, &len) != WARD_PE_OK)
        return;
    /* {"type":...,"MEMBER":[ITEM],...}: the item alone. */
    int k = snprintf(key, sizeof(key), "\"%s\":[", member);
    char *a = strstr(line, key);
    char *b = a ? strrchr(line, ']') : NULL;
    if (a && b && b > a + k)
        printf("%.*s\n", (int)(b - a - k), a + k);
    free(line);
}
