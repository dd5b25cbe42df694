/*
 * runtime.c — filters, sublayers and providers added, deleted and listed
 * over the control protocol while wardd runs (filter.*, sublayer.*,
 * provider.*, txn.*).
 *
 * Every object added this way is kept as its policy text: a reload or a
 * restart builds a new engine from the policy files, and the texts are
 * applied to it again (the persistent ones are read back from
 * runtime.rules, one statement a line). A dynamic object belongs to the
 * connection that added it and goes with it.
 *
 * A transaction stages changes per connection; commit applies the staged
 * additions one by one and, on the first error, removes what it had added:
 * all or nothing. Deletions are checked first and done last (providers
 * after the filters that named them), so they cannot fail half way.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "store/store.h"

#define MAX_OBJECTS 4096
#define MAX_STAGED  256

struct rt_obj {
    int kind;         /* WARD_OBJ_FILTER, WARD_OBJ_SUBLAYER, WARD_OBJ_PROVIDER */
    int64_t id;       /* in the engine in force */
    uint64_t session; /* 0: persistent */
    bool dynamic;     /* asked for as dynamic (a filter text may say `session` instead) */
    char *text;
};

struct wardd_runtime {
    struct rt_obj v[MAX_OBJECTS];
    size_t n;
    char path[PATH_MAX];
};

enum op_kind { OP_ADD, OP_DELETE };

struct op {
    enum op_kind op;
    int kind;
    bool dynamic;
    uint64_t id; /* OP_DELETE */
    char *text;  /* OP_ADD */
};

struct wardd_txn {
    struct op v[MAX_STAGED];
    size_t n;
};

static void txn_free(struct wardd_txn *t)
{
    for (size_t i = 0; t && i < t->n; i++)
        free(t->v[i].text);
    free(t);
}

static const char *kind_word(int kind)
{
    return kind == WARD_OBJ_SUBLAYER   ? "sublayer"
           : kind == WARD_OBJ_PROVIDER ? "provider"
                                       : "filter";
}

static struct rt_obj *find_obj(struct wardd_runtime *rt, int kind, uint64_t id)
{
    for (size_t i = 0; i < rt->n; i++)
        if (rt->v[i].kind == kind && rt->v[i].id == (int64_t)id)
            return &rt->v[i];
    return NULL;
}

static void drop_obj(struct wardd_runtime *rt, struct rt_obj *o)
{
    free(o->text);
    size_t i = (size_t)(o - rt->v);
    memmove(&rt->v[i], &rt->v[i + 1], (rt->n - i - 1) * sizeof(*o));
    rt->n--;
}

