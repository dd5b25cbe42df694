/*
 * ui/gtk/view_activity.c — per-program activity: every program seen, its
 * decisions and blocks, its traffic, a plot of the last five minutes
 * (connections per 5 s from the event ring and the log; bytes from wardd's
 * traffic accounting, "—" where wardd has none), and for the program
 * selected its open connections, its rules and its log.
 */
#define _GNU_SOURCE
#include <math.h>
#include <string.h>
#include <time.h>

#include "ui/gtk/views.h"

#define HIST      60 /* buckets of the plot */
#define BUCKET_S  5
#define SEED_ROWS 2000

struct prog {
    char *exe;
    char *chain; /* its newest decision's process and parents */
    int64_t chain_ns;
    uint64_t decisions, blocks, bytes_in, bytes_out;
    double conns[HIST], bytes[HIST]; /* [0] is the bucket being filled */
};

struct activity {
    GHashTable *progs; /* exe -> struct prog */
    GtkWidget *list, *plot, *title, *chain, *conns, *rules, *log;
    char *selected;
    bool traffic_known;
    guint tick;
    bool rebuilding;
};

static void prog_free(gpointer p)
{
    struct prog *g = p;
    g_free(g->exe);
    g_free(g->chain);
    g_free(g);
}

static struct prog *prog_get(struct activity *a, const char *exe)
{
    struct prog *g = g_hash_table_lookup(a->progs, exe);
    if (!g) {
        g = g_new0(struct prog, 1);
        g->exe = g_strdup(exe);
        g_hash_table_insert(a->progs, g->exe, g);
    }
    return g;
}

static void count(struct activity *a, const ward_event *ev, int64_t now_ns)
{
    if (ev->kind != WARD_EVENT_DECISION || !ev->exe[0])
        return;
    struct prog *g = prog_get(a, ev->exe);
    uint32_t n = ev->count ? ev->count : 1;
    g->decisions += n;
    if (ev->verdict == WARD_V_BLOCK || ev->verdict == WARD_V_DROP_CONNECTION)
        g->blocks += n;
    if (ev->parents[0] && ev->time_ns >= g->chain_ns) {
        g_free(g->chain);
        g->chain = wg_event_chain(ev);
        g->chain_ns = ev->time_ns;
    }
    int64_t age = (now_ns - ev->time_ns) / ((int64_t)BUCKET_S * 1000000000);
    if (age >= 0 && age < HIST)
        g->conns[age] += n;
}

static gint by_activity(gconstpointer x, gconstpointer y)
{
    const struct prog *a = *(struct prog *const *)x, *b = *(struct prog *const *)y;
    return a->decisions == b->decisions ? strcmp(a->exe, b->exe)
                                        : (a->decisions < b->decisions ? 1 : -1);
}

static void rebuild_list(struct activity *a)
{
    a->rebuilding = true;
    wg_list_clear(GTK_LIST_BOX(a->list));
    GPtrArray *all = wg_hash_values(a->progs);
    g_ptr_array_sort(all, by_activity);
    for (guint i = 0; i < all->len; i++) {
        struct prog *g = g_ptr_array_index(all, i);
        char *in = wg_bytes_text(g->bytes_in, a->traffic_known);
        char *out = wg_bytes_text(g->bytes_out, a->traffic_known);
        const char *base = strrchr(g->exe, '/') ? strrchr(g->exe, '/') + 1 : g->exe;
        char *s =
            g_strdup_printf("%s\n%s\n%llu decisions, %llu blocked · in %s, out %s%s%s", base,
                            g->exe, (unsigned long long)g->decisions, (unsigned long long)g->blocks,
                            in, out, g->chain ? "\nchain: " : "", g->chain ? g->chain : "");
        GtkWidget *l = wg_label(s, NULL);
        gtk_widget_set_margin_start(l, 6);
        gtk_widget_set_margin_top(l, 4);
        gtk_widget_set_margin_bottom(l, 4);
        gtk_list_box_append(GTK_LIST_BOX(a->list), l);
        GtkListBoxRow *row = GTK_LIST_BOX_ROW(gtk_widget_get_parent(l));
        g_object_set_data_full(G_OBJECT(row), "exe", g_strdup(g->exe), g_free);
        if (a->selected && strcmp(a->selected, g->exe) == 0)
            gtk_list_box_select_row(GTK_LIST_BOX(a->list), row);
        g_free(s);
        g_free(in);
        g_free(out);
    }
    g_ptr_array_unref(all);
    a->rebuilding = false;
}

