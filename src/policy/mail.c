/*
 * mail.c — the words of mail rules (docs/MAIL.md), one table each, read by
 * the parser and written by the printer.
 */
#include "policy/internal.h"

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
