/*
 * ui/gtk/views.h — the main window's views. Each is a widget plus two
 * hooks: refresh (ask wardd again: on connect, on the view's own refresh
 * button, and every few seconds for the activity view) and event (a
 * decision or alert from the event ring, as it happens).
 */
#ifndef WARD_GTK_VIEWS_H
#define WARD_GTK_VIEWS_H

#include "ui/gtk/wardgtk.h"

typedef struct wg_view wg_view;
struct wg_view {
    const char *name;  /* the stack page's name */
    const char *title; /* shown in the switcher */
    GtkWidget *widget;
    wg_app *app;
    void *priv;
    void (*refresh)(wg_view *v);
    void (*event)(wg_view *v, const ward_event *ev);
    void (*free)(wg_view *v);
};

wg_view *wg_view_activity(wg_app *app);
wg_view *wg_view_rules(wg_app *app);
wg_view *wg_view_log(wg_app *app);
wg_view *wg_view_network(wg_app *app);
wg_view *wg_view_procs(wg_app *app);
wg_view *wg_view_alerts(wg_app *app);

/* Helpers the views share (views.c). */
wg_view *wg_view_alloc(wg_app *app, const char *name, const char *title, size_t priv_size);
GtkWidget *wg_scrolled(GtkWidget *child);
GtkWidget *wg_list_new(const char *accessible_name);
char *wg_event_line(const ward_event *ev); /* one log row as text */
/* log.query for a view: rows go to fn, one call per reply part (m NULL: gone). */
int wg_log_query(wg_app *app, const ward_log_filter *f, wg_reply_fn fn, void *ud);

#endif
