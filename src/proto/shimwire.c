/*
 * shimwire.c — the shim's question, checked as wardd receives it. Any
 * program may ask (shim.sock is open to all), so every field is checked
 * and a question that is not exactly right is refused whole.
 */
#include "ward/shim.h"

#include <stdbool.h>
#include <string.h>

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

static const char *check(const struct ward_shim_question *q)
{
    if (q->magic != WARD_SHIM_MAGIC)
        return "bad magic";
    if (q->version != WARD_SHIM_VERSION)
        return "unknown version";
    if (q->op < WARD_SHIM_CONNECT || q->op > WARD_SHIM_ACCEPT)
        return "unknown operation";
    if (q->proto != 6 && q->proto != 17)
        return "not tcp or udp";
    if (q->op == WARD_SHIM_SEND && q->proto != 17)
        return "a datagram that is not udp";
    if (q->port == 0)
        return "port 0";
    if (q->_pad)
        return "padding not zero";
    if (q->name_len > WARD_SHIM_NAME_MAX)
        return "name too long";
    for (size_t i = 0; i < q->name_len; i++)
        if (!name_char(q->name[i]))
            return "a name with a character no host name has";
    for (size_t i = q->name_len; i < sizeof(q->name); i++)
        if (q->name[i])
            return "bytes after the name";
    if (q->name_len && (q->name[0] == '.' || q->name[0] == '-'))
        return "a name starting with a dot or dash";
    return NULL;
}

int ward_shim_question_check(const void *buf, size_t len, struct ward_shim_question *out,
                             const char **why)
{
    const char *reason = "wrong size";
    if (len == sizeof(*out)) {
        memcpy(out, buf, sizeof(*out));
        reason = check(out);
    }
    if (why)
        *why = reason;
    return reason ? -1 : 0;
}
