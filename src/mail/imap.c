/*
 * imap.c — IMAP through the mail proxy (session.h): an untagged FETCH
 * response whose literal is a whole message held to its end; refused, it
 * is dropped and its command's tagged OK becomes NO. A FETCH of a part of
 * a message (BODY[2], BODY[TEXT], BODY[]<0.100> ...) gets BODY.PEEK[]
 * added, so the part comes with its message, which is decided; the
 * message's item is cut from the response the client gets. A part that
 * comes without its message is refused: it was not inspected.
 */
#include "mail/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The literal's length when line l ends with {N}, {N+} or a literal8
 * ~{N} (RFC 3516: BINARY, content with NUL bytes); else -1. Where it
 * starts (its brace, or the '~' before it) in *brace. */
static long literal_of(const char *l, size_t n, size_t *brace)
{
    size_t e = n;
    while (e && (l[e - 1] == '\n' || l[e - 1] == '\r'))
        e--;
    if (!e || l[e - 1] != '}')
        return -1;
    size_t i = e - 1;
    if (i && l[i - 1] == '+')
        i--;
    size_t d = i;
    while (i && isdigit((unsigned char)l[i - 1]))
        i--;
    if (i == d || !i || l[i - 1] != '{' || d - i > 10)
        return -1;
    *brace = i >= 2 && l[i - 2] == '~' ? i - 2 : i - 1;
    return strtol(l + i, NULL, 10);
}

/* What a FETCH item carries: the whole message, content of it (a part, its
 * text, any partial <a.b>), or none (flags, headers, structure, sizes). */
enum item_kind { ITEM_OTHER, ITEM_MESSAGE, ITEM_PART };

static bool has_prefix(const char *p, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !strncasecmp(p, w, k);
}

/* The kind of the item p (n bytes: "BODY.PEEK[1.2]<0.100>", "RFC822" ...). */
static enum item_kind item_kind(const char *p, size_t n)
{
    static const char *const sections[] = {"BODY[", "BODY.PEEK[", "BINARY[", "BINARY.PEEK["};
    if (n == 6 && has_prefix(p, n, "RFC822"))
        return ITEM_MESSAGE;
    if (n == 11 && has_prefix(p, n, "RFC822.TEXT"))
        return ITEM_PART;
    size_t k = 0;
    for (size_t i = 0; i < sizeof(sections) / sizeof(*sections) && !k; i++)
        if (has_prefix(p, n, sections[i]))
            k = strlen(sections[i]);
    if (!k)
        return ITEM_OTHER;
    const char *close = memchr(p + k, ']', n - k);
    if (!close)
        return ITEM_PART; /* not understood: not passed unread */
    size_t end = (size_t)(close - p);
    bool partial = end + 1 < n; /* <a.b> asked, <a> answered */
    if (end == k)
        return partial ? ITEM_PART : ITEM_MESSAGE;
    size_t i = k;
    while (i < end && (isdigit((unsigned char)p[i]) || p[i] == '.'))
        i++;
    if (has_prefix(p + i, end - i, "HEADER") || has_prefix(p + i, end - i, "MIME"))
        return ITEM_OTHER;
    return ITEM_PART; /* a part number, TEXT */
}

/* The item before the literal at brace in l: its kind, its start in *at.
 * Brackets nest ("BODY[HEADER.FIELDS (FROM TO)]"). */
static enum item_kind item_before(const char *l, size_t brace, size_t *at)
{
    size_t e = brace, b;
    while (e && l[e - 1] == ' ')
        e--;
    int depth = 0;
    for (b = e; b; b--) {
        char c = l[b - 1];
        if (c == ']')
            depth++;
        else if (c == '[')
            depth--;
        else if (depth <= 0 && (c == ' ' || c == '('))
            break;
    }
    *at = b;
    return item_kind(l + b, e - b);
}

/* Whether line l (n bytes) of an untagged response gives a message or its
 * content as a quoted string ("BODY[2] \"...\""), which no literal
 * announces: read as a piece without its message, so refused. */
static bool quoted_content(const char *l, size_t n)
{
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        if (in && l[i] == '\\')
            i++;
        else if (l[i] == '"' && !in && i && l[i - 1] == ' ') {
            size_t at;
            in = true;
            if (item_before(l, i, &at) != ITEM_OTHER && !memchr(l + at, '"', i - at))
                return true;
        } else if (l[i] == '"') {
            in = !in;
        }
    }
    return false;
}