static bool obj_exists(struct wardd *d, const struct rt_obj *o)
{
    if (o->kind == WARD_OBJ_FILTER) {
        ward_filter_def def;
        return ward_filter_get(d->engine, (uint64_t)o->id, &def) == 0;
    }
    if (o->kind == WARD_OBJ_PROVIDER)
        return ward_provider_name(d->engine, (uint32_t)o->id) != NULL;
    ward_sublayer_info info[64];
    size_t n = ward_sublayer_list(d->engine, info, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (info[i].id == (uint32_t)o->id)
            return true;
    return false;
}

/* A filter whose lifetime ended (timed, once) or whose sublayer went. */
static void prune(struct wardd *d)
{
    struct wardd_runtime *rt = d->runtime;
    for (size_t i = rt->n; i-- > 0;)
        if (!obj_exists(d, &rt->v[i]))
            drop_obj(rt, &rt->v[i]);
}

/* Only what may outlive wardd: no session's, no once or until-restart. */
static bool durable(struct wardd *d, const struct rt_obj *o)
{
    if (o->session)
        return false;
    if (o->kind != WARD_OBJ_FILTER)
        return true;
    ward_filter_def def;
    if (ward_filter_get(d->engine, (uint64_t)o->id, &def) < 0)
        return false;
    return def.lifetime.kind != WARD_LIFE_ONCE && def.lifetime.kind != WARD_LIFE_UNTIL_RESTART &&
           def.lifetime.kind != WARD_LIFE_DYNAMIC;
}

static void save(struct wardd *d)
{
    struct wardd_runtime *rt = d->runtime;
    size_t cap = 128, len = 0;
    for (size_t i = 0; i < rt->n; i++)
        cap += strlen(rt->v[i].text) + 1;
    char *buf = malloc(cap);
    if (!buf) {
        wardd_log(LOG_ERR, "writing %s: out of memory", rt->path);
        return;
    }
    len = (size_t)snprintf(
        buf, cap, "# Written by wardd: filters, sublayers and providers added at run time.\n");
    for (size_t i = 0; i < rt->n; i++) {
        if (!durable(d, &rt->v[i]))
            continue;
        size_t l = strlen(rt->v[i].text);
        memcpy(buf + len, rt->v[i].text, l);
        len += l;
        buf[len++] = '\n';
    }
    int rc = ward_atomic_write(rt->path, buf, len, 0600);
    if (rc < 0)
        wardd_log(LOG_ERR, "writing %s: %s", rt->path, strerror(-rc));
    free(buf);
}

/* Adds one statement to the engine in force; the id, or -1 with err set. */
static int64_t add_text(struct wardd *d, int kind, const char *text, bool dynamic, uint64_t session,
                        char *err, size_t errlen)
{
    if (strchr(text, '\n')) {
        snprintf(err, errlen, "%s:1: one statement on one line", kind_word(kind));
        return -1;
    }
    ward_object_text ot = {
        .name = kind_word(kind), .text = text, .session = session, .dynamic = dynamic};
    int got = 0;
    int64_t id = ward_policy_add_object(d->policy, d->engine, &ot, &got, err, errlen);
    if (id < 0)
        return -1;
    if (got != kind) {
        ward_policy_remove_object(d->engine, got, id);
        snprintf(err, errlen, "%s:1:1: a %s statement expected, not a %s", kind_word(kind),
                 kind_word(kind), kind_word(got));
        return -1;
    }
    return id;
}

static int remove_obj(struct wardd *d, int kind, int64_t id)
{
    return ward_policy_remove_object(d->engine, kind, id);
}

struct users {
    uint32_t provider;
    const struct op *ops; /* filters these delete do not count */
    size_t n;
    const char *filter; /* the first that counts */
};

static int provider_user(uint64_t id, const ward_filter_def *def, void *arg)
{
    struct users *u = arg;
    if (def->provider != u->provider)
        return 0;
    for (size_t i = 0; i < u->n; i++)
        if (u->ops[i].op == OP_DELETE && u->ops[i].kind == WARD_OBJ_FILTER && u->ops[i].id == id)
            return 0;
    u->filter = def->name;
    return 1;
}

/* A provider is deleted only when no filter names it once ops are done. */
static int check_providers(struct wardd *d, const struct op *ops, size_t n, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (ops[i].op != OP_DELETE || ops[i].kind != WARD_OBJ_PROVIDER)
            continue;
        struct users u = {.provider = (uint32_t)ops[i].id, .ops = ops, .n = n};
        if (ward_filter_foreach(d->engine, provider_user, &u) != 0) {
            snprintf(err, errlen,
                     "statement %zu: provider %s is named by filter %s: delete it first", i + 1,
                     ward_provider_name(d->engine, u.provider), u.filter ? u.filter : "?");
            return -1;
        }
    }
    return 0;
}

/* The session a filter ended up with (its text may say `session`). */
static uint64_t owner(struct wardd *d, int kind, int64_t id, bool dynamic, uint64_t session)
{
    if (kind != WARD_OBJ_FILTER)
        return dynamic ? session : 0;
    ward_filter_def def;
    if (ward_filter_get(d->engine, (uint64_t)id, &def) == 0 &&
        def.lifetime.kind == WARD_LIFE_DYNAMIC)
        return def.lifetime.session;
    return 0;
}

/* Applies ops: additions in order, then deletions. All or nothing: 0, or
 * -1 with err naming the statement. With `keep` false what was added is
 * taken out again (a check of what is staged). ids[] gets the new ids. */
