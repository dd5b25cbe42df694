/*
 * ward export [-f FILE]... — the policy in force as JSON (docs/POLICY.md).
 * ward import json FILE | opensnitch FILE... — to policy-language text.
 *
 * Exit codes: 0 done, 1 the input has errors, 2 usage error.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cmd_export(int argc, char **argv)
{
    char *files[64];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") && i + 1 < argc && n < 64) {
            files[n++] = argv[++i];
        } else {
            bool help = !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help");
            fprintf(help ? stdout : stderr,
                    "usage: %s export [-f FILE]...\n"
                    "  Prints the policy (default: the installed one) as JSON.\n",
                    cli_prog);
            return help ? 0 : EXIT_USAGE;
        }
    }
    ward_policy *p = cli_policy_new();
    if (!p)
        return 1;
    if (cli_policy_load(p, files, n) != 0) {
        ward_policy_free(p);
        return 1;
    }
    char *json = ward_json_export(p);
    ward_policy_free(p);
    if (!json) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        return 1;
    }
    puts(json);
    free(json);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", cli_prog, path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len + 1 == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                fprintf(stderr, "%s: '%s' is too large\n", cli_prog, path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf)
        buf[len] = 0;
    if (f != stdin)
        fclose(f);
    return buf;
}

/* The converted text goes through the real loader before it is printed, so
 * an import never yields a policy that would not load. */
static int emit_checked(const char *text)
{
    ward_policy *p = cli_policy_new();
    if (!p)
        return 1;
    int rc = ward_policy_load_text(p, "(imported)", text, strlen(text));
    if (rc != 0) {
        fputs(ward_policy_diagnostics(p), stderr);
        fprintf(stderr, "%s: the imported policy does not load\n", cli_prog);
        ward_policy_free(p);
        return 1;
    }
    char *canon = ward_policy_format(p, 0, 0);
    ward_policy_free(p);
    if (!canon)
        return 1;
    fputs(canon, stdout);
    free(canon);
    return 0;
}

int cmd_import(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "json") && strcmp(argv[1], "opensnitch"))) {
        bool help = argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fprintf(help ? stdout : stderr,
                "usage: %s import json FILE\n"
                "       %s import opensnitch FILE...\n"
                "  Converts to the policy language (checked by the loader) on stdout;\n"
                "  OpenSnitch rules that cannot be mapped are reported on stderr.\n",
                cli_prog, cli_prog);
        return help ? 0 : EXIT_USAGE;
    }
    if (!strcmp(argv[1], "json")) {
        char *json = slurp(argv[2]);
        if (!json)
            return 1;
        char err[512];
        char *text = ward_json_to_policy(json, err, sizeof(err));
        free(json);
        if (!text) {
            fprintf(stderr, "%s: %s: %s\n", cli_prog, argv[2], err);
            return 1;
        }
        int rc = emit_checked(text);
        free(text);
        return rc;
    }
    int n = argc - 2;
    char **jsons = calloc((size_t)n, sizeof(char *));
    if (!jsons)
        return 1;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        if (!(jsons[i] = slurp(argv[2 + i])))
            rc = 1;
    char *report = NULL, *text = NULL;
    if (!rc)
        text = ward_opensnitch_to_policy((const char *const *)jsons, (const char *const *)argv + 2,
                                         (size_t)n, &report);
    for (int i = 0; i < n; i++)
        free(jsons[i]);
    free(jsons);
    if (report && *report)
        fputs(report, stderr);
    free(report);
    if (!rc && !text)
        rc = 1;
    if (!rc)
        rc = emit_checked(text);
    free(text);
    return rc;
}
