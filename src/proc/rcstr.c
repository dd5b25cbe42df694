/* rcstr.c — strings shared by reference count (see rcstr.h). */
#include "proc/rcstr.h"

#include <stdlib.h>
#include <string.h>

struct rcstr {
    size_t refs;
    char s[];
};

static struct rcstr *of(char *s)
{
    return (struct rcstr *)(s - offsetof(struct rcstr, s));
}

char *rcstr_new(const char *s, size_t len)
{
    struct rcstr *r = malloc(sizeof(*r) + len + 1);
    if (!r)
        return NULL;
    r->refs = 1;
    memcpy(r->s, s, len);
    r->s[len] = '\0';
    return r->s;
}

char *rcstr_ref(char *s)
{
    if (s)
        of(s)->refs++;
    return s;
}

void rcstr_unref(char *s)
{
    if (s && --of(s)->refs == 0)
        free(of(s));
}

size_t rcstr_share(const char *s)
{
    if (!s)
        return 0;
    const struct rcstr *r = (const struct rcstr *)(s - offsetof(struct rcstr, s));
    return (sizeof(*r) + strlen(s) + 1) / r->refs;
}
