/*
 * cls_tree.h — the classifier's decision-tree front end (private).
 *
 * A read-mostly snapshot of the rules whose addresses are each a wildcard
 * or an IPv4(-mapped) prefix, built in one go (cls_optimize) and searched
 * by cutting the header space (HiCuts-style cuts on rule subsets split by
 * which addresses are narrow, as CutSplit does). Rules are numbered by rank:
 * their (prio, seq) order, so a lower rank wins. Removals mark a rank dead;
 * insertions go to the tuple tables until the next build. A tree may have
 * several owners (a rebuild on another thread reads the one in use): all
 * but the dead marks is fixed once built.
 */
#ifndef WARD_ENGINE_CLS_TREE_H
#define WARD_ENGINE_CLS_TREE_H

#include "engine/cls_entry.h"

#define CTREE_NONE UINT32_MAX

typedef struct ctree ctree;

/* Whether the tree can hold e: each address a wildcard or IPv4-mapped. */
bool ctree_fits(const entry *e);
/* Builds from n fitting entries sorted by (prio, seq): e[i] gets rank i.
 * left_out[i] is set for a rule the tree could not take within its memory
 * budget (its rank stays dead: the caller keeps it elsewhere). NULL when
 * out of memory. */
ctree *ctree_build(const entry *e, uint32_t n, uint8_t *left_out);
/* Another owner for t; ctree_free drops one (t goes with the last). */
ctree *ctree_ref(ctree *t);
void ctree_free(ctree *t);
size_t ctree_bytes(const ctree *t);
/* Ranks, live or dead: what ctree_entries may write at most. */
uint32_t ctree_size(const ctree *t);
/* Writes the live rules as entries (in rank order); returns how many. */
uint32_t ctree_entries(const ctree *t, entry *out);
/* A copy of the dead marks now (NULL: out of memory), and the entries of
 * the ranks live in such a copy: that reads nothing ctree_kill writes, so
 * it may run on another thread while the owner goes on killing ranks. */
uint64_t *ctree_gone_copy(const ctree *t);
uint32_t ctree_entries_as_of(const ctree *t, const uint64_t *gone, entry *out);
/* Marks a rank dead (a removal): lookups skip it from now on. */
void ctree_kill(ctree *t, uint32_t rank);
/* The first rank whose priority is above after. */
uint32_t ctree_start(const ctree *t, uint64_t after);
/* The best live rank in [start, best) matching k; best if none. */
uint32_t ctree_lookup(const ctree *t, const kwords *k, uint32_t start, uint32_t best);
/* A rank's priority, data and sequence number. */
void ctree_match(const ctree *t, uint32_t rank, uint64_t *prio, uint64_t *data, uint32_t *seq);

#endif
