/*
 * cli/bundle.c — `ward bundle keygen|create|verify|apply|rollback|status`
 * (docs/FLEET.md). Applying and rolling back: bundle_apply.c.
 */
#define _GNU_SOURCE
#include "cli/bundle.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: %s bundle keygen [--dir DIR] NAME\n"
    "       %s bundle create --key FILE --name NAME --version N [--output FILE] DIR\n"
    "       %s bundle verify [--keys DIR] FILE|URL\n"
    "       %s bundle apply [--keys DIR] [--poll] FILE|URL\n"
    "       %s bundle rollback\n"
    "       %s bundle status\n"
    "  Signed policy bundles: keygen makes an Ed25519 key pair (NAME.key, NAME.pub);\n"
    "  create packs DIR (its ward.conf and what it includes) signed with the key;\n"
    "  verify checks the signature and digests against the keys directory\n"
    "  (/etc/ward/keys, $WARD_KEYS_DIR); apply verifies, checks the policy and puts\n"
    "  it in force through wardd's reload, all or nothing, keeping the previous\n"
    "  policy for rollback; a version older than the one in force is refused.\n";

static int usage(bool help)
{
    const char *p = cli_prog;
    fprintf(help ? stdout : stderr, usage_text, p, p, p, p, p, p);
    return help ? 0 : EXIT_USAGE;
}

enum { OPT_DIR = 1, OPT_KEY, OPT_NAME, OPT_VERSION, OPT_OUTPUT, OPT_KEYS, OPT_POLL };

static const struct option options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"key", required_argument, NULL, OPT_KEY},
    {"name", required_argument, NULL, OPT_NAME},
    {"version", required_argument, NULL, OPT_VERSION},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"keys", required_argument, NULL, OPT_KEYS},
    {"poll", no_argument, NULL, OPT_POLL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *dir, *key, *name, *output, *keys;
    uint64_t version;
    bool poll;
};

static void print_manifest(const char *shown, const ward_bundle *b)
{
    printf("%s: %s version %llu, %s, signed by key %s, %zu file%s\n", shown, b->name,
           (unsigned long long)b->version, b->date, b->keyid, b->n_files,
           b->n_files == 1 ? "" : "s");
    for (size_t i = 0; i < b->n_files; i++)
        printf("  %10llu  %s\n", (unsigned long long)b->files[i].size, b->files[i].path);
}

static int do_verify(const char *src, const char *keys)
{
    char err[1024], tmp[] = "/tmp/ward-bundle.XXXXXX";
    const char *file = src;
    int rc = 1;
    ward_bundle b;
    if (ward_sign_is_url(src)) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            fprintf(stderr, "%s: %s: %s\n", cli_prog, tmp, strerror(errno));
            return 1;
        }
        close(fd);
        file = tmp;
        if (ward_sign_fetch(src, tmp, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", cli_prog, err);
            return 1;
        }
    }
    if (ward_bundle_open(&b, file, src, keys, 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", cli_prog, err);
    } else {
        print_manifest(src, &b);
        ward_bundle_close(&b);
        rc = 0;
    }
    if (file == tmp)
        unlink(tmp);
    return rc;
}

static int do_status(void)
{
    struct bundle_paths bp;
    ward_bundle b;
    bundle_paths(&bp);
    if (bundle_current(&bp, "current.wbd", &b) == 0) {
        print_manifest("in force", &b);
        ward_bundle_close(&b);
    } else {
        printf("in force: no bundle (the policy of %s)\n", bp.conf);
    }
    char prev[PATH_MAX + 16];
    snprintf(prev, sizeof(prev), "%s/previous", bp.state);
    if (access(prev, F_OK) < 0) {
        printf("rollback: none\n");
    } else if (bundle_current(&bp, "previous/bundle.wbd", &b) == 0) {
        printf("rollback: to %s version %llu\n", b.name, (unsigned long long)b.version);
        ward_bundle_close(&b);
    } else {
        printf("rollback: to the policy before bundles\n");
    }
    uint64_t refused = bundle_refused(&bp);
    if (refused)
        printf("rolled back: version %llu (polls skip it and older ones)\n",
               (unsigned long long)refused);
    return 0;
}

int cmd_bundle(int argc, char **argv)
{
    if (argc < 2)
        return usage(false);
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help"))
        return usage(true);
    struct args a = {.dir = "."};
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_DIR:
            a.dir = optarg;
            break;
        case OPT_KEY:
            a.key = optarg;
            break;
        case OPT_NAME:
            a.name = optarg;
            break;
        case OPT_OUTPUT:
            a.output = optarg;
            break;
        case OPT_KEYS:
            a.keys = optarg;
            break;
        case OPT_POLL:
            a.poll = true;
            break;
        case OPT_VERSION:
            errno = 0;
            a.version = strtoull(optarg, &end, 10);
            if (errno || *end || !*optarg || optarg[0] == '-' || a.version == 0) {
                fprintf(stderr, "%s: bad version '%s' (a number from 1)\n", cli_prog, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            return usage(true);
        default:
            return usage(false);
        }
    }
    char **rest = argv + 1 + optind;
    int n = argc - 1 - optind;
    char err[1024];
    if (!strcmp(sub, "keygen") && n == 1) {
        if (ward_sign_keygen(a.dir, rest[0], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", cli_prog, err);
            return 1;
        }
        printf("%s/%s.key: the secret key (keep it off the fleet)\n"
               "%s/%s.pub: the public key (copy it into %s on every machine)\n",
               a.dir, rest[0], a.dir, rest[0], ward_sign_keys_dir());
        return 0;
    }
    if (!strcmp(sub, "create") && n == 1 && a.key && a.name && a.version) {
        char out[WARD_BUNDLE_MAX_NAME + 32];
        snprintf(out, sizeof(out), "%s-%llu.wbd", a.name, (unsigned long long)a.version);
        if (ward_bundle_create(rest[0], a.name, a.version, a.key, a.output ? a.output : out, err,
                               sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", cli_prog, err);
            return 1;
        }
        printf("%s\n", a.output ? a.output : out);
        return 0;
    }
    if (!strcmp(sub, "verify") && n == 1)
        return do_verify(rest[0], a.keys);
    if (!strcmp(sub, "apply") && n == 1)
        return bundle_apply(rest[0], a.keys, a.poll);
    if (!strcmp(sub, "rollback") && n == 0)
        return bundle_rollback();
    if (!strcmp(sub, "status") && n == 0)
        return do_status();
    return usage(false);
}
