/*
 * paths.c — where the store lives; every path can be moved for tests.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

static void pick(char *dst, const char *env, const char *def)
{
    const char *v = getenv(env);
    snprintf(dst, PATH_MAX, "%s", v && *v ? v : def);
}

void ward_store_paths_default(ward_store_paths *p)
{
    pick(p->conf, "WARD_CONF", WARD_DEFAULT_CONF);
    pick(p->rules_dir, "WARD_RULES_DIR", WARD_DEFAULT_RULES_DIR);
    pick(p->learned, "WARD_LEARNED", WARD_DEFAULT_LEARNED);
}
