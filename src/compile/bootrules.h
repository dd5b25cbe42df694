/*
 * compile/bootrules.h — the policy's `boot` filters as nft rules: the static
 * chains of table inet ward, in force from the boot-time ruleset (before the
 * network comes up) through wardd's own table.
 *
 * The parser lets a boot filter test only what nft tests without a program
 * to ask (protocol, addresses, zones with fixed addresses, ports,
 * interface; the layer is the direction), so every boot filter compiles.
 * Filters go down in the engine's order (sublayer weight, then filter
 * weight); the first whose rule matches ends the static chain: permit
 * accepts, block rejects (outbound) or drops (inbound).
 */
#ifndef WARD_COMPILE_BOOTRULES_H
#define WARD_COMPILE_BOOTRULES_H

#include <stddef.h>

#include "policy/policy.h"
#include "ward/engine.h"

typedef struct ward_boot_rules {
    char *out, *in;   /* "    RULE;\n" lines for chains static_out / static_in */
    size_t n_filters; /* boot filters compiled */
} ward_boot_rules;

/* p: the policy whose engine e is (its zones); 0 or -ENOMEM. */
int ward_boot_compile(const ward_engine *e, const ward_policy *p, ward_boot_rules *out);
void ward_boot_rules_free(ward_boot_rules *r);

#endif
