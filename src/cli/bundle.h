/*
 * cli/bundle.h — `ward bundle`: signed policy bundles (src/sign) put in
 * force through wardd's reload, with one step of rollback.
 */
#ifndef WARD_CLI_BUNDLE_H
#define WARD_CLI_BUNDLE_H

#include "cli/cli.h"
#include "sign/sign.h"
#include "store/store.h"

#define BUNDLE_STATE_DEFAULT "/var/lib/ward/bundle"

struct bundle_paths {
    char state[PATH_MAX]; /* $WARD_BUNDLE_DIR: the bundle in force, the snapshot */
    char conf[PATH_MAX];  /* ward.conf, whose directory the files go into */
    char policy_dir[PATH_MAX];
    char learned[PATH_MAX]; /* checked with the bundle, as wardd loads it */
};
void bundle_paths(struct bundle_paths *bp);

/* The bundle file `name` of the state directory, parsed (it was verified
 * when it was applied); 0 or -1. */
int bundle_current(const struct bundle_paths *bp, const char *name, ward_bundle *b);
/* The version last rolled back (0: none): polls skip it and older ones. */
uint64_t bundle_refused(const struct bundle_paths *bp);

/* Verify, check, install, reload; exit status. poll: quiet when nothing is
 * new, and a rolled-back version is not applied again. */
int bundle_apply(const char *src, const char *keys, bool poll);
int bundle_rollback(void);

int cmd_bundle(int argc, char **argv);

#endif
