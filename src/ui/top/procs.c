/*
 * procs.c — what /proc tells about programs: their listening sockets
 * (/proc/net/{tcp,udp}{,6} matched to /proc/PID/fd by socket inode; wardd
 * has no message for them) and their process tree. A user who is not root
 * sees the sockets of their own processes only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/top/top.h"

struct sock {
    unsigned long inode;
    const char *proto;
    char addr[WARD_IP_STRLEN];
    uint16_t port;
};

/* The hex address of /proc/net/tcp6 etc: four 32-bit words in host order. */
static void hex_addr(const char *hex, bool v6, char *out, size_t len)
{
    unsigned char b[16];
    size_t n = v6 ? 16 : 4;
    for (size_t w = 0; w < n / 4; w++) {
        unsigned int word;
        if (sscanf(hex + w * 8, "%8x", &word) != 1)
            word = 0;
        memcpy(b + w * 4, &word, 4);
    }
    inet_ntop(v6 ? AF_INET6 : AF_INET, b, out, (socklen_t)len);
}

static size_t read_table(const char *path, const char *proto, bool v6, bool udp, struct sock *v,
                         size_t n, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return n;
    char line[512];
    if (!fgets(line, sizeof(line), f)) {
        fclose(f);
        return n;
    }
    while (n < max && fgets(line, sizeof(line), f)) {
        char local[64], remote[64];
        unsigned st;
        unsigned long inode;
        if (sscanf(line, "%*d: %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st, &inode) !=
            4)
            continue;
        /* TCP: LISTEN (0x0A); UDP: unconnected (0x07) */
        if ((udp && st != 0x07) || (!udp && st != 0x0A) || !inode)
            continue;
        char *colon = strchr(local, ':');
        if (!colon)
            continue;
        *colon = 0;
        v[n] = (struct sock){.inode = inode, .proto = proto};
        hex_addr(local, v6, v[n].addr, sizeof(v[n].addr));
        v[n].port = (uint16_t)strtoul(colon + 1, NULL, 16);
        n++;
    }
    fclose(f);
    return n;
}

static uint32_t proc_uid(const char *pid)
{
    char path[300], line[256];
    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    uint32_t uid = WARD_UID_UNKNOWN;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Uid: %u", &uid) == 1)
            break;
    if (f)
        fclose(f);
    return uid;
}

size_t procs_listening(struct top_listen *out, size_t max)
{
    enum { MAX_SOCKS = 1024 };
    struct sock *s = calloc(MAX_SOCKS, sizeof(*s));
    if (!s)
        return 0;
    size_t n = 0;
    n = read_table("/proc/net/tcp", "tcp", false, false, s, n, MAX_SOCKS);
    n = read_table("/proc/net/tcp6", "tcp6", true, false, s, n, MAX_SOCKS);
    n = read_table("/proc/net/udp", "udp", false, true, s, n, MAX_SOCKS);
    n = read_table("/proc/net/udp6", "udp6", true, true, s, n, MAX_SOCKS);
    size_t got = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && got < max && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[600], link[300], exe[WARD_EVENT_EXE_MAX] = "";
        snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
        ssize_t l = readlink(path, exe, sizeof(exe) - 1);
        exe[l > 0 ? l : 0] = 0;
        snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
        DIR *fd = opendir(path);
        struct dirent *fe;
        while (fd && got < max && (fe = readdir(fd))) {
            snprintf(path, sizeof(path), "/proc/%s/fd/%s", de->d_name, fe->d_name);
            ssize_t k = readlink(path, link, sizeof(link) - 1);
            unsigned long inode;
            if (k <= 0)
                continue;
            link[k] = 0;
            if (sscanf(link, "socket:[%lu]", &inode) != 1)
                continue;
            for (size_t i = 0; i < n && got < max; i++) {
                if (s[i].inode != inode)
                    continue;
                struct top_listen *o = &out[got++];
                WARD_EVENT_SET(o, program, exe[0] ? exe : "?");
                o->pid = (uint32_t)strtoul(de->d_name, NULL, 10);
                o->uid = proc_uid(de->d_name);
                o->proto = s[i].proto;
                snprintf(o->addr, sizeof(o->addr), "%s", s[i].addr);
                o->port = s[i].port;
                s[i].inode = 0; /* shared by forks: shown once */
            }
        }
        if (fd)
            closedir(fd);
    }
    if (d)
        closedir(d);
    free(s);
    return got;
}

struct pinfo {
    uint32_t pid, ppid;
    char comm[64];
    char exe[WARD_EVENT_EXE_MAX];
};

static size_t all_procs(struct pinfo *v, size_t max)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    size_t n = 0;
    while (d && n < max && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[k] = 0;
        char *open = strchr(buf, '('), *close = strrchr(buf, ')');
        if (!open || !close || close < open)
            continue;
        struct pinfo *p = &v[n];
        p->pid = (uint32_t)strtoul(de->d_name, NULL, 10);
        snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close - open - 1), open + 1);
        unsigned ppid = 0;
        sscanf(close + 2, "%*c %u", &ppid);
        p->ppid = ppid;
        snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
        ssize_t l = readlink(path, p->exe, sizeof(p->exe) - 1);
        p->exe[l > 0 ? l : 0] = 0;
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

static const struct pinfo *by_pid(const struct pinfo *v, size_t n, uint32_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == pid)
            return &v[i];
    return NULL;
}

size_t procs_tree(const char *exe, char (*lines)[160], size_t max)
{
    enum { MAX_PROCS = 8192 };
    struct pinfo *v = calloc(MAX_PROCS, sizeof(*v));
    if (!v)
        return 0;
    size_t n = all_procs(v, MAX_PROCS), out = 0;
    for (size_t i = 0; i < n && out < max; i++) {
        if (strcmp(v[i].exe, exe))
            continue;
        /* Its ancestors, oldest first, then it and its children. */
        const struct pinfo *chain[8];
        size_t depth = 0;
        for (const struct pinfo *p = by_pid(v, n, v[i].ppid); p && depth < 8;
             p = p->ppid ? by_pid(v, n, p->ppid) : NULL)
            chain[depth++] = p;
        for (size_t k = depth; k-- > 0 && out < max;)
            snprintf(lines[out++], 160, "%*s%u %s", (int)(2 * (depth - 1 - k)), "", chain[k]->pid,
                     chain[k]->comm);
        if (out < max)
            snprintf(lines[out++], 160, "%*s%u %s  <- %s", (int)(2 * depth), "", v[i].pid,
                     v[i].comm, v[i].exe);
        for (size_t j = 0; j < n && out < max; j++)
            if (v[j].ppid == v[i].pid)
                snprintf(lines[out++], 160, "%*s%u %s", (int)(2 * depth + 2), "", v[j].pid,
                         v[j].comm);
    }
    free(v);
    return out;
}
