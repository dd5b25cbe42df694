/*
 * host_main.c — ward-callout-host: runs one shared-object callout for wardd.
 *
 * Started by wardd with the object's path as its argument and its end of a
 * SOCK_SEQPACKET socketpair as fd 3. It drops to the unprivileged user
 * `nobody` (when started as root) before it loads the object, checks the
 * ABI, says hello, and then answers classify calls one at a time. It keeps
 * the callout's per-flow contexts itself: wardd sends only flow ids.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "callout/wire.h"
#include "ward/callout.h"

#define FD 3

/* Per-flow contexts: a small open-addressed table. */
struct slot {
    uint64_t id;
    void *ctx;
    bool used;
};
static struct slot *slots;
static size_t n_slots, cap_slots;

static struct slot *slot_find(uint64_t id, bool add)
{
    if (add && (n_slots + 1) * 2 > cap_slots) {
        size_t ncap = cap_slots ? cap_slots * 2 : 256;
        struct slot *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return NULL;
        for (size_t i = 0; i < cap_slots; i++) {
            if (!slots[i].used)
                continue;
            size_t j = slots[i].id % ncap;
            while (ns[j].used)
                j = (j + 1) % ncap;
            ns[j] = slots[i];
        }
        free(slots);
        slots = ns;
        cap_slots = ncap;
    }
    if (!cap_slots)
        return NULL;
    for (size_t j = id % cap_slots;; j = (j + 1) % cap_slots) {
        if (!slots[j].used) {
            if (!add)
                return NULL;
            slots[j] = (struct slot){id, NULL, true};
            n_slots++;
            return &slots[j];
        }
        if (slots[j].id == id)
            return &slots[j];
    }
}

static void slot_remove(struct slot *s)
{
    /* Backward-shift deletion keeps every probe chain whole. */
    size_t i = (size_t)(s - slots);
    slots[i].used = false;
    n_slots--;
    for (size_t j = (i + 1) % cap_slots; slots[j].used; j = (j + 1) % cap_slots) {
        struct slot t = slots[j];
        slots[j].used = false;
        n_slots--;
        struct slot *d = slot_find(t.id, true);
        if (d)
            d->ctx = t.ctx;
    }
}

static int drop_privileges(void)
{
    if (getuid() != 0)
        return 0;
    const struct passwd *pw = getpwnam("nobody");
    uid_t uid = pw ? pw->pw_uid : 65534;
    gid_t gid = pw ? pw->pw_gid : 65534;
    if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
        return -1;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void hello(const ward_callout *c, const char *why)
{
    struct wire_hello m = {.h = {WIRE_MAGIC, WIRE_HELLO, 0, 0}, .ok = c != NULL};
    if (c) {
        snprintf(m.name, sizeof(m.name), "%s", c->name);
        m.layers = c->layers;
    } else {
        snprintf(m.err, sizeof(m.err), "%s", why);
    }
    send(FD, &m, sizeof(m), MSG_NOSIGNAL);
}

static const ward_callout *load(const char *path)
{
    char why[192];
    void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        snprintf(why, sizeof(why), "does not load: %s", dlerror());
        hello(NULL, why);
        return NULL;
    }
    ward_callout_entry_fn entry = (ward_callout_entry_fn)(uintptr_t)dlsym(so, WARD_CALLOUT_ENTRY);
    if (!entry) {
        hello(NULL, "exports no " WARD_CALLOUT_ENTRY "(): not a callout");
        return NULL;
    }
    const ward_callout *c = entry();
    if (!c) {
        hello(NULL, "its entry returned no callout");
        return NULL;
    }
    if (c->abi != WARD_CALLOUT_ABI || c->size < sizeof(ward_callout)) {
        snprintf(why, sizeof(why), "ABI mismatch: built for ABI %u (size %u), wardd speaks ABI %u",
                 c->abi, c->size, WARD_CALLOUT_ABI);
        hello(NULL, why);
        return NULL;
    }
    if (!c->name || !c->name[0] || strlen(c->name) >= 64 || !c->classify || !c->layers) {
        hello(NULL, "a callout needs a name, its layers and a classify function");
        return NULL;
    }
    return c;
}

