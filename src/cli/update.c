/*
 * cli/update.c — `ward update ids`: intrusion detection rules from a
 * signed bundle (src/sign), put in force all or nothing, one step of
 * rollback.
 *
 *   ward update ids [--keys DIR] [--poll] FILE|URL   verify, compile, swap in
 *   ward update ids --rollback             the set before the last update
 *   ward update ids --status               the set in force
 *
 * A bundle named "ids" carries the file ids.rules. It is refused (and the
 * set in force stays) when its signature is not made by a key of the keys
 * directory, when it is corrupt, when a rule does not compile, or when its
 * version is below the one in force (a downgrade). The state directory
 * ($WARD_IDS_DIR, else /var/lib/ward/ids) holds
 *
 *     ids.rules, current.wbd      the set in force and its bundle
 *     previous.rules, previous.wbd    the set before, for --rollback
 *     refused                     the version last rolled back: --poll (wardd's
 *                                 timer) skips it and older ones
 *
 * Each file is replaced by rename, ids.rules last: a reader sees the old
 * set or the new one, never a mix. wardd's ids callout loads ids.rules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ids/ids.h"
#include "sign/sign.h"
#include "store/store.h"

#define IDS_STATE_DEFAULT "/var/lib/ward/ids"
#define IDS_RULES_FILE    "ids.rules"
#define IDS_BUNDLE_NAME   "ids"

static const char usage_text[] = "usage: %s update ids [--keys DIR] [--poll] FILE|URL\n"
                                 "       %s update ids --rollback\n"
                                 "       %s update ids --status\n";

static void state_path(char *out, const char *name)
{
    const char *d = getenv("WARD_IDS_DIR");
    snprintf(out, PATH_MAX, "%.2000s/%s", d && *d ? d : IDS_STATE_DEFAULT, name);
}

/* A state file's bytes, or -errno. */
static int state_read(const char *name, uint8_t **data, size_t *len)
{
    char p[PATH_MAX];
    state_path(p, name);
    return ward_sign_read_file(p, WARD_BUNDLE_MAX_BYTES, data, len);
}

static int state_write(const char *name, const void *data, size_t len)
{
    char p[PATH_MAX];
    state_path(p, name);
    return ward_atomic_write(p, data, len, 0644);
}

/* The version of a state bundle (parsed only: it was verified when it
 * came in); 0 when there is none. */
static uint64_t state_version(const char *name, char *date, size_t datelen)
{
    uint8_t *data;
    size_t len;
    ward_bundle b;
    char err[256];
    uint64_t v = 0;
    if (state_read(name, &data, &len) < 0)
        return 0;
    if (ward_bundle_parse(&b, data, len, err, sizeof(err)) == 0) {
        v = b.version;
        if (date)
            snprintf(date, datelen, "%s", b.date);
        ward_bundle_close(&b);
    }
    free(data);
    return v;
}

