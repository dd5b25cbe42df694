/*
 * ui/gtk/views.c — what the main window's views share: their allocation,
 * a scrolled list, an event as one line of text, and log.query.
 */
#define _GNU_SOURCE
#include "ui/gtk/views.h"

wg_view *wg_view_alloc(wg_app *app, const char *name, const char *title, size_t priv_size)
{
    wg_view *v = g_new0(wg_view, 1);
    v->app = app;
    v->name = name;
    v->title = title;
    v->priv = priv_size ? g_malloc0(priv_size) : NULL;
    return v;
}

GtkWidget *wg_scrolled(GtkWidget *child)
{
    GtkWidget *s = gtk_scrolled_window_new();
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(s), child);
    gtk_widget_set_vexpand(s, TRUE);
    gtk_widget_set_hexpand(s, TRUE);
    return s;
}

GtkWidget *wg_list_new(const char *accessible_name)
{
    GtkWidget *l = gtk_list_box_new();
    gtk_list_box_set_selection_mode(GTK_LIST_BOX(l), GTK_SELECTION_NONE);
    gtk_accessible_update_property(GTK_ACCESSIBLE(l), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   accessible_name, -1);
    return l;
}

char *wg_event_line(const ward_event *ev)
{
    GDateTime *t = g_date_time_new_from_unix_local(ev->time_ns / 1000000000);
    char *when = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
    if (t)
        g_date_time_unref(t);
    char *dest = wg_event_dest(ev);
    const char *what = ev->kind == WARD_EVENT_ALERT ? "ALERT" : ward_verdict_name(ev->verdict);
    char *s = g_strdup_printf(
        "%s  %-7s %s  %s %s  pid %u  %s%s%s", when, what, ev->exe[0] ? ev->exe : "(unattributed)",
        ev->direction == WARD_DIR_IN ? "from" : "to", dest, ev->pid,
        ward_proto_reason_name(ev->reason) ? ward_proto_reason_name(ev->reason) : "",
        ev->filter[0] ? "  " : "", ev->filter);
    g_free(dest);
    g_free(when);
    return s;
}

int wg_log_query(wg_app *app, const ward_log_filter *f, wg_reply_fn fn, void *ud)
{
    ward_msg m = {.type = WARD_MSG_LOG_QUERY};
    m.u.log_query = *f;
    return wg_conn_request(app->conn, &m, fn, ud);
}
