/*
 * shim.h — libward-shim.so's parts (private to the library).
 *
 * shim.c     the interposed calls and the real ones (dlsym RTLD_NEXT)
 * names.c    the names getaddrinfo and gethostbyname were asked for, by address
 * ask.c      the cache of known answers and the question to wardd
 *
 * Everything connect(2) and the send calls reach is async-signal-safe in
 * practice: no allocation, no lock waited on (a busy lock is a miss).
 */
#ifndef WARD_SHIM_PRIV_H
#define WARD_SHIM_PRIV_H

#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>

#include "ward/shim.h"

/* The calls the shim stands in for: the only symbols it exports. */
#define SHIM_EXPORT __attribute__((visibility("default")))

/* The real calls, resolved once. */
struct shim_real {
    int (*connect)(int, const struct sockaddr *, socklen_t);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    struct hostent *(*gethostbyname)(const char *);
};
extern struct shim_real shim_real;
void shim_init(void);

/* names.c */
void shim_names_note(const uint8_t addr[16], const char *name);
/* The name last noted for addr into name (256 bytes): its length, 0 if none. */
uint8_t shim_names_find(const uint8_t addr[16], char *name);
void shim_names_atfork(void);

/* ask.c: the verdict for a question (enum ward_shim_verdict; *err for a
 * deny). fd is the socket the question is about. */
int shim_ask(int fd, struct ward_shim_question *q, int *err);
void shim_ask_init(void);

#endif
