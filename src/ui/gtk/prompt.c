/*
 * ui/gtk/prompt.c — the prompt window: wardd's open questions, one window.
 *
 * Every prompt wardd pushes joins a queue shown in one ordinary window
 * (never modal: the rest of the desktop stays usable): the program (icon,
 * name, path), pid, user, command line and parent, the destination (name
 * from DNS, address, port, protocol) and a countdown to the policy's
 * timeout default. Prev/next walk the queue; answering one leaves the others
 * open. The choices: allow or deny; this port, this host, this domain,
 * `*.parent`, or any destination; once, 5/15/60 minutes, until the program
 * exits, until wardd restarts, or forever; and, with an allow that lasts,
 * pinning the program to its binary's digest (answer.c turns them into
 * requests). The focus and the Enter key start on Deny with "once": a
 * stray key never lets a program out for good.
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

#include "ui/gtk/wardgtk.h"

struct item {
    uint64_t id;
    ward_event ev;
    gint64 deadline_us; /* monotonic: when the timeout default applies */
};

static const char *const scope_labels[] = {"This _port", "This _host", "This do_main", "*.domain",
                                           "An_y destination"};
static const char *const dur_labels[] = {"_Once",
                                         "_5 minutes",
                                         "15 m_inutes",
                                         "60 minu_tes",
                                         "Until the program e_xits",
                                         "Until wardd _restarts",
                                         "_Forever"};

struct wg_prompts {
    wg_app *app;
    GtkWidget *win;
    GPtrArray *queue; /* struct item */
    guint cur;
    guint tick;
    GtkWidget *position, *prev, *next;
    GtkWidget *icon, *name, *path, *pid, *user, *cmdline, *parent, *dest, *why, *countdown;
    GtkWidget *scope[5], *dur[7];
    GtkWidget *pin, *allow, *deny, *status;
};

struct answering {
    wg_prompts *p;
    uint64_t id;
    wg_answer a;
};

static struct item *current(wg_prompts *p)
{
    return p->cur < p->queue->len ? g_ptr_array_index(p->queue, p->cur) : NULL;
}

static int find(wg_prompts *p, uint64_t id)
{
    for (guint i = 0; i < p->queue->len; i++)
        if (((struct item *)g_ptr_array_index(p->queue, i))->id == id)
            return (int)i;
    return -1;
}

/* The program's icon and name from its desktop entry, if it has one. */
static void program_look(const char *exe, GtkImage *icon, GtkLabel *name)
{
    const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
    GIcon *gi = NULL;
    char *shown = g_strdup(*base ? base : "(unknown program)");
    GList *all = g_app_info_get_all();
    for (GList *l = all; l; l = l->next) {
        const char *x = g_app_info_get_executable(l->data);
        if (x && (strcmp(x, exe) == 0 || strcmp(x, base) == 0)) {
            if (g_app_info_get_icon(l->data))
                gi = g_object_ref(g_app_info_get_icon(l->data));
            g_free(shown);
            shown = g_strdup(g_app_info_get_display_name(l->data));
            break;
        }
    }
    g_list_free_full(all, g_object_unref);
    if (gi) {
        gtk_image_set_from_gicon(icon, gi);
        g_object_unref(gi);
    } else {
        gtk_image_set_from_icon_name(icon, "application-x-executable");
    }
    gtk_label_set_text(name, shown);
    g_free(shown);
}

static void update_countdown(wg_prompts *p)
{
    struct item *it = current(p);
    if (!it || !p->win)
        return;
    gint64 left = (it->deadline_us - g_get_monotonic_time()) / G_USEC_PER_SEC;
    char *s = left > 0 ? g_strdup_printf("Answer within %lld s: then the policy's timeout "
                                         "default applies.",
                                         (long long)left)
                       : g_strdup("Time is up: the policy's timeout default applies.");
    gtk_label_set_text(GTK_LABEL(p->countdown), s);
    g_free(s);
}

