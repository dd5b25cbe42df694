/*
 * callouts.c — the names of the callouts wardd registers with its engine.
 *
 * A filter whose callout is not registered blocks everything it matches
 * (reason callout-missing), so the language accepts only these names. wardd
 * registers none yet; a callout added to wardd is added here too.
 */
#include "policy/policy.h"

#include <stddef.h>

const char *const ward_policy_callouts[] = {NULL};
