/*
 * ui/gtk/main.c — ward-gtk, Ward's desktop app.
 *
 *   ward-gtk [--socket PATH] [--background] [--notify-blocks]
 *
 * One instance per desktop session (a second start shows the first one's
 * main window). It connects to wardd's control socket ($WARD_SOCKET, else
 * /run/ward/control.sock), registers as a prompter, subscribes to the event
 * ring, and shows the prompt window whenever wardd asks. --background (the
 * XDG autostart entry) starts with the main window hidden. When wardd goes
 * away it says so and connects again, registering anew.
 */
#define _GNU_SOURCE
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ring/ring.h"
#include "ui/gtk/wardgtk.h"

static const char *opt_socket;
static bool opt_background, opt_notify_blocks;

struct ring {
    ward_ring_reader *rd;
    int efd;
    guint watch;
};
static struct ring ring = {.efd = -1};

/* Lines for whoever watches the app's output (its state, for logs and tests). */
static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("ward-gtk: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static void ring_close(void)
{
    if (ring.watch)
        g_source_remove(ring.watch);
    if (ring.efd >= 0)
        close(ring.efd);
    if (ring.rd)
        ward_ring_reader_close(ring.rd);
    ring = (struct ring){.efd = -1};
}

static gboolean on_ring(int fd, GIOCondition cond, gpointer data)
{
    wg_app *app = data;
    ward_ring_eventfd_drain(fd);
    ward_event ev;
    int budget = 4096; /* a flood is read over several turns of the loop */
    while (budget-- > 0 && ward_ring_read(ring.rd, &ev, NULL) == 1) {
        wg_main_event(app->main, &ev);
        wg_notify_event(app, &ev);
    }
    if (budget < 0) /* more may wait: come back without a new wake-up */
        eventfd_write(fd, 1);
    return G_SOURCE_CONTINUE;
}

static bool on_subscribed(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_app *app = ud;
    if (!m || m->type != WARD_MSG_SUBSCRIBE_REPLY || nfds < 2) {
        if (m && m->type == WARD_MSG_ERROR)
            say("live events refused: %s", m->u.error.message ? m->u.error.message : "?");
        else if (m)
            say("live events: wardd's reply came without its ring");
        return false;
    }
    ring_close();
    ring.rd = ward_ring_reader_open(fds[0], false);
    ring.efd = dup(fds[1]);
    if (!ring.rd || ring.efd < 0) {
        say("cannot read wardd's event ring");
        ring_close();
        return false;
    }
    ring.watch = g_unix_fd_add(ring.efd, G_IO_IN, on_ring, app);
    say("subscribed to live events");
    return false;
}

static char *refused_banner(const char *prompts)
{
    return g_strdup_printf("Refused: wardd lets only root and members of group \"ward\" change "
                           "rules and watch live traffic (you are uid %u). Shown: the rules and "
                           "your own log. %s",
                           (unsigned)getuid(), prompts);
}

static bool on_registered(const ward_msg *m, const char *raw, const int *fds, size_t nfds, void *ud)
{
    wg_app *app = ud;
    if (m && m->type == WARD_MSG_ERROR)
        say("prompts refused: %s", m->u.error.message ? m->u.error.message : "?");
    else if (m)
        say("registered as a prompter");
    if (m && app->refused) { /* what this user may do about prompts, as wardd said */
        char *b = refused_banner(m->type == WARD_MSG_ERROR
                                     ? "Prompts: refused too."
                                     : "Prompts about your own processes are shown here.");
        wg_main_state(app->main, NULL, b);
        g_free(b);
    }
    return false;
}

static void on_state(enum wg_state st, bool admin, const char *msg, void *ud)
{
    wg_app *app = ud;
    if (st == WG_DISCONNECTED) {
        ring_close();
        wg_prompts_clear(app->prompts);
        char *s = g_strdup_printf("Not connected to wardd (%s): trying again…", msg ? msg : "");
        wg_main_state(app->main, s, s);
        say("not connected: %s", msg ? msg : "");
        g_free(s);
        return;
    }
    app->admin = admin;
    app->refused = !admin;
    char *status = g_strdup_printf(
        "%s %s%s", app->ever_up ? "wardd restarted: reconnected to" : "Connected to",
        wg_conn_path(app->conn), admin ? "" : " (read only)");
    char *banner = NULL;
    if (!admin)
        banner = refused_banner("");
    wg_main_state(app->main, status, banner);
    say("%s", app->ever_up ? "wardd restarted: reconnected" : "connected");
    if (banner)
        say("%s", banner);
    app->ever_up = true;
    g_free(status);
    g_free(banner);
    /* Asked even without admin: wardd decides (and says why not). */
    ward_msg reg = {.type = WARD_MSG_PROMPT_REGISTER};
    wg_conn_request(app->conn, &reg, on_registered, app);
    if (admin) {
        ward_msg sub = {.type = WARD_MSG_SUBSCRIBE};
        wg_conn_request(app->conn, &sub, on_subscribed, app);
    }
    wg_main_refresh(app->main);
}

static void on_push(const ward_msg *m, void *ud)
{
    wg_app *app = ud;
    if (m->type == WARD_MSG_PROMPT)
        say("prompt %llu: %s", (unsigned long long)m->u.prompt.prompt_id, m->u.prompt.conn.exe);
    wg_prompts_push(app->prompts, m);
}

static void on_quit(GSimpleAction *a, GVariant *p, gpointer data)
{
    g_application_quit(G_APPLICATION(data));
}

static void on_startup(GApplication *gapp, gpointer data)
{
    wg_app *app = data;
    app->notify_block = opt_notify_blocks || wg_notify_blocks_load();
    app->prompts = wg_prompts_new(app);
    app->main = wg_main_new(app);
    GSimpleAction *quit = g_simple_action_new("quit", NULL);
    g_signal_connect(quit, "activate", G_CALLBACK(on_quit), gapp);
    g_action_map_add_action(G_ACTION_MAP(gapp), G_ACTION(quit));
    g_object_unref(quit);
    gtk_application_set_accels_for_action(GTK_APPLICATION(gapp), "app.quit",
                                          (const char *const[]){"<Control>q", NULL});
    wg_conn_events ev = {.state = on_state, .push = on_push, .ud = app};
    app->conn = wg_conn_new(opt_socket, &ev);
    g_application_hold(gapp); /* prompts come with every window closed */
}

static void on_activate(GApplication *gapp, gpointer data)
{
    wg_app *app = data;
    static bool first = true;
    if (!first || !opt_background)
        wg_main_present(app->main);
    first = false;
}

static void on_shutdown(GApplication *gapp, gpointer data)
{
    wg_app *app = data;
    ring_close();
    wg_conn_free(app->conn); /* first: what waits on it is told, views still there */
    app->conn = NULL;
    wg_prompts_free(app->prompts);
    wg_main_free(app->main);
}

static gboolean on_signal(gpointer data)
{
    g_application_quit(G_APPLICATION(data));
    return G_SOURCE_REMOVE;
}

static int usage(void)
{
    fprintf(stderr, "usage: ward-gtk [--socket PATH] [--background] [--notify-blocks]\n");
    return 2;
}

int main(int argc, char **argv)
{
    opt_socket = getenv("WARD_SOCKET");
    char *rest[argc + 1];
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            opt_socket = argv[++i];
        else if (strcmp(argv[i], "--background") == 0)
            opt_background = true;
        else if (strcmp(argv[i], "--notify-blocks") == 0)
            opt_notify_blocks = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage() - 2;
        else
            return usage();
    }
    rest[n] = NULL;
    wg_app app = {0};
    app.gtk = gtk_application_new("org.ward.Gtk", G_APPLICATION_DEFAULT_FLAGS);
    g_signal_connect(app.gtk, "startup", G_CALLBACK(on_startup), &app);
    g_signal_connect(app.gtk, "activate", G_CALLBACK(on_activate), &app);
    g_signal_connect(app.gtk, "shutdown", G_CALLBACK(on_shutdown), &app);
    g_unix_signal_add(SIGTERM, on_signal, app.gtk);
    g_unix_signal_add(SIGINT, on_signal, app.gtk);
    int rc = g_application_run(G_APPLICATION(app.gtk), n, rest);
    g_object_unref(app.gtk);
    return rc;
}