static void set_defaults(wg_prompts *p, const ward_event *ev)
{
    for (int i = 0; i < 5; i++)
        gtk_widget_set_sensitive(p->scope[i], wg_scope_possible((enum wg_scope)i, ev));
    char *wild = wg_parent_wildcard(ev->domain);
    char *lbl = g_strdup_printf("%s", wild ? wild : "*.domain");
    gtk_check_button_set_label(GTK_CHECK_BUTTON(p->scope[WG_SCOPE_SUBDOMAINS]), lbl);
    wg_a11y_name(p->scope[WG_SCOPE_SUBDOMAINS], lbl);
    g_free(lbl);
    g_free(wild);
    gtk_check_button_set_active(GTK_CHECK_BUTTON(p->scope[WG_SCOPE_HOST]), TRUE);
    gtk_check_button_set_active(GTK_CHECK_BUTTON(p->dur[WG_DUR_ONCE]), TRUE);
    gtk_check_button_set_active(GTK_CHECK_BUTTON(p->pin), FALSE);
}

static void build(wg_prompts *p);

/* The window exists only while there is something to ask: no hidden
 * toplevel sits in the accessibility tree between prompts. */
static void drop_window(wg_prompts *p)
{
    if (!p->win)
        return;
    GtkWidget *w = p->win;
    p->win = NULL;
    gtk_window_destroy(GTK_WINDOW(w));
}

/* "Request 2 of 3" and the Previous / Next buttons that go with it. */
static void show_position(wg_prompts *p)
{
    char *s = g_strdup_printf("Request %u of %u", p->cur + 1, p->queue->len);
    gtk_label_set_text(GTK_LABEL(p->position), s);
    g_free(s);
    gtk_widget_set_sensitive(p->prev, p->cur > 0);
    gtk_widget_set_sensitive(p->next, p->cur + 1 < p->queue->len);
}

static void show_current(wg_prompts *p)
{
    struct item *it = current(p);
    if (!it) {
        drop_window(p);
        return;
    }
    if (!p->win)
        build(p);
    const ward_event *ev = &it->ev;
    show_position(p);
    char *s;
    program_look(ev->exe, GTK_IMAGE(p->icon), GTK_LABEL(p->name));
    gtk_label_set_text(GTK_LABEL(p->path), ev->exe[0] ? ev->exe : "(not attributed)");
    s = g_strdup_printf("%u", ev->pid);
    gtk_label_set_text(GTK_LABEL(p->pid), s);
    g_free(s);
    s = wg_user_name(ev->uid);
    gtk_label_set_text(GTK_LABEL(p->user), s);
    g_free(s);
    gtk_label_set_text(GTK_LABEL(p->cmdline), ev->cmdline[0] ? ev->cmdline : "—");
    s = wg_event_chain(ev);
    gtk_label_set_text(GTK_LABEL(p->parent), s ? s : "—");
    g_free(s);
    s = wg_event_dest(ev);
    char *d = g_strdup_printf("%s %s", ev->direction == WARD_DIR_IN ? "from" : "to", s);
    gtk_label_set_text(GTK_LABEL(p->dest), d);
    g_free(d);
    g_free(s);
    gtk_widget_set_visible(p->why, ev->reason == WARD_R_APP_PIN);
    gtk_label_set_text(GTK_LABEL(p->status), "");
    set_defaults(p, ev);
    update_countdown(p);
    gtk_widget_set_sensitive(p->allow, TRUE);
    gtk_widget_set_sensitive(p->deny, TRUE);
    gtk_widget_grab_focus(p->deny);
}

static void remove_item(wg_prompts *p, uint64_t id)
{
    int i = find(p, id);
    if (i < 0)
        return;
    g_ptr_array_remove_index(p->queue, (guint)i);
    if (p->cur > (guint)i || (p->cur == p->queue->len && p->cur > 0))
        p->cur--;
    show_current(p);
}

static gboolean on_tick(gpointer data)
{
    update_countdown(data);
    return G_SOURCE_CONTINUE;
}

static void say(wg_prompts *p, const char *msg)
{
    if (!p->win) /* the prompt was closed elsewhere meanwhile */
        return;
    gtk_label_set_text(GTK_LABEL(p->status), msg);
    gtk_widget_set_sensitive(p->allow, TRUE);
    gtk_widget_set_sensitive(p->deny, TRUE);
}

