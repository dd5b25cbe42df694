/*
 * files.c — the files Ward's trust rests on, watched with fanotify: every
 * program a rule or a pin names, the administrator's policy file, and
 * Ward's own binaries. Their directories are marked (so a file replaced by
 * a rename, as package managers do, is seen too) for modify, close-write,
 * moves, creation and deletion; an event on one of the names is checked
 * against what the file was. A program changed is re-hashed: when it is
 * pinned and the digest differs, its connections are asked about again
 * (the pin no longer matches) — unless `set trust-package-manager yes`
 * and dpkg's database lists the new file, then the pin follows it; either
 * way an alert names the file and the change.
 */
#define _GNU_SOURCE
#include "daemon/openssl.h"
#include "daemon/wardd.h"
#include "util/grow.h"
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define FILE_EVENTS                                                                                \
    (FAN_MODIFY | FAN_CLOSE_WRITE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_CREATE | FAN_DELETE |      \
     FAN_EVENT_ON_CHILD | FAN_ONDIR)

enum watched_kind { W_PROGRAM, W_POLICY, W_WARD };

struct wardd_watched {
    char *path;
    const char *base; /* into path */
    enum watched_kind kind;
    bool exists;
    ward_exe_id id;
    int64_t mtime_ns, ctime_ns;
    off_t size;
};

static void look(struct wardd_watched *w)
{
    struct stat st;
    w->exists = stat(w->path, &st) == 0;
    w->id = w->exists ? (ward_exe_id){st.st_dev, st.st_ino} : (ward_exe_id){0, 0};
    w->mtime_ns = w->exists ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
    w->ctime_ns = w->exists ? (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec : 0;
    w->size = w->exists ? st.st_size : 0;
}

static void forget_all(struct wardd *d)
{
    for (size_t i = 0; i < d->n_watched; i++)
        free(d->watched[i].path);
    free(d->watched);
    d->watched = NULL;
    d->n_watched = 0;
}

int wardd_files_open(struct wardd *d)
{
    d->files_fd = -1;
    if (d->opt.no_kernel)
        return 0;
    int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC | FAN_NONBLOCK,
                           O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        wardd_log(LOG_INFO, "file watch unavailable (fanotify: %s)", strerror(errno));
        return 0;
    }
    d->files_fd = fd;
    if (d->engine)
        wardd_files_rewatch(d);
    return 0;
}

void wardd_files_close(struct wardd *d)
{
    if (d->files_fd >= 0)
        close(d->files_fd);
    d->files_fd = -1;
    forget_all(d);
}

/* Watches path (unless one of the first `unique` entries is it: the
 * engine's programs are unique, only Ward's own files may repeat them);
 * its directory is marked unless it is the one marked last. */
static bool watch(struct wardd *d, const char *path, enum watched_kind kind, size_t *cap,
                  size_t unique, char *last_dir)
{
    if (!path || path[0] != '/' || strpbrk(path, "*?["))
        return true; /* a glob names no one file */
    for (size_t i = 0; i < unique && i < d->n_watched; i++)
        if (!strcmp(d->watched[i].path, path))
            return true;
    struct wardd_watched *v = ward_grow(d->watched, cap, d->n_watched, sizeof(*v), 16);
    if (!v)
        return false;
    d->watched = v;
    struct wardd_watched *w = &d->watched[d->n_watched];
    if (!(w->path = strdup(path)))
        return false;
    d->n_watched++;
    w->base = strrchr(w->path, '/') + 1;
    w->kind = kind;
    look(w);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%.*s", (int)(w->base - w->path), w->path);
    if (!strcmp(dir, last_dir))
        return true;
    snprintf(last_dir, PATH_MAX, "%s", dir);
    if (fanotify_mark(d->files_fd, FAN_MARK_ADD, FILE_EVENTS, AT_FDCWD, dir) < 0 && errno != ENOENT)
        wardd_log(LOG_INFO, "file watch: %s: %s", dir, strerror(errno));
    return true;
}

/* Ward's own binaries: wardd, and the ward command beside it. */
static void watch_binaries(struct wardd *d, size_t *cap, char *last_dir)
{
    char self[PATH_MAX], other[PATH_MAX];
    ward_self_path(self, sizeof(self));
    if (!self[0])
        return;
    watch(d, self, W_WARD, cap, SIZE_MAX, last_dir);
    ward_sibling_path("ward", other, sizeof(other));
    if (access(other, F_OK) == 0)
        watch(d, other, W_WARD, cap, SIZE_MAX, last_dir);
}

