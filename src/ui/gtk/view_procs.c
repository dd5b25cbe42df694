/*
 * ui/gtk/view_procs.c — processes with network activity: every process the
 * log (last hour) or the event ring names, with its program, user, command
 * line, decisions and blocks, the last time it was seen, and whether it
 * still runs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ui/gtk/views.h"

struct proc {
    uint32_t pid, uid;
    char exe[WARD_EVENT_EXE_MAX], cmdline[WARD_EVENT_CMDLINE_MAX];
    uint64_t decisions, blocks;
    int64_t last_ns;
};

struct procs {
    GHashTable *by_pid; /* pid -> struct proc */
    GtkWidget *list;
    guint redraw;
};

static void note(struct procs *p, const ward_event *ev)
{
    if (ev->kind != WARD_EVENT_DECISION || !ev->pid)
        return;
    struct proc *r = g_hash_table_lookup(p->by_pid, GUINT_TO_POINTER(ev->pid));
    if (!r) {
        r = g_new0(struct proc, 1);
        r->pid = ev->pid;
        g_hash_table_insert(p->by_pid, GUINT_TO_POINTER(ev->pid), r);
    }
    r->uid = ev->uid;
    memcpy(r->exe, ev->exe, sizeof(r->exe));
    memcpy(r->cmdline, ev->cmdline, sizeof(r->cmdline));
    uint32_t n = ev->count ? ev->count : 1;
    r->decisions += n;
    if (ev->verdict == WARD_V_BLOCK)
        r->blocks += n;
    r->last_ns = MAX(r->last_ns, ev->time_ns);
}

static gint by_last(gconstpointer x, gconstpointer y)
{
    const struct proc *a = *(struct proc *const *)x, *b = *(struct proc *const *)y;
    return a->last_ns == b->last_ns ? 0 : (a->last_ns < b->last_ns ? 1 : -1);
}

static void show(struct procs *p)
{
    wg_list_clear(GTK_LIST_BOX(p->list));
    GPtrArray *all = wg_hash_values(p->by_pid);
    g_ptr_array_sort(all, by_last);
    for (guint i = 0; i < all->len; i++) {
        struct proc *r = g_ptr_array_index(all, i);
        char path[32];
        snprintf(path, sizeof(path), "/proc/%u", r->pid);
        GDateTime *t = g_date_time_new_from_unix_local(r->last_ns / 1000000000);
        char *when = g_date_time_format(t, "%H:%M:%S");
        g_date_time_unref(t);
        char *user = wg_user_name(r->uid);
        char *s = g_strdup_printf("%-7u %-8s %s  user %s\n        %s\n        %llu decisions, "
                                  "%llu blocked, last %s",
                                  r->pid, access(path, F_OK) == 0 ? "running" : "exited", r->exe,
                                  user, r->cmdline, (unsigned long long)r->decisions,
                                  (unsigned long long)r->blocks, when);
        wg_list_add_text(GTK_LIST_BOX(p->list), s);
        g_free(s);
        g_free(user);
        g_free(when);
    }
    g_ptr_array_unref(all);
}

static bool on_rows(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_view *v = ud;
    struct procs *p = v->priv;
    if (!m || m->type != WARD_MSG_LOG_REPLY)
        return false;
    for (size_t i = 0; i < m->u.log_reply.n; i++)
        note(p, &m->u.log_reply.rows[i]);
    if (!m->u.log_reply.more)
        show(p);
    return m->u.log_reply.more;
}

static void refresh(wg_view *v)
{
    struct procs *p = v->priv;
    g_hash_table_remove_all(p->by_pid);
    ward_log_filter f = {.verdict = -1, .limit = 5000};
    f.since_ns = ((int64_t)time(NULL) - 3600) * 1000000000;
    wg_log_query(v->app, &f, on_rows, v);
}

static gboolean on_redraw(gpointer data)
{
    wg_view *v = data;
    struct procs *p = v->priv;
    p->redraw = 0;
    show(p);
    return G_SOURCE_REMOVE;
}

static void event(wg_view *v, const ward_event *ev)
{
    struct procs *p = v->priv;
    note(p, ev);
    if (!p->redraw) /* a burst of events redraws once */
        p->redraw = g_timeout_add(500, on_redraw, v);
}

static void view_free(wg_view *v)
{
    struct procs *p = v->priv;
    if (p->redraw)
        g_source_remove(p->redraw);
    g_hash_table_destroy(p->by_pid);
}

wg_view *wg_view_procs(wg_app *app)
{
    wg_view *v = wg_view_alloc(app, "processes", "Processes", sizeof(struct procs));
    struct procs *p = v->priv;
    v->refresh = refresh;
    v->event = event;
    v->free = view_free;
    p->by_pid = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    p->list = wg_list_new("Processes");
    v->widget = wg_scrolled(p->list);
    return v;
}
