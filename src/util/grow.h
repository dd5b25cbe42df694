/*
 * util/grow.h — room for one more element in a growing array: the
 * "double it when full" that many of wardd's lists need.
 */
#ifndef WARD_UTIL_GROW_H
#define WARD_UTIL_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* arr (of *cap elements of size elem, n in use) with room for n + 1:
 * itself, or reallocated to twice the size when full (first elements the
 * first time), *cap updated. NULL when out of memory: arr and *cap are
 * left as they were. */
static inline void *ward_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return arr;
    size_t c = *cap ? *cap * 2 : first;
    void *v = c <= SIZE_MAX / elem ? realloc(arr, c * elem) : NULL;
    if (v)
        *cap = c;
    return v;
}

#endif
