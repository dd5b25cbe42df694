/*
 * test_callout.c — the callout platform: the six results and how they
 * arbitrate, flow contexts, notify, and shared-object callouts in their
 * host process (loaded, refused, crashing, hanging).
 *
 * The shared objects and ward-callout-host are found beside this binary
 * (build/MODE/callouts/, build/MODE/bin/). Refusal tests change owners and
 * modes: they need root and are skipped otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "callout/callout.h"

static char build_dir[PATH_MAX];

static ward_ip ip(const char *s)
{
    ward_ip a;
    assert_int_equal(ward_ip_parse(s, &a), 0);
    return a;
}

static ward_request req(const char *app, uint16_t rport)
{
    ward_request r = {
        .layer = WARD_LAYER_CONNECT_OUT,
        .dir = WARD_DIR_OUT,
        .proto = 6,
        .local = ip("192.168.1.10"),
        .remote = ip("93.184.216.34"),
        .lport = 40000,
        .rport = rport,
        .app = {.path = app, .exe = {1, 2}, .pid = 42},
        .has_user = true,
        .uid = 1000,
        .now = 1000000,
        .wday = 1,
        .minute = 600,
    };
    return r;
}

/* ---- An in-process callout with the same behaviour as tests/callout/six.c - */

static int notified_added, notified_removed, deleted;

static enum ward_callout_verdict six_classify(const ward_callout_flow *f,
                                              const ward_callout_data *d, void **ctx)
{
    switch (f->rport) {
    case 1001:
        return WARD_CALLOUT_PERMIT;
    case 1002:
        return WARD_CALLOUT_BLOCK;
    case 1003:
        return WARD_CALLOUT_BLOCK_NO_VETO;
    case 1004:
        return WARD_CALLOUT_CONTINUE;
    case 1005:
        return WARD_CALLOUT_NEED_MORE_DATA;
    case 1006:
        return WARD_CALLOUT_DROP_CONNECTION;
    case 1888: {
        long n = (long)(intptr_t)*ctx + 1;
        *ctx = (void *)(intptr_t)n;
        return n >= 3 ? WARD_CALLOUT_PERMIT : WARD_CALLOUT_BLOCK;
    }
    default:
        return WARD_CALLOUT_CONTINUE;
    }
}

static void six_notify(enum ward_callout_event ev, uint64_t id, const char *name)
{
    if (ev == WARD_CALLOUT_FILTER_ADDED)
        notified_added++;
    else
        notified_removed++;
}

static void six_flow_delete(uint64_t id, void *ctx)
{
    deleted++;
}

static const ward_callout six_builtin = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "six",
    .layers = WARD_CALLOUT_L_CONNECT,
    .classify = six_classify,
    .notify = six_notify,
    .flow_delete = six_flow_delete,
};

/* ---- A policy to arbitrate in ---------------------------------------------- */

struct fixture {
    ward_callouts *reg;
    ward_engine *e;
    uint64_t callout_filter;
};

static uint64_t add(ward_engine *e, uint32_t sub, uint32_t weight, enum ward_action act, bool hard,
                    const char *callout)
{
    static const ward_range tcp = {6, 6};
    ward_cond c = {.field = WARD_F_PROTO, .n = 1, .v.range = &tcp};
    ward_filter_def d = {.layer = WARD_LAYER_CONNECT_OUT,
                         .sublayer = sub,
                         .provider = WARD_PROVIDER_ADMIN,
                         .weight = weight,
                         .action = act,
                         .hard = hard,
                         .callout = callout,
                         .conds = &c,
                         .n_conds = 1};
    int64_t id = ward_filter_add(e, &d);
    assert_true(id > 0);
    return (uint64_t)id;
}

/* The callout's filter in the admin sublayer; an application rule for
 * /usr/bin/curl permitting everything in the applications sublayer below. */
static void fixture_init(struct fixture *fx, ward_callouts *reg)
{
    fx->reg = reg;
    fx->e = ward_engine_new();
    assert_non_null(fx->e);
    ward_engine_set_prompter(fx->e, true);
    assert_int_equal(ward_callouts_attach(reg, fx->e), 0);
    fx->callout_filter = add(fx->e, WARD_SUBLAYER_ADMIN, 100, WARD_ACT_CALLOUT, false, "six");
    int64_t app = ward_app_add(fx->e, "/usr/bin/curl", NULL);
    assert_true(app > 0);
    ward_app_rule rule = {
        .dir = WARD_DIR_OUT, .action = WARD_ACT_PERMIT, .provider = WARD_PROVIDER_LEARNED};
    assert_true(ward_app_rule_append(fx->e, (uint64_t)app, &rule) > 0);
}

