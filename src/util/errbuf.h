/*
 * util/errbuf.h — the caller-supplied error buffer many of Ward's APIs take
 * (`char *err, size_t errlen`): filled if given, ignored if NULL.
 */
#ifndef WARD_UTIL_ERRBUF_H
#define WARD_UTIL_ERRBUF_H

#include <stddef.h>

void ward_errbuf_set(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
