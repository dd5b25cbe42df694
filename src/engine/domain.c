/*
 * domain.c — what a domain pattern matches. Shared by the domain condition
 * (match.c) and the encrypted-dns resolver names (encdns.c).
 */
#include "engine/internal.h"

#include <string.h>

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive comparison of n bytes, ignoring nothing else. */
static bool name_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* "example.com" matches itself; "*.example.com" matches its subdomains
 * (a.example.com, a.b.example.com) but not example.com itself. Names compare
 * without case and without a trailing dot. */
bool domain_matches(const char *pattern, const char *name)
{
    size_t pl = strlen(pattern), nl = strlen(name);
    if (pl && pattern[pl - 1] == '.')
        pl--;
    if (nl && name[nl - 1] == '.')
        nl--;
    if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        const char *suffix = pattern + 1; /* ".example.com" */
        size_t sl = pl - 1;
        return nl > sl && name_eq(name + nl - sl, suffix, sl);
    }
    return pl == nl && name_eq(pattern, name, pl);
}