static ward_decision decide(struct fixture *fx, const char *app, uint16_t port)
{
    ward_request r = req(app, port);
    ward_decision d;
    assert_int_equal(ward_classify(fx->e, &r, &d, NULL, 0), 0);
    return d;
}

/* Each of the six results, as the only word and against the sublayers
 * around it. */
static void check_six(struct fixture *fx)
{
    ward_decision d;
    /* A program without rules: the applications sublayer defers (asks). */
    d = decide(fx, "/usr/bin/unknown", 1001);
    assert_int_equal(d.verdict, WARD_V_DEFER); /* a soft permit: the question below stands */
    assert_int_equal(d.reason, WARD_R_APP_UNKNOWN);
    d = decide(fx, "/usr/bin/curl", 1001);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_CALLOUT); /* the program's permit below agrees */

    /* block: with veto, final: the application's permit below cannot undo it. */
    d = decide(fx, "/usr/bin/curl", 1002);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_VETO);
    assert_true(d.hard);
    assert_int_equal(d.filter_id, fx->callout_filter);

    /* block without veto: a soft block; the program's permit below wins. */
    d = decide(fx, "/usr/bin/curl", 1003);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_APP_RULE);
    d = decide(fx, "/usr/bin/unknown", 1003); /* nothing below permits: it stands */
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_CALLOUT);
    assert_false(d.hard);

    /* continue: no opinion; the program's rule decides. */
    d = decide(fx, "/usr/bin/curl", 1004);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.reason, WARD_R_APP_RULE);

    /* need more data: held; a permit below does not answer it. */
    d = decide(fx, "/usr/bin/curl", 1005);
    assert_int_equal(d.verdict, WARD_V_NEED_MORE_DATA);
    assert_int_equal(d.reason, WARD_R_CALLOUT);

    /* drop connection: final. */
    d = decide(fx, "/usr/bin/curl", 1006);
    assert_int_equal(d.verdict, WARD_V_DROP_CONNECTION);
    assert_true(d.hard);
}

/* A hard permit above the callout: only the veto overturns it. */
static void check_veto(struct fixture *fx)
{
    int top = ward_sublayer_add(fx->e, "top", 0xe000, WARD_SUBLAYER_FILTERS);
    assert_true(top > 0);
    uint64_t permit = add(fx->e, (uint32_t)top, 10, WARD_ACT_PERMIT, true, NULL);
    ward_decision d = decide(fx, "/usr/bin/curl", 1002);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_VETO);
    d = decide(fx, "/usr/bin/curl", 1003);
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(d.filter_id, permit);
    d = decide(fx, "/usr/bin/curl", 1006); /* hard, but no veto: the hard permit stands */
    assert_int_equal(d.verdict, WARD_V_PERMIT);
    assert_int_equal(ward_sublayer_remove(fx->e, (uint32_t)top), 0);
}

static void builtin_six_results(void **state)
{
    ward_callouts *reg = ward_callouts_new(NULL);
    assert_non_null(reg);
    assert_int_equal(ward_callouts_add_builtin(reg, &six_builtin), 0);
    assert_int_equal(ward_callouts_add_builtin(reg, &six_builtin), WARD_E_EXIST);
    struct fixture fx;
    fixture_init(&fx, reg);
    check_six(&fx);
    check_veto(&fx);
    ward_engine_free(fx.e);
    ward_callouts_free(reg);
}

/* A callout of the stream layer alone: a connect filter naming it sends
 * the TCP flow there (need more data); wardd then calls it by name with
 * the payload, and its context is the flow's, as at connect. */
static enum ward_callout_verdict stream_classify(const ward_callout_flow *f,
                                                 const ward_callout_data *d, void **ctx)
{
    assert_int_equal(f->layer, WARD_CALLOUT_L_STREAM);
    *ctx = (void *)((uintptr_t)*ctx + 1);
    return d->len == 4 && !memcmp(d->bytes, "GET ", 4) && d->offset == 0 && d->dir == 0
               ? WARD_CALLOUT_PERMIT
               : WARD_CALLOUT_BLOCK;
}

static void stream_delete(uint64_t flow, void *ctx)
{
    deleted += (int)(uintptr_t)ctx;
}

