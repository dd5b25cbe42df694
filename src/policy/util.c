/*
 * util.c — growing strings and the per-load arena.
 */
#include "policy/internal.h"

#include <stdlib.h>
#include <string.h>

static bool sb_reserve(struct sbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void sb_putc(struct sbuf *b, char c)
{
    if (!sb_reserve(b, 1))
        return;
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

void sb_puts(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (!sb_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !sb_reserve(b, (size_t)n))
        return;
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!n)
        n = sizeof(max_align_t);
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > 16384 ? n : 16384;
        b = malloc(sizeof(*b) + size);
        if (!b) {
            a->oom = true;
            return NULL;
        }
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strdup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

void *arena_push(struct arena *a, void *vec_ptr, size_t *n, size_t *cap, size_t size)
{
    char **vec = vec_ptr;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char *v = arena_alloc(a, c * size);
        if (!v)
            return NULL;
        if (*n)
            memcpy(v, *vec, *n * size);
        *vec = v;
        *cap = c;
    }
    char *slot = *vec + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static size_t nmap_slot(const struct nmap *m, const char *key)
{
    size_t i = name_hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

bool nmap_get(const struct nmap *m, const char *key, size_t *val)
{
    if (!m->cap)
        return false;
    size_t i = nmap_slot(m, key);
    if (!m->keys[i])
        return false;
    if (val)
        *val = m->vals[i];
    return true;
}

bool nmap_put(struct arena *a, struct nmap *m, const char *key, size_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct nmap g = {.cap = m->cap ? m->cap * 2 : 64};
        g.keys = arena_alloc(a, g.cap * sizeof(*g.keys));
        g.vals = arena_alloc(a, g.cap * sizeof(*g.vals));
        if (!g.keys || !g.vals)
            return false;
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i]) {
                size_t j = nmap_slot(&g, m->keys[i]);
                g.keys[j] = m->keys[i];
                g.vals[j] = m->vals[i];
                g.n++;
            }
        }
        *m = g;
    }
    size_t i = nmap_slot(m, key);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return true;
}