static void terminate(char *s, size_t len)
{
    s[len - 1] = '\0';
}

static void classify(const ward_callout *c, struct wire_classify *m, size_t got)
{
    struct wire_verdict v = {.h = {WIRE_MAGIC, WIRE_VERDICT, m->h.seq, 0},
                             .verdict = WARD_CALLOUT_BLOCK};
    if (got == sizeof(*m) + m->len && m->len <= WIRE_BYTES_MAX && m->n_answers <= WIRE_ANSWERS) {
        terminate(m->app, sizeof(m->app));
        terminate(m->domain, sizeof(m->domain));
        terminate(m->qname, sizeof(m->qname));
        ward_callout_flow f = {.id = m->flow_id,
                               .layer = m->layer,
                               .dir = m->dir,
                               .proto = m->proto,
                               .lport = m->lport,
                               .rport = m->rport,
                               .pid = m->pid,
                               .uid = m->uid,
                               .app = m->app[0] ? m->app : NULL,
                               .domain = m->domain[0] ? m->domain : NULL};
        memcpy(f.local, m->local, 16);
        memcpy(f.remote, m->remote, 16);
        ward_callout_data d = {.bytes = m->len ? m->bytes : NULL,
                               .len = m->len,
                               .qname = m->qname[0] ? m->qname : NULL,
                               .qtype = m->qtype,
                               .n_answers = m->n_answers,
                               .answers = (const uint8_t(*)[16])m->answers,
                               .dir = m->sdir,
                               .flags = m->sflags,
                               .offset = m->offset};
        struct slot *s = slot_find(m->flow_id, false);
        void *ctx = s ? s->ctx : NULL;
        v.verdict = (int32_t)c->classify(&f, &d, &ctx);
        if (ctx && !s)
            s = slot_find(m->flow_id, true);
        if (s)
            s->ctx = ctx;
    }
    send(FD, &v, sizeof(v), MSG_NOSIGNAL);
}

int main(int argc, char **argv)
{
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (argc != 2) {
        fprintf(stderr, "usage: ward-callout-host OBJECT.so (started by wardd)\n");
        return 2;
    }
    if (drop_privileges() < 0) {
        char why[128];
        snprintf(why, sizeof(why), "cannot drop privileges: %s", strerror(errno));
        hello(NULL, why);
        return 1;
    }
    const ward_callout *c = load(argv[1]);
    if (!c)
        return 1;
    hello(c, NULL);
    size_t cap = sizeof(struct wire_classify) + WIRE_BYTES_MAX;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return 1;
    for (;;) {
        ssize_t got = recv(FD, buf, cap, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < (ssize_t)sizeof(struct wire_hdr))
            break; /* wardd is gone */
        struct wire_hdr *h = (struct wire_hdr *)buf;
        if (h->magic != WIRE_MAGIC)
            break;
        if (h->op == WIRE_CLASSIFY && (size_t)got >= sizeof(struct wire_classify)) {
            classify(c, (struct wire_classify *)buf, (size_t)got);
        } else if (h->op == WIRE_NOTIFY && (size_t)got == sizeof(struct wire_notify)) {
            struct wire_notify *n = (struct wire_notify *)buf;
            terminate(n->filter_name, sizeof(n->filter_name));
            if (c->notify)
                c->notify((enum ward_callout_event)n->event, n->filter_id, n->filter_name);
        } else if (h->op == WIRE_FLOW_DELETE && (size_t)got == sizeof(struct wire_flow_delete)) {
            struct wire_flow_delete *fd = (struct wire_flow_delete *)buf;
            struct slot *s = slot_find(fd->flow_id, false);
            if (s) {
                if (c->flow_delete)
                    c->flow_delete(fd->flow_id, s->ctx);
                slot_remove(s);
            }
        }
    }
    free(buf);
    free(slots);
    return 0;
}
