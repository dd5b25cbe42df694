/*
 * util/spawn.h — a helper process of wardd's (ward-callout-host,
 * ward-scand) started with one end of a socketpair as its descriptor 3.
 */
#ifndef WARD_UTIL_SPAWN_H
#define WARD_UTIL_SPAWN_H

#include <sys/types.h>

/* fork + exec of path with argv; in the child, sock becomes fd 3 (blocking),
 * stdin and stdout /dev/null, stderr stays (the parent's log), every other
 * descriptor closes and no signal is blocked. The child's pid, or -1 with
 * errno (fork failed; an exec that fails exits 127). */
pid_t ward_spawn_fd3(const char *path, char *const argv[], int sock);
/* The running program's own path; "" when /proc/self/exe cannot be read. */
void ward_self_path(char *out, size_t len);
/* The path of program `name` beside the running one (wardd's helpers are
 * installed next to it); "" when /proc/self/exe cannot be read. */
void ward_sibling_path(const char *name, char *out, size_t len);

#endif