/* The length of the item or parenthesized list at p, up to a space outside
 * brackets and parentheses. */
static size_t token_len(const char *p, size_t n)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '[' || p[i] == '(')
            depth++;
        else if (p[i] == ']' || p[i] == ')')
            depth--;
        else if (p[i] == ' ' && depth <= 0)
            return i;
    }
    return n;
}

/* Whether the FETCH items p (one item, or a list's inside) ask for content
 * of a message but not the message itself. */
static bool wants_part(const char *p, size_t n)
{
    bool part = false, whole = false;
    for (size_t i = 0; i < n;) {
        if (p[i] == ' ') {
            i++;
            continue;
        }
        size_t t = token_len(p + i, n - i);
        enum item_kind k = item_kind(p + i, t);
        whole |= k == ITEM_MESSAGE;
        part |= k == ITEM_PART;
        i += t ? t : 1;
    }
    return part && !whole;
}

/* Whether the message with this UID, in the mailbox selected, was
 * delivered whole in this session (IMAP: a UID names one content for as
 * long as the mailbox is selected). Not while a SELECT, EXAMINE, UNSELECT
 * or CLOSE is under way: the responses before its answer may be the
 * previous mailbox's. */
static bool memo_has(const struct mail_session *s, uint32_t uid)
{
    for (unsigned i = 0; uid && !s->sel_tag[0] && i < s->n_memo; i++)
        if (s->memo[i] == uid)
            return true;
    return false;
}

static void memo_add(struct mail_session *s, uint32_t uid)
{
    const unsigned max = sizeof(s->memo) / sizeof(*s->memo);
    if (!uid || s->sel_tag[0] || memo_has(s, uid))
        return;
    if (s->n_memo == max) /* the oldest goes */
        memmove(s->memo, s->memo + 1, --s->n_memo * sizeof(*s->memo));
    s->memo[s->n_memo++] = uid;
}

/* The length of the value at p (an atom, a quoted string, a list) in a
 * FETCH response's line, n if it does not end there (a literal). */
static size_t value_len(const char *p, size_t n)
{
    int depth = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in) {
            if (c == '\\')
                i++;
            else if (c == '"' && (in = false, !depth))
                return i + 1;
        } else if (c == '"') {
            in = true;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (--depth <= 0)
                return depth < 0 ? i : i + 1;
        } else if (c == '{' || (!depth && (c == ' ' || c == '\r' || c == '\n'))) {
            return c == '{' ? n : i;
        }
    }
    return n;
}

/* The UID a FETCH response r (its first line, n bytes) gives among its
 * items before any literal; 0 if none. Items are read name by value, so
 * an envelope's text does not count. */
static uint32_t response_uid(const char *r, size_t n)
{
    const char *nl = memchr(r, '\n', n);
    size_t e = nl ? (size_t)(nl - r) : n, i = 2;
    while (i < e && isdigit((unsigned char)r[i]))
        i++;
    if (i + 8 > e || strncasecmp(r + i, " FETCH (", 8))
        return 0;
    for (i += 8; i < e && r[i] != ')';) {
        size_t t = token_len(r + i, e - i);
        bool uid = t == 3 && !strncasecmp(r + i, "UID", 3);
        i += t + 1;
        if (i >= e)
            return 0;
        size_t v = value_len(r + i, e - i);
        if (uid) {
            char *end;
            unsigned long u = strtoul(r + i, &end, 10);
            return end == r + i + v && v && v <= 10 && u <= UINT32_MAX ? (uint32_t)u : 0;
        }
        if (v >= e - i)
            return 0;
        i += v;
        if (r[i] == ' ')
            i++;
    }
    return 0;
}

/* Command line l (n bytes, its tag tl long): a FETCH or UID FETCH of a part
 * of a message is sent with BODY.PEEK[] added to its items, and its tag
 * remembered (imap_response cuts the message from the answer); whether it
 * was. With no room for the tag it goes as it came: a part answered
 * without its message is refused. */
