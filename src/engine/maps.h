/*
 * maps.h — two small open-addressing hash maps the engine indexes with:
 * u64 -> pointer (ids) and string -> pointer (program paths, names).
 * Keys are not owned by the string map: callers keep them alive.
 */
#ifndef WARD_ENGINE_MAPS_H
#define WARD_ENGINE_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
    uint64_t *keys; /* 0 = empty, UINT64_MAX = deleted; key 0 is not allowed */
    void **vals;
    size_t cap, n, used;
};

void u64map_free(struct u64map *m);
int u64map_put(struct u64map *m, uint64_t key, void *val);
void *u64map_get(const struct u64map *m, uint64_t key);
void *u64map_del(struct u64map *m, uint64_t key);

struct strmap {
    const char **keys; /* NULL = empty; strmap_tomb = deleted */
    void **vals;
    uint64_t *hashes;
    size_t cap, n, used;
};

void strmap_free(struct strmap *m);
int strmap_put(struct strmap *m, const char *key, void *val);
void *strmap_get(const struct strmap *m, const char *key);
/* The same with the key's hash_str() computed once by the caller. */
void *strmap_get_hashed(const struct strmap *m, const char *key, uint64_t hash);
void *strmap_del(struct strmap *m, const char *key);
/* Iteration over live entries: i from 0 until it returns false. */
bool strmap_at(const struct strmap *m, size_t *i, const char **key, void **val);
size_t strmap_bytes(const struct strmap *m);

uint64_t hash_str(const char *s);

#endif
