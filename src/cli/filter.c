/*
 * cli/filter.c — `ward filter`: filters added, deleted and listed while
 * wardd runs (docs/PROTOCOL.md, "Run-time filters and sublayers").
 *
 *   ward filter list [--json]
 *   ward filter add [--dynamic] 'filter "NAME" layer outbound block to port 25'
 *   ward filter del ID
 *   ward filter apply FILE
 *
 * The text is one statement of the policy language (docs/POLICY.md),
 * parsed by wardd with the policy's own parser. A filter added here stays
 * (it is kept in the state directory's runtime.rules) until deleted; with
 * --dynamic it lasts as long as this command, which then waits for a
 * signal. `apply` sends every `filter`, `sublayer` and `provider` line of FILE in one
 * transaction: one bad line and nothing of the file is applied.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/daemon.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s filter list [--json]\n"
            "       %s filter add [--dynamic] 'filter [\"NAME\"] layer ... permit|block|callout "
            "NAME ...'\n"
            "       %s filter del ID\n"
            "       %s filter apply FILE   (filter, sublayer and provider lines, all or nothing)\n",
            cli_prog, cli_prog, cli_prog, cli_prog);
    return EXIT_USAGE;
}

void cli_print_object(const ward_proto_object *x, bool json)
{
    if (json) {
        json_object *o = json_object_new_object();
        if (!o)
            return;
        json_object_object_add(o, "id", json_object_new_int64((int64_t)x->id));
        const char *const strs[][2] = {{"name", x->name},         {"layer", x->layer},
                                       {"sublayer", x->sublayer}, {"action", x->action},
                                       {"provider", x->provider}, {"text", x->text}};
        for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++)
            if (strs[i][1])
                json_object_object_add(o, strs[i][0], json_object_new_string(strs[i][1]));
        json_object_object_add(o, "weight", json_object_new_int64(x->weight));
        json_object_object_add(o, "dynamic", json_object_new_boolean(x->dynamic));
        json_object_object_add(o, "runtime", json_object_new_boolean(x->runtime));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return;
    }
    const char *origin = x->runtime ? (x->dynamic ? "dynamic" : "runtime") : "policy";
    if (x->text)
        printf("%-6llu %-8s %s\n", (unsigned long long)x->id, origin, x->text);
    else
        printf("%-6llu %-8s %-24s weight 0x%04x\n", (unsigned long long)x->id, origin,
               x->name ? x->name : "?", x->weight);
}

static void print_objects(const ward_msg *part, void *ctx)
{
    for (size_t i = 0; i < part->u.objects.n; i++)
        cli_print_object(&part->u.objects.v[i], *(const bool *)ctx);
}

int cli_object_list(const char *client, enum ward_msg_type type, int argc, char **argv)
{
    bool json = argc == 1 && strcmp(argv[0], "--json") == 0;
    if (argc > 1 || (argc == 1 && !json))
        return -1;
    ward_msg req = {.type = type};
    return cli_request_parts(client, &req, WARD_MSG_OBJECT_REPLY, print_objects, &json) < 0;
}

int cli_object_delete(const char *client, enum ward_msg_type type, const char *arg)
{
    char *end;
    unsigned long long id = strtoull(arg, &end, 10);
    if (!*arg || *end || id == 0) {
        fprintf(stderr, "%s: '%s' is not an id (see the list)\n", cli_prog, arg);
        return EXIT_USAGE;
    }
    ward_msg req = {.type = type}, rep;
    req.u.object_id.id = id;
    if (cli_request(client, &req, &rep) < 0)
        return 1;
    ward_msg_free(&rep);
    return 0;
}

/* A dynamic object is the connection's: it is held open until a signal
 * (which ends us, the connection and the object). */
int cli_object_add(const char *client, enum ward_msg_type type, const char *text, bool dynamic)
{
    ward_client *c = cli_connect(client);
    if (!c)
        return 1;
    ward_msg req = {.type = type}, rep;
    req.u.object_add.text = (char *)text;
    req.u.object_add.dynamic = dynamic;
    if (cli_call(c, &req, &rep, NULL, NULL) < 0) {
        ward_client_close(c);
        return 1;
    }
    printf("%llu\n", (unsigned long long)rep.u.object_id.id);
    fflush(stdout);
    ward_msg_free(&rep);
    if (dynamic)
        pause();
    ward_client_close(c);
    return 0;
}

static int add(int argc, char **argv)
{
    bool dynamic = argc == 2 && strcmp(argv[0], "--dynamic") == 0;
    if (argc != 1 && !dynamic)
        return usage();
    return cli_object_add("ward-filter", WARD_MSG_FILTER_ADD, argv[argc - 1], dynamic);
}

static int call_quiet(ward_client *c, enum ward_msg_type type)
{
    ward_msg req = {.type = type}, rep;
    if (cli_call(c, &req, &rep, NULL, NULL) < 0)
        return -1;
    ward_msg_free(&rep);
    return 0;
}

static int apply(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        perror(path);
        return 1;
    }
    ward_client *c = cli_connect("ward-filter");
    if (!c) {
        fclose(f);
        return 1;
    }
    int rc = call_quiet(c, WARD_MSG_TXN_BEGIN) < 0 ? 1 : 0;
    char line[8192];
    size_t n = 0, staged = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        n++;
        line[strcspn(line, "\n")] = '\0';
        const char *s = line + strspn(line, " \t");
        if (!*s || *s == '#')
            continue;
        ward_msg req = {.type = strncmp(s, "sublayer", 8) == 0   ? WARD_MSG_SUBLAYER_ADD
                                : strncmp(s, "provider", 8) == 0 ? WARD_MSG_PROVIDER_ADD
                                                                 : WARD_MSG_FILTER_ADD},
                 rep;
        req.u.object_add.text = line;
        if (cli_call(c, &req, &rep, NULL, NULL) < 0) {
            fprintf(stderr, "%s: %s:%zu: refused; nothing of %s is applied\n", cli_prog, path, n,
                    path);
            call_quiet(c, WARD_MSG_TXN_ABORT);
            rc = 1;
            break;
        }
        ward_msg_free(&rep);
        staged++;
    }
    if (rc == 0 && ferror(f)) {
        perror(path);
        call_quiet(c, WARD_MSG_TXN_ABORT);
        rc = 1;
    }
    if (rc == 0 && call_quiet(c, WARD_MSG_TXN_COMMIT) < 0)
        rc = 1;
    if (rc == 0)
        printf("%zu statements applied\n", staged);
    ward_client_close(c);
    fclose(f);
    return rc;
}

int cmd_filter(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0) {
        int rc = cli_object_list("ward-filter", WARD_MSG_FILTER_LIST, argc - 2, argv + 2);
        return rc < 0 ? usage() : rc;
    }
    if (strcmp(sub, "add") == 0)
        return add(argc - 2, argv + 2);
    if ((strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0) && argc == 3)
        return cli_object_delete("ward-filter", WARD_MSG_FILTER_DELETE, argv[2]);
    if (strcmp(sub, "apply") == 0 && argc == 3)
        return apply(argv[2]);
    return usage();
}