void wardd_files_rewatch(struct wardd *d)
{
    if (d->files_fd < 0)
        return;
    fanotify_mark(d->files_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
    forget_all(d);
    size_t cap = 0;
    char last_dir[PATH_MAX] = "";
    watch_binaries(d, &cap, last_dir);
    watch(d, d->opt.config, W_POLICY, &cap, SIZE_MAX, last_dir);
    size_t ours = d->n_watched;
    ward_app_info a;
    for (size_t i = 0; i < ward_app_count(d->engine); i++)
        if (ward_app_at(d->engine, i, &a) == 0 &&
            !watch(d, a.path, W_PROGRAM, &cap, ours, last_dir))
            break;
}

static void alert(struct wardd *d, const char *name, const char *path, const char *what)
{
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.uid = WARD_UID_UNKNOWN;
    WARD_EVENT_SET(&ev, exe, path);
    wardd_alert_about(d, &ev, name, what);
}

/* The MD5 of the file at path, in lower-case hex (dpkg's md5sums). */
static int md5_hex(const char *path, char out[33])
{
    char why[256];
    const struct wardd_openssl *S = wardd_openssl(why, sizeof(why));
    if (!S) {
        wardd_log(LOG_WARNING, "%s: no MD5 to compare with dpkg's: %s", path, why);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *c = S->EVP_MD_CTX_new();
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    bool ok = c && S->EVP_DigestInit_ex(c, S->EVP_md5(), NULL) == 1;
    ssize_t n;
    while (ok && (n = read(fd, buf, sizeof(buf))) > 0)
        ok = S->EVP_DigestUpdate(c, buf, (size_t)n) == 1;
    ok = ok && n == 0 && S->EVP_DigestFinal_ex(c, md, &len) == 1 && len == 16;
    S->EVP_MD_CTX_free(c);
    close(fd);
    for (unsigned i = 0; ok && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return ok ? 0 : -1;
}

/* Whether dpkg's database lists the file at path with the file's MD5 now
 * (info/PACKAGE.md5sums: "MD5  relative/path"); the package in pkg. */
static bool dpkg_confirms(const struct wardd *d, const char *path, char *pkg, size_t pkglen)
{
    char md5[33], dir[PATH_MAX], line[PATH_MAX + 64];
    if (md5_hex(path, md5) < 0)
        return false;
    snprintf(dir, sizeof(dir), "%s/info", d->opt.dpkg_dir ? d->opt.dpkg_dir : "/var/lib/dpkg");
    DIR *dd = opendir(dir);
    if (!dd)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(dd))) {
        size_t n = strlen(de->d_name);
        if (n <= 8 || strcmp(de->d_name + n - 8, ".md5sums") != 0)
            continue;
        char file[PATH_MAX * 2];
        snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
        FILE *f = fopen(file, "re");
        while (f && !found && fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strlen(line) > 34 && !strcmp(line + 34, path + 1) && !strncasecmp(line, md5, 32)) {
                found = true;
                snprintf(pkg, pkglen, "%.*s", (int)(n - 8), de->d_name);
            }
        }
        if (f)
            fclose(f);
    }
    closedir(dd);
    return found;
}

/* A program's new contents: re-hashed, and held against its pin. Digests
 * are shown by their first 16 hex digits (the alert's text has 255 bytes). */
static void program_changed(struct wardd *d, const struct wardd_watched *w, const char *change,
                            ward_exe_id old)
{
    char what[1024], hex[WARD_SHA256_STRLEN], pinhex[WARD_SHA256_STRLEN], pkg[256];
    proctab_forget_file(d->procs, old);
    proctab_forget_file(d->procs, w->id);
    ward_sha256 sha;
    int64_t app = ward_app_find(d->engine, w->path);
    ward_app_info a = {0};
    if (app > 0)
        ward_app_get(d->engine, (uint64_t)app, &a);
    if (a.pin)
        ward_sha256_format(a.pin, pinhex, sizeof(pinhex));
    if (!w->exists || proctab_sha256_path(w->path, &sha) < 0) {
        snprintf(what, sizeof(what), "%.600s: %s%s", w->path, change,
                 a.pin ? "; pinned: a binary put back is asked about unless it matches" : "");
    } else if (a.pin && memcmp(a.pin->b, sha.b, sizeof(sha.b)) != 0 &&
               d->extras.trust_package_manager && dpkg_confirms(d, w->path, pkg, sizeof(pkg))) {
        ward_app_set_pin(d->engine, (uint64_t)app, &sha, WARD_PROVIDER_LEARNED);
        d->files_repinned = true;
        snprintf(what, sizeof(what), "%.600s: %s; sha256 %.16s…, dpkg's %.40s: re-pinned", w->path,
                 change, ward_sha256_format(&sha, hex, sizeof(hex)), pkg);
    } else if (a.pin && memcmp(a.pin->b, sha.b, sizeof(sha.b)) != 0) {
        snprintf(what, sizeof(what), "%.600s: %s; sha256 %.16s…, pinned to %.16s…: asked again",
                 w->path, change, ward_sha256_format(&sha, hex, sizeof(hex)), pinhex);
    } else {
        snprintf(what, sizeof(what), "%.600s: %s; sha256 %.16s…%s", w->path, change,
                 ward_sha256_format(&sha, hex, sizeof(hex)), a.pin ? " (its pin)" : "");
    }
    alert(d, "binary-changed", w->path, what);
}

