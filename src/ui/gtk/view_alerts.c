/*
 * ui/gtk/view_alerts.c — alerts: port scans, floods and tampering with
 * Ward's kernel objects, from the log (the last day) and then live from the
 * event ring. Each also becomes a desktop notification (notify.c).
 */
#define _GNU_SOURCE
#include <time.h>

#include "ui/gtk/views.h"

struct alerts {
    GtkWidget *list, *empty;
    unsigned n;
};

static void add(wg_view *v, const ward_event *ev)
{
    struct alerts *a = v->priv;
    GDateTime *t = g_date_time_new_from_unix_local(ev->time_ns / 1000000000);
    char *when = g_date_time_format(t, "%Y-%m-%d %H:%M:%S");
    g_date_time_unref(t);
    char ip[WARD_IP_STRLEN];
    char *s = g_strdup_printf("%s  %s  from %s  count %u  %s%s", when, ev->filter,
                              ward_ip_format(&ev->remote, ip, sizeof(ip)), ev->count,
                              ev->exe[0] ? ev->exe : "", ev->cmdline[0] ? ev->cmdline : "");
    wg_list_add_text(GTK_LIST_BOX(a->list), s);
    g_free(s);
    g_free(when);
    a->n++;
    gtk_widget_set_visible(a->empty, a->n == 0);
}

static bool on_rows(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    if (!m || m->type != WARD_MSG_LOG_REPLY)
        return false;
    for (size_t i = 0; i < m->u.log_reply.n; i++)
        if (m->u.log_reply.rows[i].kind == WARD_EVENT_ALERT)
            add(ud, &m->u.log_reply.rows[i]);
    return m->u.log_reply.more;
}

static void refresh(wg_view *v)
{
    struct alerts *a = v->priv;
    wg_list_clear(GTK_LIST_BOX(a->list));
    a->n = 0;
    gtk_widget_set_visible(a->empty, TRUE);
    /* The log has no kind filter: alerts are few among the last day's rows. */
    ward_log_filter f = {.verdict = -1, .limit = 5000};
    f.since_ns = ((int64_t)time(NULL) - 86400) * 1000000000;
    wg_log_query(v->app, &f, on_rows, v);
}

static void event(wg_view *v, const ward_event *ev)
{
    if (ev->kind == WARD_EVENT_ALERT)
        add(v, ev);
}

wg_view *wg_view_alerts(wg_app *app)
{
    wg_view *v = wg_view_alloc(app, "alerts", "Alerts", sizeof(struct alerts));
    struct alerts *a = v->priv;
    v->refresh = refresh;
    v->event = event;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    a->empty = wg_label("No alerts in the last day.", "dim-label");
    gtk_widget_set_margin_start(a->empty, 8);
    gtk_widget_set_margin_top(a->empty, 8);
    gtk_box_append(GTK_BOX(box), a->empty);
    a->list = wg_list_new("Alerts");
    gtk_box_append(GTK_BOX(box), wg_scrolled(a->list));
    v->widget = box;
    return v;
}
