/*
 * mail.c — the words of mail rules (docs/MAIL.md), one table each, read by
 * the parser and written by the printer.
 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>

const char *const mail_what_words[] = {"from", "to",    "subject", "attachment",
                                       "type", "virus", "size",    NULL};
const char *const mail_outcome_words[] = {"allow", "reject", "quarantine", "alert", NULL};

const char *ward_mail_what_name(enum ward_mail_what w)
{
    return (unsigned)w <= WARD_MAIL_SIZE ? mail_what_words[w] : "?";
}

const char *ward_mail_outcome_name(enum ward_mail_outcome o)
{
    return (unsigned)o <= WARD_MAIL_ALERT ? mail_outcome_words[o] : "?";
}

const char *const mail_tls_proto_words[] = {"smtps", "pop3s", "imaps", NULL};

const char *ward_mail_tls_proto_name(enum ward_mail_tls_proto p)
{
    return (unsigned)p <= WARD_MAIL_TLS_IMAPS ? mail_tls_proto_words[p] : "?";
}

void ward_mail_tls_endpoints(const struct ward_mail_tls *l, char *listen, size_t llen, char *up,
                             size_t ulen)
{
    snprintf(listen, llen, "%u.%u.%u.%u:%u", l->addr[0], l->addr[1], l->addr[2], l->addr[3],
             (unsigned)l->port);
    bool v6 = strchr(l->upstream, ':') != NULL;
    snprintf(up, ulen, "%s%s%s:%u", v6 ? "[" : "", l->upstream, v6 ? "]" : "",
             (unsigned)l->upstream_port);
}