static void draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
    wg_view *v = data;
    struct activity *a = v->priv;
    double conns[HIST] = {0}, bytes[HIST] = {0};
    GHashTableIter it;
    gpointer val;
    g_hash_table_iter_init(&it, a->progs);
    while (g_hash_table_iter_next(&it, NULL, &val)) {
        struct prog *g = val;
        if (a->selected && strcmp(a->selected, g->exe) != 0)
            continue;
        for (int i = 0; i < HIST; i++) {
            conns[i] += g->conns[i];
            bytes[i] += g->bytes[i];
        }
    }
    double maxc = 1, maxb = 1;
    for (int i = 0; i < HIST; i++) {
        maxc = fmax(maxc, conns[i]);
        maxb = fmax(maxb, bytes[i]);
    }
    const double left = 8, top = 22, pw = w - 16, ph = h - 44;
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.98);
    cairo_rectangle(cr, left, top, pw, ph);
    cairo_fill(cr);
    double bw = pw / HIST;
    cairo_set_source_rgb(cr, 0.21, 0.52, 0.89);
    for (int i = 0; i < HIST; i++) { /* oldest on the left */
        double bh = ph * conns[i] / maxc;
        cairo_rectangle(cr, left + (HIST - 1 - i) * bw + 1, top + ph - bh, bw - 2, bh);
    }
    cairo_fill(cr);
    if (a->traffic_known) {
        cairo_set_source_rgb(cr, 0.90, 0.38, 0.0);
        cairo_set_line_width(cr, 2);
        for (int i = HIST - 1; i >= 0; i--) {
            double x = left + (HIST - 1 - i) * bw + bw / 2, y = top + ph - ph * bytes[i] / maxb;
            if (i == HIST - 1)
                cairo_move_to(cr, x, y);
            else
                cairo_line_to(cr, x, y);
        }
        cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    char *traffic = a->traffic_known ? g_format_size((guint64)maxb) : g_strdup("—");
    char *s = g_strdup_printf("%s — last 5 minutes: connections per 5 s (blue, max %.0f); "
                              "traffic (orange, max %s per 5 s)",
                              a->selected ? a->selected : "all programs", maxc, traffic);
    cairo_move_to(cr, left, 15);
    cairo_show_text(cr, s);
    if (!a->traffic_known) {
        cairo_move_to(cr, left, h - 8);
        cairo_show_text(cr, "traffic: — (this wardd does not count bytes)");
    }
    g_free(s);
    g_free(traffic);
}

/* ---- the selected program's connections, rules and log ---- */

static void on_conns(bool known, GPtrArray *rows, void *ud)
{
    wg_view *v = ud;
    struct activity *a = v->priv;
    wg_list_clear(GTK_LIST_BOX(a->conns));
    if (!known) {
        wg_list_add_text(GTK_LIST_BOX(a->conns), "— (this wardd does not list connections)");
        return;
    }
    for (guint i = 0; i < rows->len; i++) {
        wg_conn_row *r = g_ptr_array_index(rows, i);
        if (a->selected && g_strcmp0(r->program, a->selected) != 0)
            continue;
        char *in = g_format_size(r->bytes_in), *out = g_format_size(r->bytes_out);
        char *s = g_strdup_printf("%s %s:%u → %s:%u %s  pid %u  %s  in %s out %s",
                                  r->dir ? r->dir : "", r->laddr ? r->laddr : "", r->lport,
                                  r->domain && *r->domain ? r->domain : (r->raddr ? r->raddr : ""),
                                  r->rport, r->proto == 17 ? "udp" : "tcp", r->pid,
                                  r->verdict ? r->verdict : "", in, out);
        wg_list_add_text(GTK_LIST_BOX(a->conns), s);
        g_free(s);
        g_free(in);
        g_free(out);
    }
}

