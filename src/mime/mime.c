/*
 * mime.c — a message's facts and its quarantine rewrite, with GMime
 * (mime.h). The parts are walked in one order (GMimePartIter) by both, so
 * attachment i is the same part in each.
 */
#include "mime/mime.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    g_mime_init();
}

static GMimeMessage *parse(const char *msg, size_t len)
{
    pthread_once(&once, init);
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(msg, len);
    GMimeParser *p = g_mime_parser_new_with_stream(st);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    g_object_unref(p);
    g_object_unref(st);
    return m;
}

/* A leaf part that is an attachment: named, marked as one, or not text
 * (a nameless binary part is content all the same: it is scanned). */
static GMimePart *attachment(GMimeObject *o)
{
    if (!GMIME_IS_PART(o))
        return NULL;
    GMimePart *p = GMIME_PART(o);
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    bool text = ct && g_mime_content_type_is_type(ct, "text", "*");
    return g_mime_part_is_attachment(p) || g_mime_part_get_filename(p) || !text ? p : NULL;
}

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
    for (char *c = dst; *c; c++)
        if (*c == '\r' || *c == '\n' || *c == '\t')
            *c = ' '; /* one line each, for the log */
}

static void addresses(char *dst, size_t len, InternetAddressList *l)
{
    char *s = l ? internet_address_list_to_string(l, NULL, FALSE) : NULL;
    copy(dst, len, s);
    g_free(s);
}

static GByteArray *content(GMimePart *p, GMimeStream **keep)
{
    GMimeDataWrapper *w = g_mime_part_get_content(p);
    *keep = g_mime_stream_mem_new();
    if (w)
        g_mime_data_wrapper_write_to_stream(w, *keep);
    return g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(*keep));
}

int mail_mime_read(const char *msg, size_t len, struct mail_facts *f, mail_content_fn fn, void *ctx)
{
    memset(f, 0, sizeof(*f));
    f->size = len;
    GMimeMessage *m = parse(msg, len);
    if (!m)
        return -1;
    addresses(f->from, sizeof(f->from), g_mime_message_get_from(m));
    InternetAddressList *all = g_mime_message_get_all_recipients(m);
    addresses(f->to, sizeof(f->to), all);
    if (all)
        g_object_unref(all);
    copy(f->subject, sizeof(f->subject), g_mime_message_get_subject(m));
    copy(f->message_id, sizeof(f->message_id), g_mime_message_get_message_id(m));
    GMimePartIter *it = g_mime_part_iter_new((GMimeObject *)m);
    do {
        GMimePart *p = attachment(g_mime_part_iter_get_current(it));
        if (!p)
            continue;
        if (f->n_att_all++ >= MAIL_MAX_ATTACHMENTS)
            continue;
        struct mail_attachment *a = &f->att[f->n_att++];
        copy(a->name, sizeof(a->name), g_mime_part_get_filename(p));
        char *type =
            g_mime_content_type_get_mime_type(g_mime_object_get_content_type(GMIME_OBJECT(p)));
        copy(a->type, sizeof(a->type), type);
        g_free(type);
        GMimeStream *keep;
        GByteArray *b = content(p, &keep);
        a->size = b->len;
        if (fn)
            fn(ctx, f->n_att - 1, b->data, b->len);
        g_object_unref(keep);
    } while (g_mime_part_iter_next(it));
    g_mime_part_iter_free(it);
    g_object_unref(m);
    return 0;
}

int mail_mime_replace(const char *msg, size_t len, uint32_t which, const char *notice, char **out,
                      size_t *out_len)
{
    GMimeMessage *m = parse(msg, len);
    if (!m)
        return -1;
    GMimePartIter *it = g_mime_part_iter_new((GMimeObject *)m);
    uint32_t i = 0;
    bool again = g_mime_part_iter_is_valid(it);
    while (again) {
        GMimePart *p = attachment(g_mime_part_iter_get_current(it));
        if (p && i < 32 && (which & (1u << i))) {
            GMimeTextPart *t = g_mime_text_part_new_with_subtype("plain");
            g_mime_text_part_set_text(t, notice);
            g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(t), "filename",
                                                            "ward-quarantine.txt");
            g_mime_part_iter_replace(it, GMIME_OBJECT(t));
            g_object_unref(t);
        }
        if (p)
            i++;
        again = g_mime_part_iter_next(it);
    }
    g_mime_part_iter_free(it);
    GMimeStream *st = g_mime_stream_mem_new();
    g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, st);
    GByteArray *b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
    int rc = -1;
    if ((*out = malloc(b->len ? b->len : 1))) {
        memcpy(*out, b->data, b->len);
        *out_len = b->len;
        rc = 0;
    }
    g_object_unref(st);
    g_object_unref(m);
    return rc;
}
