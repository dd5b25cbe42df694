/*
 * mime/mime.h — what the rules know of a message, read with GMime
 * (docs/MAIL.md): sender, recipients, subject and each attachment's name,
 * type and size; and the message rewritten with a notice in place of the
 * attachments quarantined.
 */
#ifndef WARD_MIME_H
#define WARD_MIME_H

#include <stddef.h>
#include <stdint.h>

#define MAIL_MAX_ATTACHMENTS 16 /* read and scanned; more are counted, not read */

enum mail_av { MAIL_AV_NONE, MAIL_AV_CLEAN, MAIL_AV_INFECTED, MAIL_AV_ERROR };

struct mail_attachment {
    char name[128]; /* "" when it has none */
    char type[96];  /* e.g. application/x-msdownload */
    uint64_t size;  /* decoded */
    int32_t av;     /* enum mail_av: the scanner's verdict */
    char av_name[96];
};

struct mail_facts {
    char from[256];
    char to[1024]; /* To, Cc and Bcc, ", "-separated */
    char subject[256];
    char message_id[128];
    uint64_t size; /* the whole message */
    uint32_t n_att, n_att_all;
    struct mail_attachment att[MAIL_MAX_ATTACHMENTS];
};

/* Each attachment's decoded content, in order (index 0..n_att-1). */
typedef void (*mail_content_fn)(void *ctx, uint32_t index, const void *data, size_t len);

/* Reads msg into f (fields it lacks stay ""); fn, when not NULL, gets each
 * attachment's content. 0, or -1 when GMime finds no message at all (f has
 * the size, nothing else). */
int mail_mime_read(const char *msg, size_t len, struct mail_facts *f, mail_content_fn fn,
                   void *ctx);

/* msg with the attachments whose bit is set in which replaced by a text
 * part saying notice; *out (malloc'ed) and *out_len. 0 or -1. */
int mail_mime_replace(const char *msg, size_t len, uint32_t which, const char *notice, char **out,
                      size_t *out_len);

#endif