static const ward_callout streamer = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "streamer",
    .layers = WARD_CALLOUT_L_STREAM,
    .classify = stream_classify,
    .flow_delete = stream_delete,
};

/* The same serving the packet layer too (as the ids callout does). */
static const ward_callout packeter = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "packeter",
    .layers = WARD_CALLOUT_L_STREAM | WARD_CALLOUT_L_PACKET,
    .classify = stream_classify,
};

static void stream_layer(void **state)
{
    deleted = 0;
    ward_callouts *reg = ward_callouts_new(NULL);
    assert_int_equal(ward_callouts_add_builtin(reg, &streamer), 0);
    assert_int_equal(ward_callouts_layers(reg, "streamer"), WARD_CALLOUT_L_STREAM);
    assert_int_equal(ward_callouts_layers(reg, "nothere"), 0);
    ward_engine *e = ward_engine_new();
    assert_int_equal(ward_callouts_attach(reg, e), 0);
    uint64_t id = add(e, WARD_SUBLAYER_ADMIN, 100, WARD_ACT_CALLOUT, false, "streamer");
    ward_request r = req("/usr/bin/curl", 80);
    ward_decision d;
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_NEED_MORE_DATA);
    assert_int_equal(d.filter_id, id);
    ward_callout_flow f;
    ward_callouts_flow_of(&r, &f);
    assert_int_equal(f.id, ward_callouts_flow_id(&r));
    enum ward_callout_verdict v;
    ward_callout_data data = {.bytes = (const uint8_t *)"GET ", .len = 4};
    assert_int_equal(ward_callouts_classify(reg, "streamer", &f, &data, r.now, &v),
                     WARD_E_INVAL); /* a connect call: not a layer it serves */
    f.layer = WARD_CALLOUT_L_STREAM;
    assert_int_equal(ward_callouts_classify(reg, "streamer", &f, &data, r.now, &v), 0);
    assert_int_equal(v, WARD_CALLOUT_PERMIT);
    data.offset = 4;
    assert_int_equal(ward_callouts_classify(reg, "streamer", &f, &data, r.now, &v), 0);
    assert_int_equal(v, WARD_CALLOUT_BLOCK);
    assert_int_equal(ward_callouts_classify(reg, "nothere", &f, &data, r.now, &v), WARD_E_NOENT);
    ward_callouts_flow_end(reg, f.id);
    assert_int_equal(deleted, 2); /* its context counted both calls */
    /* UDP is no stream: the filter passes on. */
    r.proto = 17;
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_not_equal(d.verdict, WARD_V_NEED_MORE_DATA);
    /* A callout of the packet layer takes UDP and ICMP, not TCP's stream
     * unless it serves that too. */
    assert_int_equal(ward_callouts_add_builtin(reg, &packeter), 0);
    assert_int_equal(ward_callouts_attach(reg, e), 0);
    ward_filter_def any = {.layer = WARD_LAYER_CONNECT_OUT,
                           .sublayer = WARD_SUBLAYER_ADMIN,
                           .provider = WARD_PROVIDER_ADMIN,
                           .weight = 200,
                           .action = WARD_ACT_CALLOUT,
                           .callout = "packeter"}; /* every protocol */
    int64_t pid = ward_filter_add(e, &any);
    assert_true(pid > 0);
    for (int proto = 1; proto <= 17; proto += 16) {
        r.proto = (uint8_t)proto;
        assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
        assert_int_equal(d.verdict, WARD_V_NEED_MORE_DATA);
        assert_int_equal(d.filter_id, (uint64_t)pid);
    }
    ward_engine_free(e);
    ward_callouts_free(reg);
}

