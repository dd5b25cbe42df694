/*
 * ui/gtk/view_network.c — network state: the listening sockets of every
 * program. wardd has no message for them, so they are read from /proc
 * (this network namespace's /proc/net tables, owners found through
 * /proc/PID/fd; a user other than root sees the owners of its own sockets
 * only), and the view says so.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ui/gtk/views.h"

struct network {
    GtkWidget *list;
};

/* socket inode -> "exe (pid)" for every process whose fds we may read. */
static GHashTable *socket_owners(void)
{
    GHashTable *owners = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    DIR *proc = opendir("/proc");
    struct dirent *d;
    while (proc && (d = readdir(proc))) {
        if (!isdigit((unsigned char)d->d_name[0]))
            continue;
        char path[300], exe[512] = "", link[64];
        snprintf(path, sizeof(path), "/proc/%s/exe", d->d_name);
        ssize_t n = readlink(path, exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = 0;
        snprintf(path, sizeof(path), "/proc/%s/fd", d->d_name);
        DIR *fds = opendir(path);
        struct dirent *f;
        while (fds && (f = readdir(fds))) {
            char fp[600];
            snprintf(fp, sizeof(fp), "%s/%s", path, f->d_name);
            n = readlink(fp, link, sizeof(link) - 1);
            if (n <= 0)
                continue;
            link[n] = 0;
            unsigned long long ino;
            if (sscanf(link, "socket:[%llu]", &ino) != 1)
                continue;
            gint64 *k = g_new(gint64, 1);
            *k = (gint64)ino;
            g_hash_table_replace(owners, k,
                                 g_strdup_printf("%s (%s)", *exe ? exe : "?", d->d_name));
        }
        if (fds)
            closedir(fds);
    }
    if (proc)
        closedir(proc);
    return owners;
}

/* "0100007F:1F90" (kernel byte order) -> "127.0.0.1:8080". */
static char *addr_text(const char *hex, bool v6)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    const char *colon = strchr(hex, ':');
    if (!colon)
        return g_strdup(hex);
    sscanf(colon + 1, "%x", &port);
    uint32_t w[4] = {0};
    for (int i = 0; i < (v6 ? 4 : 1); i++) {
        char part[9] = {0};
        memcpy(part, hex + i * 8, 8);
        w[i] = (uint32_t)strtoul(part, NULL, 16);
    }
    inet_ntop(v6 ? AF_INET6 : AF_INET, w, ip, sizeof(ip));
    return g_strdup_printf(v6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static void read_table(wg_view *v, GHashTable *owners, const char *file, const char *proto, bool v6,
                       const char *listen_state)
{
    struct network *n = v->priv;
    char *text = NULL;
    if (!g_file_get_contents(file, &text, NULL, NULL))
        return;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines + 1; *l && **l; l++) {
        char local[64], remote[64], st[8];
        unsigned long long ino = 0;
        if (sscanf(*l, " %*s %63s %63s %7s %*s %*s %*s %*s %*s %llu", local, remote, st, &ino) != 4)
            continue;
        if (strcmp(st, listen_state) != 0)
            continue;
        gint64 key = (gint64)ino;
        const char *owner = g_hash_table_lookup(owners, &key);
        char *a = addr_text(local, v6);
        char *s = g_strdup_printf("%-6s %-28s %s", proto, a, owner ? owner : "(owner not visible)");
        wg_list_add_text(GTK_LIST_BOX(n->list), s);
        g_free(s);
        g_free(a);
    }
    g_strfreev(lines);
    g_free(text);
}

static void refresh(wg_view *v)
{
    struct network *n = v->priv;
    wg_list_clear(GTK_LIST_BOX(n->list));
    GHashTable *owners = socket_owners();
    read_table(v, owners, "/proc/net/tcp", "tcp", false, "0A");
    read_table(v, owners, "/proc/net/tcp6", "tcp6", true, "0A");
    read_table(v, owners, "/proc/net/udp", "udp", false, "07");
    read_table(v, owners, "/proc/net/udp6", "udp6", true, "07");
    g_hash_table_destroy(owners);
}

wg_view *wg_view_network(wg_app *app)
{
    wg_view *v = wg_view_alloc(app, "network", "Network", sizeof(struct network));
    struct network *n = v->priv;
    v->refresh = refresh;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    GtkWidget *note = wg_label("Listening sockets per program, in this network namespace. Read "
                               "from /proc: wardd has no message for them.",
                               "dim-label");
    gtk_widget_set_margin_start(note, 8);
    gtk_widget_set_margin_top(note, 8);
    gtk_box_append(GTK_BOX(box), note);
    n->list = wg_list_new("Listening sockets");
    gtk_box_append(GTK_BOX(box), wg_scrolled(n->list));
    v->widget = box;
    return v;
}
