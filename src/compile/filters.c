/*
 * filters.c — which programs the connect-out filters could match.
 *
 * A filter's verdict is arbitrated with the application rules' (a soft
 * block above them, a block below them ...), which a per-program table
 * cannot express: a program such a filter could match stays with wardd. A
 * filter bound by an exact program list touches those programs; any other
 * (no program condition, only globs, a negated list, an inode or a digest)
 * could touch them all.
 */
#include <stdlib.h>
#include <string.h>

#include "compile/internal.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int note_filter(uint64_t id, const ward_filter_def *f, void *ctx)
{
    (void)id;
    struct kc_touched *t = ctx;
    if (f->layer != WARD_LAYER_CONNECT_OUT || t->all)
        return 0;
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        if (c->field != WARD_F_APP_PATH || c->negate)
            continue;
        bool glob = false;
        for (size_t k = 0; k < c->n && !glob; k++)
            glob = strpbrk(c->v.str[k], "*?") != NULL;
        if (glob)
            continue;
        /* Bound to these programs (a superset of what it matches). */
        if (t->n + c->n > t->cap) {
            size_t cap = (t->n + c->n) * 2;
            const char **v = realloc(t->paths, cap * sizeof(*v));
            if (!v) {
                t->all = true; /* cannot tell: keep everything with wardd */
                return 0;
            }
            t->paths = v;
            t->cap = cap;
        }
        for (size_t k = 0; k < c->n; k++)
            t->paths[t->n++] = c->v.str[k];
        return 0;
    }
    t->all = true;
    return 0;
}

void kc_touched_collect(const ward_engine *e, struct kc_touched *t)
{
    *t = (struct kc_touched){0};
    ward_filter_foreach(e, note_filter, t);
    if (t->n)
        qsort(t->paths, t->n, sizeof(*t->paths), cmp_str);
}

bool kc_touched(const struct kc_touched *t, const char *path)
{
    return t->all || (t->n && bsearch(&path, t->paths, t->n, sizeof(*t->paths), cmp_str));
}

void kc_touched_free(struct kc_touched *t)
{
    free(t->paths);
    *t = (struct kc_touched){0};
}
