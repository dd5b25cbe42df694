/*
 * mailtls/starttls.c — see starttls.h. SMTP (RFC 3207), POP3 (RFC 2595
 * STLS), IMAP (RFC 3501 STARTTLS). Lines may hold any byte: nothing here
 * reads past len, and what is echoed back (an IMAP tag) is checked first.
 */
#define _GNU_SOURCE
#include "mailtls/starttls.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LINES_MAX  100 /* before STARTTLS: a greeting, EHLO's list, a few commands */
#define ERRORS_MAX 10  /* a client's commands refused before it is cut off */
#define TAG_MAX    64
#define SERVER_TAG "W1"

/* Appends one line (CRLF added) to what is to be written; cut if long. */
__attribute__((format(printf, 2, 3))) static void say(struct starttls *s, const char *fmt, ...)
{
    size_t room = sizeof(s->out) - s->out_len;
    if (room < 3)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->out + s->out_len, room - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    s->out_len += (size_t)n < room - 2 ? (size_t)n : room - 3;
    memcpy(s->out + s->out_len, "\r\n", 3);
    s->out_len += 2;
}

/* A failure, with what the peer said made printable. */
static enum starttls_act fail(struct starttls *s, const char *what, const char *line, size_t len)
{
    char shown[120];
    size_t n = 0;
    for (size_t i = 0; line && i < len && n < sizeof(shown) - 1; i++)
        shown[n++] = isprint((unsigned char)line[i]) ? line[i] : '?';
    shown[n] = '\0';
    snprintf(s->why, sizeof(s->why), "%s%s%s%s", what, line ? ": \"" : "", shown, line ? "\"" : "");
    return STARTTLS_FAIL;
}

/* The i-th space-separated word of line (0 from the start): its start and
 * length, or 0 if there is none. */
static size_t word(const char *line, size_t len, int i, const char **w)
{
    size_t p = 0;
    for (;;) {
        while (p < len && line[p] == ' ')
            p++;
        size_t start = p;
        while (p < len && line[p] != ' ')
            p++;
        if (start == p)
            return 0;
        if (i-- == 0) {
            *w = line + start;
            return p - start;
        }
    }
}

static int is(const char *w, size_t n, const char *keyword)
{
    return n == strlen(keyword) && !strncasecmp(w, keyword, n);
}

/* An IMAP tag we may echo: astring characters but '+' (RFC 3501). */
static int tag_ok(const char *w, size_t n)
{
    if (n == 0 || n > TAG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]+", c))
            return 0;
    }
    return 1;
}

static void set_name(struct starttls *s, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n < sizeof(s->name);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr(".-_[]:", name[i]);
    snprintf(s->name, sizeof(s->name), "%s", ok ? name : "localhost");
}

