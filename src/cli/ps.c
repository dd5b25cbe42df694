/*
 * cli/ps.c — `ward ps`: the processes with network activity now (an open
 * connection wardd follows), each with its ancestors, the rules of its
 * program and its traffic.
 *
 *   ward ps [--json]
 *
 * The connections and the rules come from wardd (conns.list, rules.list:
 * anyone sees their own processes, root and group ward everyone's); the
 * ancestors are read here from /proc, by the process table wardd uses.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "proc/proctab.h"

struct ps_proc {
    uint32_t pid, uid;
    char program[WARD_EVENT_EXE_MAX];
    size_t conns;
    uint64_t bytes_in, bytes_out, rate_in, rate_out;
    uint64_t *rules;
    size_t n_rules;
};

struct ps {
    struct ps_proc *v;
    size_t n, cap;
    bool oom;
};

static struct ps_proc *proc_of(struct ps *ps, const ward_conn_info *c)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].pid == c->pid && !strcmp(ps->v[i].program, c->program))
            return &ps->v[i];
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        struct ps_proc *v = realloc(ps->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        ps->v = v;
        ps->cap = cap;
    }
    struct ps_proc *p = &ps->v[ps->n++];
    memset(p, 0, sizeof(*p));
    p->pid = c->pid;
    p->uid = c->uid;
    memcpy(p->program, c->program, sizeof(p->program));
    return p;
}

static void add_conns(const ward_msg *part, void *ctx)
{
    struct ps *ps = ctx;
    for (size_t i = 0; i < part->u.conns_reply.n; i++) {
        const ward_conn_info *c = &part->u.conns_reply.conns[i];
        if (!c->pid)
            continue; /* a socket whose process is gone */
        struct ps_proc *p = proc_of(ps, c);
        if (!p) {
            ps->oom = true;
            return;
        }
        p->conns++;
        p->bytes_in += c->bytes_in;
        p->bytes_out += c->bytes_out;
        p->rate_in += c->rate_in;
        p->rate_out += c->rate_out;
    }
}

static void add_rules(const ward_msg *part, void *ctx)
{
    struct ps *ps = ctx;
    for (size_t i = 0; i < part->u.rules_reply.n; i++) {
        const ward_proto_rule *r = &part->u.rules_reply.rules[i];
        for (size_t j = 0; j < ps->n; j++) {
            struct ps_proc *p = &ps->v[j];
            if (strcmp(p->program, r->program) != 0)
                continue;
            uint64_t *v = realloc(p->rules, (p->n_rules + 1) * sizeof(*v));
            if (!v) {
                ps->oom = true;
                return;
            }
            p->rules = v;
            p->rules[p->n_rules++] = r->id;
        }
    }
}

static void print_json(const struct ps_proc *p, const ward_proc *wp)
{
    json_object *o = json_object_new_object(), *a = json_object_new_array();
    json_object_object_add(o, "pid", json_object_new_int64(p->pid));
    json_object_object_add(o, "uid", json_object_new_int64(p->uid));
    json_object_object_add(o, "program", json_object_new_string(p->program));
    if (wp)
        json_object_object_add(o, "ppid", json_object_new_int64(wp->ppid));
    for (size_t i = 0; wp && i < wp->n_ancestors; i++)
        json_object_array_add(a, json_object_new_string(wp->ancestors[i]));
    json_object_object_add(o, "parents", a);
    a = json_object_new_array();
    for (size_t i = 0; i < p->n_rules; i++)
        json_object_array_add(a, json_object_new_int64((int64_t)p->rules[i]));
    json_object_object_add(o, "rules", a);
    json_object_object_add(o, "conns", json_object_new_int64((int64_t)p->conns));
    json_object_object_add(o, "bytes_in", json_object_new_int64((int64_t)p->bytes_in));
    json_object_object_add(o, "bytes_out", json_object_new_int64((int64_t)p->bytes_out));
    json_object_object_add(o, "rate_in", json_object_new_int64((int64_t)p->rate_in));
    json_object_object_add(o, "rate_out", json_object_new_int64((int64_t)p->rate_out));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void print_text(const struct ps_proc *p, const ward_proc *wp, bool *header)
{
    if (!*header) {
        printf("%-7s %-5s %10s %10s %5s  %-12s %s\n", "PID", "CONNS", "BYTES_IN", "BYTES_OUT",
               "RULES", "PARENT", "PROGRAM");
        *header = true;
    }
    const char *parent = wp && wp->n_ancestors ? wp->ancestors[0] : "-";
    const char *base = strrchr(parent, '/');
    printf("%-7u %-5zu %10" PRIu64 " %10" PRIu64 " %5zu  %-12s %s\n", p->pid, p->conns, p->bytes_in,
           p->bytes_out, p->n_rules, base ? base + 1 : parent, p->program);
}

int cmd_ps(int argc, char **argv)
{
    bool json = false, header = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            fprintf(stderr,
                    "usage: %s ps [--json]\n"
                    "  The processes with open connections: their parents, the rules of\n"
                    "  their program and their traffic.\n",
                    cli_prog);
            return EXIT_USAGE;
        }
    }
    struct ps ps = {0};
    int rc = 1;
    proctab *t = proctab_new(NULL);
    ward_msg conns = {.type = WARD_MSG_CONNS_LIST}, rules = {.type = WARD_MSG_RULES_LIST};
    if (!t || cli_request_parts("ward-ps", &conns, WARD_MSG_CONNS_REPLY, add_conns, &ps) < 0 ||
        (ps.n && cli_request_parts("ward-ps", &rules, WARD_MSG_RULES_REPLY, add_rules, &ps) < 0))
        goto out;
    if (ps.oom) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        goto out;
    }
    for (size_t i = 0; i < ps.n; i++) {
        const ward_proc *wp = proctab_lookup(t, ps.v[i].pid);
        if (json)
            print_json(&ps.v[i], wp);
        else
            print_text(&ps.v[i], wp, &header);
    }
    if (!json && !ps.n)
        printf("no process has an open connection\n");
    rc = 0;
out:
    for (size_t i = 0; i < ps.n; i++)
        free(ps.v[i].rules);
    free(ps.v);
    proctab_free(t);
    return rc;
}
