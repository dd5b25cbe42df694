/*
 * rcstr.h — strings shared by reference count.
 *
 * The process table keeps a path and a command line per process, and
 * thousands of processes of one program have the same ones: each holds a
 * reference to one copy instead of a copy of its own. An rcstr is a plain
 * NUL-terminated char * to its readers; its count sits before it. Not for
 * use from several threads.
 */
#ifndef WARD_PROC_RCSTR_H
#define WARD_PROC_RCSTR_H

#include <stddef.h>

/* A new string: len bytes of s and a NUL,
 * holding one reference; NULL when out of memory. */
char *rcstr_new(const char *s, size_t len);
/* s with one more reference (NULL stays NULL). */
char *rcstr_ref(char *s);
/* Drops a reference; the last one frees s. NULL is ignored. */
void rcstr_unref(char *s);
/* The bytes s takes, divided among its references (0 for NULL): summed
 * over every reference, about what the strings take. */
size_t rcstr_share(const char *s);

#endif