static bool on_answered(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    struct answering *an = ud;
    wg_prompts *p = an->p;
    if (!m)
        say(p, "wardd went away before taking the answer: it asks again when it is back.");
    else if (m->type == WARD_MSG_ERROR)
        say(p, m->u.error.message ? m->u.error.message : "wardd refused the answer");
    else
        remove_item(p, an->id);
    g_free(an);
    return false;
}

static void send_answer(struct answering *an, bool via_rule)
{
    ward_msg m;
    /* A pin needs an allow that lasts: with a host or domain rule, the
     * answer itself carries the chosen duration too. */
    wg_answer a = an->a;
    if (a.pin && via_rule)
        a.scope = WG_SCOPE_HOST;
    wg_answer_message(&a, an->id, via_rule && !a.pin, &m);
    int rc;
    if (a.pin) {
        char *members = wg_answer_pin_members(&m);
        rc = members
                 ? wg_conn_request_raw(an->p->app->conn, "prompt.answer", members, on_answered, an)
                 : -1;
        g_free(members);
    } else {
        rc = wg_conn_request(an->p->app->conn, &m, on_answered, an);
    }
    if (rc < 0) {
        say(an->p, "not connected to wardd");
        g_free(an);
    }
}

/* The rule for a host or domain answer is in: now the prompt itself. */
static bool on_rule_added(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    struct answering *an = ud;
    if (!m || m->type == WARD_MSG_ERROR) {
        char *s = g_strdup_printf("wardd did not take the rule: %s", !m ? "it went away"
                                                                     : m->u.error.message
                                                                         ? m->u.error.message
                                                                         : "refused");
        say(an->p, s);
        g_free(s);
        g_free(an);
        return false;
    }
    send_answer(an, true);
    return false;
}

static int active_index(GtkWidget **buttons, int n)
{
    for (int i = 0; i < n; i++)
        if (gtk_check_button_get_active(GTK_CHECK_BUTTON(buttons[i])))
            return i;
    return 0;
}

static void answer(wg_prompts *p, enum ward_action action)
{
    struct item *it = current(p);
    if (!it)
        return;
    struct answering *an = g_new0(struct answering, 1);
    an->p = p;
    an->id = it->id;
    an->a.action = action;
    an->a.scope = (enum wg_scope)active_index(p->scope, 5);
    an->a.duration = (enum wg_duration)active_index(p->dur, 7);
    an->a.pin = action == WARD_ACT_PERMIT && an->a.duration != WG_DUR_ONCE &&
                gtk_check_button_get_active(GTK_CHECK_BUTTON(p->pin));
    gtk_widget_set_sensitive(p->allow, FALSE);
    gtk_widget_set_sensitive(p->deny, FALSE);
    char *text = wg_answer_rule_text(&an->a, &it->ev, (int64_t)time(NULL));
    if (!text) {
        if (an->a.duration == WG_DUR_UNTIL_EXIT && an->a.scope != WG_SCOPE_PORT &&
            an->a.scope != WG_SCOPE_ANY) {
            say(p, "The program has already exited: choose another duration.");
            g_free(an);
            return;
        }
        send_answer(an, false);
        return;
    }
    ward_msg m = {.type = WARD_MSG_RULES_ADD};
    m.u.rule.program = it->ev.exe;
    m.u.rule.text = text;
    char origin[64];
    g_snprintf(origin, sizeof(origin), "prompt %llu (ward-gtk)", (unsigned long long)it->id);
    m.u.rule.origin = origin;
    if (wg_conn_request(p->app->conn, &m, on_rule_added, an) < 0) {
        say(p, "not connected to wardd");
        g_free(an);
    }
    g_free(text);
}

static void on_allow(GtkButton *b, gpointer data)
{
    answer(data, WARD_ACT_PERMIT);
}

static void on_deny(GtkButton *b, gpointer data)
{
    answer(data, WARD_ACT_BLOCK);
}

static void on_prev(GtkButton *b, gpointer data)
{
    wg_prompts *p = data;
    if (p->cur > 0)
        p->cur--;
    show_current(p);
}

static void on_next(GtkButton *b, gpointer data)
{
    wg_prompts *p = data;
    if (p->cur + 1 < p->queue->len)
        p->cur++;
    show_current(p);
}

