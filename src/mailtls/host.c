/*
 * mailtls/host.c — host names as certificates hold them. A client's SNI
 * comes here before it names a leaf's file in hosts/, so what passes is
 * only what is safe as a file name (tests/fuzz/fuzz_starttls.c checks).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "mailtls/internal.h"

int mailtls_is_addr(const char *host)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

int mailtls_host_norm(const char *host, char *out, size_t len)
{
    unsigned char addr[16];
    size_t n = host ? strlen(host) : 0;
    if (n && inet_pton(AF_INET, host, addr) == 1)
        return inet_ntop(AF_INET, addr, out, (socklen_t)len) ? 0 : -1;
    if (n && inet_pton(AF_INET6, host, addr) == 1)
        return inet_ntop(AF_INET6, addr, out, (socklen_t)len) ? 0 : -1;
    if (n && host[n - 1] == '.')
        n--; /* the root's dot */
    if (n == 0 || n > MAILTLS_HOST_MAX || n >= len || host[0] == '.' || host[0] == '-')
        return -1;
    /* Letters, digits, '-', '_' and single dots: also what makes the name a
     * safe file name in hosts/ (no '/', no leading dot). */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!(isalnum(c) || c == '-' || c == '_' || (c == '.' && host[i + 1] != '.')))
            return -1;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return 0;
}
