/*
 * journal.h — every decision and alert as a structured journald entry
 * (WARD_VERDICT=, WARD_EXE=, ... with a MESSAGE_ID per event type), sent
 * over journald's native datagram protocol: no libsystemd call, one
 * non-blocking sendto per entry.
 *
 * On when stderr goes to the journal (JOURNAL_STREAM, as under systemd) or
 * when WARD_JOURNAL_SOCKET names the socket to write to (tests bind their
 * own). Rate-limited by wardd: at most BURST entries of each event type per
 * window of SECONDS (WARD_JOURNAL_RATE=BURST/SECONDS, default 200/10); what
 * is held back is counted and said in one entry when the window ends.
 */
#ifndef WARDD_JOURNAL_H
#define WARDD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ward/event.h"

/* The MESSAGE_ID of each entry type (journalctl MESSAGE_ID=...). */
#define WARDD_JOURNAL_ID_DECISION  "7d3c1a5e0b6f4e2a9c8d1f0e3b2a4c61"
#define WARDD_JOURNAL_ID_ALERT     "a1f4c9e27b3d4e85b6c0d2f8e9a7b512"
#define WARDD_JOURNAL_ID_HELD_BACK "5b9e0c3d7a1f4b62a8e4c6d0f2b1e937"

/* Reads the environment; opens the socket if entries are wanted. Never
 * fails wardd: with no journal, entries are simply not written. */
void wardd_journal_open(void);
void wardd_journal_close(void);
/* One event (a decision, an alert; other kinds are not entries). */
void wardd_journal_event(const ward_event *ev);
/* The clock: a window that ended says what it held back. */
void wardd_journal_tick(int64_t now_ms);

/* What journald's MESSAGE and remote syslog's MSG say of an event. */
void wardd_event_message(const ward_event *ev, char *buf, size_t len);
/* "tcp", "udp", "icmp", "icmpv6" or the number. */
const char *wardd_proto_name(uint8_t p, char *buf, size_t len);

#endif
