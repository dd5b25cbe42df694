/* maps.c — open-addressing hash maps with linear probing and tombstones. */
#include "engine/maps.h"

#include <stdlib.h>
#include <string.h>

#define U64_EMPTY 0
#define U64_TOMB  UINT64_MAX

static const char strmap_tomb_[1];
#define STR_TOMB ((const char *)strmap_tomb_)

static uint64_t mix64(uint64_t x)
{
    /* splitmix64 finaliser: spreads sequential ids over the table */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

static int u64map_grow(struct u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16;
    while (m->n * 2 >= ncap)
        ncap *= 2;
    uint64_t *keys = calloc(ncap, sizeof(*keys));
    void **vals = calloc(ncap, sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t k = m->keys[i];
        if (k == U64_EMPTY || k == U64_TOMB)
            continue;
        size_t j = mix64(k) & (ncap - 1);
        while (keys[j] != U64_EMPTY)
            j = (j + 1) & (ncap - 1);
        keys[j] = k;
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
    m->used = m->n;
    return 0;
}

int u64map_put(struct u64map *m, uint64_t key, void *val)
{
    if (key == U64_EMPTY || key == U64_TOMB)
        return -1;
    if ((m->used + 1) * 4 >= m->cap * 3 && u64map_grow(m) < 0)
        return -1;
    size_t mask = m->cap - 1, j = mix64(key) & mask, tomb = SIZE_MAX;
    for (;; j = (j + 1) & mask) {
        if (m->keys[j] == key) {
            m->vals[j] = val;
            return 0;
        }
        if (m->keys[j] == U64_TOMB && tomb == SIZE_MAX)
            tomb = j;
        if (m->keys[j] == U64_EMPTY)
            break;
    }
    if (tomb != SIZE_MAX)
        j = tomb;
    else
        m->used++;
    m->keys[j] = key;
    m->vals[j] = val;
    m->n++;
    return 0;
}

static size_t u64map_slot(const struct u64map *m, uint64_t key)
{
    if (!m->cap || key == U64_EMPTY || key == U64_TOMB)
        return SIZE_MAX;
    size_t mask = m->cap - 1;
    for (size_t j = mix64(key) & mask;; j = (j + 1) & mask) {
        if (m->keys[j] == key)
            return j;
        if (m->keys[j] == U64_EMPTY)
            return SIZE_MAX;
    }
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    size_t j = u64map_slot(m, key);
    return j == SIZE_MAX ? NULL : m->vals[j];
}

void *u64map_del(struct u64map *m, uint64_t key)
{
    size_t j = u64map_slot(m, key);
    if (j == SIZE_MAX)
        return NULL;
    void *v = m->vals[j];
    m->keys[j] = U64_TOMB;
    m->vals[j] = NULL;
    m->n--;
    return v;
}

void strmap_free(struct strmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    memset(m, 0, sizeof(*m));
}

static int strmap_grow(struct strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16;
    while (m->n * 2 >= ncap)
        ncap *= 2;
    const char **keys = calloc(ncap, sizeof(*keys));
    void **vals = calloc(ncap, sizeof(*vals));
    uint64_t *hashes = calloc(ncap, sizeof(*hashes));
    if (!keys || !vals || !hashes) {
        free(keys);
        free(vals);
        free(hashes);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i] || m->keys[i] == STR_TOMB)
            continue;
        size_t j = m->hashes[i] & (ncap - 1);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
        hashes[j] = m->hashes[i];
    }
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    m->keys = keys;
    m->vals = vals;
    m->hashes = hashes;
    m->cap = ncap;
    m->used = m->n;
    return 0;
}

static size_t strmap_slot(const struct strmap *m, const char *key, uint64_t h)
{
    if (!m->cap)
        return SIZE_MAX;
    size_t mask = m->cap - 1;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        if (!m->keys[j])
            return SIZE_MAX;
        if (m->keys[j] != STR_TOMB && m->hashes[j] == h && strcmp(m->keys[j], key) == 0)
            return j;
    }
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
    uint64_t h = hash_str(key);
    size_t j = strmap_slot(m, key, h);
    if (j != SIZE_MAX) {
        m->keys[j] = key;
        m->vals[j] = val;
        return 0;
    }
    if ((m->used + 1) * 4 >= m->cap * 3 && strmap_grow(m) < 0)
        return -1;
    size_t mask = m->cap - 1;
    for (j = h & mask; m->keys[j] && m->keys[j] != STR_TOMB; j = (j + 1) & mask)
        ;
    if (!m->keys[j])
        m->used++;
    m->keys[j] = key;
    m->vals[j] = val;
    m->hashes[j] = h;
    m->n++;
    return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    return strmap_get_hashed(m, key, hash_str(key));
}

void *strmap_get_hashed(const struct strmap *m, const char *key, uint64_t hash)
{
    size_t j = strmap_slot(m, key, hash);
    return j == SIZE_MAX ? NULL : m->vals[j];
}

void *strmap_del(struct strmap *m, const char *key)
{
    size_t j = strmap_slot(m, key, hash_str(key));
    if (j == SIZE_MAX)
        return NULL;
    void *v = m->vals[j];
    m->keys[j] = STR_TOMB;
    m->vals[j] = NULL;
    m->n--;
    return v;
}

bool strmap_at(const struct strmap *m, size_t *i, const char **key, void **val)
{
    for (; *i < m->cap; (*i)++) {
        if (m->keys[*i] && m->keys[*i] != STR_TOMB) {
            *key = m->keys[*i];
            *val = m->vals[*i];
            (*i)++;
            return true;
        }
    }
    return false;
}

size_t strmap_bytes(const struct strmap *m)
{
    return m->cap * (sizeof(*m->keys) + sizeof(*m->vals) + sizeof(*m->hashes));
}
