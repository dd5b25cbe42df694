/*
 * ui/gtk/wardgtk.h — ward-gtk, Ward's desktop app: what its parts share.
 *
 *   conn.c      the control connection: non-blocking, in GLib's main loop,
 *               reconnecting with backoff when wardd goes away
 *   traffic.c   the traffic accounting messages (stats.query, conns.list)
 *   answer.c    a prompt's answer as the requests that carry it
 *   prompt.c    the prompt window: a queue of open questions
 *   mainwin.c   the main window and its views (view_*.c)
 *   notify.c    desktop notifications
 *   main.c      the application: wires the above together
 */
#ifndef WARD_GTK_H
#define WARD_GTK_H

#include <gtk/gtk.h>
#include <stdbool.h>

#include "proto/proto.h"
#include "ui/gtk/traffic.h"

/* ---- Control connection (conn.c) ----------------------------------------- */

enum wg_state {
    WG_DISCONNECTED, /* no wardd (or it went away): retrying */
    WG_CONNECTED,    /* hello answered */
};

typedef struct wg_conn_events {
    /* The state changed; admin as hello said; msg says why (for the UI). */
    void (*state)(enum wg_state st, bool admin, const char *msg, void *ud);
    /* A push (prompt, prompt.closed). */
    void (*push)(const ward_msg *m, void *ud);
    void *ud;
} wg_conn_events;

wg_conn *wg_conn_new(const char *path, const wg_conn_events *ev);
void wg_conn_free(wg_conn *c);
/* Sends a request (id assigned here); fn gets its replies. 0, or -1 when
 * not connected or the message cannot be encoded (fn is not called). */
int wg_conn_request(wg_conn *c, ward_msg *req, wg_reply_fn fn, void *ud);
/* Forgets the callbacks of every request waiting with this ud (a view going away). */
void wg_conn_cancel(wg_conn *c, void *ud);
bool wg_conn_connected(const wg_conn *c);
const char *wg_conn_path(const wg_conn *c);

/* ---- Answers (answer.c) -------------------------------------------------- */

enum wg_scope { WG_SCOPE_PORT, WG_SCOPE_HOST, WG_SCOPE_DOMAIN, WG_SCOPE_SUBDOMAINS, WG_SCOPE_ANY };
enum wg_duration {
    WG_DUR_ONCE,
    WG_DUR_5M,
    WG_DUR_15M,
    WG_DUR_60M,
    WG_DUR_UNTIL_EXIT,
    WG_DUR_UNTIL_RESTART,
    WG_DUR_FOREVER,
};

typedef struct wg_answer {
    enum ward_action action;
    enum wg_scope scope;
    enum wg_duration duration;
    bool pin; /* also pin the program to the binary's digest */
} wg_answer;

/* Whether the scope can be offered for this connection (a domain scope
 * needs a name). */
bool wg_scope_possible(enum wg_scope s, const ward_event *ev);
/* "*.example.com" for www.example.com (the name's parent); NULL if none. */
char *wg_parent_wildcard(const char *domain);
/* The rule text for scopes prompt.answer has no word for (host, domain,
 * subdomains): NULL when prompt.answer carries the answer itself.
 * now_s: the clock for timed lifetimes. */
char *wg_answer_rule_text(const wg_answer *a, const ward_event *ev, int64_t now_s);
/* Fills a prompt.answer (for rule-text answers: once, the rule covers the rest). */
void wg_answer_message(const wg_answer *a, uint64_t prompt_id, bool via_rule, ward_msg *out);
/* A prompt.answer's members (no type, id or braces) with "pin":true added. */
char *wg_answer_pin_members(const ward_msg *answer);

/* ---- The application (main.c) --------------------------------------------- */

typedef struct wg_prompts wg_prompts;
typedef struct wg_main wg_main;

typedef struct wg_app {
    GtkApplication *gtk;
    wg_conn *conn;
    wg_prompts *prompts;
    wg_main *main;
    bool admin;
    bool refused;      /* wardd said this user may not do what the app is for */
    bool ever_up;      /* a connection was made before (a new one is a reconnect) */
    bool notify_block; /* notify blocks too, not only alerts */
} wg_app;

/* ---- Prompt window (prompt.c) ------------------------------------------- */

wg_prompts *wg_prompts_new(wg_app *app);
void wg_prompts_free(wg_prompts *p);
void wg_prompts_push(wg_prompts *p, const ward_msg *m); /* prompt / prompt.closed */
void wg_prompts_clear(wg_prompts *p);                   /* wardd went away */

/* ---- Main window (mainwin.c, view_*.c) ----------------------------------- */

wg_main *wg_main_new(wg_app *app);
void wg_main_free(wg_main *w); /* after wg_conn_free: no reply is waited for */
void wg_main_present(wg_main *w);
void wg_main_state(wg_main *w, const char *status, const char *banner);
void wg_main_event(wg_main *w, const ward_event *ev); /* from the event ring */
void wg_main_refresh(wg_main *w);                     /* reload what comes from requests */

/* ---- Notifications (notify.c) ------------------------------------------- */

void wg_notify_event(wg_app *app, const ward_event *ev);
/* Whether blocks are notified too: kept in $XDG_CONFIG_HOME/ward/ward-gtk.ini. */
bool wg_notify_blocks_load(void);
void wg_notify_blocks_save(bool on);

/* ---- Small helpers (util.c) ---------------------------------------------- */

char *wg_user_name(uint32_t uid);   /* "alice (1000)" */
char *wg_proc_parent(uint32_t pid); /* "bash (1234)", or NULL */
/* "/usr/bin/curl ← /usr/bin/bash ← /usr/sbin/sshd": the program and the
 * parents wardd recorded, or its parent from /proc when it recorded none. */
char *wg_event_chain(const ward_event *ev);
char *wg_event_dest(const ward_event *ev); /* "example.com (93.184.216.34) port 443 tcp" */
char *wg_proto_name(uint8_t proto);
char *wg_rule_text(const ward_proto_rule *r); /* the rule in the policy language */
GtkWidget *wg_label(const char *text, const char *css_class);
void wg_list_clear(GtkListBox *box);
/* A widget labelled with a mnemonic: its accessible name without the marks
 * (GTK 4.8 would read "_Allow" out). */
void wg_a11y_name(GtkWidget *w, const char *mnemonic);
GPtrArray *
wg_hash_values(GHashTable *h); /* the values, borrowed (GLib < 2.76 has no call for it) */
void wg_list_add_text(GtkListBox *box, const char *text);

#endif /* WARD_GTK_H */
