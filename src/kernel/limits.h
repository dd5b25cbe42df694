/*
 * kernel/limits.h — the hooks' rate limits and quotas per program
 * (ward_limits.h), written and read by wardd.
 */
#ifndef WARD_KERNEL_LIMITS_API_H
#define WARD_KERNEL_LIMITS_API_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/backend.h"
#include "kernel/ward_limits.h"

/* Writes exe's entry: settings from l, the hooks' state reset (clocks now,
 * used 0). 0 or a negative errno (-ENOTSUP: no BPF). */
int ward_kernel_limit_set(ward_kernel *k, ward_exe_id exe, const struct ward_limit *l);
/* Reads exe's entry (-ENOENT: none). */
int ward_kernel_limit_get(ward_kernel *k, ward_exe_id exe, struct ward_limit *out);
int ward_kernel_limit_del(ward_kernel *k, ward_exe_id exe);
/* Every entry's key, up to max; how many, or a negative errno. */
int ward_kernel_limits(ward_kernel *k, ward_exe_id *out, size_t max);

#endif
