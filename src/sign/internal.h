/* sign/internal.h — what the files of the sign module share. */
#ifndef WARD_SIGN_INTERNAL_H
#define WARD_SIGN_INTERNAL_H

#include "sign/sign.h"
#include "util/errbuf.h"

#include <sodium.h>

/* A file name: letters, digits, '.', '_', '-', not hidden, at most max. */
bool ward_sign_name_ok(const char *s, size_t max);

/* The key id: the first 8 bytes of the public key, in hex. */
void ward_sign_keyid(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], char out[17]);
/* The public key with that id from the keys directory; 0, or -1 (err). */
int ward_sign_find_key(const char *keys_dir, const char *keyid,
                       unsigned char pk[crypto_sign_PUBLICKEYBYTES], char *err, size_t errlen);
/* The secret key file; 0, or -1 (err). */
int ward_sign_load_secret(const char *file, unsigned char sk[crypto_sign_SECRETKEYBYTES], char *err,
                          size_t errlen);

#endif