static int apply(struct wardd *d, const struct op *ops, size_t n, uint64_t session, bool keep,
                 int64_t *ids, char *err, size_t errlen)
{
    struct wardd_runtime *rt = d->runtime;
    size_t adds = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].op == OP_DELETE && !find_obj(rt, ops[i].kind, ops[i].id)) {
            snprintf(err, errlen, "statement %zu: no %s %llu added at run time", i + 1,
                     kind_word(ops[i].kind), (unsigned long long)ops[i].id);
            return -1;
        }
        adds += ops[i].op == OP_ADD;
    }
    if (keep && rt->n + adds > MAX_OBJECTS) {
        snprintf(err, errlen, "at most %d objects are added at run time", MAX_OBJECTS);
        return -1;
    }
    size_t done = 0;
    for (size_t i = 0; i < n; i++, done = i) {
        if (ops[i].op != OP_ADD)
            continue;
        char e[2048];
        ids[i] = add_text(d, ops[i].kind, ops[i].text, ops[i].dynamic, session, e, sizeof(e));
        if (ids[i] < 0) {
            if (n > 1)
                snprintf(err, errlen, "statement %zu: %s", i + 1, e);
            else
                snprintf(err, errlen, "%s", e);
            break;
        }
    }
    bool failed = done < n;
    if (!failed && check_providers(d, ops, n, err, errlen) < 0)
        failed = true; /* done == n: every addition is taken out */
    if (failed || !keep) {
        for (size_t i = done; i-- > 0;)
            if (ops[i].op == OP_ADD)
                remove_obj(d, ops[i].kind, ids[i]);
        return failed ? -1 : 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (ops[i].op == OP_ADD) {
            char *t = strdup(ops[i].text);
            rt->v[rt->n++] = (struct rt_obj){
                .kind = ops[i].kind,
                .id = ids[i],
                .session = owner(d, ops[i].kind, ids[i], ops[i].dynamic, session),
                .dynamic = ops[i].dynamic,
                .text = t ? t : strdup(""),
            };
        }
    }
    for (int pass = 0; pass < 2; pass++) { /* providers last */
        for (size_t i = 0; i < n; i++) {
            struct rt_obj *o;
            if (ops[i].op == OP_DELETE && (ops[i].kind == WARD_OBJ_PROVIDER) == pass &&
                (o = find_obj(rt, ops[i].kind, ops[i].id))) {
                remove_obj(d, o->kind, o->id);
                drop_obj(rt, o);
            }
        }
    }
    prune(d); /* a sublayer deleted takes its filters with it */
    return 0;
}

static void commit(struct wardd *d)
{
    wardd_commit(d, WARDD_CHANGED_RULES | WARDD_CHANGED_POLICY);
    save(d);
}

static struct wardd_client *client(ward_conn *c)
{
    struct wardd_client *cl = ward_conn_data(c);
    if (!cl && (cl = calloc(1, sizeof(*cl))))
        ward_conn_set_data(c, cl);
    return cl;
}

