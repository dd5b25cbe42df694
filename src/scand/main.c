/*
 * ward-scand — the antivirus helper (docs/AV.md): libclamav's engine,
 * loaded once and kept out of wardd. wardd starts it with one end of a
 * socketpair as fd 3 and the signature directory as its argument; it
 * drops to `nobody` and loads a seccomp filter before it reads anything, scans the descriptors
 * wardd passes (never a path), and reloads the databases when the directory changes, keeping the
 * engine it has when the new databases do not load.
 */
#define _GNU_SOURCE
#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "confine/confine.h"
#include "scand/wire.h"

#define FD        3
#define SETTLE_MS 300 /* a database update is several writes: load once they stop */

/* What libclamav said of the last load that failed: the file it could not
 * load and the line at fault (its messages are the only place they are). */
static char err_file[160], err_line[160];
static const char *tmpdir; /* where libclamav unpacks (NULL: $TMPDIR or /tmp) */

static void keep(char *dst, size_t len, const char *msg)
{
    if (dst[0])
        return; /* the first one says it; later ones repeat it */
    snprintf(dst, len, "%s", msg);
    size_t n = strlen(dst);
    while (n && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
        dst[--n] = '\0';
}

static void on_msg(enum cl_msg sev, const char *full, const char *msg, void *ctx)
{
    (void)ctx;
    if (sev == CL_MSG_ERROR && strstr(msg, "Can't load "))
        keep(err_file, sizeof(err_file), strstr(msg, "Can't load ") + 11);
    else if (sev == CL_MSG_ERROR && strstr(msg, " line "))
        keep(err_line, sizeof(err_line), msg);
    fprintf(stderr, "%s", full);
}

/* The directory libclamav unpacks into, made the helper's: nobody's where
 * CAP_CHOWN allows (outside ward.service), else root's with nobody's group
 * and mode 0770 (an owner may give its file to a group it is in, no
 * capability needed). Called once the group is nobody's, before the user. */
static void own_tmpdir(uid_t uid, gid_t gid)
{
    struct stat st;
    if (!tmpdir || (mkdir(tmpdir, 0700) < 0 && errno != EEXIST) || stat(tmpdir, &st) < 0) {
        if (tmpdir)
            fprintf(stderr, "ward-scand: %s: %s\n", tmpdir, strerror(errno));
        return;
    }
    if (st.st_uid == uid || (st.st_gid == gid && (st.st_mode & 0070) == 0070))
        return; /* an earlier helper's */
    if (chown(tmpdir, uid, gid) < 0 &&
        (chown(tmpdir, (uid_t)-1, gid) < 0 || chmod(tmpdir, 0770) < 0))
        fprintf(stderr, "ward-scand: %s: %s\n", tmpdir, strerror(errno));
}

/* The newest file of the directory: the date of databases that carry none. */
static int64_t newest_file(const char *dir)
{
    DIR *d = opendir(dir);
    int64_t t = 0;
    if (!d)
        return 0;
    struct dirent *e;
    struct stat st;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
            S_ISREG(st.st_mode) && st.st_mtime > t)
            t = st.st_mtime;
    closedir(d);
    return t;
}

/* A new engine from dir, or NULL with the reason in err. */
static struct cl_engine *load(const char *dir, unsigned *sigs, char *err, size_t errlen)
{
    struct cl_engine *e = cl_engine_new();
    if (e && tmpdir)
        cl_engine_set_str(e, CL_ENGINE_TMPDIR, tmpdir);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    err_file[0] = err_line[0] = '\0';
    *sigs = 0;
    cl_error_t rc = cl_load(dir, e, sigs, CL_DB_STDOPT);
    if (rc == CL_SUCCESS && *sigs == 0) {
        snprintf(err, errlen, "%s: no signatures", dir);
    } else if (rc != CL_SUCCESS || (rc = cl_engine_compile(e)) != CL_SUCCESS) {
        snprintf(err, errlen, "%s%s%s%s", err_file[0] ? err_file : cl_strerror(rc),
                 err_line[0] ? " (" : "", err_line, err_line[0] ? ")" : "");
    } else {
        return e;
    }
    cl_engine_free(e);
    return NULL;
}

static void info(struct cl_engine *e, const char *dir, unsigned sigs, int kept, const char *err)
{
    struct scand_msg m = {.magic = SCAND_MAGIC, .op = SCAND_INFO, .verdict = kept};
    snprintf(m.version, sizeof(m.version), "%s", cl_retver());
    snprintf(m.text, sizeof(m.text), "%s", err ? err : "");
    if (e) {
        int rc;
        m.sigs = sigs;
        m.db_version = (uint32_t)cl_engine_get_num(e, CL_ENGINE_DB_VERSION, &rc);
        m.db_time = (int64_t)cl_engine_get_num(e, CL_ENGINE_DB_TIME, &rc);
        if (m.db_time <= 0)
            m.db_time = newest_file(dir);
    }
    scand_send(FD, &m, -1);
}