static bool add_message(struct mail_session *s, const char *l, size_t n, size_t tl)
{
    static const char add[] = " BODY.PEEK[]";
    size_t e = n, i = tl + 1, brace;
    while (e && (l[e - 1] == '\n' || l[e - 1] == '\r'))
        e--;
    if (tl >= sizeof(*s->added) || s->n_added >= sizeof(s->added) / sizeof(*s->added) ||
        literal_of(l, n, &brace) >= 0)
        return false;
    bool by_uid = i < e && mail_verb_is(l + i, e - i, "UID");
    if (by_uid)
        i += 4;
    if (i >= e || !mail_verb_is(l + i, e - i, "FETCH"))
        return false;
    i += 6;
    if (i >= e)
        return false;
    char *end;
    unsigned long uid = strtoul(l + i, &end, 10);
    if (by_uid && *end == ' ' && isdigit((unsigned char)l[i]) && uid <= UINT32_MAX &&
        memo_has(s, (uint32_t)uid))
        return false;                 /* its message was delivered: the parts pass */
    i += token_len(l + i, e - i) + 1; /* the sequence set */
    if (i >= e)
        return false;
    size_t t = token_len(l + i, e - i);
    bool list = l[i] == '(' && t >= 2 && l[i + t - 1] == ')';
    if (list ? !wants_part(l + i + 1, t - 2) : !wants_part(l + i, t))
        return false;
    if (list) {
        mail_out(s, &s->to_server, l, i + t - 1);
        mail_say(s, &s->to_server, add);
        mail_out(s, &s->to_server, l + i + t - 1, n - (i + t - 1));
    } else {
        mail_out(s, &s->to_server, l, i);
        mail_say(s, &s->to_server, "(");
        mail_out(s, &s->to_server, l + i, t);
        mail_say(s, &s->to_server, add);
        mail_say(s, &s->to_server, ")");
        mail_out(s, &s->to_server, l + i + t, n - (i + t));
    }
    memcpy(s->added[s->n_added], l, tl);
    s->added[s->n_added++][tl] = '\0';
    return true;
}

/* The tagged answer to a command: its tag is no longer awaited. The answer
 * to the last command sent ends those before it too (IMAP answers in order
 * but for commands run at once): one whose answer was not read (a line
 * passed unread) does not stay for good. */
static void added_done(struct mail_session *s, const char *tag, size_t tl)
{
    if (strlen(s->last_tag) == tl && !memcmp(s->last_tag, tag, tl)) {
        s->n_added = 0;
        return;
    }
    for (unsigned i = 0; i < s->n_added; i++) {
        if (strlen(s->added[i]) != tl || memcmp(s->added[i], tag, tl))
            continue;
        memmove(s->added + i, s->added + i + 1, (s->n_added - i - 1) * sizeof(*s->added));
        s->n_added--;
        return;
    }
}

/* The tag l (tl bytes) kept in t (cap bytes) if it fits; whether it did
 * (if not, t is emptied). */
static bool keep_tag(char *t, size_t cap, const char *l, size_t tl)
{
    bool fits = tl < cap;
    memcpy(t, l, fits ? tl : 0);
    t[fits ? tl : 0] = '\0';
    return fits;
}