/* Copies state file a to b (when a exists); 0 or -errno. */
static int state_copy(const char *a, const char *b)
{
    uint8_t *data;
    size_t len;
    int rc = state_read(a, &data, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    rc = state_write(b, data, len);
    free(data);
    return rc;
}

/* An error, and that nothing changed. Returns 1. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("; the rules in force stay\n", stderr);
    return 1;
}

/* The version rolled back last (0: none). */
static uint64_t refused_version(void)
{
    uint8_t *data;
    size_t len;
    if (state_read("refused", &data, &len) < 0)
        return 0;
    char buf[32] = "";
    memcpy(buf, data, len < sizeof(buf) - 1 ? len : sizeof(buf) - 1);
    free(data);
    return strtoull(buf, NULL, 10);
}

static int update(const char *src, const char *keys, bool poll)
{
    char tmp[] = "/tmp/ward-ids.XXXXXX", err[1024], dir[PATH_MAX];
    const char *file = src;
    int rc = 1;
    state_path(dir, "");
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return fail("%s: %s", dir, strerror(errno));
    if (ward_sign_is_url(src)) {
        int fd = mkstemp(tmp);
        if (fd < 0)
            return fail("%s: %s", tmp, strerror(errno));
        close(fd);
        file = tmp;
        if (ward_sign_fetch(src, tmp, err, sizeof(err)) < 0) {
            unlink(tmp);
            return fail("%s", err);
        }
    }
    uint64_t cur = state_version("current.wbd", NULL, 0);
    ward_bundle b;
    if (ward_bundle_open(&b, file, src, keys, cur, err, sizeof(err)) < 0) {
        if (file == tmp)
            unlink(tmp);
        return fail("%s", err);
    }
    const ward_bundle_entry *e = ward_bundle_find(&b, IDS_RULES_FILE);
    ward_ids *ids = NULL;
    char shown[PATH_MAX + 32], ver[32];
    snprintf(ver, sizeof(ver), "%llu", (unsigned long long)b.version);
    snprintf(shown, sizeof(shown), "%.2000s:" IDS_RULES_FILE, src);
    if (strcmp(b.name, IDS_BUNDLE_NAME) != 0) {
        fail("%s: a bundle named '%s', not 'ids'", src, b.name);
    } else if (!e) {
        fail("%s: no " IDS_RULES_FILE " in the bundle", src);
    } else if (b.version == cur) {
        printf("ids: version %s is already in force\n", ver);
        rc = 0;
    } else if (poll && b.version <= refused_version()) {
        printf("ids: version %s was rolled back: skipped\n", ver);
        rc = 0;
    } else if (!(ids = ward_ids_load_text(shown, (const char *)b.data + e->offset, e->size, err,
                                          sizeof(err)))) {
        fail("%s", err);
    } else if (state_copy("current.wbd", "previous.wbd") < 0 ||
               state_copy(IDS_RULES_FILE, "previous.rules") < 0 ||
               state_write("current.wbd", b.data, b.len) < 0 ||
               state_write(IDS_RULES_FILE, b.data + e->offset, e->size) < 0) {
        fail("%s: %s", dir, strerror(errno));
    } else {
        printf("ids: version %s (%s) in force: %zu rules\n", ver, b.date, ward_ids_count(ids));
        rc = 0;
    }
    ward_ids_free(ids);
    ward_bundle_close(&b);
    if (file == tmp)
        unlink(tmp);
    return rc;
}

static int rollback(void)
{
    char prev[PATH_MAX], cur[PATH_MAX], refused[32];
    state_path(prev, "previous.rules");
    if (access(prev, F_OK) < 0) {
        fprintf(stderr, "%s: ids: nothing to roll back to\n", cli_prog);
        return 1;
    }
    uint64_t from = state_version("current.wbd", NULL, 0),
             to = state_version("previous.wbd", NULL, 0);
    /* previous.* become current (a set from before any bundle has no
     * previous.wbd); the set rolled back from is dropped, so a second
     * rollback has nothing to go to, and polls skip its version. */
    state_path(cur, "current.wbd");
    int rn = snprintf(refused, sizeof(refused), "%llu\n", (unsigned long long)from);
    if ((to ? state_copy("previous.wbd", "current.wbd") : unlink(cur) < 0 && errno != ENOENT) ||
        state_copy("previous.rules", IDS_RULES_FILE) < 0 ||
        state_write("refused", refused, (size_t)rn) < 0)
        return fail("%s: %s", prev, strerror(errno));
    unlink(prev);
    state_path(prev, "previous.wbd");
    unlink(prev);
    printf("ids: rolled back to version %llu\n", (unsigned long long)to);
    return 0;
}

static int status(void)
{
    char date[32] = "", rules[PATH_MAX], err[1024];
    uint64_t v = state_version("current.wbd", date, sizeof(date));
    state_path(rules, IDS_RULES_FILE);
    ward_ids *ids = ward_ids_load_file(rules, err, sizeof(err));
    if (!ids) {
        printf("ids: no rules in force (%s)\n", err);
        return 0;
    }
    printf("ids: version %llu (%s): %zu rules\n", (unsigned long long)v, date, ward_ids_count(ids));
    ward_ids_free(ids);
    uint64_t p = state_version("previous.wbd", NULL, 0);
    if (p)
        printf("rollback: to version %llu\n", (unsigned long long)p);
    return 0;
}

int cmd_update(int argc, char **argv)
{
    enum { OPT_KEYS = 1, OPT_ROLLBACK, OPT_STATUS, OPT_POLL };
    static const struct option options[] = {
        {"keys", required_argument, NULL, OPT_KEYS},
        {"rollback", no_argument, NULL, OPT_ROLLBACK},
        {"status", no_argument, NULL, OPT_STATUS},
        {"poll", no_argument, NULL, OPT_POLL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *keys = NULL;
    bool poll = false;
    int mode = 0, c;
    if (argc < 2 || strcmp(argv[1], "ids") != 0) {
        fprintf(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr, usage_text, cli_prog,
                cli_prog, cli_prog);
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : EXIT_USAGE;
    }
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
        if (c == OPT_KEYS) {
            keys = optarg;
        } else if (c == OPT_POLL) {
            poll = true;
        } else if (c == OPT_ROLLBACK || c == OPT_STATUS) {
            mode = c;
        } else {
            fprintf(c == 'h' ? stdout : stderr, usage_text, cli_prog, cli_prog, cli_prog);
            return c == 'h' ? 0 : EXIT_USAGE;
        }
    }
    int n = argc - 1 - optind;
    if (mode == OPT_ROLLBACK && n == 0)
        return rollback();
    if (mode == OPT_STATUS && n == 0)
        return status();
    if (mode == 0 && n == 1)
        return update(argv[1 + optind], keys, poll);
    fprintf(stderr, usage_text, cli_prog, cli_prog, cli_prog);
    return EXIT_USAGE;
}