static void scan(struct cl_engine *e, const struct scand_msg *req, int fd)
{
    struct scand_msg m = {.magic = SCAND_MAGIC, .op = SCAND_RESULT, .id = req->id};
    if (!e) {
        m.verdict = SCAND_ERROR;
        snprintf(m.text, sizeof(m.text), "no signature database loaded");
    } else if (fd < 0) {
        m.verdict = SCAND_ERROR;
        snprintf(m.text, sizeof(m.text), "no file sent");
    } else {
        struct cl_scan_options o = {.parse = ~0u};
        const char *name = NULL;
        unsigned long scanned = 0;
        cl_error_t rc = cl_scandesc(fd, NULL, &name, &scanned, e, &o);
        m.verdict = rc == CL_VIRUS ? SCAND_INFECTED : rc == CL_CLEAN ? SCAND_CLEAN : SCAND_ERROR;
        snprintf(m.text, sizeof(m.text), "%s",
                 rc == CL_VIRUS   ? (name ? name : "?")
                 : rc == CL_CLEAN ? ""
                                  : cl_strerror(rc));
    }
    if (fd >= 0)
        close(fd);
    scand_send(FD, &m, -1);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: ward-scand DATABASE-DIR [TMPDIR] (started by wardd, fd 3 its "
                        "socket)\n");
        return 2;
    }
    const char *dir = argv[1];
    tmpdir = argc == 3 ? argv[2] : NULL;
    signal(SIGPIPE, SIG_IGN);
    if (ward_drop_to_nobody("ward-scand", own_tmpdir) < 0) {
        perror("ward-scand: dropping privileges");
        return 1;
    }
    /* A scanner needs no network either. */
    static const int no_net[] = {SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind),
                                 SCMP_SYS(listen), SCMP_SYS(accept),  SCMP_SYS(accept4)};
    if (ward_confine(no_net, sizeof(no_net) / sizeof(*no_net)) != 0) {
        fprintf(stderr, "ward-scand: the seccomp filter did not load\n");
        return 1;
    }
    cl_set_clcb_msg(on_msg);
    if (cl_init(CL_INIT_DEFAULT) != CL_SUCCESS) {
        fprintf(stderr, "ward-scand: libclamav does not initialise\n");
        return 1;
    }
    char err[256];
    unsigned sigs = 0, new_sigs;
    struct cl_engine *e = load(dir, &sigs, err, sizeof(err));
    info(e, dir, sigs, e ? 0 : -1, e ? NULL : err);
    int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ino >= 0 && inotify_add_watch(ino, dir,
                                      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                          IN_CREATE | IN_ATTRIB) < 0)
        fprintf(stderr, "ward-scand: watching %s: %s (no reload on change)\n", dir,
                strerror(errno));
    int64_t reload_at = -1;
    for (;;) {
        struct pollfd p[2] = {{FD, POLLIN, 0}, {ino, POLLIN, 0}};
        int wait = reload_at < 0 ? -1 : (int)(reload_at - now_ms());
        int n = poll(p, ino >= 0 ? 2 : 1, wait < 0 && reload_at >= 0 ? 0 : wait);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && (p[1].revents & POLLIN)) {
            char buf[4096];
            while (read(ino, buf, sizeof(buf)) > 0)
                ;
            reload_at = now_ms() + SETTLE_MS;
        }
        if (reload_at >= 0 && now_ms() >= reload_at) {
            reload_at = -1;
            struct cl_engine *ne = load(dir, &new_sigs, err, sizeof(err));
            if (ne) {
                if (e)
                    cl_engine_free(e);
                e = ne;
                sigs = new_sigs;
            }
            info(e, dir, sigs, ne ? 0 : -1, ne ? NULL : err);
        }
        if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            struct scand_msg m;
            int fd;
            int rc = scand_recv(FD, &m, &fd);
            if (rc == 0 || (rc < 0 && rc != -EAGAIN && rc != -EPROTO))
                break; /* wardd is gone */
            if (rc == 1 && m.op == SCAND_SCAN)
                scan(e, &m, fd);
            else if (fd >= 0)
                close(fd);
        }
    }
    if (e)
        cl_engine_free(e);
    return 0;
}
