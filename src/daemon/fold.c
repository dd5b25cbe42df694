/*
 * fold.c — a program opening thousands of connections a second must not
 * flood the log. An event identical to one published less than a window
 * ago (same program, protocol, remote, port, verdict, rule; for DNS the
 * same name) is only counted; when the window ends, one row carries the
 * count. Every decision is thus in the log, alone or in a count.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FOLD_SLOTS 1024 /* distinct events within one window; more evict */
#define FOLD_PROBE 8

struct fold_slot {
    bool used;
    struct wardd_fold_key key;
    int64_t start_ms; /* the window: from the event published */
    int64_t last_ns;  /* the last repeat's time */
    uint32_t repeats; /* counted since, not yet published */
    ward_event ev;    /* the event published: the repeats' row */
};

struct wardd_fold {
    /* No window ends before this: the clock's flush skips its walk over
     * the slots (it runs at every wake-up of the loop) until then. */
    int64_t due_ms;
    struct fold_slot slot[FOLD_SLOTS];
};

struct wardd_fold *wardd_fold_new(void)
{
    return calloc(1, sizeof(struct wardd_fold));
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull; /* FNV-1a */
    return h;
}

static void key_from_event(struct wardd_fold_key *k, const ward_event *ev)
{
    memset(k, 0, sizeof(*k));
    k->remote = ev->remote;
    k->name_hash = hash_bytes(ev->domain, strlen(ev->domain), 14695981039346656037ull);
    k->name_hash = hash_bytes(ev->exe, strlen(ev->exe), k->name_hash);
    k->rule = ev->filter_id;
    k->rport = ev->rport;
    k->proto = ev->proto;
    k->verdict = ev->verdict;
    k->layer = ev->layer;
    k->kind = 0xff; /* not a kernel record's kind */
}

/* Publishes a slot's counted repeats (if any) and frees it. */
static void slot_flush(struct wardd *d, struct fold_slot *s)
{
    if (s->repeats) {
        s->ev.count = s->repeats;
        s->ev.time_ns = s->last_ns;
        wardd_emit(d, &s->ev);
    }
    s->used = false;
}

/* The slot holding key (found: true), or where it may go: a free slot, else
 * the oldest of its probes (to be flushed first). */
static struct fold_slot *fold_find(struct wardd_fold *f, const struct wardd_fold_key *k,
                                   bool *found)
{
    uint64_t h = hash_bytes(k, sizeof(*k), 14695981039346656037ull);
    struct fold_slot *free_slot = NULL, *oldest = NULL;
    for (unsigned i = 0; i < FOLD_PROBE; i++) {
        struct fold_slot *s = &f->slot[(h + i) % FOLD_SLOTS];
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (!memcmp(&s->key, k, sizeof(*k))) {
            *found = true;
            return s;
        }
        if (!oldest || s->start_ms < oldest->start_ms)
            oldest = s;
    }
    *found = false;
    return free_slot ? free_slot : oldest;
}

bool wardd_fold_hit(struct wardd *d, const struct wardd_fold_key *k, int64_t now_ms,
                    int64_t time_ns)
{
    bool found;
    struct fold_slot *s = d->fold ? fold_find(d->fold, k, &found) : NULL;
    if (!s || !found)
        return false;
    if (now_ms - s->start_ms >= WARDD_FOLD_MS) {
        slot_flush(d, s);
        return false;
    }
    s->repeats++;
    s->last_ns = time_ns;
    d->folded++;
    return true;
}

void wardd_fold_publish(struct wardd *d, const struct wardd_fold_key *k, ward_event *ev,
                        int64_t now_ms)
{
    ev->count = 1;
    wardd_emit(d, ev);
    if (!d->fold)
        return;
    bool found;
    struct fold_slot *s = fold_find(d->fold, k, &found);
    if (s->used)
        slot_flush(d, s); /* an older window, or evicted: its count goes out now */
    *s = (struct fold_slot){.used = true, .key = *k, .start_ms = now_ms, .ev = *ev};
    if (now_ms + WARDD_FOLD_MS < d->fold->due_ms)
        d->fold->due_ms = now_ms + WARDD_FOLD_MS;
}

void wardd_publish_folded(struct wardd *d, ward_event *ev, const struct wardd_fold_key *key)
{
    struct wardd_fold_key k;
    if (!key) {
        key_from_event(&k, ev);
        key = &k;
    }
    int64_t now = wardd_now_ms();
    if (!wardd_fold_hit(d, key, now, ev->time_ns))
        wardd_fold_publish(d, key, ev, now);
}

void wardd_fold_flush(struct wardd *d, int64_t now_ms)
{
    struct wardd_fold *f = d->fold;
    if (!f || (now_ms >= 0 && now_ms < f->due_ms))
        return;
    f->due_ms = INT64_MAX;
    for (size_t i = 0; i < FOLD_SLOTS; i++) {
        struct fold_slot *s = &f->slot[i];
        if (s->used && (now_ms < 0 || now_ms - s->start_ms >= WARDD_FOLD_MS))
            slot_flush(d, s);
        else if (s->used && s->start_ms + WARDD_FOLD_MS < f->due_ms)
            f->due_ms = s->start_ms + WARDD_FOLD_MS;
    }
}
