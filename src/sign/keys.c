/*
 * keys.c — Ed25519 key files. One line each:
 *
 *     NAME.pub   ward-ed25519-public KEYID BASE64(32 bytes)
 *     NAME.key   ward-ed25519-secret KEYID BASE64(64 bytes), mode 0600
 *
 * A verifier trusts every NAME.pub of its keys directory; the key id in a
 * bundle's signature line picks one.
 */
#define _GNU_SOURCE
#include "sign/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUB_TAG "ward-ed25519-public"
#define SEC_TAG "ward-ed25519-secret"

const char *ward_sign_keys_dir(void)
{
    const char *d = getenv("WARD_KEYS_DIR");
    return d && *d ? d : WARD_KEYS_DIR_DEFAULT;
}

void ward_sign_keyid(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], char out[17])
{
    sodium_bin2hex(out, 17, pk, 8);
}

int ward_sign_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? 0 : -ENOMEM;
    while (!rc) {
        if (n == cap) {
            uint8_t *nb = cap > max ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                rc = cap > max ? -EFBIG : -ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -errno;
        else if (r == 0)
            break;
        else
            n += (size_t)r;
        if (n > max)
            rc = -EFBIG;
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* One key line of `tag`: the key id and the key. */
static int read_key(const char *file, const char *tag, unsigned char *key, size_t keylen,
                    char keyid[17], char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    int rc = ward_sign_read_file(file, 1024, &data, &len);
    if (rc < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", file, strerror(-rc));
        return -1;
    }
    char line[1025], t[32], id[24], b64[200];
    memcpy(line, data, len);
    line[len] = '\0';
    free(data);
    size_t got = 0;
    rc = -1;
    if (sscanf(line, "%31s %23s %199s", t, id, b64) == 3 && !strcmp(t, tag) && strlen(id) == 16 &&
        sodium_base642bin(key, keylen, b64, strlen(b64), NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        got == keylen) {
        strcpy(keyid, id);
        rc = 0;
    } else {
        ward_errbuf_set(err, errlen, "%s: not a %s key file", file, tag);
    }
    sodium_memzero(line, sizeof(line));
    sodium_memzero(b64, sizeof(b64));
    return rc;
}

int ward_sign_load_secret(const char *file, unsigned char sk[crypto_sign_SECRETKEYBYTES], char *err,
                          size_t errlen)
{
    char id[17];
    if (sodium_init() < 0) {
        ward_errbuf_set(err, errlen, "libsodium does not start");
        return -1;
    }
    return read_key(file, SEC_TAG, sk, crypto_sign_SECRETKEYBYTES, id, err, errlen);
}

int ward_sign_find_key(const char *keys_dir, const char *keyid,
                       unsigned char pk[crypto_sign_PUBLICKEYBYTES], char *err, size_t errlen)
{
    DIR *d = opendir(keys_dir);
    if (!d) {
        ward_errbuf_set(err, errlen, "keys directory %s: %s", keys_dir, strerror(errno));
        return -1;
    }
    int rc = -1;
    ward_errbuf_set(err, errlen, "signed by key %s, which is not in %s", keyid, keys_dir);
    for (struct dirent *de; rc < 0 && (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".pub") || de->d_name[0] == '.')
            continue;
        char path[PATH_MAX], id[17], real[17];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", keys_dir, de->d_name);
        /* Trust only what only root (or the caller) could have put there. */
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022))
            continue;
        if (read_key(path, PUB_TAG, pk, crypto_sign_PUBLICKEYBYTES, id, NULL, 0) < 0)
            continue;
        ward_sign_keyid(pk, real);
        if (!strcmp(real, keyid) && !strcmp(id, keyid))
            rc = 0;
    }
    closedir(d);
    return rc;
}

static int write_new(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int rc = (w == (ssize_t)len && fsync(fd) == 0) ? 0 : -1;
    if (close(fd) < 0 || rc < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        unlink(path);
        return -1;
    }
    return 0;
}

int ward_sign_keygen(const char *dir, const char *name, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        ward_errbuf_set(err, errlen, "libsodium does not start");
        return -1;
    }
    if (!ward_sign_name_ok(name, WARD_BUNDLE_MAX_NAME)) {
        ward_errbuf_set(err, errlen, "bad key name '%s' (letters, digits, '.', '_', '-')", name);
        return -1;
    }
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char id[17],
        b64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    char line[256], pub[PATH_MAX], sec[PATH_MAX];
    int rc = -1;
    crypto_sign_keypair(pk, sk);
    ward_sign_keyid(pk, id);
    snprintf(pub, sizeof(pub), "%s/%s.pub", dir, name);
    snprintf(sec, sizeof(sec), "%s/%s.key", dir, name);
    if (access(pub, F_OK) == 0) {
        ward_errbuf_set(err, errlen, "%s exists: not overwritten", pub);
        goto out;
    }
    sodium_bin2base64(b64, sizeof(b64), sk, sizeof(sk), sodium_base64_VARIANT_ORIGINAL);
    snprintf(line, sizeof(line), SEC_TAG " %s %s\n", id, b64);
    if (write_new(sec, line, 0600, err, errlen) < 0)
        goto out;
    sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
    snprintf(line, sizeof(line), PUB_TAG " %s %s\n", id, b64);
    if (write_new(pub, line, 0644, err, errlen) < 0) {
        unlink(sec);
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(b64, sizeof(b64));
    sodium_memzero(line, sizeof(line));
    return rc;
}
