/*
 * listeners.c — sockets bound before the hooks were attached.
 *
 * The listening port table (ward_binds) is filled by the bind hooks, so a
 * program that was listening before they ran is unknown to it: its inbound
 * connections would be queued without a program, and its rules could not
 * decide them. At open the backend reads the sockets bound now in its
 * network namespace (/proc/net/{tcp,tcp6,udp,udp6}: TCP listeners and
 * unconnected UDP sockets, with their inodes), finds the process holding
 * each (/proc/PID/fd/N -> "socket:[INODE]"), and notes its executable, pid
 * and uid as the hook would, for processes in the hooked cgroup.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kernel/internal.h"

#define TCP_LISTEN 0x0a

struct bound {
    uint64_t inode;
    uint16_t port;
    uint8_t proto;
    bool owned;
};

struct bound_list {
    struct bound *v;
    size_t n, cap;
};

static int push(struct bound_list *l, uint64_t inode, uint16_t port, uint8_t proto)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct bound *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct bound){inode, port, proto, false};
    return 0;
}

/* One /proc/net table: "sl local_address rem_address st ... inode". */
static void read_table(const char *path, uint8_t proto, struct bound_list *l)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[512];
    if (!fgets(line, sizeof(line), f)) { /* the header */
        fclose(f);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        char local[64], remote[64];
        unsigned st, port, rport;
        unsigned long long inode;
        /* sl: local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %x %*s %*s %*s %*u %*u %llu",
                   local, &port, remote, &rport, &st, &inode) != 6 ||
            !inode || !port)
            continue;
        bool bound = proto == 6 ? st == TCP_LISTEN : rport == 0;
        if (bound && push(l, inode, (uint16_t)port, proto) < 0)
            break;
    }
    fclose(f);
}

/* Whether the process is in the hooked cgroup (or below it); rel is the
 * cgroup's path under the cgroup2 mount, "" for its root. */
static bool in_cgroup(const char *pid, const char *rel)
{
    if (!rel[0])
        return true;
    char path[64], line[PATH_MAX + 8];
    snprintf(path, sizeof(path), "/proc/%.16s/cgroup", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool in = false;
    size_t n = strlen(rel);
    while (!in && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3))
            continue;
        line[strcspn(line, "\n")] = 0;
        const char *cg = line + 3;
        in = !strncmp(cg, rel, n) && (cg[n] == 0 || cg[n] == '/');
    }
    fclose(f);
    return in;
}

static uint32_t uid_of(const char *pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%.16s/status", pid);
    FILE *f = fopen(path, "re");
    unsigned uid = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Uid: %u", &uid) == 1)
            break;
    if (f)
        fclose(f);
    return uid;
}

/* Notes the sockets of one process that are in l and not yet owned. */
static int note_process(ward_kernel *k, const char *pid, struct bound_list *l)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    DIR *fds = opendir(path);
    if (!fds)
        return 0;
    struct ward_bindinfo b = {0};
    bool known = false;
    int noted = 0;
    struct dirent *de;
    while ((de = readdir(fds))) {
        char link[64], target[64];
        snprintf(link, sizeof(link), "/proc/%.16s/fd/%.16s", pid, de->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        unsigned long long inode;
        if (len <= 0)
            continue;
        target[len] = 0;
        if (sscanf(target, "socket:[%llu]", &inode) != 1)
            continue;
        for (size_t i = 0; i < l->n; i++) {
            if (l->v[i].owned || l->v[i].inode != inode)
                continue;
            if (!known) {
                struct stat st;
                snprintf(path, sizeof(path), "/proc/%s/exe", pid);
                if (stat(path, &st) < 0) {
                    closedir(fds);
                    return noted; /* a kernel thread, or gone */
                }
                b.dev = st.st_dev;
                b.ino = st.st_ino;
                b.pid = (uint32_t)strtoul(pid, NULL, 10);
                b.uid = uid_of(pid);
                known = true;
            }
            struct ward_bindkey key = {.port = l->v[i].port, .proto = l->v[i].proto};
            if (!bpf_map_update_elem(k->binds_fd, &key, &b, BPF_ANY))
                noted++;
            l->v[i].owned = true;
        }
    }
    closedir(fds);
    return noted;
}

int ward_kernel_listeners_scan(ward_kernel *k)
{
    if (k->binds_fd < 0)
        return -EBADF;
    struct bound_list l = {0};
    read_table("/proc/net/tcp", 6, &l);
    read_table("/proc/net/tcp6", 6, &l);
    read_table("/proc/net/udp", 17, &l);
    read_table("/proc/net/udp6", 17, &l);
    if (!l.n) {
        free(l.v);
        return 0;
    }
    /* The hooked cgroup, relative to the cgroup2 mount. */
    char root[sizeof(k->cgroup)];
    const char *rel = "";
    if (!ward_kernel_cgroup2_root(root, sizeof(root))) {
        size_t n = strlen(root);
        if (!strncmp(k->cgroup, root, n) && (k->cgroup[n] == '/' || !k->cgroup[n]))
            rel = k->cgroup + n;
        rel = strcmp(rel, "/") ? rel : "";
    }
    DIR *proc = opendir("/proc");
    if (!proc) {
        free(l.v);
        return -errno;
    }
    int noted = 0;
    struct dirent *de;
    while ((de = readdir(proc))) {
        if (!isdigit((unsigned char)de->d_name[0]) || !in_cgroup(de->d_name, rel))
            continue;
        noted += note_process(k, de->d_name, &l);
    }
    closedir(proc);
    free(l.v);
    return noted;
}
