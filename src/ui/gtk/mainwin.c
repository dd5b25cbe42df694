/*
 * ui/gtk/mainwin.c — the main window: a view switcher in the header bar,
 * a banner saying when wardd is away or refuses this user, the views, and
 * a status line.
 */
#define _GNU_SOURCE
#include <string.h>

#include "ui/gtk/views.h"

#define N_VIEWS 6

struct wg_main {
    wg_app *app;
    GtkWidget *win, *stack, *banner, *status, *notify_blocks;
    wg_view *views[N_VIEWS];
    guint tick;
};

static void refresh_all(wg_main *w)
{
    for (int i = 0; i < N_VIEWS; i++)
        if (w->views[i]->refresh)
            w->views[i]->refresh(w->views[i]);
}

static void on_refresh(GtkButton *b, gpointer data)
{
    refresh_all(data);
}

static void on_notify_blocks(GtkCheckButton *b, gpointer data)
{
    wg_main *w = data;
    w->app->notify_block = gtk_check_button_get_active(b);
    wg_notify_blocks_save(w->app->notify_block);
}

/* A view is asked again each time it is shown: what it shows is current. */
static void on_view_shown(GObject *stack, GParamSpec *ps, gpointer data)
{
    wg_main *w = data;
    GtkWidget *child = gtk_stack_get_visible_child(GTK_STACK(w->stack));
    for (int i = 0; i < N_VIEWS; i++)
        if (w->views[i]->widget == child && w->views[i]->refresh && wg_conn_connected(w->app->conn))
            w->views[i]->refresh(w->views[i]);
}

/* Alt+1 .. Alt+6: the views, from the keyboard. */
static gboolean on_view_key(GtkWidget *win, GVariant *args, gpointer data)
{
    wg_main *w = g_object_get_data(G_OBJECT(win), "wg-main");
    int i = GPOINTER_TO_INT(data);
    gtk_stack_set_visible_child(GTK_STACK(w->stack), w->views[i]->widget);
    return TRUE;
}

static gboolean on_close(GtkWindow *win, gpointer data)
{
    /* The app keeps answering prompts with its main window closed. */
    gtk_widget_set_visible(GTK_WIDGET(win), FALSE);
    return TRUE;
}

wg_main *wg_main_new(wg_app *app)
{
    wg_main *w = g_new0(wg_main, 1);
    w->app = app;
    /* The role given, not left to the class: see prompt.c's build(). */
    w->win = g_object_new(GTK_TYPE_APPLICATION_WINDOW, "application", app->gtk, "accessible-role",
                          GTK_ACCESSIBLE_ROLE_WINDOW, NULL);
    gtk_window_set_title(GTK_WINDOW(w->win), "Ward");
    gtk_window_set_default_size(GTK_WINDOW(w->win), 1100, 680);
    g_signal_connect(w->win, "close-request", G_CALLBACK(on_close), w);

    w->stack = gtk_stack_new();
    GtkWidget *header = gtk_header_bar_new();
    GtkWidget *switcher = gtk_stack_switcher_new();
    gtk_stack_switcher_set_stack(GTK_STACK_SWITCHER(switcher), GTK_STACK(w->stack));
    gtk_header_bar_set_title_widget(GTK_HEADER_BAR(header), switcher);
    GtkWidget *refresh = gtk_button_new_from_icon_name("view-refresh-symbolic");
    gtk_widget_set_tooltip_text(refresh, "Refresh");
    gtk_accessible_update_property(GTK_ACCESSIBLE(refresh), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Refresh", -1);
    g_signal_connect(refresh, "clicked", G_CALLBACK(on_refresh), w);
    gtk_header_bar_pack_start(GTK_HEADER_BAR(header), refresh);
    w->notify_blocks = gtk_check_button_new_with_mnemonic("_Notify blocks");
    gtk_check_button_set_active(GTK_CHECK_BUTTON(w->notify_blocks), app->notify_block);
    g_signal_connect(w->notify_blocks, "toggled", G_CALLBACK(on_notify_blocks), w);
    gtk_header_bar_pack_end(GTK_HEADER_BAR(header), w->notify_blocks);
    gtk_window_set_titlebar(GTK_WINDOW(w->win), header);

    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    w->banner = wg_label("", "error");
    gtk_widget_set_margin_start(w->banner, 12);
    gtk_widget_set_margin_top(w->banner, 6);
    gtk_widget_set_visible(w->banner, FALSE);
    gtk_box_append(GTK_BOX(box), w->banner);
    w->views[0] = wg_view_activity(app);
    w->views[1] = wg_view_rules(app);
    w->views[2] = wg_view_log(app);
    w->views[3] = wg_view_network(app);
    w->views[4] = wg_view_procs(app);
    w->views[5] = wg_view_alerts(app);
    for (int i = 0; i < N_VIEWS; i++)
        gtk_stack_add_titled(GTK_STACK(w->stack), w->views[i]->widget, w->views[i]->name,
                             w->views[i]->title);
    g_signal_connect(w->stack, "notify::visible-child", G_CALLBACK(on_view_shown), w);
    g_object_set_data(G_OBJECT(w->win), "wg-main", w);
    GtkEventController *keys = gtk_shortcut_controller_new();
    gtk_shortcut_controller_set_scope(GTK_SHORTCUT_CONTROLLER(keys), GTK_SHORTCUT_SCOPE_GLOBAL);
    for (int i = 0; i < N_VIEWS; i++)
        gtk_shortcut_controller_add_shortcut(
            GTK_SHORTCUT_CONTROLLER(keys),
            gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_1 + (guint)i, GDK_ALT_MASK),
                             gtk_callback_action_new(on_view_key, GINT_TO_POINTER(i), NULL)));
    gtk_widget_add_controller(w->win, keys);
    gtk_widget_set_vexpand(w->stack, TRUE);
    gtk_box_append(GTK_BOX(box), w->stack);
    w->status = wg_label("connecting to wardd…", "dim-label");
    gtk_widget_set_margin_start(w->status, 12);
    gtk_widget_set_margin_bottom(w->status, 4);
    gtk_box_append(GTK_BOX(box), w->status);
    gtk_window_set_child(GTK_WINDOW(w->win), box);
    return w;
}

void wg_main_present(wg_main *w)
{
    gtk_window_present(GTK_WINDOW(w->win));
}

void wg_main_state(wg_main *w, const char *status, const char *banner)
{
    if (status)
        gtk_label_set_text(GTK_LABEL(w->status), status);
    gtk_label_set_text(GTK_LABEL(w->banner), banner ? banner : "");
    gtk_widget_set_visible(w->banner, banner != NULL);
}

void wg_main_event(wg_main *w, const ward_event *ev)
{
    for (int i = 0; i < N_VIEWS; i++)
        if (w->views[i]->event)
            w->views[i]->event(w->views[i], ev);
}

void wg_main_refresh(wg_main *w)
{
    refresh_all(w);
}

void wg_main_free(wg_main *w)
{
    if (!w)
        return;
    for (int i = 0; i < N_VIEWS; i++) {
        if (w->views[i]->free)
            w->views[i]->free(w->views[i]);
        g_free(w->views[i]->priv);
        g_free(w->views[i]);
    }
    gtk_window_destroy(GTK_WINDOW(w->win));
    g_free(w);
}
