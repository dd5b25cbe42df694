/*
 * cli/bundle_apply.c — putting a policy bundle in force, all or nothing,
 * and taking it back.
 *
 * The bundle's files go into the policy's directory (beside ward.conf).
 * Before they do, the files they replace (and those of the bundle in force
 * that the new one drops) are saved: that snapshot is what `rollback`
 * restores, and what a failed apply restores at once. The state directory
 * ($WARD_BUNDLE_DIR, /var/lib/ward/bundle) holds
 *
 *     current.wbd     the bundle in force (absent: none)
 *     previous/       the snapshot: `list` ("+ PATH" saved under files/,
 *                     "- PATH" absent before) and bundle.wbd, the bundle
 *                     in force before, if any
 *     refused         the version rolled back: polls skip it and older
 *     lock            one apply or rollback at a time (poll and people)
 */
#define _GNU_SOURCE
#include "cli/bundle.h"
#include "cli/daemon.h"
#include "store/store.h"
#include "util/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN 1024

void bundle_paths(struct bundle_paths *bp)
{
    ward_store_paths sp;
    ward_store_paths_default(&sp);
    const char *st = getenv("WARD_BUNDLE_DIR");
    snprintf(bp->state, sizeof(bp->state), "%s", st && *st ? st : BUNDLE_STATE_DEFAULT);
    snprintf(bp->conf, sizeof(bp->conf), "%s", sp.conf);
    snprintf(bp->learned, sizeof(bp->learned), "%s", sp.learned);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", sp.conf);
    snprintf(bp->policy_dir, sizeof(bp->policy_dir), "%s", dirname(tmp));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void join(char *out, const char *a, const char *b)
{
    snprintf(out, PATH_MAX, "%.2000s/%.2000s", a, b);
}

/* src to dir/rel (atomically, mode 0644), creating the directories. */
static int copy_file(const char *src, const char *dir, const char *rel)
{
    uint8_t *data;
    size_t len;
    char dst[PATH_MAX];
    int rc = ward_sign_read_file(src, WARD_BUNDLE_MAX_BYTES, &data, &len);
    if (rc < 0)
        return rc;
    join(dst, dir, rel);
    rc = ward_sign_make_parents(dir, rel);
    if (rc == 0)
        rc = ward_atomic_write(dst, data, len, 0644);
    free(data);
    return rc;
}

/* ---- snapshots ------------------------------------------------------------------- */

struct pathset {
    char (*p)[WARD_BUNDLE_MAX_PATH + 1];
    size_t n;
};

static int pathset_add(struct pathset *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->p[i], path))
            return 0;
    void *np = realloc(s->p, (s->n + 1) * sizeof(*s->p));
    if (!np)
        return -ENOMEM;
    s->p = np;
    snprintf(s->p[s->n++], sizeof(s->p[0]), "%s", path);
    return 0;
}

static int pathset_add_bundle(struct pathset *s, const ward_bundle *b)
{
    for (size_t i = 0; b && i < b->n_files; i++)
        if (pathset_add(s, b->files[i].path) < 0)
            return -ENOMEM;
    return 0;
}

/* The paths a snapshot lists (its `list` file); -errno. */
static int snapshot_paths(const char *snap, struct pathset *s)
{
    char list[PATH_MAX], line[WARD_BUNDLE_MAX_PATH + 8];
    join(list, snap, "list");
    FILE *f = fopen(list, "re");
    if (!f)
        return -errno;
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if ((line[0] != '+' && line[0] != '-') || line[1] != ' ' || !ward_sign_path_ok(line + 2))
            rc = -EINVAL;
        else
            rc = pathset_add(s, line + 2);
    }
    fclose(f);
    return rc;
}

