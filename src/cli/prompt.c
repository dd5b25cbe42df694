/*
 * cli/prompt.c — `ward prompt`: answer wardd's questions in the terminal.
 *
 *   ward prompt                      ask the person at the terminal
 *   ward prompt --answer allow|deny [--scope destination|port|any]
 *               [--duration once|Nm|until-exit|until-restart|forever]
 *               [--count N]          answer every prompt the same way (scripts)
 *
 * Each prompt shows the program, its pid and command line, the user, the
 * destination with its name, the port and the protocol. Keys: a allow,
 * d deny; then the scope (t this destination, p this port, e everything)
 * and the duration (o once, m N minutes, x until the program exits,
 * r until wardd restarts, f forever). Enter takes the defaults shown.
 *
 * When wardd goes away (a restart, a crash) the prompter connects again
 * with backoff, registers again, and says so in one line.
 */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

struct answer_opts {
    bool scripted;
    enum ward_action action;
    enum ward_scope scope;
    enum ward_duration duration;
    uint32_t minutes;
};

static int parse_duration(const char *s, struct answer_opts *o)
{
    char *end;
    if (strcmp(s, "once") == 0)
        o->duration = WARD_DUR_ONCE;
    else if (strcmp(s, "until-exit") == 0)
        o->duration = WARD_DUR_UNTIL_EXIT;
    else if (strcmp(s, "until-restart") == 0)
        o->duration = WARD_DUR_UNTIL_RESTART;
    else if (strcmp(s, "forever") == 0)
        o->duration = WARD_DUR_FOREVER;
    else if ((o->minutes = (uint32_t)strtoul(s, &end, 10)) > 0 && strcmp(end, "m") == 0)
        o->duration = WARD_DUR_MINUTES;
    else
        return -1;
    return 0;
}

static void show(const ward_msg *m)
{
    const ward_event *ev = &m->u.prompt.conn;
    char r[WARD_IP_STRLEN], p[16], user[64];
    const struct passwd *pw = ev->uid != WARD_UID_UNKNOWN ? getpwuid(ev->uid) : NULL;
    if (pw)
        snprintf(user, sizeof(user), "%s (%u)", pw->pw_name, ev->uid);
    else if (ev->uid != WARD_UID_UNKNOWN)
        snprintf(user, sizeof(user), "%u", ev->uid);
    else
        snprintf(user, sizeof(user), "unknown");
    ward_policy_fmt_proto(ev->proto, p, sizeof(p));
    printf("\n--- prompt %llu (answer within %us) ---\n"
           "program:  %s\n"
           "pid:      %u\n"
           "command:  %s\n"
           "user:     %s\n"
           "%s %s%s%s%s port %u, %s\n",
           (unsigned long long)m->u.prompt.prompt_id, m->u.prompt.timeout_s,
           ev->exe[0] ? ev->exe : "(unknown)", ev->pid, ev->cmdline[0] ? ev->cmdline : "-", user,
           ev->direction == WARD_DIR_IN ? "from:    " : "to:      ",
           ward_ip_format(&ev->remote, r, sizeof(r)), ev->domain[0] ? " (" : "", ev->domain,
           ev->domain[0] ? ")" : "", ev->direction == WARD_DIR_IN ? ev->lport : ev->rport, p);
    if (ev->parents[0]) {
        char buf[WARD_EVENT_PARENTS_MAX];
        const char *v[WARD_MAX_ANCESTORS];
        size_t n = ward_event_parents(ev, buf, v, WARD_MAX_ANCESTORS);
        printf("parents: ");
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? " < " : " ", v[i]);
        printf("\n");
    }
    if (ev->reason == WARD_R_APP_PIN)
        printf("why:      the binary is not the one pinned (SHA-256): allow pins it to this one\n");
    if (m->u.prompt.av)
        printf("scan:     %s\n", m->u.prompt.av);
    fflush(stdout);
}

