/*
 * ring/ring.h — the shared-memory event ring (the classic design's packet
 * buffer with read and write indexes, shared memory plus events).
 *
 * One producer (wardd) writes ward_event records into a memfd; any number of
 * readers map the same memfd read-only and keep their own read index. The
 * producer never looks at readers, so a slow or dead reader can never slow
 * it: when a reader falls more than `capacity` records behind, the oldest
 * records are overwritten and the reader learns how many it lost.
 *
 * Each slot carries a sequence stamp (a seqlock): a reader copies a record
 * and then checks the stamp again, so a record overwritten while being read
 * is counted as lost, never returned torn.
 *
 * Wake-ups: each subscriber has its own eventfd (one shared eventfd would let
 * one reader swallow another's wake-up). The producer publishes with
 * ward_ring_write() and signals with ward_ring_notify() once per batch; the
 * eventfds are non-blocking, so a full counter just means "already awake".
 *
 * The memfd is sealed against resizing and against new writable mappings
 * (F_SEAL_FUTURE_WRITE): a reader cannot corrupt what other readers see.
 */
#ifndef WARD_RING_H
#define WARD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/event.h"

#define WARD_RING_MAGIC           0x474e495244524157ull /* "WARDRING" */
#define WARD_RING_VERSION         1u
#define WARD_RING_MAX_SUBSCRIBERS 64
#define WARD_RING_MIN_CAPACITY    16u
#define WARD_RING_MAX_CAPACITY    (1u << 20)

typedef struct ward_ring ward_ring;               /* producer side */
typedef struct ward_ring_reader ward_ring_reader; /* one reader */

/* ---- Producer ------------------------------------------------------------ */

/* capacity: records, rounded up to a power of two within [MIN, MAX]. */
ward_ring *ward_ring_create(uint32_t capacity);
void ward_ring_destroy(ward_ring *r); /* closes subscribers' eventfds too */

/* Publishes one record (its seq is overwritten with the ring's next number).
 * Never blocks, never fails. */
void ward_ring_write(ward_ring *r, const ward_event *ev);

/* Wakes every subscriber if anything was written since the last call. One
 * write(2) per subscriber: call it once per batch or loop iteration. */
void ward_ring_notify(ward_ring *r);

/* Adds a subscriber: returns a new non-blocking eventfd that ward_ring_notify
 * signals (the ring keeps its own copy; hand this one to the client and close
 * it after sending), or -1 with errno (EMFILE-like: ENOSPC when full). */
int ward_ring_subscribe(ward_ring *r, uint32_t *sub_id);
void ward_ring_unsubscribe(ward_ring *r, uint32_t sub_id);
size_t ward_ring_subscribers(const ward_ring *r);

/* The memfd to pass to a subscriber over SCM_RIGHTS: a read-only descriptor
 * of the ring's memory (opened once; the ring owns it). */
int ward_ring_memfd(const ward_ring *r);
uint32_t ward_ring_capacity(const ward_ring *r);
uint64_t ward_ring_written(const ward_ring *r);

/* ---- Reader -------------------------------------------------------------- */

/* Maps a ring from its memfd (the fd is dup'ed; the caller keeps its own).
 * Checks magic, version, record size and the file's size. The reader starts
 * at the current write index (only new events) unless from_oldest is set.
 * Returns NULL with errno set (EPROTO: not a compatible ring). */
ward_ring_reader *ward_ring_reader_open(int memfd, bool from_oldest);
void ward_ring_reader_close(ward_ring_reader *rd);

/* Copies the next record into *ev. Returns 1 for a record, 0 when there is
 * nothing new. Records lost since the previous call are added to *lost (may
 * be NULL; the total stays in ward_ring_reader_lost). */
int ward_ring_read(ward_ring_reader *rd, ward_event *ev, uint64_t *lost);
uint64_t ward_ring_reader_lost(const ward_ring_reader *rd);
/* Records published and not yet read (may exceed capacity: those are lost). */
uint64_t ward_ring_reader_pending(const ward_ring_reader *rd);

/* Clears a subscriber's eventfd after a wake-up (non-blocking read). */
void ward_ring_eventfd_drain(int efd);

#endif /* WARD_RING_H */
