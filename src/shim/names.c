/*
 * names.c — which name each address was the answer to, as the program's
 * own lookups (getaddrinfo, gethostbyname) returned it: the name a domain
 * rule is decided on. A small table; the oldest entry gives way.
 */
#define _GNU_SOURCE
#include "shim/shim.h"

#include <pthread.h>
#include <string.h>

#define NAMES 64

static struct {
    uint8_t addr[16];
    uint8_t len;
    char name[WARD_SHIM_NAME_MAX + 1];
} names[NAMES];
static unsigned next_slot;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void lock_all(void)
{
    pthread_mutex_lock(&lock);
}

static void unlock_all(void)
{
    pthread_mutex_unlock(&lock);
}

/* A fork while another thread holds the lock must not leave it held. */
void shim_names_atfork(void)
{
    pthread_atfork(lock_all, unlock_all, unlock_all);
}

void shim_names_note(const uint8_t addr[16], const char *name)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--; /* the root's dot */
    if (n == 0 || n > WARD_SHIM_NAME_MAX)
        return;
    pthread_mutex_lock(&lock);
    unsigned i;
    for (i = 0; i < NAMES; i++)
        if (names[i].len && !memcmp(names[i].addr, addr, 16))
            break;
    if (i == NAMES)
        i = next_slot++ % NAMES;
    memcpy(names[i].addr, addr, 16);
    memcpy(names[i].name, name, n);
    names[i].name[n] = '\0';
    names[i].len = (uint8_t)n;
    pthread_mutex_unlock(&lock);
}

uint8_t shim_names_find(const uint8_t addr[16], char *name)
{
    uint8_t len = 0;
    /* Called from connect(2), maybe in a signal handler that interrupted a
     * lookup: a busy table is no name, never a wait. */
    if (pthread_mutex_trylock(&lock))
        return 0;
    for (unsigned i = 0; i < NAMES; i++)
        if (names[i].len && !memcmp(names[i].addr, addr, 16)) {
            len = names[i].len;
            memcpy(name, names[i].name, len);
            break;
        }
    pthread_mutex_unlock(&lock);
    return len;
}