/* One change: staged when a transaction is open, applied now otherwise. */
static void change(struct wardd *d, ward_conn *c, uint32_t mid, struct op *op)
{
    struct wardd_client *cl = client(c);
    if (!cl) {
        free(op->text);
        ward_conn_send_error(c, mid, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    uint64_t session = ward_conn_session(c);
    char err[4096];
    int64_t id = 0;
    if (cl->txn) {
        struct wardd_txn *t = cl->txn;
        if (t->n == MAX_STAGED) {
            free(op->text);
            ward_conn_send_error(c, mid, WARD_PE_BUSY, "at most %d changes in a transaction",
                                 MAX_STAGED);
            return;
        }
        t->v[t->n++] = *op;
        /* Checked now, with what is staged before it, so the error comes
         * with the statement that causes it. */
        int64_t ids[MAX_STAGED];
        if (apply(d, t->v, t->n, session, false, ids, err, sizeof(err)) < 0) {
            free(op->text);
            t->n--;
            ward_conn_send_failed(c, mid, "", err);
            return;
        }
    } else {
        if (apply(d, op, 1, session, true, &id, err, sizeof(err)) < 0) {
            free(op->text);
            ward_conn_send_failed(c, mid, "", err);
            return;
        }
        free(op->text);
        commit(d);
        wardd_log(LOG_INFO, "%s %s %llu by uid %u", kind_word(op->kind),
                  op->op == OP_ADD ? "added" : "deleted",
                  op->op == OP_ADD ? (unsigned long long)id : (unsigned long long)op->id,
                  ward_conn_peer(c)->uid);
    }
    if (op->op == OP_DELETE) {
        ward_conn_send_ok(c, mid);
        return;
    }
    ward_msg r = {.type = WARD_MSG_OBJECT_ADDED, .id = mid};
    r.u.object_id.id = (uint64_t)id; /* 0: staged */
    ward_conn_send(c, &r, NULL, 0);
}

static void on_add(struct wardd *d, ward_conn *c, const ward_msg *m, int kind)
{
    struct op op = {.op = OP_ADD,
                    .kind = kind,
                    .dynamic = m->u.object_add.dynamic,
                    .text = strdup(m->u.object_add.text)};
    if (!op.text) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    change(d, c, m->id, &op);
}

static void on_delete(struct wardd *d, ward_conn *c, const ward_msg *m, int kind)
{
    struct op op = {.op = OP_DELETE, .kind = kind, .id = m->u.object_id.id};
    change(d, c, m->id, &op);
}

void wardd_on_filter_add(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    on_add(d, c, m, WARD_OBJ_FILTER);
}
void wardd_on_filter_delete(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    on_delete(d, c, m, WARD_OBJ_FILTER);
}
void wardd_on_sublayer_add(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    on_add(d, c, m, WARD_OBJ_SUBLAYER);
}
void wardd_on_sublayer_delete(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    on_delete(d, c, m, WARD_OBJ_SUBLAYER);
}
void wardd_on_provider_add(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    on_add(d, c, m, WARD_OBJ_PROVIDER);
}
void wardd_on_provider_delete(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    on_delete(d, c, m, WARD_OBJ_PROVIDER);
}

void wardd_on_txn(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    struct wardd_client *cl = client(c);
    if (!cl) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    if (m->type == WARD_MSG_TXN_BEGIN) {
        if (cl->txn) {
            ward_conn_send_error(c, m->id, WARD_PE_BUSY, "a transaction is already open");
            return;
        }
        if (!(cl->txn = calloc(1, sizeof(*cl->txn)))) {
            ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
            return;
        }
        ward_conn_send_ok(c, m->id);
        return;
    }
    struct wardd_txn *t = cl->txn;
    if (!t) {
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "no transaction is open");
        return;
    }
    cl->txn = NULL;
    if (m->type == WARD_MSG_TXN_COMMIT) {
        int64_t ids[MAX_STAGED];
        char err[4096];
        if (apply(d, t->v, t->n, ward_conn_session(c), true, ids, err, sizeof(err)) < 0) {
            txn_free(t);
            ward_conn_send_failed(c, m->id, "nothing applied: ", err);
            return;
        }
        if (t->n)
            commit(d);
        wardd_log(LOG_INFO, "transaction of %zu changes committed by uid %u", t->n,
                  ward_conn_peer(c)->uid);
    }
    txn_free(t);
    ward_conn_send_ok(c, m->id);
}

struct list_ctx {
    struct wardd *d;
    ward_proto_object *v;
    size_t n, cap;
};

static const char *sublayer_name(const ward_engine *e, uint32_t id)
{
    ward_sublayer_info info[64];
    size_t n = ward_sublayer_list(e, info, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (info[i].id == id)
            return info[i].name;
    return NULL;
}

static int list_filter(uint64_t id, const ward_filter_def *def, void *arg)
{
    struct list_ctx *x = arg;
    if (x->n == x->cap)
        return -1;
    struct rt_obj *o = find_obj(x->d->runtime, WARD_OBJ_FILTER, id);
    static const char *const actions[] = {"permit", "block", "callout"};
    x->v[x->n++] = (ward_proto_object){
        .id = id,
        .name = (char *)def->name,
        .layer = (char *)ward_proto_layer_name(def->layer),
        .sublayer = (char *)sublayer_name(x->d->engine, def->sublayer),
        .weight = def->weight,
        .action = (char *)(def->action <= WARD_ACT_CALLOUT ? actions[def->action] : NULL),
        .provider = (char *)ward_provider_name(x->d->engine, def->provider),
        .dynamic = def->lifetime.kind == WARD_LIFE_DYNAMIC,
        .runtime = o != NULL,
        .text = ward_policy_format_filter(x->d->engine, id),
    };
    return 0;
}

void wardd_on_filter_list(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_engine_stats st;
    ward_engine_stats_get(d->engine, &st);
    struct list_ctx x = {.d = d, .cap = st.filters + 1};
    if (!(x.v = calloc(x.cap, sizeof(*x.v)))) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    ward_filter_foreach(d->engine, list_filter, &x);
    ward_conn_send_objects(c, m->id, x.v, x.n);
    for (size_t i = 0; i < x.n; i++)
        free(x.v[i].text);
    free(x.v);
}

void wardd_on_sublayer_list(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_sublayer_info info[64];
    ward_proto_object v[64];
    size_t n = ward_sublayer_list(d->engine, info, 64);
    n = n < 64 ? n : 64;
    for (size_t i = 0; i < n; i++) {
        struct rt_obj *o = find_obj(d->runtime, WARD_OBJ_SUBLAYER, info[i].id);
        v[i] = (ward_proto_object){.id = info[i].id,
                                   .name = (char *)info[i].name,
                                   .weight = info[i].weight,
                                   .dynamic = o && o->session,
                                   .runtime = o != NULL};
    }
    ward_conn_send_objects(c, m->id, v, n);
}

void wardd_on_provider_list(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    enum { MAX_PROVIDERS = 1024 }; /* the engine's bound */
    ward_proto_object *v = calloc(MAX_PROVIDERS, sizeof(*v));
    if (!v) {
        ward_conn_send_error(c, m->id, WARD_PE_INTERNAL, "out of memory");
        return;
    }
    size_t n = 0;
    for (uint32_t id = 1; id <= MAX_PROVIDERS; id++) {
        const char *name = ward_provider_name(d->engine, id);
        if (!name)
            continue; /* never given, or deleted */
        struct rt_obj *o = find_obj(d->runtime, WARD_OBJ_PROVIDER, id);
        v[n++] = (ward_proto_object){
            .id = id, .name = (char *)name, .dynamic = o && o->session, .runtime = o != NULL};
    }
    ward_conn_send_objects(c, m->id, v, n);
    free(v);
}

void wardd_runtime_reapply(struct wardd *d)
{
    struct wardd_runtime *rt = d->runtime;
    for (size_t i = 0; rt && i < rt->n;) {
        struct rt_obj *o = &rt->v[i];
        char err[2048];
        int64_t id = add_text(d, o->kind, o->text, o->dynamic, o->session, err, sizeof(err));
        if (id < 0) {
            /* The policy now lacks what it named (a zone, a sublayer). */
            wardd_log(LOG_ERR, "%s added at run time no longer applies, dropped: %s",
                      kind_word(o->kind), err);
            drop_obj(rt, o);
            continue;
        }
        o->id = id;
        i++;
    }
}

int wardd_runtime_open(struct wardd *d)
{
    struct wardd_runtime *rt = calloc(1, sizeof(*rt));
    if (!rt)
        return -ENOMEM;
    d->runtime = rt;
    snprintf(rt->path, sizeof(rt->path), "%s/runtime.rules", d->opt.state_dir);
    FILE *f = fopen(rt->path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    char line[8192];
    while (fgets(line, sizeof(line), f) && rt->n < MAX_OBJECTS) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *t = strdup(line);
        if (!t)
            break;
        rt->v[rt->n++] =
            (struct rt_obj){.kind = strncmp(line, "sublayer", 8) == 0   ? WARD_OBJ_SUBLAYER
                                    : strncmp(line, "provider", 8) == 0 ? WARD_OBJ_PROVIDER
                                                                        : WARD_OBJ_FILTER,
                            .text = t};
    }
    fclose(f);
    return 0;
}

void wardd_runtime_end_session(struct wardd *d, ward_conn *c)
{
    struct wardd_client *cl = ward_conn_data(c);
    if (cl) {
        txn_free(cl->txn); /* a transaction never committed: nothing of it applies */
        cl->txn = NULL;
    }
    struct wardd_runtime *rt = d->runtime;
    uint64_t s = ward_conn_session(c);
    bool any = false;
    for (size_t i = rt ? rt->n : 0; i-- > 0;) {
        if (rt->v[i].session != s)
            continue;
        if (remove_obj(d, rt->v[i].kind, rt->v[i].id) == WARD_E_BUSY) {
            /* a persistent filter still names it: it stays, owned by no session */
            wardd_log(LOG_WARNING, "provider %s outlives its session: filters name it",
                      ward_provider_name(d->engine, (uint32_t)rt->v[i].id));
            rt->v[i].session = 0;
            rt->v[i].dynamic = false;
            any = true;
            continue;
        }
        drop_obj(rt, &rt->v[i]);
        any = true;
    }
    if (any)
        wardd_commit(d, WARDD_CHANGED_RULES | WARDD_CHANGED_POLICY);
}

void wardd_runtime_close(struct wardd *d)
{
    struct wardd_runtime *rt = d->runtime;
    for (size_t i = 0; rt && i < rt->n; i++)
        free(rt->v[i].text);
    free(rt);
    d->runtime = NULL;
}
