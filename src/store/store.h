/*
 * store/store.h — Ward's rule store: where the policy lives on disk, atomic
 * writes, the learned rules file, JSON import/export and OpenSnitch import.
 */
#ifndef WARD_STORE_H
#define WARD_STORE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/policy.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define WARD_DEFAULT_CONF      "/etc/ward/ward.conf"
#define WARD_DEFAULT_RULES_DIR "/etc/ward/rules.d"
#define WARD_DEFAULT_LEARNED   "/var/lib/ward/learned.rules"

typedef struct ward_store_paths {
    char conf[PATH_MAX];      /* the administrator's policy */
    char rules_dir[PATH_MAX]; /* its drop-in directory (ward.conf includes it) */
    char learned[PATH_MAX];   /* answers to prompts, written only by Ward */
} ward_store_paths;

/* The defaults, each overridable by WARD_CONF, WARD_RULES_DIR, WARD_LEARNED. */
void ward_store_paths_default(ward_store_paths *p);

/* Replaces `path` with `data` atomically: a temporary file in the same
 * directory, fsync, rename over the old name, fsync of the directory. A
 * crash at any moment leaves the old file or the new one, never a mix.
 * Returns 0 or -errno. */
int ward_atomic_write(const char *path, const void *data, size_t len, mode_t mode);

/* Writes the learned provider's rules of the policy's engine to `path`
 * (atomically, mode 0600, in the policy language). Rules that must not
 * outlive the daemon (once, until-restart, session) are left out; timed and
 * until-exit rules keep their lifetime. Returns 0 or -errno. */
int ward_store_save_learned(const ward_policy *p, const char *path);

/* JSON (schema in docs/POLICY.md). Export: the policy in force, as a
 * malloc'd string. Import: JSON to policy-language text (malloc'd), which
 * the caller loads through the ordinary loader; NULL on error with a
 * message in err. */
char *ward_json_export(const ward_policy *p);
char *ward_json_to_policy(const char *json, char *err, size_t errlen);

/* OpenSnitch rule files (one rule per JSON file, or an array of rules) to
 * policy-language text. What cannot be mapped is described, one line per
 * problem, in *report (malloc'd, may be empty). NULL on a hard error. */
char *ward_opensnitch_to_policy(const char *const *jsons, const char *const *names, size_t n,
                                char **report);

#endif
