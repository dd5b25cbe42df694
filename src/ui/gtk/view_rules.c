/*
 * ui/gtk/view_rules.c — the rules in force and an editor for new ones.
 *
 * The editor has one field per part of a rule in the policy language
 * (docs/POLICY.md): action, direction, protocol, ports, where to, domains,
 * time windows and lifetime. It shows the rule's text as it is typed and
 * sends that text with rules.add: wardd parses it with the policy's own
 * parser, and its error (rule:1:COL, as `ward check` reports a file's) is
 * shown under the form with a caret under the column.
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

#include "ui/gtk/views.h"

static const char *const actions[] = {"allow", "deny", NULL};
static const char *const dirs[] = {"out", "in", "any", NULL};
static const char *const protos[] = {"any", "tcp", "udp", "icmp", "icmpv6", NULL};
static const char *const lifetimes[] = {"forever",        "until wardd restarts", "for 5 minutes",
                                        "for 15 minutes", "for 60 minutes",       NULL};

struct rules {
    GtkWidget *list, *program, *action, *dir, *proto, *ports, *to, *domains, *when, *life;
    GtkWidget *preview, *error, *add;
};

/* "a, b" -> "{ a, b }" (quoted when asked); one item stays as it is. */
static void put_list(GString *s, const char *word, const char *text, bool quote)
{
    char **items = g_strsplit_set(text, ", ", -1);
    GPtrArray *kept = g_ptr_array_new();
    for (char **i = items; *i; i++)
        if (**i)
            g_ptr_array_add(kept, *i);
    if (kept->len) {
        g_string_append_printf(s, " %s %s", word, kept->len > 1 ? "{ " : "");
        for (guint i = 0; i < kept->len; i++)
            g_string_append_printf(s, quote ? "%s\"%s\"" : "%s%s", i ? ", " : "",
                                   (char *)g_ptr_array_index(kept, i));
        g_string_append(s, kept->len > 1 ? " }" : "");
    }
    g_ptr_array_unref(kept);
    g_strfreev(items);
}

static const char *entry_text(GtkWidget *e)
{
    return gtk_editable_get_text(GTK_EDITABLE(e));
}

static guint chosen(GtkWidget *dd)
{
    return gtk_drop_down_get_selected(GTK_DROP_DOWN(dd));
}

static char *rule_text(struct rules *r)
{
    GString *s = g_string_new(actions[chosen(r->action)]);
    guint d = chosen(r->dir);
    if (d < 2)
        g_string_append_printf(s, " %s", dirs[d]);
    guint p = chosen(r->proto);
    if (p)
        g_string_append_printf(s, " %s", protos[p]);
    put_list(s, "port", entry_text(r->ports), false);
    put_list(s, d == 1 ? "from" : "to", entry_text(r->to), false);
    put_list(s, "domain", entry_text(r->domains), true);
    const char *when = entry_text(r->when);
    if (*when)
        g_string_append_printf(s, " %s", when);
    guint l = chosen(r->life);
    if (l == 1)
        g_string_append(s, " until-restart");
    if (l >= 2) {
        int min = l == 2 ? 5 : l == 3 ? 15 : 60;
        GDateTime *t = g_date_time_new_from_unix_utc((gint64)time(NULL) + min * 60);
        char *u = g_date_time_format(t, " until %Y-%m-%dT%H:%M:%SZ");
        g_string_append(s, u);
        g_free(u);
        g_date_time_unref(t);
    }
    return g_string_free(s, FALSE);
}

static void update_preview(struct rules *r)
{
    char *t = rule_text(r);
    char *s = g_strdup_printf("app \"%s\" { %s }", entry_text(r->program), t);
    gtk_label_set_text(GTK_LABEL(r->preview), s);
    g_free(s);
    g_free(t);
}

static void on_changed(GObject *o, GParamSpec *ps, gpointer data)
{
    update_preview(data);
}

static void on_entry_changed(GtkEditable *e, gpointer data)
{
    update_preview(data);
}