static bool on_rules(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct activity *a = v->priv;
    if (!m || m->type != WARD_MSG_RULES_REPLY)
        return false;
    for (size_t i = 0; i < m->u.rules_reply.n; i++) {
        const ward_proto_rule *r = &m->u.rules_reply.rules[i];
        char *t = wg_rule_text(r);
        char *s = g_strdup_printf("#%llu  %s  [%s]", (unsigned long long)r->id, t,
                                  r->provider ? r->provider : "admin");
        wg_list_add_text(GTK_LIST_BOX(a->rules), s);
        g_free(s);
        g_free(t);
    }
    return m->u.rules_reply.more;
}

static bool on_log(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct activity *a = v->priv;
    if (!m || m->type != WARD_MSG_LOG_REPLY)
        return false;
    for (size_t i = 0; i < m->u.log_reply.n; i++) {
        char *s = wg_event_line(&m->u.log_reply.rows[i]);
        wg_list_add_text(GTK_LIST_BOX(a->log), s);
        g_free(s);
    }
    return m->u.log_reply.more;
}

/* The selected program's newest parent chain, under its name. */
static void show_chain(struct activity *a)
{
    struct prog *g = a->selected ? g_hash_table_lookup(a->progs, a->selected) : NULL;
    char *s = g && g->chain ? g_strdup_printf("Parent chain: %s", g->chain) : NULL;
    gtk_label_set_text(GTK_LABEL(a->chain), s ? s : "");
    gtk_widget_set_visible(a->chain, s != NULL);
    g_free(s);
}

static void load_detail(wg_view *v)
{
    struct activity *a = v->priv;
    gtk_label_set_text(GTK_LABEL(a->title), a->selected ? a->selected : "All programs");
    show_chain(a);
    wg_list_clear(GTK_LIST_BOX(a->rules));
    wg_list_clear(GTK_LIST_BOX(a->log));
    wg_traffic_conns(v->app->conn, on_conns, v);
    ward_msg m = {.type = WARD_MSG_RULES_LIST};
    m.u.rules_list.program = a->selected;
    wg_conn_request(v->app->conn, &m, on_rules, v);
    ward_log_filter f = {.program = a->selected, .verdict = -1, .limit = 200};
    f.since_ns = ((int64_t)time(NULL) - 3600) * 1000000000;
    wg_log_query(v->app, &f, on_log, v);
}

static void on_selected(GtkListBox *box, GtkListBoxRow *row, gpointer data)
{
    wg_view *v = data;
    struct activity *a = v->priv;
    if (a->rebuilding)
        return;
    g_free(a->selected);
    a->selected = row ? g_strdup(g_object_get_data(G_OBJECT(row), "exe")) : NULL;
    gtk_widget_queue_draw(a->plot);
    load_detail(v);
}

/* ---- feeding ---- */

static void on_totals(bool known, GPtrArray *rows, void *ud)
{
    wg_view *v = ud;
    struct activity *a = v->priv;
    a->traffic_known = known;
    for (guint i = 0; known && i < rows->len; i++) {
        wg_stat_row *r = g_ptr_array_index(rows, i);
        if (!r->program)
            continue;
        struct prog *g = prog_get(a, r->program);
        g->bytes_in = r->bytes_in;
        g->bytes_out = r->bytes_out;
    }
    rebuild_list(a);
}

static void on_recent(bool known, GPtrArray *rows, void *ud)
{
    wg_view *v = ud;
    struct activity *a = v->priv;
    for (guint i = 0; known && i < rows->len; i++) {
        wg_stat_row *r = g_ptr_array_index(rows, i);
        if (r->program)
            prog_get(a, r->program)->bytes[0] = (double)(r->bytes_in + r->bytes_out);
    }
    gtk_widget_queue_draw(a->plot);
}

static bool on_seed(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct activity *a = v->priv;
    if (!m || m->type != WARD_MSG_LOG_REPLY)
        return false;
    int64_t now = g_get_real_time() * 1000;
    for (size_t i = 0; i < m->u.log_reply.n; i++)
        count(a, &m->u.log_reply.rows[i], now);
    if (!m->u.log_reply.more) {
        rebuild_list(a);
        gtk_widget_queue_draw(a->plot);
    }
    return m->u.log_reply.more;
}

static void ask_traffic(wg_view *v)
{
    int64_t now = time(NULL);
    wg_traffic_stats(v->app->conn, "program", now - 86400, now + 1, NULL, on_totals, v);
    wg_traffic_stats(v->app->conn, "program", now - BUCKET_S, now + 1, NULL, on_recent, v);
}

