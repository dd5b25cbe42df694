/*
 * wire.c — ward-maild <-> wardd messages (wire.h).
 */
#include "mail/wire.h"

#include <errno.h>
#include <unistd.h>

#include "util/fdpass.h"

int maild_send(int sock, const struct maild_msg *m, int fd)
{
    return ward_fdpass_send(sock, m, sizeof(*m), fd);
}

int maild_recv(int sock, struct maild_msg *m, int *fd)
{
    int rc = ward_fdpass_recv(sock, m, sizeof(*m), fd);
    if (rc == 1 && m->magic != MAILD_MAGIC) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -EPROTO;
    }
    if (rc == 1) {
        /* Strings from the other side end inside their fields. */
        m->program[sizeof(m->program) - 1] = m->text[sizeof(m->text) - 1] = '\0';
        struct mail_facts *f = &m->facts;
        f->from[sizeof(f->from) - 1] = f->to[sizeof(f->to) - 1] = '\0';
        f->subject[sizeof(f->subject) - 1] = f->message_id[sizeof(f->message_id) - 1] = '\0';
        if (f->n_att > MAIL_MAX_ATTACHMENTS)
            f->n_att = MAIL_MAX_ATTACHMENTS;
        for (uint32_t i = 0; i < MAIL_MAX_ATTACHMENTS; i++) {
            struct mail_attachment *a = &f->att[i];
            a->name[sizeof(a->name) - 1] = a->type[sizeof(a->type) - 1] = '\0';
            a->av_name[sizeof(a->av_name) - 1] = '\0';
        }
    }
    return rc;
}

bool mail_port_proto(uint16_t port, enum mail_proto *proto)
{
    switch (port) {
    case 25:
    case 587:
        *proto = MAIL_SMTP;
        return true;
    case 110:
        *proto = MAIL_POP3;
        return true;
    case 143:
        *proto = MAIL_IMAP;
        return true;
    }
    return false;
}

const char *mail_outcome_name(enum mail_outcome o)
{
    static const char *const names[] = {"allow", "reject", "quarantine", "alert"};
    return (unsigned)o < sizeof(names) / sizeof(*names) ? names[o] : "?";
}

const char *mail_proto_name(enum mail_proto p)
{
    static const char *const names[] = {"smtp", "pop3", "imap"};
    return (unsigned)p < sizeof(names) / sizeof(*names) ? names[p] : "?";
}