/* wardd's "rule:1:COL: error: ..." with the rule and a caret under COL. */
static void show_error(struct rules *r, const char *text, const char *msg)
{
    int col = 0;
    const char *p = g_str_has_prefix(msg, "rule:1:") ? msg + 7 : NULL;
    if (p)
        col = atoi(p);
    GString *s = g_string_new(msg);
    if (col > 0 && !strchr(msg, '\n')) { /* wardd may show the caret itself */
        g_string_append_printf(s, "\n    %s\n    %*s^", text, col - 1, "");
    }
    gtk_label_set_text(GTK_LABEL(r->error), s->str);
    g_string_free(s, TRUE);
}

static bool on_list(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud);

static void reload(wg_view *v)
{
    struct rules *r = v->priv;
    wg_list_clear(GTK_LIST_BOX(r->list));
    ward_msg m = {.type = WARD_MSG_RULES_LIST};
    wg_conn_request(v->app->conn, &m, on_list, v);
}

struct adding {
    wg_view *v;
    char *text;
};

static bool on_added(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    struct adding *ad = ud;
    struct rules *r = ad->v->priv;
    if (!m)
        gtk_label_set_text(GTK_LABEL(r->error), "wardd went away before answering");
    else if (m->type == WARD_MSG_ERROR)
        show_error(r, ad->text, m->u.error.message ? m->u.error.message : "refused");
    else {
        char *s = g_strdup_printf("added as rule %llu", (unsigned long long)m->u.rule_id.id);
        gtk_label_set_text(GTK_LABEL(r->error), s);
        g_free(s);
        reload(ad->v);
    }
    g_free(ad->text);
    g_free(ad);
    return false;
}

static void on_add(GtkButton *b, gpointer data)
{
    wg_view *v = data;
    struct rules *r = v->priv;
    const char *program = entry_text(r->program);
    if (!*program) {
        gtk_label_set_text(GTK_LABEL(r->error), "The program's path is missing.");
        return;
    }
    struct adding *ad = g_new0(struct adding, 1);
    ad->v = v;
    ad->text = rule_text(r);
    ward_msg m = {.type = WARD_MSG_RULES_ADD};
    m.u.rule.program = (char *)program;
    m.u.rule.text = ad->text;
    m.u.rule.origin = (char *)"ward-gtk";
    gtk_label_set_text(GTK_LABEL(r->error), "");
    if (wg_conn_request(v->app->conn, &m, on_added, ad) < 0) {
        gtk_label_set_text(GTK_LABEL(r->error), "not connected to wardd");
        g_free(ad->text);
        g_free(ad);
    }
}

static bool on_deleted(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct rules *r = v->priv;
    if (m && m->type == WARD_MSG_ERROR)
        gtk_label_set_text(GTK_LABEL(r->error), m->u.error.message ? m->u.error.message : "");
    reload(v);
    return false;
}

static void on_delete(GtkButton *b, gpointer data)
{
    wg_view *v = data;
    ward_msg m = {.type = WARD_MSG_RULES_DELETE};
    m.u.rule_id.id = (uint64_t)(uintptr_t)g_object_get_data(G_OBJECT(b), "rule");
    wg_conn_request(v->app->conn, &m, on_deleted, v);
}

static bool on_list(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct rules *r = v->priv;
    if (!m || m->type != WARD_MSG_RULES_REPLY)
        return false;
    for (size_t i = 0; i < m->u.rules_reply.n; i++) {
        const ward_proto_rule *rule = &m->u.rules_reply.rules[i];
        char *t = wg_rule_text(rule);
        char *s = g_strdup_printf("#%llu  %s\n      %s   [%s%s%s]", (unsigned long long)rule->id,
                                  rule->program, t, rule->provider ? rule->provider : "admin",
                                  rule->origin ? ", " : "", rule->origin ? rule->origin : "");
        GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
        GtkWidget *l = wg_label(s, "monospace");
        gtk_widget_set_hexpand(l, TRUE);
        gtk_box_append(GTK_BOX(row), l);
        GtkWidget *del = gtk_button_new_with_label("Delete");
        char *name = g_strdup_printf("Delete rule %llu", (unsigned long long)rule->id);
        gtk_accessible_update_property(GTK_ACCESSIBLE(del), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                       -1);
        g_free(name);
        g_object_set_data(G_OBJECT(del), "rule", (gpointer)(uintptr_t)rule->id);
        gtk_widget_set_sensitive(del, v->app->admin);
        g_signal_connect(del, "clicked", G_CALLBACK(on_delete), v);
        gtk_box_append(GTK_BOX(row), del);
        gtk_widget_set_margin_start(row, 6);
        gtk_widget_set_margin_end(row, 6);
        gtk_list_box_append(GTK_LIST_BOX(r->list), row);
        g_free(s);
        g_free(t);
    }
    return m->u.rules_reply.more;
}

