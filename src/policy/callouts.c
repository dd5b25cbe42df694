/*
 * callouts.c — the names of the callouts wardd registers with its engine.
 *
 * A filter whose callout is not registered blocks everything it matches
 * (reason callout-missing), so the language accepts only these names: the
 * callouts built into wardd (src/callout/: the unit test test_callout checks
 * the two lists agree), and the shared objects wardd loaded, which it names
 * with ward_policy_allow_callouts.
 */
#include "policy/policy.h"

#include <stddef.h>

const char *const ward_policy_callouts[] = {"dnsfilter", "accounting", "ids", "urlfilter", NULL};