static void imap_client(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed && pos < s->cin.len) {
        if (s->c_literal) {
            size_t k = s->cin.len - pos < s->c_literal ? s->cin.len - pos : s->c_literal;
            mail_out(s, &s->to_server, s->cin.p + pos, k);
            pos += k;
            s->c_literal -= k;
            continue;
        }
        if (!(n = mail_line_at(&s->cin, pos))) {
            if (s->cin.len - pos > MAIL_MAX_LINE) { /* a long command: passes, unread */
                mail_out(s, &s->to_server, s->cin.p + pos, s->cin.len - pos);
                pos = s->cin.len;
                s->c_skip = true;
                s->n_memo = 0; /* it may change the mailbox */
            }
            break;
        }
        const char *l = s->cin.p + pos;
        pos += n;
        const char *sp = memchr(l, ' ', n);
        const char *verb = sp ? sp + 1 : l + n;
        size_t vn = n - (size_t)(verb - l);
        if (sp && !s->c_skip && mail_verb_is(verb, vn, "COMPRESS")) {
            /* DEFLATE would hide the mail from the proxy: refused here. */
            mail_out(s, &s->to_client, l, (size_t)(sp - l));
            mail_say(s, &s->to_client, " NO COMPRESS not supported through Ward's proxy\r\n");
            continue;
        }
        if (s->c_skip || !sp || !add_message(s, l, n, (size_t)(sp - l)))
            mail_out(s, &s->to_server, l, n);
        size_t brace;
        long lit = literal_of(l, n, &brace);
        if (lit > 0)
            s->c_literal = (size_t)lit;
        /* A line not read may change the mailbox (IDLE's DONE does not). */
        if (s->c_skip || (!sp && !mail_verb_is(l, n, "DONE"))) {
            s->c_skip = false;
            s->n_memo = 0;
            continue;
        }
        /* A synchronizing literal the server may refuse: the client then
         * does not send it, and the proxy would read commands as its bytes. */
        size_t tl = (size_t)(sp - l);
        keep_tag(s->last_tag, sizeof(s->last_tag), l, tl);
        if (lit > 0 && tl && ((const char *)memchr(l + brace, '}', n - brace))[-1] != '+') {
            if (!keep_tag(s->lit_tag, sizeof(s->lit_tag), l, tl))
                s->n_memo = 0;
        }
        if ((mail_verb_is(verb, vn, "SELECT") || mail_verb_is(verb, vn, "EXAMINE") ||
             mail_verb_is(verb, vn, "UNSELECT") || mail_verb_is(verb, vn, "CLOSE"))) {
            /* A tag too long to keep keeps the memo unused for good. */
            size_t k = tl < sizeof(s->sel_tag) ? tl : 0;
            memcpy(s->sel_tag, k ? l : "\x01", k ? k : 1);
            s->sel_tag[k ? k : 1] = '\0';
        }
        if (mail_verb_is(verb, vn, "STARTTLS"))
            keep_tag(s->tls_tag, sizeof(s->tls_tag), l, tl);
    }
    mail_buf_take(&s->cin, pos);
}

/* A whole response is in held: pass it, hold its message, or answer NO. */
static void imap_response(struct mail_session *s)
{
    const char *r = s->held.p;
    size_t len = s->held.len;
    s->s_resp = false; /* the next line starts another */
    if (s->lit_msg || s->lit_part) {
        bool whole = s->lit_msg, part = s->lit_part, large = s->too_large;
        s->lit_msg = s->lit_part = s->too_large = false;
        if (!large && !whole && memo_has(s, response_uid(r, len))) {
            mail_out(s, &s->to_client, r, len); /* a part of a message delivered */
            s->held.len = 0;
            return;
        }
        if (large || !whole) {
            snprintf(s->reject, sizeof(s->reject), "%s",
                     large ? "message too large for Ward's mail proxy"
                           : "message part fetched without its message: not inspected by Ward");
            s->held.len = 0;
            return;
        }
        /* The message came for the BODY.PEEK[] the proxy added: its item
         * and the space that parts it from the next one are cut. */
        s->cut = part && s->n_added;
        s->parts = part;
        s->cut_end = s->lit_at + s->lit_len;
        if (s->cut_at && s->held.p[s->cut_at - 1] == ' ')
            s->cut_at--;
        else if (s->cut_end < s->held.len && s->held.p[s->cut_end] == ' ')
            s->cut_end++;
        s->pending = true;
        s->messages++;
        return;
    }
    const char *sp = memchr(r, ' ', len);
    size_t tl = sp ? (size_t)(sp - r) : 0;
    if (tl && !s->s_untagged && r[0] != '+') {
        bool ok = len > tl + 3 && !strncasecmp(sp + 1, "OK", 2);
        added_done(s, r, tl);
        if (strlen(s->lit_tag) == tl && !memcmp(r, s->lit_tag, tl)) {
            s->lit_tag[0] = '\0';
            if (!ok) { /* its literal refused: not sent, the proxy may have lost its place */
                s->c_literal = 0;
                s->n_memo = 0;
            }
        }
        if (strlen(s->sel_tag) == tl && !memcmp(r, s->sel_tag, tl)) {
            s->sel_tag[0] = '\0'; /* another mailbox, or none */
            s->n_memo = 0;
        }
        if (s->reject[0] && ok) {
            mail_out(s, &s->to_client, r, tl);
            mail_say(s, &s->to_client, " NO [ALERT] ");
            mail_say(s, &s->to_client, s->reject);
            mail_say(s, &s->to_client, "\r\n");
            s->reject[0] = '\0';
            s->held.len = 0;
            return;
        }
        s->reject[0] = '\0'; /* the command with the refused message has its answer */
        bool tls = s->tls_tag[0] && strlen(s->tls_tag) == tl && !memcmp(r, s->tls_tag, tl);
        mail_out(s, &s->to_client, r, len);
        s->held.len = 0;
        if (tls) {
            s->tls_tag[0] = '\0';
            if (ok)
                s->opaque = true; /* process() passes the rest */
        }
        return;
    }
    mail_out(s, &s->to_client, r, len);
    s->held.len = 0;
}

