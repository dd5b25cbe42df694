/*
 * ui/gtk/notify.c — desktop notifications (GNotification): every alert,
 * and blocks when the user asks for them (at most one per program every
 * 10 s, so a program retrying in a loop does not flood the desktop).
 */
#define _GNU_SOURCE
#include <string.h>

#include "ui/gtk/wardgtk.h"

#define BLOCK_QUIET_US (10 * G_USEC_PER_SEC)

static GHashTable *last_block; /* exe -> monotonic time of its last notification */

void wg_notify_event(wg_app *app, const ward_event *ev)
{
    GNotification *n = NULL;
    char *id = NULL;
    if (ev->kind == WARD_EVENT_ALERT) {
        char ip[WARD_IP_STRLEN];
        char *title = g_strdup_printf("Ward alert: %s", ev->filter);
        char *body = g_strdup_printf(
            "%s: count %u%s%s%s", ward_ip_format(&ev->remote, ip, sizeof(ip)), ev->count,
            ev->cmdline[0] ? " (" : "", ev->cmdline, ev->cmdline[0] ? ")" : "");
        n = g_notification_new(title);
        g_notification_set_body(n, body);
        g_notification_set_priority(n, G_NOTIFICATION_PRIORITY_HIGH);
        id = g_strdup_printf("alert-%llu-%llu", (unsigned long long)ev->boot,
                             (unsigned long long)ev->bseq);
        g_free(title);
        g_free(body);
    } else if (app->notify_block && ev->kind == WARD_EVENT_DECISION &&
               ev->verdict == WARD_V_BLOCK && ev->exe[0]) {
        if (!last_block)
            last_block = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        gint64 now = g_get_monotonic_time();
        gpointer last = g_hash_table_lookup(last_block, ev->exe);
        if (last && now - GPOINTER_TO_SIZE(last) < BLOCK_QUIET_US)
            return;
        g_hash_table_replace(last_block, g_strdup(ev->exe), GSIZE_TO_POINTER((gsize)now));
        const char *base = strrchr(ev->exe, '/') ? strrchr(ev->exe, '/') + 1 : ev->exe;
        char *title = g_strdup_printf("Ward blocked %s", base);
        char *dest = wg_event_dest(ev);
        char *body = g_strdup_printf("%s, %s %s", ev->exe,
                                     ev->direction == WARD_DIR_IN ? "from" : "to", dest);
        n = g_notification_new(title);
        g_notification_set_body(n, body);
        g_free(body);
        id = g_strdup_printf("block-%s", ev->exe);
        g_free(title);
        g_free(dest);
    }
    if (!n)
        return;
    g_application_send_notification(G_APPLICATION(app->gtk), id, n);
    g_object_unref(n);
    g_free(id);
}

static char *prefs_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "ward", "ward-gtk.ini", NULL);
}

bool wg_notify_blocks_load(void)
{
    char *path = prefs_path();
    GKeyFile *k = g_key_file_new();
    bool on = g_key_file_load_from_file(k, path, G_KEY_FILE_NONE, NULL) &&
              g_key_file_get_boolean(k, "notify", "blocks", NULL);
    g_key_file_free(k);
    g_free(path);
    return on;
}

void wg_notify_blocks_save(bool on)
{
    char *path = prefs_path();
    char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0700);
    GKeyFile *k = g_key_file_new();
    g_key_file_load_from_file(k, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
    g_key_file_set_boolean(k, "notify", "blocks", on);
    g_key_file_save_to_file(k, path, NULL);
    g_key_file_free(k);
    g_free(dir);
    g_free(path);
}
