/*
 * error.c — the engine's last error: every part that refuses a call (the
 * handle, zones, filters) says why here, for ward_engine_error().
 */
#include <stdarg.h>
#include <stdio.h>

#include "engine/internal.h"

void engine_seterr(ward_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof(e->err), fmt, ap);
    va_end(ap);
}

const char *ward_engine_error(const ward_engine *e)
{
    return e->err;
}