/* held past this is refused: a response's literals that are not the
 * message are held with it, and must not grow without end. */
#define MAX_HELD (MAIL_MAX_MESSAGE + (64u << 10))

/* n bytes more of the response held; past MAX_HELD the response is refused
 * as a message too large (dropped, its tagged OK a NO), held no further. */
static void hold(struct mail_session *s, const char *p, size_t n)
{
    if (s->held.len + n > MAX_HELD) {
        s->lit_part = s->too_large = true;
        return;
    }
    if (!s->too_large)
        mail_out(s, &s->held, p, n);
}

/* Whether the quote at p[i] follows a content item (or, if unseen, an item
 * that reaches back to p's start: not seen whole). A string's end is no
 * item. */
static bool content_before(const char *p, size_t i, bool unseen)
{
    size_t at;
    enum item_kind k = item_before(p, i, &at);
    return !memchr(p + at, '"', i - at) && (k != ITEM_OTHER || (unseen && !at));
}

/* Whether p (n bytes), a piece of an untagged response's line that passes
 * unread, may give a message or a piece of it as a quoted string: a
 * content item before a quote, whatever the quoting around it (the line
 * is not read from its start). An item that reaches back past p's start
 * is looked for with the last bytes that passed before (s_tail, unless p
 * starts the line); one not seen whole is taken for content. */
static bool passes_quoted(const struct mail_session *s, const char *p, size_t n, bool first)
{
    for (size_t i = 1; i < n; i++)
        if (p[i] == '"' && p[i - 1] == ' ' && content_before(p, i, i >= 64))
            return true;
    char w[sizeof(s->s_tail) + 64];
    size_t k = first ? 0 : s->s_tail_len, m = n < 64 ? n : 64;
    memcpy(w, s->s_tail, k);
    memcpy(w + k, p, m);
    for (size_t i = 1; i < k + m; i++)
        if (w[i] == '"' && w[i - 1] == ' ' && content_before(w, i, true))
            return true;
    return false;
}

/* A line longer than MAIL_MAX_LINE passed unread ends with l: if it
 * announces a literal of a message or of its content (its item may
 * straddle what passed, whose last bytes are in s_tail; an item not seen
 * whole is taken for one), it cannot be held: the proxy closes rather than
 * pass it unscanned. */
static void passed_line_end(struct mail_session *s, const char *l, size_t n)
{
    char w[sizeof(s->s_tail) + 64];
    size_t k = 0, brace;
    if (n < 64) {
        memcpy(w, s->s_tail, s->s_tail_len);
        k = s->s_tail_len;
    }
    size_t m = n < 64 ? n : 64;
    memcpy(w + k, l + n - m, m);
    k += m;
    size_t at;
    if (literal_of(w, k, &brace) >= 0 && (item_before(w, brace, &at) != ITEM_OTHER || !at))
        s->failed = true;
    if (s->s_untagged && passes_quoted(s, l, n, false))
        s->failed = true;
}

/* Line l comes: if it is the first of a response, whether the response is
 * untagged is kept (held may no longer begin with it: a line or literal
 * that passed unread empties it). */
static void response_starts(struct mail_session *s, const char *l)
{
    if (!s->s_resp)
        s->s_untagged = l[0] == '*';
    s->s_resp = true;
}

