/* cli/shim.c — `ward shim enable|disable|status`: the opt-in entry of
 * libward-shim.so in /etc/ld.so.preload, which preloads it into every
 * dynamically linked program (docs/SHIM.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#include "ward/shim.h"

#define SHIM_LIB     "/usr/lib/ward/libward-shim.so"
#define PRELOAD_FILE "/etc/ld.so.preload"
#define PRELOAD_MAX  (1 << 20)

struct shim_opts {
    const char *root; /* the system's root: "/" but in tests */
    const char *lib;
    const char *run_dir;
    char preload[4096];
};

static int usage(void)
{
    fprintf(stderr,
            "usage: %s shim enable|disable|status [--root DIR] [--lib PATH] [--run-dir DIR]\n",
            cli_prog);
    return EXIT_USAGE;
}

/* The file as it is ("" when there is none); NULL on an error, said. */
static char *read_preload(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return strdup("");
        fprintf(stderr, "%s: %s: %s\n", cli_prog, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(PRELOAD_MAX + 1);
    size_t n = buf ? fread(buf, 1, PRELOAD_MAX + 1, f) : 0;
    int bad = !buf || ferror(f) || n > PRELOAD_MAX;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: %s: cannot read it (or larger than 1 MiB)\n", cli_prog, path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Whether one of the file's entries (separated by white space) is lib. */
static bool has_entry(const char *text, const char *lib)
{
    size_t n = strlen(lib);
    for (const char *p = text; (p = strstr(p, lib)); p += n) {
        bool start = p == text || strchr(" \t\n", p[-1]);
        bool end = !p[n] || strchr(" \t\n", p[n]);
        if (start && end)
            return true;
    }
    return false;
}

/* The text without the lines that are lib alone. */
static char *without(const char *text, const char *lib)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
        size_t body = nl ? len - 1 : len;
        if (!(body == strlen(lib) && !strncmp(line, lib, body))) {
            memcpy(o, line, len);
            o += len;
        }
        line += len;
    }
    *o = '\0';
    return out;
}

/* A library every program will load must be root's and written by root
 * alone, as must the directories above it (a sticky one of root's, /tmp,
 * lets no one else replace what is in it). */
static int lib_safe(const struct shim_opts *o)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s%s", strcmp(o->root, "/") ? o->root : "", o->lib);
    struct stat st;
    if (o->lib[0] != '/') {
        fprintf(stderr, "%s: shim: %s: the loader needs an absolute path\n", cli_prog, o->lib);
        return -1;
    }
    errno = 0;
    if (stat(path, &st) || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: shim: %s: %s\n", cli_prog, path,
                errno ? strerror(errno) : "not a file");
        return -1;
    }
    for (;;) {
        const char *at = path[0] ? path : "/";
        if (stat(at, &st) == 0 &&
            (st.st_uid != 0 ||
             ((st.st_mode & 0022) && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))))) {
            fprintf(stderr,
                    "%s: shim: %s is not root's alone: every program would load what someone "
                    "else may write\n",
                    cli_prog, at);
            return -1;
        }
        char *slash = strrchr(path, '/');
        if (!path[0] || !slash)
            break;
        *slash = '\0'; /* the directory above; "" is the root */
    }
    return 0;
}

static int enable(const struct shim_opts *o, const char *text)
{
    if (has_entry(text, o->lib)) {
        printf("shim: already enabled (%s in %s)\n", o->lib, o->preload);
        return 0;
    }
    if (lib_safe(o) < 0)
        return 1;
    size_t n = strlen(text);
    char *out = malloc(n + strlen(o->lib) + 3);
    if (!out)
        return 1;
    sprintf(out, "%s%s%s\n", text, n && text[n - 1] != '\n' ? "\n" : "", o->lib);
    int rc = ward_atomic_write(o->preload, out, strlen(out), 0644);
    free(out);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", cli_prog, o->preload, strerror(-rc));
        return 1;
    }
    printf("shim: enabled: programs started from now on load %s\n", o->lib);
    return 0;
}

static int disable(const struct shim_opts *o, const char *text)
{
    if (!has_entry(text, o->lib)) {
        printf("shim: not enabled (no %s in %s)\n", o->lib, o->preload);
        return 0;
    }
    char *out = without(text, o->lib);
    if (!out)
        return 1;
    int rc = 0;
    if (has_entry(out, o->lib))
        fprintf(stderr, "%s: shim: %s names it among other entries on a line: not changed\n",
                cli_prog, o->preload);
    else if ((rc = ward_atomic_write(o->preload, out, strlen(out), 0644)) < 0)
        fprintf(stderr, "%s: %s: %s\n", cli_prog, o->preload, strerror(-rc));
    bool ok = rc == 0 && !has_entry(out, o->lib);
    free(out);
    if (ok)
        printf("shim: disabled: programs started from now on do not load it (running ones "
               "keep it)\n");
    return ok ? 0 : 1;
}

/* Whether wardd answers on its shim socket. */
static bool wardd_listens(const char *run_dir)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", run_dir, WARD_SHIM_SOCK);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

int cmd_shim(int argc, char **argv)
{
    struct shim_opts o = {.root = "/", .lib = SHIM_LIB, .run_dir = WARD_SHIM_RUN_DIR};
    static const struct option longs[] = {{"root", required_argument, NULL, 'r'},
                                          {"lib", required_argument, NULL, 'l'},
                                          {"run-dir", required_argument, NULL, 'R'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (c == 'r')
            o.root = optarg;
        else if (c == 'l')
            o.lib = optarg;
        else if (c == 'R')
            o.run_dir = optarg;
        else
            return usage();
    }
    if (optind != argc - 1)
        return usage();
    const char *what = argv[optind];
    if (strcmp(what, "enable") && strcmp(what, "disable") && strcmp(what, "status"))
        return usage();
    snprintf(o.preload, sizeof(o.preload), "%s%s", strcmp(o.root, "/") ? o.root : "", PRELOAD_FILE);
    char *text = read_preload(o.preload);
    if (!text)
        return 1;
    int rc = 0;
    if (!strcmp(what, "enable")) {
        rc = enable(&o, text);
    } else if (!strcmp(what, "disable")) {
        rc = disable(&o, text);
    } else {
        printf("shim: %s (%s in %s)\n", has_entry(text, o.lib) ? "enabled" : "disabled", o.lib,
               o.preload);
        printf("wardd: %s (%s/%s)\n",
               wardd_listens(o.run_dir) ? "answers the shim" : "not answering: the kernel decides",
               o.run_dir, WARD_SHIM_SOCK);
    }
    free(text);
    return rc;
}
