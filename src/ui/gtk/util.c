/*
 * ui/gtk/util.c — small helpers shared by the windows: names of users,
 * processes and destinations, and list boxes of plain text rows.
 */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "ui/gtk/wardgtk.h"

char *wg_user_name(uint32_t uid)
{
    if (uid == WARD_UID_UNKNOWN)
        return g_strdup("unknown");
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
        return g_strdup_printf("%s (%u)", pw.pw_name, uid);
    return g_strdup_printf("%u", uid);
}

char *wg_proc_parent(uint32_t pid)
{
    char path[64], *stat = NULL, *comm = NULL;
    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    if (!pid || !g_file_get_contents(path, &stat, NULL, NULL))
        return NULL;
    const char *p = strrchr(stat, ')');
    unsigned ppid = 0;
    if (p)
        sscanf(p + 1, " %*c %u", &ppid);
    g_free(stat);
    if (!ppid)
        return NULL;
    snprintf(path, sizeof(path), "/proc/%u/comm", ppid);
    if (!g_file_get_contents(path, &comm, NULL, NULL))
        return g_strdup_printf("pid %u", ppid);
    g_strstrip(comm);
    char *s = g_strdup_printf("%s (%u)", comm, ppid);
    g_free(comm);
    return s;
}

char *wg_event_chain(const ward_event *ev)
{
    if (!ev->parents[0]) {
        char *parent = wg_proc_parent(ev->pid);
        char *s = parent ? g_strdup_printf("%s ← %s", ev->exe[0] ? ev->exe : "?", parent) : NULL;
        g_free(parent);
        return s;
    }
    char buf[WARD_EVENT_EXE_MAX + WARD_EVENT_PARENTS_MAX + 128];
    ward_event_chain(ev, " ← ", buf, sizeof(buf));
    return g_strdup(buf);
}

char *wg_proto_name(uint8_t proto)
{
    char p[32];
    ward_policy_fmt_proto(proto, p, sizeof(p));
    return g_strdup(p);
}

char *wg_event_dest(const ward_event *ev)
{
    char ip[WARD_IP_STRLEN];
    ward_ip_format(&ev->remote, ip, sizeof(ip));
    char *proto = wg_proto_name(ev->proto);
    uint16_t port = ev->direction == WARD_DIR_IN ? ev->lport : ev->rport;
    char *s = ev->domain[0] ? g_strdup_printf("%s (%s) port %u %s", ev->domain, ip, port, proto)
                            : g_strdup_printf("%s port %u %s", ip, port, proto);
    g_free(proto);
    return s;
}

GtkWidget *wg_label(const char *text, const char *css_class)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_selectable(GTK_LABEL(l), FALSE);
    if (css_class)
        gtk_widget_add_css_class(l, css_class);
    return l;
}

void wg_list_clear(GtkListBox *box)
{
    GtkWidget *w;
    while ((w = gtk_widget_get_first_child(GTK_WIDGET(box))))
        gtk_list_box_remove(box, w);
}

void wg_list_add_text(GtkListBox *box, const char *text)
{
    GtkWidget *l = wg_label(text, "monospace");
    gtk_widget_set_margin_start(l, 6);
    gtk_widget_set_margin_end(l, 6);
    gtk_list_box_append(box, l);
}

char *wg_rule_text(const ward_proto_rule *r)
{
    char buf[256];
    GString *s = g_string_new(r->action == WARD_ACT_PERMIT ? "allow" : "deny");
    g_string_append(s, r->dir == WARD_DIR_IN ? " in" : r->dir == WARD_DIR_OUT ? " out" : "");
    if (r->proto) {
        ward_policy_fmt_proto(r->proto, buf, sizeof(buf));
        g_string_append_printf(s, " %s", buf);
    }
    for (size_t i = 0; i < r->n_ports; i++) {
        g_string_append(s, i ? "," : " port ");
        if (r->ports[i].lo == r->ports[i].hi)
            g_string_append_printf(s, "%u", r->ports[i].lo);
        else
            g_string_append_printf(s, "%u-%u", r->ports[i].lo, r->ports[i].hi);
    }
    const char *sep = r->dir == WARD_DIR_IN ? " from " : " to ";
    for (size_t i = 0; i < r->n_zones; i++, sep = ",")
        g_string_append_printf(s, "%s%s", sep, r->zones[i]);
    for (size_t i = 0; i < r->n_remotes; i++, sep = ",")
        g_string_append_printf(s, "%s%s", sep, ward_cidr_format(&r->remotes[i], buf, sizeof(buf)));
    for (size_t i = 0; i < r->n_domains; i++)
        g_string_append_printf(s, "%s\"%s\"", i ? "," : " domain ", r->domains[i]);
    for (size_t i = 0; i < r->n_times; i++) {
        ward_policy_fmt_time(&r->times[i], buf, sizeof(buf));
        g_string_append_printf(s, " %s", buf);
    }
    ward_policy_fmt_lifetime(&r->lifetime, buf, sizeof(buf));
    if (*buf)
        g_string_append_printf(s, " %s", buf);
    return g_string_free(s, FALSE);
}

GPtrArray *wg_hash_values(GHashTable *h)
{
    GPtrArray *a = g_ptr_array_sized_new(g_hash_table_size(h));
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, h);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(a, v);
    return a;
}

void wg_a11y_name(GtkWidget *w, const char *mnemonic)
{
    GString *s = g_string_new(NULL);
    for (const char *p = mnemonic; *p; p++)
        if (*p != '_')
            g_string_append_c(s, *p);
    gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, s->str, -1);
    g_string_free(s, TRUE);
}