static void refresh(wg_view *v)
{
    struct activity *a = v->priv;
    g_hash_table_remove_all(a->progs);
    ward_log_filter f = {.verdict = -1, .limit = SEED_ROWS};
    f.since_ns = ((int64_t)time(NULL) - HIST * BUCKET_S) * 1000000000;
    wg_log_query(v->app, &f, on_seed, v);
    ask_traffic(v);
    load_detail(v);
}

static gboolean on_tick(gpointer data)
{
    wg_view *v = data;
    struct activity *a = v->priv;
    GHashTableIter it;
    gpointer val;
    g_hash_table_iter_init(&it, a->progs);
    while (g_hash_table_iter_next(&it, NULL, &val)) {
        struct prog *g = val;
        memmove(g->conns + 1, g->conns, sizeof(double) * (HIST - 1));
        memmove(g->bytes + 1, g->bytes, sizeof(double) * (HIST - 1));
        g->conns[0] = g->bytes[0] = 0;
    }
    if (wg_conn_connected(v->app->conn)) {
        ask_traffic(v);
        wg_traffic_conns(v->app->conn, on_conns, v);
    }
    gtk_widget_queue_draw(a->plot);
    return G_SOURCE_CONTINUE;
}

static void event(wg_view *v, const ward_event *ev)
{
    struct activity *a = v->priv;
    bool is_new = ev->exe[0] && !g_hash_table_contains(a->progs, ev->exe);
    count(a, ev, ev->time_ns);
    if (is_new)
        rebuild_list(a);
    if (a->selected && !strcmp(a->selected, ev->exe))
        show_chain(a);
    gtk_widget_queue_draw(a->plot);
}

static void view_free(wg_view *v)
{
    struct activity *a = v->priv;
    g_source_remove(a->tick);
    g_hash_table_destroy(a->progs);
    g_free(a->selected);
}

static GtkWidget *page(GtkNotebook *nb, const char *title, GtkWidget **list)
{
    *list = wg_list_new(title);
    gtk_notebook_append_page(nb, wg_scrolled(*list), gtk_label_new(title));
    return *list;
}

wg_view *wg_view_activity(wg_app *app)
{
    wg_view *v = wg_view_alloc(app, "activity", "Activity", sizeof(struct activity));
    struct activity *a = v->priv;
    v->refresh = refresh;
    v->event = event;
    v->free = view_free;
    a->progs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, prog_free);
    GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
    a->list = gtk_list_box_new();
    gtk_accessible_update_property(GTK_ACCESSIBLE(a->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Programs", -1);
    g_signal_connect(a->list, "row-selected", G_CALLBACK(on_selected), v);
    GtkWidget *ls = wg_scrolled(a->list);
    gtk_widget_set_size_request(ls, 320, -1);
    gtk_paned_set_start_child(GTK_PANED(paned), ls);
    GtkWidget *right = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    a->title = wg_label("All programs", "title-3");
    gtk_widget_set_margin_start(a->title, 8);
    gtk_box_append(GTK_BOX(right), a->title);
    a->chain = wg_label("", NULL);
    gtk_widget_set_margin_start(a->chain, 8);
    gtk_widget_set_visible(a->chain, FALSE);
    gtk_box_append(GTK_BOX(right), a->chain);
    a->plot = gtk_drawing_area_new();
    gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(a->plot), 220);
    gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(a->plot), draw, v, NULL);
    gtk_accessible_update_property(GTK_ACCESSIBLE(a->plot), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Traffic plot", -1);
    gtk_box_append(GTK_BOX(right), a->plot);
    GtkWidget *nb = gtk_notebook_new();
    page(GTK_NOTEBOOK(nb), "Connections", &a->conns);
    page(GTK_NOTEBOOK(nb), "Rules", &a->rules);
    page(GTK_NOTEBOOK(nb), "Log", &a->log);
    gtk_widget_set_vexpand(nb, TRUE);
    gtk_box_append(GTK_BOX(right), nb);
    gtk_paned_set_end_child(GTK_PANED(paned), right);
    gtk_paned_set_position(GTK_PANED(paned), 340);
    v->widget = paned;
    a->tick = g_timeout_add_seconds(BUCKET_S, on_tick, v);
    return v;
}