static void builtin_flow_context_notify_delete(void **state)
{
    notified_added = notified_removed = deleted = 0;
    ward_callouts *reg = ward_callouts_new(NULL);
    assert_int_equal(ward_callouts_add_builtin(reg, &six_builtin), 0);
    struct fixture fx;
    fixture_init(&fx, reg);
    ward_callouts_sync_filters(reg, fx.e);
    assert_int_equal(notified_added, 1);
    /* The flow's context counts its calls: a permit on the third. */
    ward_request r = req("/usr/bin/unknown", 1888);
    ward_decision d;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(ward_classify(fx.e, &r, &d, NULL, 0), 0);
        assert_int_equal(d.verdict, i < 3 ? WARD_V_BLOCK : WARD_V_DEFER);
    }
    /* Another flow (another local port) starts from nothing. */
    ward_request r2 = r;
    r2.lport = 40001;
    assert_int_equal(ward_classify(fx.e, &r2, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    ward_callouts_flow_end(reg, ward_callouts_flow_id(&r));
    assert_int_equal(deleted, 1);
    ward_callouts_sweep(reg, r.now + WARD_CALLOUT_FLOW_IDLE); /* r2 idle long enough */
    assert_int_equal(deleted, 2);
    ward_callout_info info;
    assert_int_equal(ward_callouts_info(reg, 0, &info), 0);
    assert_string_equal(info.name, "six");
    assert_int_equal(info.filters, 1);
    assert_int_equal(ward_filter_remove(fx.e, fx.callout_filter), 0);
    ward_callouts_sync_filters(reg, fx.e);
    assert_int_equal(notified_removed, 1);
    ward_engine_free(fx.e);
    ward_callouts_free(reg);
}

/* ---- Shared objects --------------------------------------------------------- */

static char host_path[PATH_MAX + 32];

/* A root-owned directory (mode 0755) holding a copy of build/callouts/NAME.so. */
static void stage(char *dir, size_t dlen, char *path, size_t plen, const char *name)
{
    snprintf(dir, dlen, "/tmp/ward-callout-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(path, plen, "%s/%s.so", dir, name);
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "install -m 0644 %s/callouts/%s.so %s", build_dir, name, path);
    assert_int_equal(system(cmd), 0);
}

static void unstage(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static ward_callouts *host_registry(enum ward_verdict on_failure)
{
    ward_callouts_config cfg = {.host_path = host_path, .on_failure = on_failure, .budget_ms = 200};
    ward_callouts *reg = ward_callouts_new(&cfg);
    assert_non_null(reg);
    return reg;
}

static void shared_object_six_results(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX], err[256];
    stage(dir, sizeof(dir), path, sizeof(path), "six");
    ward_callouts *reg = host_registry(WARD_V_BLOCK);
    assert_int_equal(ward_callouts_load(reg, path, err, sizeof(err)), 0);
    ward_callout_info info;
    assert_int_equal(ward_callouts_info(reg, 0, &info), 0);
    assert_string_equal(info.name, "six");
    assert_false(info.builtin);
    assert_true(info.host_pid > 0);
    struct fixture fx;
    fixture_init(&fx, reg);
    check_six(&fx);
    check_veto(&fx);
    /* The context lives in the host: the third call of one flow permits. */
    for (int i = 1; i <= 3; i++)
        assert_int_equal(decide(&fx, "/usr/bin/unknown", 1888).verdict,
                         i < 3 ? WARD_V_BLOCK : WARD_V_DEFER);
    assert_int_equal(ward_callouts_info(reg, 0, &info), 0);
    assert_int_equal(info.failures, 0);
    ward_engine_free(fx.e);
    ward_callouts_free(reg);
    unstage(dir);
}

/* A crash or a hang: the failure outcome for that call, wardd carries on,
 * the host is started again. */
static void shared_object_crash_and_hang(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX], err[256];
    stage(dir, sizeof(dir), path, sizeof(path), "six");
    for (int fail_open = 0; fail_open <= 1; fail_open++) {
        enum ward_verdict outcome = fail_open ? WARD_V_PERMIT : WARD_V_BLOCK;
        ward_callouts *reg = host_registry(outcome);
        assert_int_equal(ward_callouts_load(reg, path, err, sizeof(err)), 0);
        struct fixture fx;
        fixture_init(&fx, reg);
        for (int hang = 0; hang <= 1; hang++) {
            ward_callout_info before, after;
            assert_int_equal(ward_callouts_info(reg, 0, &before), 0);
            ward_decision d = decide(&fx, "/usr/bin/curl", hang ? 1777 : 1666);
            assert_int_equal(d.verdict, outcome);
            if (!fail_open)
                assert_true(d.hard); /* fail closed: the block is final */
            assert_int_equal(ward_callouts_info(reg, 0, &after), 0);
            assert_int_equal(after.failures, before.failures + 1);
            assert_int_equal(after.host_pid, 0); /* killed */
            /* Within a second of a failure the host is not started again:
             * the failure outcome, at once. */
            d = decide(&fx, "/usr/bin/curl", 1001);
            assert_int_equal(d.verdict, outcome);
            sleep(1);
            usleep(100 * 1000);
            d = decide(&fx, "/usr/bin/curl", 1002);
            assert_int_equal(d.verdict, WARD_V_BLOCK);
            assert_int_equal(d.reason, WARD_R_VETO); /* the callout's own answer */
            assert_int_equal(ward_callouts_info(reg, 0, &after), 0);
            assert_true(after.host_pid > 0);
            assert_int_equal(after.restarts, before.restarts + 1);
        }
        ward_engine_free(fx.e);
        ward_callouts_free(reg);
    }
    unstage(dir);
}