static void imap_server(struct mail_session *s)
{
    size_t pos = 0, n;
    while (!s->pending && !s->opaque && !s->failed && pos < s->sin.len) {
        if (s->literal) {
            size_t k = s->sin.len - pos < s->literal ? s->sin.len - pos : s->literal;
            if (s->lit_pass)
                mail_out(s, &s->to_client, s->sin.p + pos, k);
            else
                hold(s, s->sin.p + pos, k);
            pos += k;
            s->literal -= k;
            continue;
        }
        if (!(n = mail_line_at(&s->sin, pos))) {
            if (s->sin.len - pos > MAIL_MAX_LINE && (s->lit_msg || s->lit_part)) {
                /* A message's response that is no IMAP: refused, skipped to its end. */
                s->too_large = s->s_skip = true;
                pos = s->sin.len;
            } else if (s->sin.len - pos > MAIL_MAX_LINE) { /* passes, unread */
                size_t rest = s->sin.len - pos;
                bool first = !s->s_passed;
                response_starts(s, s->sin.p + pos);
                if (s->s_untagged && passes_quoted(s, s->sin.p + pos, rest, first)) {
                    s->failed = true; /* content in a string not read whole: closed */
                    break;
                }
                mail_out(s, &s->to_client, s->held.p, s->held.len);
                mail_out(s, &s->to_client, s->sin.p + pos, rest);
                s->s_tail_len = rest < sizeof(s->s_tail) ? rest : sizeof(s->s_tail);
                memcpy(s->s_tail, s->sin.p + s->sin.len - s->s_tail_len, s->s_tail_len);
                s->s_passed = true;
                s->held.len = 0;
                pos = s->sin.len;
            }
            break;
        }
        const char *l = s->sin.p + pos;
        pos += n;
        if (s->s_skip) {
            s->s_skip = false;
            imap_response(s); /* refused: too_large */
            continue;
        }
        if (s->s_passed) {
            s->s_passed = false;
            passed_line_end(s, l, n);
            if (s->failed)
                break;
        }
        size_t at = s->held.len, brace;
        response_starts(s, l);
        hold(s, l, n);
        s->lit_pass = false;
        if (s->s_untagged && quoted_content(l, n))
            s->lit_part = true;
        long lit = literal_of(l, n, &brace);
        if (lit < 0) {
            imap_response(s);
            continue;
        }
        s->literal = (size_t)lit;
        size_t item;
        enum item_kind kind = ITEM_OTHER;
        if (s->s_untagged)
            kind = item_before(l, brace, &item);
        if (kind == ITEM_MESSAGE && !s->lit_msg) {
            s->lit_msg = true;
            s->too_large |= s->literal > MAIL_MAX_MESSAGE;
            s->lit_brace = at + brace;
            s->cut_at = at + item;
            s->lit_at = s->held.len;
            s->lit_len = s->literal;
        } else if (kind == ITEM_PART) {
            s->lit_part = true; /* held with its message, or refused */
            s->too_large |= s->literal > MAIL_MAX_MESSAGE;
        } else if (s->literal > MAIL_MAX_MESSAGE && (s->lit_msg || s->lit_part)) {
            s->too_large = true; /* the message's response cannot be held: refused */
        } else if (s->literal > MAIL_MAX_MESSAGE) { /* not a message: passes, unread */
            s->lit_pass = true;
            mail_out(s, &s->to_client, s->held.p, s->held.len);
            s->held.len = 0;
        }
    }
    mail_buf_take(&s->sin, pos);
    if (s->pending) { /* the message: the literal's bytes in held */
        s->msg.len = 0;
        mail_out(s, &s->msg, s->held.p + s->lit_at, s->lit_len);
    }
}

static void imap_decide(struct mail_session *s, bool deliver, bool replaced, const char *body,
                        size_t len, const char *reason)
{
    if (s->parts && deliver && replaced) { /* the part may be what was replaced */
        deliver = false;
        reason = "message part withheld by Ward: its message had an attachment quarantined";
    }
    if (deliver && !replaced)
        memo_add(s, response_uid(s->held.p, s->held.len));
    if (s->cut && deliver) {
        mail_out(s, &s->to_client, s->held.p, s->cut_at);
        mail_out(s, &s->to_client, s->held.p + s->cut_end, s->held.len - s->cut_end);
    } else if (deliver && !replaced) {
        mail_out(s, &s->to_client, s->held.p, s->held.len);
    } else if (deliver) {
        char line[32];
        size_t end = s->lit_at + s->lit_len;
        mail_out(s, &s->to_client, s->held.p, s->lit_brace);
        snprintf(line, sizeof(line), "{%zu}\r\n", len);
        mail_say(s, &s->to_client, line);
        mail_out(s, &s->to_client, body, len);
        mail_out(s, &s->to_client, s->held.p + end, s->held.len - end);
    } else {
        snprintf(s->reject, sizeof(s->reject), "%s", reason);
    }
    s->cut = s->parts = false;
    s->held.len = 0;
}

const struct mail_proto_ops mail_imap = {
    .greeting = false,
    .server = imap_server,
    .client = imap_client,
    .decide = imap_decide,
};
