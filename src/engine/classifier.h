/*
 * classifier.h — the engine's indexed multi-field classifier (private).
 *
 * Indexes the fields a packet header gives: local and remote address
 * (prefixes over the 16-byte form, IPv4 mapped), local and remote port
 * ranges and the protocol range. Each rule has a priority: lower numbers
 * win. Several rules may share one priority (a filter whose conditions list
 * several ports expands into several rules); they are one filter for lookup
 * and removal.
 *
 * cls_lookup() returns the best rule whose priority is strictly greater than
 * `after`: the engine walks matches in priority order (after = 0 first, then
 * the priority it last saw) because a filter's other conditions (program,
 * domain, time ...) or a callout saying "continue" can send it on.
 *
 * cls_linear is the plain reference: the same interface, a scan.
 */
#ifndef WARD_ENGINE_CLASSIFIER_H
#define WARD_ENGINE_CLASSIFIER_H

#include "ward/engine.h"

typedef struct cls_rule {
    ward_cidr laddr, raddr;  /* plen 0 = any */
    ward_range lport, rport; /* 0..65535 = any */
    ward_range proto;        /* 0..255 = any */
    uint64_t prio;           /* >= 1; lower wins */
    uint64_t data;           /* the caller's (the engine stores a filter index) */
} cls_rule;

typedef struct cls_key {
    ward_ip laddr, raddr;
    uint16_t lport, rport;
    uint8_t proto;
} cls_key;

typedef struct cls_match {
    uint64_t prio;
    uint64_t data;
} cls_match;

typedef struct cls cls;
cls *cls_new(void);
void cls_free(cls *c);
/* Adds one rule. Cost must not grow with the number of rules already there
 * beyond a logarithm where avoidable: no full rebuild on insert. */
int cls_insert(cls *c, const cls_rule *r);
/* Bulk build: may be faster than n inserts; the result is the same. */
int cls_insert_bulk(cls *c, const cls_rule *r, size_t n);
/* Rebuilds the index from its rules for fast lookups (the decision tree);
 * single inserts since then are searched beside it. Answers never depend
 * on it. cls_insert_bulk into an empty index does it, and updates do once
 * the rules beside the tree outnumber those in it. 0 or WARD_E_NOMEM
 * (nothing changed). */
int cls_optimize(cls *c);
/* Rebuilds aside (docs/ENGINE.md, "Rebuilding off the loop"). A deferred
 * classifier never rebuilds inside an update: once one would, it wants a
 * rebuild and cls_rebuild_take() snapshots its rules into a job that
 * ward_rebuild_run() builds on any thread, touching nothing else, while
 * updates keep going to the tables (and to the job's log). On the
 * classifier's own thread, ward_rebuild_install() replays that log on the
 * result and puts it in force. The job type and those two are public
 * (ward/engine.h) so that wardd can run them on a thread of its own. */
void cls_set_deferred(cls *c, bool on);
/* The snapshot of a deferred classifier that wants a rebuild; NULL if it
 * does not, one is already taken, or memory is short. One at a time. */
ward_rebuild *cls_rebuild_take(cls *c);
/* Removes every rule of priority prio; returns how many (0 if none). */
size_t cls_remove(cls *c, uint64_t prio);
/* The best match with prio > after; false if none. */
bool cls_lookup(const cls *c, const cls_key *k, uint64_t after, cls_match *out);
size_t cls_rule_count(const cls *c);
size_t cls_bytes(const cls *c); /* memory held by the index */

/* The reference: a list scanned in priority order. */
typedef struct cls_linear cls_linear;
cls_linear *cls_linear_new(void);
void cls_linear_free(cls_linear *c);
int cls_linear_insert(cls_linear *c, const cls_rule *r);
size_t cls_linear_remove(cls_linear *c, uint64_t prio);
bool cls_linear_lookup(const cls_linear *c, const cls_key *k, uint64_t after, cls_match *out);

/* Whether rule r covers key k (the definition both implementations share). */
bool cls_rule_matches(const cls_rule *r, const cls_key *k);

#endif