/* Closing the window leaves the questions open until answered or timed
 * out; the window comes back with the next one. */
static gboolean on_close(GtkWindow *w, gpointer data)
{
    drop_window(data);
    return TRUE;
}

static GtkWidget *field(GtkGrid *g, int row, const char *name)
{
    GtkWidget *k = wg_label(name, "dim-label");
    GtkWidget *v = wg_label("", NULL);
    gtk_label_set_selectable(GTK_LABEL(v), TRUE);
    gtk_widget_set_focusable(v, FALSE);
    gtk_accessible_update_relation(GTK_ACCESSIBLE(v), GTK_ACCESSIBLE_RELATION_LABELLED_BY, k, NULL,
                                   -1);
    gtk_grid_attach(g, k, 0, row, 1, 1);
    gtk_grid_attach(g, v, 1, row, 1, 1);
    gtk_widget_set_hexpand(v, TRUE);
    return v;
}

static GtkWidget *choices(const char *title, const char *const *labels, int n, GtkWidget **out)
{
    GtkWidget *frame = gtk_frame_new(title);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_widget_set_margin_start(box, 6);
    gtk_widget_set_margin_end(box, 6);
    gtk_widget_set_margin_bottom(box, 6);
    for (int i = 0; i < n; i++) {
        out[i] = gtk_check_button_new_with_mnemonic(labels[i]);
        wg_a11y_name(out[i], labels[i]);
        if (i)
            gtk_check_button_set_group(GTK_CHECK_BUTTON(out[i]), GTK_CHECK_BUTTON(out[0]));
        gtk_box_append(GTK_BOX(box), out[i]);
    }
    gtk_frame_set_child(GTK_FRAME(frame), box);
    return frame;
}

static void build(wg_prompts *p)
{
    /* The role given, not left to the class: GTK 4.8 gives a window added
     * while an accessibility client listens (a screen reader, the test's
     * AT-SPI reader) the generic role, "filler", never "showing", and the
     * client cannot find it. */
    p->win = g_object_new(GTK_TYPE_WINDOW, "accessible-role", GTK_ACCESSIBLE_ROLE_WINDOW, NULL);
    gtk_window_set_title(GTK_WINDOW(p->win), "Ward: a program wants to connect");
    gtk_window_set_default_size(GTK_WINDOW(p->win), 560, -1);
    gtk_window_set_hide_on_close(GTK_WINDOW(p->win), FALSE);
    g_signal_connect(p->win, "close-request", G_CALLBACK(on_close), p);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 10);
    gtk_widget_set_margin_top(box, 12);
    gtk_widget_set_margin_bottom(box, 12);
    gtk_widget_set_margin_start(box, 12);
    gtk_widget_set_margin_end(box, 12);

    GtkWidget *nav = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    p->prev = gtk_button_new_with_label("Previous");
    p->next = gtk_button_new_with_label("Next");
    p->position = wg_label("", "heading");
    gtk_widget_set_hexpand(p->position, TRUE);
    g_signal_connect(p->prev, "clicked", G_CALLBACK(on_prev), p);
    g_signal_connect(p->next, "clicked", G_CALLBACK(on_next), p);
    gtk_box_append(GTK_BOX(nav), p->position);
    gtk_box_append(GTK_BOX(nav), p->prev);
    gtk_box_append(GTK_BOX(nav), p->next);
    gtk_box_append(GTK_BOX(box), nav);

    GtkWidget *head = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    p->icon = gtk_image_new();
    gtk_image_set_pixel_size(GTK_IMAGE(p->icon), 48);
    p->name = wg_label("", "title-2");
    gtk_label_set_wrap(GTK_LABEL(p->name), FALSE);
    gtk_widget_set_hexpand(p->name, TRUE);
    gtk_box_append(GTK_BOX(head), p->icon);
    gtk_box_append(GTK_BOX(head), p->name);
    gtk_box_append(GTK_BOX(box), head);

    GtkWidget *grid = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
    gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
    p->path = field(GTK_GRID(grid), 0, "Program");
    p->pid = field(GTK_GRID(grid), 1, "Process id");
    p->user = field(GTK_GRID(grid), 2, "User");
    p->cmdline = field(GTK_GRID(grid), 3, "Command line");
    p->parent = field(GTK_GRID(grid), 4, "Parent chain");
    p->dest = field(GTK_GRID(grid), 5, "Destination");
    gtk_box_append(GTK_BOX(box), grid);
    p->why = wg_label("This program's binary is not the one pinned (SHA-256): allowing it pins "
                      "the program to this binary.",
                      "warning");
    gtk_box_append(GTK_BOX(box), p->why);
    p->countdown = wg_label("", "accent");
    gtk_box_append(GTK_BOX(box), p->countdown);

    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    gtk_box_set_homogeneous(GTK_BOX(row), TRUE);
    gtk_box_append(GTK_BOX(row), choices("Applies to", scope_labels, 5, p->scope));
    gtk_box_append(GTK_BOX(row), choices("For", dur_labels, 7, p->dur));
    gtk_box_append(GTK_BOX(box), row);

    p->pin = gtk_check_button_new_with_mnemonic("Pi_n to this binary (SHA-256): a changed "
                                                "binary is asked about again");
    wg_a11y_name(p->pin, "Pin to this binary");
    gtk_widget_set_tooltip_text(p->pin, "With allow, for longer than once");
    gtk_box_append(GTK_BOX(box), p->pin);
    p->status = wg_label("", "error");
    gtk_box_append(GTK_BOX(box), p->status);
    GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    gtk_widget_set_halign(buttons, GTK_ALIGN_END);
    p->deny = gtk_button_new_with_mnemonic("_Deny");
    p->allow = gtk_button_new_with_mnemonic("_Allow");
    wg_a11y_name(p->deny, "_Deny");
    wg_a11y_name(p->allow, "_Allow");
    gtk_widget_add_css_class(p->deny, "destructive-action");
    gtk_widget_add_css_class(p->allow, "suggested-action");
    g_signal_connect(p->allow, "clicked", G_CALLBACK(on_allow), p);
    g_signal_connect(p->deny, "clicked", G_CALLBACK(on_deny), p);
    gtk_box_append(GTK_BOX(buttons), p->deny);
    gtk_box_append(GTK_BOX(buttons), p->allow);
    gtk_box_append(GTK_BOX(box), buttons);
    gtk_window_set_child(GTK_WINDOW(p->win), box);
    /* Enter answers "deny once" unless the user chose otherwise. */
    gtk_window_set_default_widget(GTK_WINDOW(p->win), p->deny);
    gtk_application_add_window(p->app->gtk, GTK_WINDOW(p->win));
}

