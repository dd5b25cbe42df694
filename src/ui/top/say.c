/*
 * ui/top/say.c — the clock every part of ward top reads, and the status
 * line's message that any of them may set.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ui/top/top.h"

int64_t top_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void top_say(struct top *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
    va_end(ap);
    t->msg_until_ms = top_now_ms() + 8000;
    t->dirty = true;
}
