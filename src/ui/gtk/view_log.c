/*
 * ui/gtk/view_log.c — the log browser: wardd's connection log, searched by
 * program and domain (globs: `*` and `?`; a plain word matches anywhere)
 * and by verdict, newest rows last. Other users than root and group `ward`
 * see their own rows only (wardd narrows the query).
 */
#define _GNU_SOURCE
#include <string.h>

#include "ui/gtk/views.h"

#define LOG_ROWS 500

static const char *const verdicts[] = {"any verdict", "permit", "block", NULL};

struct logview {
    GtkWidget *program, *domain, *verdict, *list, *count;
    unsigned shown;
};

/* A plain word matches anywhere: "curl" -> "*curl*". */
static char *as_glob(const char *s)
{
    if (!*s)
        return NULL;
    if (strpbrk(s, "*?["))
        return g_strdup(s);
    return g_strdup_printf("*%s*", s);
}

static bool on_rows(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct logview *l = v->priv;
    if (!m || m->type != WARD_MSG_LOG_REPLY) {
        gtk_label_set_text(GTK_LABEL(l->count), m && m->type == WARD_MSG_ERROR && m->u.error.message
                                                    ? m->u.error.message
                                                    : "no answer from wardd");
        return false;
    }
    for (size_t i = 0; i < m->u.log_reply.n; i++) {
        char *s = wg_event_line(&m->u.log_reply.rows[i]);
        wg_list_add_text(GTK_LIST_BOX(l->list), s);
        g_free(s);
        l->shown++;
    }
    char *s = g_strdup_printf("%u rows", l->shown);
    gtk_label_set_text(GTK_LABEL(l->count), s);
    g_free(s);
    return m->u.log_reply.more;
}

static void search(wg_view *v)
{
    struct logview *l = v->priv;
    wg_list_clear(GTK_LIST_BOX(l->list));
    l->shown = 0;
    ward_log_filter f = {.verdict = -1, .limit = LOG_ROWS};
    f.program = as_glob(gtk_editable_get_text(GTK_EDITABLE(l->program)));
    f.domain = as_glob(gtk_editable_get_text(GTK_EDITABLE(l->domain)));
    guint vd = gtk_drop_down_get_selected(GTK_DROP_DOWN(l->verdict));
    if (vd)
        f.verdict = ward_proto_verdict_parse(verdicts[vd]);
    if (wg_log_query(v->app, &f, on_rows, v) < 0)
        gtk_label_set_text(GTK_LABEL(l->count), "not connected to wardd");
    g_free(f.program);
    g_free(f.domain);
}

static void on_search(GtkWidget *w, gpointer data)
{
    search(data);
}

static GtkWidget *entry(GtkWidget *bar, const char *name, const char *hint, wg_view *v)
{
    GtkWidget *e = gtk_search_entry_new();
    g_object_set(e, "placeholder-text", hint, NULL);
    gtk_accessible_update_property(GTK_ACCESSIBLE(e), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    g_signal_connect(e, "activate", G_CALLBACK(on_search), v);
    gtk_box_append(GTK_BOX(bar), e);
    return e;
}

wg_view *wg_view_log(wg_app *app)
{
    wg_view *v = wg_view_alloc(app, "log", "Log", sizeof(struct logview));
    struct logview *l = v->priv;
    v->refresh = search;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_set_margin_start(bar, 8);
    gtk_widget_set_margin_top(bar, 8);
    l->program = entry(bar, "Search program", "program (glob or word)", v);
    l->domain = entry(bar, "Search domain", "domain (glob or word)", v);
    l->verdict = gtk_drop_down_new_from_strings(verdicts);
    gtk_accessible_update_property(GTK_ACCESSIBLE(l->verdict), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Verdict", -1);
    gtk_box_append(GTK_BOX(bar), l->verdict);
    GtkWidget *go = gtk_button_new_with_mnemonic("_Search");
    g_signal_connect(go, "clicked", G_CALLBACK(on_search), v);
    gtk_box_append(GTK_BOX(bar), go);
    l->count = wg_label("", "dim-label");
    gtk_box_append(GTK_BOX(bar), l->count);
    gtk_box_append(GTK_BOX(box), bar);
    l->list = wg_list_new("Log rows");
    gtk_box_append(GTK_BOX(box), wg_scrolled(l->list));
    v->widget = box;
    return v;
}
