/*
 * The shared-memory event ring: see ring.h for the model.
 *
 * Layout of the memfd:
 *   [0, 64)      header: magic, version, sizes (written once, before sealing)
 *   [64, 128)    the write index, alone in its cache line
 *   [4096, ...)  capacity slots of { stamp, record }
 * Slot stamps: 0 = never written; 2n+1 = record n being written; 2n+2 =
 * record n complete. A reader checks the stamp before and after copying.
 */
#define _GNU_SOURCE
#include "ring/ring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct ring_hdr {
    uint64_t magic;
    uint32_t version;
    uint32_t record_size; /* sizeof(ward_event) */
    uint32_t slot_size;
    uint32_t capacity; /* power of two */
    uint64_t slots_off;
    uint8_t _pad0[64 - 32];
    _Atomic uint64_t write_idx; /* records published so far */
    uint8_t _pad1[64 - 8];
};

struct ring_slot {
    _Atomic uint64_t stamp;
    uint64_t _pad;
    ward_event ev;
};

#define SLOTS_OFF 4096u
_Static_assert(sizeof(struct ring_hdr) == 128, "ring header layout");
_Static_assert(sizeof(struct ring_slot) % 16 == 0, "slot alignment");

struct sub {
    uint32_t id; /* 0: free */
    int efd;
};

struct ward_ring {
    int memfd; /* read-write, the producer's */
    int ro_fd; /* read-only reopen, handed to subscribers */
    size_t size;
    struct ring_hdr *hdr;
    struct ring_slot *slots;
    uint32_t mask;
    uint64_t next;     /* producer's private copy of write_idx */
    uint64_t notified; /* write index at the last notify */
    uint32_t next_sub_id;
    struct sub subs[WARD_RING_MAX_SUBSCRIBERS];
};

struct ward_ring_reader {
    const struct ring_hdr *hdr;
    const struct ring_slot *slots;
    size_t size;
    uint32_t mask, capacity;
    uint64_t next; /* this reader's read index */
    uint64_t lost;
};

static uint32_t round_capacity(uint32_t c)
{
    uint32_t p = WARD_RING_MIN_CAPACITY;
    while (p < c && p < WARD_RING_MAX_CAPACITY)
        p <<= 1;
    return p;
}

static size_t ring_size(uint32_t capacity)
{
    return SLOTS_OFF + (size_t)capacity * sizeof(struct ring_slot);
}

ward_ring *ward_ring_create(uint32_t capacity)
{
    ward_ring *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->memfd = r->ro_fd = -1;
    capacity = round_capacity(capacity);
    r->size = ring_size(capacity);
    r->memfd = memfd_create("ward-events", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (r->memfd < 0 || ftruncate(r->memfd, (off_t)r->size) < 0)
        goto fail;
    void *m = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
    if (m == MAP_FAILED)
        goto fail;
    r->hdr = m;
    r->slots = (struct ring_slot *)((char *)m + SLOTS_OFF);
    r->mask = capacity - 1;
    r->hdr->magic = WARD_RING_MAGIC;
    r->hdr->version = WARD_RING_VERSION;
    r->hdr->record_size = sizeof(ward_event);
    r->hdr->slot_size = sizeof(struct ring_slot);
    r->hdr->capacity = capacity;
    r->hdr->slots_off = SLOTS_OFF;
    atomic_store_explicit(&r->hdr->write_idx, 0, memory_order_release);
    /* Our mapping stays writable; nobody else can write, grow or shrink. */
    if (fcntl(r->memfd, F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0)
        goto fail;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", r->memfd);
    r->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->ro_fd < 0)
        r->ro_fd = dup(r->memfd); /* no /proc: the seals still protect the ring */
    if (r->ro_fd < 0)
        goto fail;
    for (size_t i = 0; i < WARD_RING_MAX_SUBSCRIBERS; i++)
        r->subs[i].efd = -1;
    return r;
fail:;
    int saved = errno;
    ward_ring_destroy(r);
    errno = saved;
    return NULL;
}

void ward_ring_destroy(ward_ring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < WARD_RING_MAX_SUBSCRIBERS; i++)
        if (r->subs[i].id)
            close(r->subs[i].efd);
    if (r->hdr)
        munmap(r->hdr, r->size);
    if (r->memfd >= 0)
        close(r->memfd);
    if (r->ro_fd >= 0)
        close(r->ro_fd);
    free(r);
}

void ward_ring_write(ward_ring *r, const ward_event *ev)
{
    uint64_t n = r->next;
    struct ring_slot *s = &r->slots[n & r->mask];
    atomic_store_explicit(&s->stamp, 2 * n + 1, memory_order_relaxed);
    /* Readers that see any byte of the new record must see the odd stamp. */
    atomic_thread_fence(memory_order_release);
    memcpy(&s->ev, ev, sizeof(*ev));
    s->ev.seq = n;
    atomic_store_explicit(&s->stamp, 2 * n + 2, memory_order_release);
    r->next = n + 1;
    atomic_store_explicit(&r->hdr->write_idx, n + 1, memory_order_release);
}

void ward_ring_notify(ward_ring *r)
{
    if (r->notified == r->next)
        return;
    r->notified = r->next;
    uint64_t one = 1;
    for (size_t i = 0; i < WARD_RING_MAX_SUBSCRIBERS; i++) {
        /* EAGAIN: the counter is saturated, the reader is awake anyway. */
        if (r->subs[i].id && write(r->subs[i].efd, &one, sizeof(one)) < 0) {
        }
    }
}