/* Saves the policy directory's files of s into snap (a new directory). */
static int snapshot(const struct bundle_paths *bp, const struct pathset *s, const char *snap,
                    char *err)
{
    char list[PATH_MAX], files[PATH_MAX];
    join(list, snap, "list");
    join(files, snap, "files");
    FILE *f = mkdir(snap, 0700) == 0 && mkdir(files, 0700) == 0 ? fopen(list, "we") : NULL;
    if (!f) {
        ward_errbuf_set(err, ERRLEN, "%s: %s", snap, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < s->n; i++) {
        char from[PATH_MAX], to[PATH_MAX];
        join(from, bp->policy_dir, s->p[i]);
        join(to, files, s->p[i]);
        if (access(from, F_OK) < 0) {
            fprintf(f, "- %s\n", s->p[i]);
            continue;
        }
        fprintf(f, "+ %s\n", s->p[i]);
        if ((rc = copy_file(from, files, s->p[i])) < 0)
            ward_errbuf_set(err, ERRLEN, "saving %s: %s", from, strerror(-rc));
    }
    if (fclose(f) != 0 && !rc) {
        rc = -errno;
        ward_errbuf_set(err, ERRLEN, "%s: %s", list, strerror(errno));
    }
    return rc;
}

/* Puts a snapshot's files back (and removes those it lists as absent). */
static int restore(const struct bundle_paths *bp, const char *snap, char *err)
{
    char list[PATH_MAX], files[PATH_MAX], line[WARD_BUNDLE_MAX_PATH + 8];
    join(list, snap, "list");
    join(files, snap, "files");
    FILE *f = fopen(list, "re");
    if (!f) {
        ward_errbuf_set(err, ERRLEN, "%s: %s", list, strerror(errno));
        return -1;
    }
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char from[PATH_MAX], to[PATH_MAX];
        if (!ward_sign_path_ok(line + 2))
            continue;
        join(to, bp->policy_dir, line + 2);
        join(from, files, line + 2);
        if (line[0] == '-')
            rc = unlink(to) < 0 && errno != ENOENT ? -errno : 0;
        else
            rc = copy_file(from, bp->policy_dir, line + 2);
        if (rc < 0)
            ward_errbuf_set(err, ERRLEN, "restoring %s: %s", to, strerror(-rc));
    }
    fclose(f);
    return rc;
}

/* ---- wardd ----------------------------------------------------------------------- */

/* Asks wardd to reload: 0 (done, or *running false: no wardd), -1 (its
 * errors printed). */
static int reload_wardd(bool *running)
{
    const char *sock = getenv("WARD_SOCKET");
    char err[256];
    ward_client *c = ward_client_connect(sock && *sock ? sock : WARD_CONTROL_SOCKET, "ward-bundle",
                                         err, sizeof(err));
    *running = c != NULL;
    if (!c)
        return 0;
    ward_msg req = {.type = WARD_MSG_RELOAD}, rep;
    int rc = cli_call(c, &req, &rep, NULL, NULL);
    if (rc == 0)
        ward_msg_free(&rep);
    ward_client_close(c);
    return rc;
}

/* The policy in `dir` as wardd would load it (with the learned rules):
 * diagnostics name the bundle, not the scratch directory. */
static int check_policy(const struct bundle_paths *bp, const char *dir, const char *shown)
{
    char conf[PATH_MAX], prefix[PATH_MAX + 1];
    join(conf, dir, "ward.conf");
    snprintf(prefix, sizeof(prefix), "%s/", dir);
    ward_policy *p = cli_policy_new();
    if (!p)
        return -1;
    const char *files[] = {conf};
    int rc = ward_policy_load(p, files, 1);
    if (rc == 0 && access(bp->learned, F_OK) == 0) {
        const char *learned = bp->learned;
        rc = ward_policy_load_more(p, &learned, 1);
    }
    const char *d = ward_policy_diagnostics(p);
    for (const char *hit; (hit = strstr(d, prefix)); d = hit + strlen(prefix))
        fprintf(stderr, "%.*s%s:", (int)(hit - d), d, shown);
    fputs(d, stderr);
    if (rc != 0)
        fprintf(stderr, "%s: %s; nothing applied\n", shown,
                rc < 0 ? "out of memory" : "the policy has errors");
    ward_policy_free(p);
    return rc == 0 ? 0 : -1;
}

/* ---- apply and rollback ---------------------------------------------------------- */