static GtkWidget *form_entry(GtkGrid *g, int row, const char *name, const char *hint,
                             struct rules *r)
{
    GtkWidget *k = wg_label(name, NULL);
    GtkWidget *e = gtk_entry_new();
    gtk_entry_set_placeholder_text(GTK_ENTRY(e), hint);
    gtk_accessible_update_property(GTK_ACCESSIBLE(e), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    gtk_widget_set_hexpand(e, TRUE);
    g_signal_connect(e, "changed", G_CALLBACK(on_entry_changed), r);
    gtk_grid_attach(g, k, 0, row, 1, 1);
    gtk_grid_attach(g, e, 1, row, 1, 1);
    return e;
}

static GtkWidget *form_choice(GtkGrid *g, int row, const char *name, const char *const *items,
                              struct rules *r)
{
    GtkWidget *k = wg_label(name, NULL);
    GtkWidget *d = gtk_drop_down_new_from_strings(items);
    gtk_accessible_update_property(GTK_ACCESSIBLE(d), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    g_signal_connect(d, "notify::selected", G_CALLBACK(on_changed), r);
    gtk_grid_attach(g, k, 0, row, 1, 1);
    gtk_grid_attach(g, d, 1, row, 1, 1);
    return d;
}

wg_view *wg_view_rules(wg_app *app)
{
    wg_view *v = wg_view_alloc(app, "rules", "Rules", sizeof(struct rules));
    struct rules *r = v->priv;
    v->refresh = reload;
    GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
    r->list = wg_list_new("Rules");
    gtk_paned_set_start_child(GTK_PANED(paned), wg_scrolled(r->list));
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
    gtk_widget_set_margin_start(box, 12);
    gtk_widget_set_margin_end(box, 12);
    gtk_widget_set_margin_top(box, 8);
    gtk_box_append(GTK_BOX(box), wg_label("New rule", "title-4"));
    GtkWidget *grid = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
    gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
    GtkGrid *g = GTK_GRID(grid);
    r->program = form_entry(g, 0, "Program", "/usr/bin/curl", r);
    r->action = form_choice(g, 1, "Action", actions, r);
    r->dir = form_choice(g, 2, "Direction", dirs, r);
    r->proto = form_choice(g, 3, "Protocol", protos, r);
    r->ports = form_entry(g, 4, "Ports", "443, 8000-8080", r);
    r->to = form_entry(g, 5, "To / from", "internet, lan, 10.0.0.0/8", r);
    r->domains = form_entry(g, 6, "Domains", "example.com, *.example.org", r);
    r->when = form_entry(g, 7, "When", "weekdays 08:00-19:00", r);
    r->life = form_choice(g, 8, "Lifetime", lifetimes, r);
    gtk_box_append(GTK_BOX(box), grid);
    r->preview = wg_label("", "monospace");
    gtk_box_append(GTK_BOX(box), r->preview);
    r->add = gtk_button_new_with_mnemonic("_Add rule");
    gtk_widget_set_halign(r->add, GTK_ALIGN_START);
    g_signal_connect(r->add, "clicked", G_CALLBACK(on_add), v);
    gtk_box_append(GTK_BOX(box), r->add);
    r->error = wg_label("", "monospace");
    gtk_widget_add_css_class(r->error, "error");
    gtk_box_append(GTK_BOX(box), r->error);
    gtk_paned_set_end_child(GTK_PANED(paned), box);
    gtk_paned_set_position(GTK_PANED(paned), 560);
    v->widget = paned;
    update_preview(r);
    return v;
}