enum starttls_act starttls_init(struct starttls *s, enum ward_mail_proto proto,
                                enum starttls_role role, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->proto = proto;
    s->role = role;
    set_name(s, name);
    if (role == STARTTLS_TO_SERVER)
        return STARTTLS_READ;
    if (proto == WARD_MAIL_SMTP)
        say(s, "220 %s ESMTP Ward mail proxy (STARTTLS first)", s->name);
    else if (proto == WARD_MAIL_POP3)
        say(s, "+OK Ward POP3 proxy ready (STLS first)");
    else
        say(s, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Ward IMAP proxy ready");
    return STARTTLS_READ;
}

/* A refused command: the answer given, and cut off after too many. */
static enum starttls_act refuse(struct starttls *s)
{
    if (++s->refused < ERRORS_MAX)
        return STARTTLS_READ;
    if (s->proto == WARD_MAIL_SMTP)
        say(s, "421 4.7.0 %s Too many errors", s->name);
    else if (s->proto == WARD_MAIL_IMAP)
        say(s, "* BYE Too many errors");
    return fail(s, "client: too many commands refused before STARTTLS", NULL, 0);
}

static enum starttls_act smtp_client(struct starttls *s, const char *line, size_t len)
{
    const char *v = NULL, *arg;
    size_t n = word(line, len, 0, &v), has_arg = word(line, len, 1, &arg);
    if (is(v, n, "EHLO")) {
        say(s, "250-%s", s->name);
        say(s, "250 STARTTLS");
    } else if (is(v, n, "HELO")) {
        say(s, "250 %s", s->name);
    } else if (is(v, n, "STARTTLS") && !has_arg) {
        say(s, "220 2.0.0 Ready to start TLS");
        return STARTTLS_GO;
    } else if (is(v, n, "STARTTLS")) {
        say(s, "501 5.5.4 Syntax: STARTTLS");
        return refuse(s);
    } else if (is(v, n, "NOOP") || is(v, n, "RSET")) {
        say(s, "250 2.0.0 OK");
    } else if (is(v, n, "QUIT")) {
        say(s, "221 2.0.0 Bye");
        return STARTTLS_QUIT;
    } else {
        say(s, "530 5.7.0 Must issue a STARTTLS command first");
        return refuse(s);
    }
    return STARTTLS_READ;
}

static enum starttls_act pop3_client(struct starttls *s, const char *line, size_t len)
{
    const char *v = NULL, *arg;
    size_t n = word(line, len, 0, &v), has_arg = word(line, len, 1, &arg);
    if (is(v, n, "CAPA") && !has_arg) {
        say(s, "+OK Capability list follows");
        say(s, "STLS");
        say(s, ".");
    } else if (is(v, n, "STLS") && !has_arg) {
        say(s, "+OK Begin TLS negotiation");
        return STARTTLS_GO;
    } else if (is(v, n, "QUIT")) {
        say(s, "+OK Bye");
        return STARTTLS_QUIT;
    } else {
        say(s, "-ERR Command not valid before STLS");
        return refuse(s);
    }
    return STARTTLS_READ;
}

static enum starttls_act imap_client(struct starttls *s, const char *line, size_t len)
{
    const char *tag = NULL, *v = NULL, *arg;
    size_t t = word(line, len, 0, &tag), n = word(line, len, 1, &v),
           has_arg = word(line, len, 2, &arg);
    if (!tag_ok(tag, t) || n == 0) {
        say(s, "* BAD Invalid tag or command");
        return refuse(s);
    }
    int tl = (int)t;
    if (is(v, n, "CAPABILITY") && !has_arg) {
        say(s, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED");
        say(s, "%.*s OK CAPABILITY completed", tl, tag);
    } else if (is(v, n, "STARTTLS") && !has_arg) {
        say(s, "%.*s OK Begin TLS negotiation now", tl, tag);
        return STARTTLS_GO;
    } else if (is(v, n, "NOOP") && !has_arg) {
        say(s, "%.*s OK NOOP completed", tl, tag);
    } else if (is(v, n, "LOGOUT") && !has_arg) {
        say(s, "* BYE Logging out");
        say(s, "%.*s OK LOGOUT completed", tl, tag);
        return STARTTLS_QUIT;
    } else {
        say(s, "%.*s NO [PRIVACYREQUIRED] STARTTLS first", tl, tag);
        return refuse(s);
    }
    return STARTTLS_READ;
}

/* An SMTP reply line: its code (-1: malformed) and whether more follow. */
static int smtp_code(const char *line, size_t len, int *more)
{
    if (len < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-'))
        return -1;
    *more = len > 3 && line[3] == '-';
    return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

static enum starttls_act smtp_server(struct starttls *s, const char *line, size_t len)
{
    int more = 0, code = smtp_code(line, len, &more);
    if (code < 0)
        return fail(s, "server: malformed SMTP reply", line, len);
    if (s->stage == 0) { /* the greeting */
        if (code != 220)
            return fail(s, "server: greeting refuses the session", line, len);
        if (!more) {
            say(s, "EHLO %s", s->name);
            s->stage = 1;
        }
        return STARTTLS_READ;
    }
    if (s->stage == 1) { /* EHLO's list of extensions */
        const char *w;
        size_t n = len > 4 ? word(line + 4, len - 4, 0, &w) : 0;
        if (code != 250)
            return fail(s, "server: EHLO refused", line, len);
        if (is(w, n, "STARTTLS"))
            s->offered = 1;
        if (more)
            return STARTTLS_READ;
        if (!s->offered)
            return fail(s, "server: does not offer STARTTLS", NULL, 0);
        say(s, "STARTTLS");
        s->stage = 2;
        return STARTTLS_READ;
    }
    if (code != 220)
        return fail(s, "server: STARTTLS refused", line, len);
    return more ? STARTTLS_READ : STARTTLS_GO;
}

/* line starts with prefix, followed by a space or its end. */
static int starts(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && !strncasecmp(line, prefix, n) && (len == n || line[n] == ' ');
}

static enum starttls_act pop3_server(struct starttls *s, const char *line, size_t len)
{
    if (!starts(line, len, "+OK"))
        return fail(s, s->stage ? "server: STLS refused" : "server: greeting refuses the session",
                    line, len);
    if (s->stage)
        return STARTTLS_GO;
    say(s, "STLS");
    s->stage = 1;
    return STARTTLS_READ;
}

static enum starttls_act imap_server(struct starttls *s, const char *line, size_t len)
{
    if (s->stage == 0) {
        if (starts(line, len, "* PREAUTH"))
            return fail(s, "server: greets as already authenticated, STARTTLS impossible", line,
                        len);
        if (!starts(line, len, "* OK"))
            return fail(s, "server: greeting refuses the session", line, len);
        say(s, SERVER_TAG " STARTTLS");
        s->stage = 1;
        return STARTTLS_READ;
    }
    if (starts(line, len, "*"))
        return STARTTLS_READ; /* untagged data before the answer */
    if (starts(line, len, SERVER_TAG " OK"))
        return STARTTLS_GO;
    return fail(s, "server: STARTTLS refused", line, len);
}

enum starttls_act starttls_feed(struct starttls *s, const char *line, size_t len)
{
    static const char *const too_long[] = {"500 5.5.2 Line too long", "-ERR Line too long",
                                           "* BAD Line too long"};
    s->out_len = 0;
    if (++s->count > LINES_MAX)
        return fail(s,
                    s->role == STARTTLS_TO_SERVER ? "server: too many lines before STARTTLS"
                                                  : "client: too many lines before STARTTLS",
                    NULL, 0);
    if (len > STARTTLS_LINE_MAX) {
        if (s->role == STARTTLS_TO_SERVER)
            return fail(s, "server: line too long", NULL, 0);
        say(s, "%s", too_long[s->proto]);
        return refuse(s);
    }
    if (s->role == STARTTLS_TO_CLIENT)
        return s->proto == WARD_MAIL_SMTP   ? smtp_client(s, line, len)
               : s->proto == WARD_MAIL_POP3 ? pop3_client(s, line, len)
                                            : imap_client(s, line, len);
    return s->proto == WARD_MAIL_SMTP   ? smtp_server(s, line, len)
           : s->proto == WARD_MAIL_POP3 ? pop3_server(s, line, len)
                                        : imap_server(s, line, len);
}