static int lock_state(const struct bundle_paths *bp)
{
    char path[PATH_MAX];
    if (mkdir(bp->state, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", cli_prog, bp->state, strerror(errno));
        return -1;
    }
    join(path, bp->state, "lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        fprintf(stderr, "%s: %s: %s\n", cli_prog, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int bundle_current(const struct bundle_paths *bp, const char *name, ward_bundle *b)
{
    char path[PATH_MAX];
    uint8_t *data;
    size_t len;
    join(path, bp->state, name);
    memset(b, 0, sizeof(*b));
    if (ward_sign_read_file(path, WARD_BUNDLE_MAX_BYTES, &data, &len) < 0)
        return -1;
    if (ward_bundle_parse(b, data, len, NULL, 0) < 0) {
        free(data);
        return -1;
    }
    b->owned = data;
    return 0;
}

uint64_t bundle_refused(const struct bundle_paths *bp)
{
    char path[PATH_MAX];
    unsigned long long v = 0;
    join(path, bp->state, "refused");
    FILE *f = fopen(path, "re");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* Writes the bundle's files into the policy directory and drops those of
 * `old` it does not have. */
static int install(const struct bundle_paths *bp, const char *stage, const ward_bundle *b,
                   const ward_bundle *old, char *err)
{
    for (size_t i = 0; old && i < old->n_files; i++) {
        char to[PATH_MAX];
        join(to, bp->policy_dir, old->files[i].path);
        if (!ward_bundle_find(b, old->files[i].path) && unlink(to) < 0 && errno != ENOENT) {
            ward_errbuf_set(err, ERRLEN, "%s: %s", to, strerror(errno));
            return -1;
        }
    }
    for (size_t i = 0; i < b->n_files; i++) {
        char from[PATH_MAX], to[PATH_MAX];
        join(from, stage, b->files[i].path);
        join(to, bp->policy_dir, b->files[i].path);
        int rc = copy_file(from, bp->policy_dir, b->files[i].path);
        if (rc < 0) {
            ward_errbuf_set(err, ERRLEN, "%s: %s", to, strerror(-rc));
            return -1;
        }
    }
    return 0;
}

/* Reload; if that fails, the snapshot goes back and wardd reloads it. */
static int reload_or_undo(const struct bundle_paths *bp, const char *undo, const char *shown,
                          bool *running)
{
    char err[ERRLEN];
    if (reload_wardd(running) == 0)
        return 0;
    if (restore(bp, undo, err) < 0)
        fprintf(stderr, "%s: %s\n", cli_prog, err);
    reload_wardd(running);
    fprintf(stderr, "%s: wardd refused the policy of %s: the previous one stays in force\n",
            cli_prog, shown);
    return -1;
}

/* The bundle in force moves into the snapshot (it becomes the previous
 * one), or back. */
static int move_current(const struct bundle_paths *bp, const char *snap, bool into, char *err)
{
    char state[PATH_MAX], saved[PATH_MAX];
    join(state, bp->state, "current.wbd");
    join(saved, snap, "bundle.wbd");
    if (rename(into ? state : saved, into ? saved : state) < 0 && errno != ENOENT) {
        ward_errbuf_set(err, ERRLEN, "%s: %s", into ? state : saved, strerror(errno));
        return -1;
    }
    return 0;
}

int bundle_apply(const char *src, const char *keys, bool poll)
{
    struct bundle_paths bp;
    bundle_paths(&bp);
    char err[ERRLEN] = "", e2[ERRLEN], work[PATH_MAX], file[PATH_MAX], stage[PATH_MAX],
         snap[PATH_MAX], prev[PATH_MAX], cur_path[PATH_MAX];
    ward_bundle b = {0}, cur = {0};
    struct pathset ps = {0};
    bool have_cur, running = false;
    int rc = 1, lock = lock_state(&bp);
    if (lock < 0)
        return 1;
    join(work, bp.state, "work.XXXXXX");
    if (!mkdtemp(work)) {
        fprintf(stderr, "%s: %s: %s\n", cli_prog, work, strerror(errno));
        close(lock);
        return 1;
    }
    snprintf(file, sizeof(file), "%s", src);
    if (ward_sign_is_url(src)) {
        join(file, work, "fetched.wbd");
        if (ward_sign_fetch(src, file, err, sizeof(err)) < 0)
            goto out;
    }
    have_cur = bundle_current(&bp, "current.wbd", &cur) == 0;
    if (ward_bundle_open(&b, file, src, keys, have_cur ? cur.version : 0, err, sizeof(err)) < 0)
        goto out;
    if (have_cur && b.version == cur.version) {
        if (b.signed_len == cur.signed_len && !memcmp(b.data, cur.data, b.signed_len)) {
            if (!poll)
                printf("%s: %s version %llu is already in force\n", src, b.name,
                       (unsigned long long)b.version);
            rc = 0;
        } else {
            ward_errbuf_set(err, ERRLEN,
                            "%s: version %llu is in force with other content: a new bundle needs a "
                            "higher version",
                            src, (unsigned long long)b.version);
        }
        goto out;
    }
    if (poll && b.version <= bundle_refused(&bp)) {
        rc = 0; /* rolled back by someone: a timer does not bring it back */
        goto out;
    }
    if (!ward_bundle_find(&b, "ward.conf")) {
        ward_errbuf_set(err, ERRLEN, "%s: the bundle has no ward.conf", src);
        goto out;
    }
    join(stage, work, "new");
    if (mkdir(stage, 0755) < 0 || ward_bundle_extract(&b, stage, err, sizeof(err)) < 0 ||
        check_policy(&bp, stage, src) < 0)
        goto out;
    join(snap, work, "previous");
    if (pathset_add_bundle(&ps, &b) < 0 || pathset_add_bundle(&ps, have_cur ? &cur : NULL) < 0 ||
        snapshot(&bp, &ps, snap, err) < 0 || move_current(&bp, snap, true, err) < 0)
        goto out;
    if (install(&bp, stage, &b, have_cur ? &cur : NULL, err) < 0) {
        restore(&bp, snap, e2);
        move_current(&bp, snap, false, e2);
        goto out;
    }
    if (reload_or_undo(&bp, snap, src, &running) < 0) {
        move_current(&bp, snap, false, e2);
        goto out;
    }
    /* In force: the snapshot is what rollback restores from now on. */
    join(prev, bp.state, "previous");
    join(cur_path, bp.state, "current.wbd");
    rm_tree(prev);
    if (rename(snap, prev) < 0 || ward_atomic_write(cur_path, b.data, b.len, 0644) < 0) {
        ward_errbuf_set(err, ERRLEN, "%s: %s", bp.state, strerror(errno));
        goto out;
    }
    printf("%s: %s version %llu applied (%zu file%s)%s\n", src, b.name,
           (unsigned long long)b.version, b.n_files, b.n_files == 1 ? "" : "s",
           running ? ", wardd reloaded" : "; wardd is not running: in force when it starts");
    rc = 0;
out:
    if (err[0])
        fprintf(stderr, "%s: %s\n", cli_prog, err);
    ward_bundle_close(&b);
    ward_bundle_close(&cur);
    free(ps.p);
    rm_tree(work);
    close(lock);
    return rc;
}

int bundle_rollback(void)
{
    struct bundle_paths bp;
    bundle_paths(&bp);
    char err[ERRLEN] = "", e2[ERRLEN], work[PATH_MAX], undo[PATH_MAX], prev[PATH_MAX],
         path[PATH_MAX];
    ward_bundle cur = {0};
    struct pathset ps = {0};
    bool running = false;
    int rc = 1, lock = lock_state(&bp);
    if (lock < 0)
        return 1;
    join(prev, bp.state, "previous");
    join(work, bp.state, "work.XXXXXX");
    if (snapshot_paths(prev, &ps) < 0) {
        ward_errbuf_set(err, ERRLEN, "no bundle to roll back (%s holds no previous policy)",
                        bp.state);
        goto out;
    }
    if (!mkdtemp(work)) {
        ward_errbuf_set(err, ERRLEN, "%s: %s", work, strerror(errno));
        goto out;
    }
    bool have_cur = bundle_current(&bp, "current.wbd", &cur) == 0;
    join(undo, work, "undo");
    if (pathset_add_bundle(&ps, have_cur ? &cur : NULL) < 0 || snapshot(&bp, &ps, undo, err) < 0)
        goto out;
    if (restore(&bp, prev, err) < 0) {
        restore(&bp, undo, e2);
        goto out;
    }
    if (reload_or_undo(&bp, undo, "the previous policy", &running) < 0)
        goto out;
    /* The previous bundle (if there was one) is in force again. */
    join(path, bp.state, "refused");
    if (have_cur) {
        char v[32];
        int n = snprintf(v, sizeof(v), "%llu\n", (unsigned long long)cur.version);
        ward_atomic_write(path, v, (size_t)n, 0644);
    }
    join(path, bp.state, "current.wbd");
    unlink(path);
    if (move_current(&bp, prev, false, err) < 0)
        goto out;
    ward_bundle back = {0};
    bool was_bundle = bundle_current(&bp, "current.wbd", &back) == 0;
    rm_tree(prev);
    if (was_bundle)
        printf("rolled back to %s version %llu%s\n", back.name, (unsigned long long)back.version,
               running ? ", wardd reloaded" : "");
    else
        printf("rolled back to the policy before bundles%s\n", running ? ", wardd reloaded" : "");
    ward_bundle_close(&back);
    rc = 0;
out:
    if (err[0])
        fprintf(stderr, "%s: %s\n", cli_prog, err);
    ward_bundle_close(&cur);
    free(ps.p);
    if (strstr(work, "XXXXXX") == NULL)
        rm_tree(work);
    close(lock);
    return rc;
}