static void expect_refused(const char *path, const char *what)
{
    char err[256] = "";
    ward_callouts *reg = host_registry(WARD_V_BLOCK);
    assert_int_equal(ward_callouts_load(reg, path, err, sizeof(err)), -1);
    if (!strstr(err, what))
        fail_msg("refusal of %s says \"%s\", not \"%s\"", path, err, what);
    assert_int_equal(ward_callouts_count(reg), 0);
    ward_callouts_free(reg);
}

static void shared_object_refused(void **state)
{
    if (geteuid() != 0)
        skip();
    char dir[PATH_MAX], path[PATH_MAX];
    stage(dir, sizeof(dir), path, sizeof(path), "six");
    assert_int_equal(chmod(path, 0666), 0);
    expect_refused(path, "writable by everyone");
    assert_int_equal(chmod(path, 0664), 0);
    expect_refused(path, "writable by its group");
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(chown(path, 65534, 65534), 0);
    expect_refused(path, "owned by uid 65534, not root");
    assert_int_equal(chown(path, 0, 0), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    expect_refused(path, "callout directory");
    assert_int_equal(chmod(dir, 0755), 0);
    unstage(dir);

    stage(dir, sizeof(dir), path, sizeof(path), "badabi");
    expect_refused(path, "ABI mismatch: built for ABI 99");
    unstage(dir);

    /* Not a callout at all: a shared object without the entry. */
    char cmd[PATH_MAX * 2];
    char small[64];
    snprintf(small, sizeof(small), "/tmp/ward-callout-XXXXXX");
    assert_non_null(mkdtemp(small));
    snprintf(dir, sizeof(dir), "%s", small);
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/libm.so", small);
    snprintf(cmd, sizeof(cmd), "cp -L $(ls /lib/*/libm.so.6 | head -1) %s", path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chmod(path, 0644), 0);
    expect_refused(path, "exports no ward_callout_entry()");
    unstage(dir);
}

/* The example of docs/ENGINE.md, loaded through its directory. */
static void example_callout(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX], err[256];
    stage(dir, sizeof(dir), path, sizeof(path), "portguard");
    ward_callouts *reg = host_registry(WARD_V_BLOCK);
    assert_int_equal(ward_callouts_load_dir(reg, dir, err, sizeof(err)), 1);
    assert_string_equal(ward_callouts_names(reg)[0], "portguard");
    ward_engine *e = ward_engine_new();
    ward_engine_set_prompter(e, true);
    assert_int_equal(ward_callouts_attach(reg, e), 0);
    add(e, WARD_SUBLAYER_ADMIN, 50, WARD_ACT_CALLOUT, false, "portguard");
    ward_callouts_sync_filters(reg, e);
    ward_request r = req("/usr/bin/telnet", 23);
    ward_decision d;
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_BLOCK);
    assert_int_equal(d.reason, WARD_R_VETO);
    r = req("/usr/bin/curl", 443); /* continue: the program is unknown, so ask */
    assert_int_equal(ward_classify(e, &r, &d, NULL, 0), 0);
    assert_int_equal(d.verdict, WARD_V_DEFER);
    ward_callouts_sweep(reg, r.now + WARD_CALLOUT_FLOW_IDLE); /* contexts freed in the host */
    ward_callout_info info;
    assert_int_equal(ward_callouts_info(reg, 0, &info), 0);
    assert_int_equal(info.failures, 0);
    assert_true(info.host_pid > 0);
    ward_engine_free(e);
    ward_callouts_free(reg);
    unstage(dir);
}

int main(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = '\0';
    snprintf(build_dir, sizeof(build_dir), "%s/..", dirname(self));
    snprintf(host_path, sizeof(host_path), "%s/bin/ward-callout-host", build_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_six_results),
        cmocka_unit_test(builtin_flow_context_notify_delete),
        cmocka_unit_test(stream_layer),
        cmocka_unit_test(shared_object_six_results),
        cmocka_unit_test(shared_object_crash_and_hang),
        cmocka_unit_test(shared_object_refused),
        cmocka_unit_test(example_callout),
    };
    return cmocka_run_group_tests_name("callout", tests, NULL, NULL);
}