static void check(struct wardd *d, struct wardd_watched *w, uint64_t mask)
{
    struct wardd_watched was = *w;
    look(w);
    if (was.exists == w->exists && was.id.dev == w->id.dev && was.id.ino == w->id.ino &&
        was.mtime_ns == w->mtime_ns && was.ctime_ns == w->ctime_ns && was.size == w->size)
        return;
    const char *change = !w->exists    ? (mask & FAN_MOVED_FROM ? "moved away" : "deleted")
                         : !was.exists ? "created"
                         : was.id.ino != w->id.ino || was.id.dev != w->id.dev
                             ? "replaced (a new file at its path)"
                         : (mask & FAN_CLOSE_WRITE) ? "modified (close-write)"
                                                    : "modified";
    char what[1024];
    switch (w->kind) {
    case W_PROGRAM:
        program_changed(d, w, change, was.id);
        break;
    case W_POLICY:
        snprintf(what, sizeof(what), "the policy file %.600s was %s outside ward%s", w->path,
                 change, d->extras.policy_change_reload ? ": reloading it" : "");
        alert(d, "policy-changed", w->path, what);
        if (d->extras.policy_change_reload)
            d->files_reload = true;
        break;
    case W_WARD:
        snprintf(what, sizeof(what), "Ward's binary %.600s was %s", w->path, change);
        alert(d, "ward-binary-changed", w->path, what);
        break;
    }
}

/* The name an info record of an event carries, or NULL. Records are read
 * by copy: with names in them, events are not aligned in the buffer. */
static const char *record_name(const char *p, size_t len)
{
    struct fanotify_event_info_fid fid;
    struct file_handle fh;
    if (len < sizeof(fid) + sizeof(fh))
        return NULL;
    memcpy(&fid, p, sizeof(fid));
    if (fid.hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
        return NULL;
    memcpy(&fh, p + sizeof(fid), sizeof(fh));
    size_t off = sizeof(fid) + sizeof(fh) + fh.handle_bytes;
    if (off >= len || !memchr(p + off, '\0', len - off))
        return NULL;
    return p + off;
}

void wardd_files_ready(struct wardd *d)
{
    char buf[8192];
    for (;;) {
        ssize_t n = read(d->files_fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        size_t off = 0;
        while (off + sizeof(struct fanotify_event_metadata) <= (size_t)n) {
            struct fanotify_event_metadata m;
            memcpy(&m, buf + off, sizeof(m));
            if (m.event_len < sizeof(m) || off + m.event_len > (size_t)n)
                break;
            if (m.mask & FAN_Q_OVERFLOW) {
                for (size_t i = 0; i < d->n_watched; i++)
                    check(d, &d->watched[i], 0);
            }
            size_t p = off + m.metadata_len;
            while (p + sizeof(struct fanotify_event_info_header) <= off + m.event_len) {
                struct fanotify_event_info_header h;
                memcpy(&h, buf + p, sizeof(h));
                if (h.len < sizeof(h) || p + h.len > off + m.event_len)
                    break;
                const char *name = record_name(buf + p, h.len);
                for (size_t i = 0; name && i < d->n_watched; i++)
                    if (!strcmp(d->watched[i].base, name))
                        check(d, &d->watched[i], m.mask);
                p += h.len;
            }
            off += m.event_len;
        }
    }
    /* Pins that followed the package manager: kept with the learned rules
     * (after the loop: a commit watches the files again). */
    if (d->files_repinned) {
        d->files_repinned = false;
        wardd_commit(d, WARDD_CHANGED_RULES | WARDD_CHANGED_LEARNED);
    }
    /* set on-policy-change reload: as SIGHUP does (all or nothing). */
    if (d->files_reload) {
        d->files_reload = false;
        wardd_reload_request(d, NULL, 0);
    }
}
