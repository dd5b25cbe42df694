/*
 * files.c — reading policy files, with pfctl's file-secrecy habits: a file
 * or directory that someone other than root (or the caller) owns or can
 * write could change the firewall behind the administrator's back, and a
 * symlink must not pull in files from outside the policy tree.
 */
#define _GNU_SOURCE
#include "policy/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIR_ENTRIES 4096

bool secrecy_trusts(const struct secrecy *s, uid_t uid)
{
    if (uid == 0 || uid == geteuid())
        return true;
    for (size_t i = 0; i < s->n_trusted; i++)
        if (s->trusted[i] == uid)
            return true;
    return false;
}

static void report(struct load *ld, const struct token *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(struct load *ld, const struct token *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at)
        diag_at(ld, at, "%s", msg);
    else
        diag_plain(ld, "%s", msg);
}

/* Owner and mode: what pfctl checks before it trusts a rules file. */
static bool secure_stat(struct load *ld, const struct stat *st, const char *what, const char *path,
                        const struct token *at)
{
    if (ld->secrecy->skip)
        return true;
    if (!secrecy_trusts(ld->secrecy, st->st_uid)) {
        report(ld, at, "%s '%s' is owned by uid %u, not root: refusing it", what, path,
               (unsigned)st->st_uid);
        return false;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        report(ld, at, "%s '%s' is writable by group or others (mode %04o): refusing it", what,
               path, (unsigned)(st->st_mode & 07777));
        return false;
    }
    return true;
}

static bool under_root(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return true;
    return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == 0);
}

/* The directory holding `path` must be as trustworthy as the file. */
static bool secure_parent(struct load *ld, const char *real, const char *path,
                          const struct token *at)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", real);
    struct stat st;
    if (stat(dirname(dir), &st) < 0)
        return true; /* opening the file worked: nothing more to learn */
    if (ld->secrecy->skip)
        return true;
    if (!secrecy_trusts(ld->secrecy, st.st_uid) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        /* A sticky shared directory (/tmp) still lets others replace names. */
        report(ld, at, "the directory of '%s' is %s: refusing it", path,
               !secrecy_trusts(ld->secrecy, st.st_uid) ? "owned by another user"
                                                       : "writable by group or others");
        return false;
    }
    return true;
}

/* The length of the UTF-8 sequence at s (1 to 4), or 0 when it is not one:
 * overlong forms, surrogates and values past U+10FFFF are not text. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned char c = *s;
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 2, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - s) <= n)
        return 0;
    for (size_t i = 1; i <= n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n + 1;
}

bool source_is_text(struct load *ld, int src)
{
    struct source *s = &ld->srcs[src];
    const unsigned char *p = (const unsigned char *)s->text, *end = p + s->len, *q = p;
    const char *why = NULL;
    /* One pass: control bytes other than tab, newline and carriage return
     * (a binary file, or text that would drive the terminal the errors are
     * shown on), and invalid UTF-8. */
    while (q < end) {
        unsigned char c = *q;
        if (c >= 0x20 && c < 0x7f) {
            q++;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            q++;
        } else if (c >= 0x80) {
            size_t n = utf8_len(q, end);
            if (!n) {
                why = "invalid UTF-8 at byte";
                break;
            }
            q += n;
        } else {
            why = "control byte";
            break;
        }
    }
    if (!why)
        return true;
    int line = 1;
    const unsigned char *ls = p;
    for (const unsigned char *r = p; r < q; r++)
        if (*r == '\n')
            line++, ls = r + 1;
    s->quiet = true;
    diag_pos_quiet(ld, src, line, (int)(q - ls) + 1,
                   "'%s' is not a text file (%s 0x%02x): refusing it", s->path, why, *q);
    return false;
}

/* The tree of a top-level file is the directory it was named in. */
static const char *tree_of(struct load *ld, const char *path)
{
    char buf[PATH_MAX], rd[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    const char *d = dirname(buf);
    const char *root = realpath(d, rd) ? rd : d;
    return arena_strdup(&ld->arena, root, strlen(root));
}

int source_open(struct load *ld, const char *path, const char *root, const struct token *at)
{
    char real[PATH_MAX];
    struct stat lst;
    if (lstat(path, &lst) < 0 || !realpath(path, real)) {
        report(ld, at, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    if (!root && !(root = tree_of(ld, path)))
        return -1;
    /* Checked before anything is read: a symlink to a file elsewhere (say
     * /etc/shadow) must not have its lines quoted in the errors. */
    if (!under_root(real, root)) {
        report(ld, at,
               S_ISLNK(lst.st_mode)
                   ? "'%s' is a symlink leading outside the policy tree: refusing it"
                   : "'%s' is outside the policy tree: refusing it",
               path);
        return -1;
    }
    /* The resolved name, not followed again: a symlink swapped in after
     * realpath fails here instead of being read. */
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        report(ld, at, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        report(ld, at,
               S_ISDIR(st.st_mode) ? "'%s' is a directory (include \"%s/*.rules\" reads one)"
                                   : "'%s' is not a regular file%s",
               path, S_ISDIR(st.st_mode) ? path : "");
        close(fd);
        return -1;
    }
    if (!secure_stat(ld, &st, "file", path, at) || !secure_parent(ld, real, path, at)) {
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > WARD_POLICY_MAX_FILE ||
        ld->bytes + (size_t)st.st_size > WARD_POLICY_MAX_TOTAL) {
        report(ld, at,
               (size_t)st.st_size > WARD_POLICY_MAX_FILE
                   ? "'%s' is larger than %u bytes: refusing it"
                   : "'%s' would take the policy past %u bytes in all: refusing it",
               path,
               (size_t)st.st_size > WARD_POLICY_MAX_FILE ? WARD_POLICY_MAX_FILE
                                                         : WARD_POLICY_MAX_TOTAL);
        close(fd);
        return -1;
    }
    char *text = arena_alloc(&ld->arena, (size_t)st.st_size + 1);
    size_t got = 0;
    while (text && got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!text)
        return -1;
    ld->bytes += got;

    struct source *v = arena_alloc(&ld->arena, (ld->n_srcs + 1) * sizeof(*v));
    if (!v)
        return -1;
    if (ld->n_srcs)
        memcpy(v, ld->srcs, ld->n_srcs * sizeof(*v));
    ld->srcs = v;
    v[ld->n_srcs] = (struct source){
        .path = arena_strdup(&ld->arena, path, strlen(path)),
        .text = text,
        .len = got,
        .root = root,
    };
    int src = (int)ld->n_srcs++;
    return source_is_text(ld, src) ? src : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **dir_glob(struct load *ld, const char *dir, const char *pattern, size_t *n,
                      const struct token *at)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        report(ld, at, "cannot open directory '%s': %s", dir, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(dirfd(d), &st) < 0 || !secure_stat(ld, &st, "directory", dir, at)) {
        closedir(d);
        return NULL;
    }
    const char **v = arena_alloc(&ld->arena, MAX_DIR_ENTRIES * sizeof(*v));
    struct dirent *de;
    while (v && (de = readdir(d)) && *n < MAX_DIR_ENTRIES) {
        /* Hidden files are editor droppings and never policy. */
        if (de->d_name[0] == '.' || fnmatch(pattern, de->d_name, FNM_PERIOD) != 0)
            continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *full = arena_alloc(&ld->arena, len);
        if (!full)
            break;
        snprintf(full, len, "%s/%s", dir, de->d_name);
        v[(*n)++] = full;
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}