int ward_ring_subscribe(ward_ring *r, uint32_t *sub_id)
{
    for (size_t i = 0; i < WARD_RING_MAX_SUBSCRIBERS; i++) {
        if (r->subs[i].id)
            continue;
        int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (efd < 0)
            return -1;
        int theirs = fcntl(efd, F_DUPFD_CLOEXEC, 0);
        if (theirs < 0) {
            close(efd);
            return -1;
        }
        if (++r->next_sub_id == 0)
            r->next_sub_id = 1;
        r->subs[i].id = r->next_sub_id;
        r->subs[i].efd = efd;
        if (sub_id)
            *sub_id = r->subs[i].id;
        return theirs;
    }
    errno = ENOSPC;
    return -1;
}

void ward_ring_unsubscribe(ward_ring *r, uint32_t sub_id)
{
    for (size_t i = 0; sub_id && i < WARD_RING_MAX_SUBSCRIBERS; i++) {
        if (r->subs[i].id == sub_id) {
            close(r->subs[i].efd);
            r->subs[i].id = 0;
            r->subs[i].efd = -1;
        }
    }
}

size_t ward_ring_subscribers(const ward_ring *r)
{
    size_t n = 0;
    for (size_t i = 0; i < WARD_RING_MAX_SUBSCRIBERS; i++)
        n += r->subs[i].id != 0;
    return n;
}

int ward_ring_memfd(const ward_ring *r)
{
    return r->ro_fd;
}

uint32_t ward_ring_capacity(const ward_ring *r)
{
    return r->mask + 1;
}

uint64_t ward_ring_written(const ward_ring *r)
{
    return r->next;
}

/* ---- Reader -------------------------------------------------------------- */

ward_ring_reader *ward_ring_reader_open(int memfd, bool from_oldest)
{
    struct stat st;
    if (fstat(memfd, &st) < 0)
        return NULL;
    if (st.st_size < (off_t)SLOTS_OFF) {
        errno = EPROTO;
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
    if (m == MAP_FAILED)
        return NULL;
    const struct ring_hdr *h = m;
    uint32_t cap = h->capacity;
    if (h->magic != WARD_RING_MAGIC || h->version != WARD_RING_VERSION ||
        h->record_size != sizeof(ward_event) || h->slot_size != sizeof(struct ring_slot) ||
        h->slots_off != SLOTS_OFF || cap < WARD_RING_MIN_CAPACITY || cap > WARD_RING_MAX_CAPACITY ||
        (cap & (cap - 1)) || ring_size(cap) > size) {
        munmap(m, size);
        errno = EPROTO;
        return NULL;
    }
    ward_ring_reader *rd = calloc(1, sizeof(*rd));
    if (!rd) {
        munmap(m, size);
        return NULL;
    }
    rd->hdr = h;
    rd->slots = (const struct ring_slot *)((const char *)m + SLOTS_OFF);
    rd->size = size;
    rd->capacity = cap;
    rd->mask = cap - 1;
    uint64_t head = atomic_load_explicit(&((struct ring_hdr *)h)->write_idx, memory_order_acquire);
    rd->next = from_oldest ? (head > cap ? head - cap : 0) : head;
    return rd;
}

void ward_ring_reader_close(ward_ring_reader *rd)
{
    if (!rd)
        return;
    munmap((void *)rd->hdr, rd->size);
    free(rd);
}

static uint64_t load_head(const ward_ring_reader *rd)
{
    /* The mapping is read-only; atomic loads do not write. */
    return atomic_load_explicit(&((struct ring_hdr *)rd->hdr)->write_idx, memory_order_acquire);
}

int ward_ring_read(ward_ring_reader *rd, ward_event *ev, uint64_t *lost)
{
    uint64_t lost_now = 0;
    int got = 0;
    for (;;) {
        uint64_t head = load_head(rd);
        if (rd->next >= head)
            break;
        if (head - rd->next > rd->capacity) {
            lost_now += head - rd->capacity - rd->next;
            rd->next = head - rd->capacity;
        }
        struct ring_slot *s = (struct ring_slot *)&rd->slots[rd->next & rd->mask];
        uint64_t want = 2 * rd->next + 2;
        uint64_t s1 = atomic_load_explicit(&s->stamp, memory_order_acquire);
        if (s1 != want) {
            if (s1 < want)
                break;  /* not complete yet: cannot happen below head, but be safe */
            lost_now++; /* overwritten since we looked at head */
            rd->next++;
            continue;
        }
        memcpy(ev, &s->ev, sizeof(*ev));
        atomic_thread_fence(memory_order_acquire);
        uint64_t s2 = atomic_load_explicit(&s->stamp, memory_order_relaxed);
        if (s2 != want || ev->seq != rd->next) {
            lost_now++; /* torn: the producer lapped us while we copied */
            rd->next++;
            continue;
        }
        ev->exe[sizeof(ev->exe) - 1] = '\0';
        ev->cmdline[sizeof(ev->cmdline) - 1] = '\0';
        ev->domain[sizeof(ev->domain) - 1] = '\0';
        ev->filter[sizeof(ev->filter) - 1] = '\0';
        ev->parents[sizeof(ev->parents) - 1] = '\0';
        rd->next++;
        got = 1;
        break;
    }
    rd->lost += lost_now;
    if (lost)
        *lost += lost_now;
    return got;
}

uint64_t ward_ring_reader_lost(const ward_ring_reader *rd)
{
    return rd->lost;
}

uint64_t ward_ring_reader_pending(const ward_ring_reader *rd)
{
    uint64_t head = load_head(rd);
    return head > rd->next ? head - rd->next : 0;
}

void ward_ring_eventfd_drain(int efd)
{
    uint64_t v;
    if (read(efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing to clear */
    }
}