wg_prompts *wg_prompts_new(wg_app *app)
{
    wg_prompts *p = g_new0(wg_prompts, 1);
    p->app = app;
    p->queue = g_ptr_array_new_with_free_func(g_free);
    p->tick = g_timeout_add_seconds(1, on_tick, p);
    return p;
}

void wg_prompts_free(wg_prompts *p)
{
    if (!p)
        return;
    g_source_remove(p->tick);
    drop_window(p);
    g_ptr_array_unref(p->queue);
    g_free(p);
}

void wg_prompts_push(wg_prompts *p, const ward_msg *m)
{
    if (m->type == WARD_MSG_PROMPT_CLOSED) {
        remove_item(p, m->u.prompt_closed.prompt_id);
        return;
    }
    if (m->type != WARD_MSG_PROMPT || find(p, m->u.prompt.prompt_id) >= 0)
        return;
    struct item *it = g_new0(struct item, 1);
    it->id = m->u.prompt.prompt_id;
    it->ev = m->u.prompt.conn;
    it->deadline_us = g_get_monotonic_time() + (gint64)m->u.prompt.timeout_s * G_USEC_PER_SEC;
    g_ptr_array_add(p->queue, it);
    bool was_shown = p->win && p->queue->len > 1;
    if (was_shown) { /* the one being read stays; the position says there is more */
        show_position(p);
        return;
    }
    p->cur = p->queue->len - 1;
    show_current(p);
    gtk_window_present(GTK_WINDOW(p->win));
    gtk_widget_grab_focus(p->deny);
}

void wg_prompts_clear(wg_prompts *p)
{
    g_ptr_array_set_size(p->queue, 0);
    p->cur = 0;
    show_current(p);
}