/* Reads a key from the terminal: the first non-blank character, or def. */
static int key(const char *question, int def)
{
    char line[64];
    printf("%s ", question);
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
        return -1;
    for (char *s = line; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n')
            return *s;
    return def;
}

static int ask(struct answer_opts *o)
{
    int k = key("[a]llow or [d]eny?", -2);
    if (k != 'a' && k != 'd')
        return -1;
    o->action = k == 'a' ? WARD_ACT_PERMIT : WARD_ACT_BLOCK;
    k = key("scope: [t]his destination, this [p]ort, [e]verything? [t]", 't');
    o->scope = k == 'p' ? WARD_SCOPE_PORT : k == 'e' ? WARD_SCOPE_ANY : WARD_SCOPE_DESTINATION;
    k = key("for: [o]nce, [m]inutes, until e[x]it, until [r]estart, [f]orever? [f]", 'f');
    o->duration = k == 'o'   ? WARD_DUR_ONCE
                  : k == 'm' ? WARD_DUR_MINUTES
                  : k == 'x' ? WARD_DUR_UNTIL_EXIT
                  : k == 'r' ? WARD_DUR_UNTIL_RESTART
                             : WARD_DUR_FOREVER;
    if (o->duration == WARD_DUR_MINUTES) {
        char line[32];
        printf("minutes? [15] ");
        fflush(stdout);
        o->minutes = fgets(line, sizeof(line), stdin) ? (uint32_t)strtoul(line, NULL, 10) : 0;
        if (!o->minutes)
            o->minutes = 15;
    }
    return 0;
}

/* Registers c as a prompter: 0, or -1 when wardd did not take it. */
static int register_prompter(ward_client *c, void *ctx)
{
    (void)ctx;
    ward_msg req = {.type = WARD_MSG_PROMPT_REGISTER}, rep;
    if (ward_client_call(c, &req, &rep, NULL, NULL, CLI_TIMEOUT_MS) != 1)
        return -1;
    int rc = rep.type == WARD_MSG_ERROR ? -1 : 0;
    if (rc < 0 && rep.u.error.message)
        fprintf(stderr, "%s: wardd: %s\n", cli_prog, rep.u.error.message);
    ward_msg_free(&rep);
    return rc;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: %s prompt [--answer allow|deny [--scope destination|port|any]\n"
            "                 [--duration once|Nm|until-exit|until-restart|forever]] "
            "[--count N]\n",
            cli_prog);
    return EXIT_USAGE;
}

int cmd_prompt(int argc, char **argv)
{
    struct answer_opts o = {.scope = WARD_SCOPE_DESTINATION, .duration = WARD_DUR_FOREVER};
    unsigned long count = 0;
    /* Every option takes a value: they come in pairs. */
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (strcmp(argv[i], "--answer") == 0) {
            o.scripted = true;
            if (strcmp(v, "allow") == 0)
                o.action = WARD_ACT_PERMIT;
            else if (strcmp(v, "deny") == 0)
                o.action = WARD_ACT_BLOCK;
            else
                return usage();
        } else if (strcmp(argv[i], "--scope") == 0) {
            if (strcmp(v, "destination") == 0)
                o.scope = WARD_SCOPE_DESTINATION;
            else if (strcmp(v, "port") == 0)
                o.scope = WARD_SCOPE_PORT;
            else if (strcmp(v, "any") == 0)
                o.scope = WARD_SCOPE_ANY;
            else
                return usage();
        } else if (strcmp(argv[i], "--duration") == 0) {
            if (parse_duration(v, &o) < 0)
                return usage();
        } else if (strcmp(argv[i], "--count") == 0) {
            char *end;
            count = strtoul(v, &end, 10);
            if (*end || !count)
                return usage();
        } else {
            return usage();
        }
    }
    ward_client *c = cli_connect("ward-prompt");
    if (!c)
        return 1;
    if (register_prompter(c, NULL) < 0) {
        fprintf(stderr, "%s: wardd did not register this prompter\n", cli_prog);
        ward_client_close(c);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("waiting for prompts (registered with wardd)\n");
    unsigned long answered = 0;
    while (!count || answered < count) {
        ward_msg m;
        if (ward_client_recv(c, &m, NULL, NULL, -1) != 1) {
            /* wardd went away (a restart, a crash): what it held is gone
             * with it; the new one sends what is pending at registration. */
            ward_client_close(c);
            c = cli_reconnect("ward-prompt", register_prompter, NULL);
            printf("wardd restarted: reconnected\n");
            continue;
        }
        if (m.type == WARD_MSG_PROMPT_CLOSED) {
            printf("prompt %llu closed: %s (%s)\n", (unsigned long long)m.u.prompt_closed.prompt_id,
                   ward_verdict_name(m.u.prompt_closed.verdict),
                   m.u.prompt_closed.by ? m.u.prompt_closed.by : "?");
            ward_msg_free(&m);
            continue;
        }
        if (m.type != WARD_MSG_PROMPT) {
            ward_msg_free(&m);
            continue;
        }
        show(&m);
        struct answer_opts a = o;
        if (!o.scripted && ask(&a) < 0) {
            printf("no answer given: the policy's timeout default will apply\n");
            ward_msg_free(&m);
            continue;
        }
        ward_msg ans = {.type = WARD_MSG_PROMPT_ANSWER}, rep;
        ans.u.answer.prompt_id = m.u.prompt.prompt_id;
        ans.u.answer.action = a.action;
        ans.u.answer.scope = a.scope;
        ans.u.answer.duration = a.duration;
        ans.u.answer.minutes = a.minutes;
        ward_msg_free(&m);
        int r = ward_client_call(c, &ans, &rep, NULL, NULL, CLI_TIMEOUT_MS);
        if (r == 1 && rep.type != WARD_MSG_ERROR) {
            printf("answered: %s\n", a.action == WARD_ACT_PERMIT ? "allow" : "deny");
            answered++;
        } else if (r == 1) {
            printf("answer not taken: %s\n",
                   rep.u.error.message ? rep.u.error.message : "wardd refused it");
            answered++;
        } else {
            /* Said out loud: the connection is asked about again, if its
             * program retries, once wardd is back. */
            printf("answer lost: wardd went away before taking it\n");
            ward_client_close(c);
            c = cli_reconnect("ward-prompt", register_prompter, NULL);
            printf("wardd restarted: reconnected\n");
        }
        if (r == 1)
            ward_msg_free(&rep);
    }
    ward_client_close(c);
    return 0;
}
