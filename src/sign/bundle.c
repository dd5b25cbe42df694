/*
 * bundle.c — creating, verifying and extracting bundles (format:
 * manifest.c).
 */
#define _GNU_SOURCE
#include "sign/internal.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- create ---------------------------------------------------------------------- */

struct files {
    char **paths; /* relative */
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under root/rel, into f. */
static int walk(const char *root, const char *rel, struct files *f, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) {
        ward_errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[PATH_MAX], full[2 * PATH_MAX + 2];
        struct stat st;
        snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(full, sizeof(full), "%s/%s", root, sub);
        if (lstat(full, &st) < 0) {
            ward_errbuf_set(err, errlen, "%s: %s", full, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode) && ward_sign_name_ok(de->d_name, WARD_BUNDLE_MAX_PATH)) {
            rc = walk(root, sub, f, err, errlen);
        } else if (!S_ISREG(st.st_mode) || !ward_sign_path_ok(sub)) {
            ward_errbuf_set(err, errlen, "%s: only regular files with plain names go into a bundle",
                            full);
            rc = -1;
        } else if (f->n == WARD_BUNDLE_MAX_FILES) {
            ward_errbuf_set(err, errlen, "%s: more than %d files", root, WARD_BUNDLE_MAX_FILES);
            rc = -1;
        } else {
            if (f->n == f->cap) {
                size_t ncap = f->cap ? f->cap * 2 : 16;
                char **np = realloc(f->paths, ncap * sizeof(*np));
                if (!np) {
                    ward_errbuf_set(err, errlen, "out of memory");
                    rc = -1;
                    break;
                }
                f->paths = np;
                f->cap = ncap;
            }
            if (!(f->paths[f->n] = strdup(sub))) {
                ward_errbuf_set(err, errlen, "out of memory");
                rc = -1;
            } else {
                f->n++;
            }
        }
    }
    closedir(d);
    return rc;
}

/* A growing buffer; on allocation failure `failed` sticks. */
struct buf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
};

static void put(struct buf *b, const void *data, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap < b->len + len)
            ncap *= 2;
        uint8_t *np = realloc(b->p, ncap);
        if (!np) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        b->failed = true;
    else
        put(b, line, (size_t)n);
}

static void utc_date(char out[32])
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t t = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_out(const char *out, const struct buf *head, const struct buf *data, char *err,
                     size_t errlen)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    bool ok = f && fchmod(fd, 0644) == 0 && fwrite(head->p, 1, head->len, f) == head->len &&
              (!data->len || fwrite(data->p, 1, data->len, f) == data->len);
    ok = (f ? fclose(f) == 0 : close(fd) == 0) && ok;
    if (!ok || rename(tmp, out) < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", out, strerror(errno ? errno : EIO));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int ward_bundle_create(const char *dir, const char *name, uint64_t version, const char *key_file,
                       const char *out, char *err, size_t errlen)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
    struct files f = {0};
    struct buf head = {0}, data = {0};
    int rc = -1;
    if (!ward_sign_name_ok(name, WARD_BUNDLE_MAX_NAME)) {
        ward_errbuf_set(err, errlen, "bad bundle name '%s' (letters, digits, '.', '_', '-')", name);
        return -1;
    }
    if (version == 0 || version > INT64_MAX) {
        ward_errbuf_set(err, errlen, "the version is a number from 1");
        return -1;
    }
    if (ward_sign_load_secret(key_file, sk, err, errlen) < 0)
        return -1;
    if (walk(dir, "", &f, err, errlen) < 0)
        goto out;
    if (f.n == 0) {
        ward_errbuf_set(err, errlen, "%s: no files to bundle", dir);
        goto out;
    }
    qsort(f.paths, f.n, sizeof(*f.paths), cmp_str);
    char date[32];
    utc_date(date);
    putf(&head, "ward-bundle 1\nname %s\nversion %llu\ndate %s\n", name,
         (unsigned long long)version, date);
    for (size_t i = 0; i < f.n; i++) {
        char full[2 * PATH_MAX + 2], hex[65];
        uint8_t *content;
        size_t len;
        unsigned char digest[crypto_hash_sha256_BYTES];
        snprintf(full, sizeof(full), "%s/%s", dir, f.paths[i]);
        int e = ward_sign_read_file(full, WARD_BUNDLE_MAX_BYTES, &content, &len);
        if (e < 0) {
            ward_errbuf_set(err, errlen, "%s: %s", full, strerror(-e));
            goto out;
        }
        crypto_hash_sha256(digest, content, len);
        sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
        putf(&head, "file %zu %s %s\n", len, hex, f.paths[i]);
        put(&data, content, len);
        free(content);
    }
    if (head.failed || data.failed || data.len + head.len > WARD_BUNDLE_MAX_BYTES - 256) {
        ward_errbuf_set(err, errlen, "%s: too much to bundle (at most %u bytes)", dir,
                        WARD_BUNDLE_MAX_BYTES);
        goto out;
    }
    crypto_sign_detached(sig, NULL, head.p, head.len, sk);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    char keyid[17],
        b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    ward_sign_keyid(pk, keyid);
    sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    putf(&head, "signature %s %s\n", keyid, b64);
    if (head.failed) {
        ward_errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    rc = write_out(out, &head, &data, err, errlen);
out:
    sodium_memzero(sk, sizeof(sk));
    for (size_t i = 0; i < f.n; i++)
        free(f.paths[i]);
    free(f.paths);
    free(head.p);
    free(data.p);
    return rc;
}

/* ---- verify ---------------------------------------------------------------------- */

int ward_bundle_verify(ward_bundle *b, const uint8_t *data, size_t len, const char *shown,
                       const char *keys_dir, uint64_t min_version, char *err, size_t errlen)
{
    char why[512];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    if (sodium_init() < 0) {
        ward_errbuf_set(err, errlen, "%s: libsodium does not start", shown);
        return -1;
    }
    if (ward_bundle_parse(b, data, len, why, sizeof(why)) < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", shown, why);
        return -1;
    }
    if (ward_sign_find_key(keys_dir ? keys_dir : ward_sign_keys_dir(), b->keyid, pk, why,
                           sizeof(why)) < 0)
        goto fail;
    if (crypto_sign_verify_detached(b->sig, data, b->signed_len, pk) != 0) {
        snprintf(why, sizeof(why),
                 "bad signature (key %s): the manifest was altered or signed "
                 "by another key",
                 b->keyid);
        goto fail;
    }
    for (size_t i = 0; i < b->n_files; i++) {
        const ward_bundle_entry *e = &b->files[i];
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, data + e->offset, e->size);
        if (sodium_memcmp(digest, e->sha256, sizeof(digest)) != 0) {
            snprintf(why, sizeof(why), "%s: its content does not match the signed digest", e->path);
            goto fail;
        }
    }
    if (b->version < min_version) {
        snprintf(why, sizeof(why),
                 "version %llu is older than the version in force (%llu): downgrade refused",
                 (unsigned long long)b->version, (unsigned long long)min_version);
        goto fail;
    }
    return 0;
fail:
    ward_errbuf_set(err, errlen, "%s: %s", shown, why);
    ward_bundle_close(b);
    return -1;
}

int ward_bundle_open(ward_bundle *b, const char *file, const char *shown, const char *keys_dir,
                     uint64_t min_version, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    memset(b, 0, sizeof(*b));
    shown = shown ? shown : file;
    int e = ward_sign_read_file(file, WARD_BUNDLE_MAX_BYTES, &data, &len);
    if (e < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", shown, strerror(-e));
        return -1;
    }
    if (ward_bundle_verify(b, data, len, shown, keys_dir, min_version, err, errlen) < 0) {
        free(data);
        return -1;
    }
    b->owned = data;
    return 0;
}

void ward_bundle_close(ward_bundle *b)
{
    free(b->files);
    free(b->owned);
    memset(b, 0, sizeof(*b));
}

/* ---- extract --------------------------------------------------------------------- */

int ward_sign_make_parents(const char *dir, const char *rel)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return 0;
}

int ward_bundle_extract(const ward_bundle *b, const char *dir, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->n_files; i++) {
        const ward_bundle_entry *e = &b->files[i];
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, e->path);
        int rc = ward_sign_make_parents(dir, e->path);
        int fd =
            rc < 0 ? -1 : open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            ward_errbuf_set(err, errlen, "%s: %s", path, strerror(rc < 0 ? -rc : errno));
            return -1;
        }
        const uint8_t *p = b->data + e->offset;
        size_t left = e->size;
        bool ok = fchmod(fd, 0644) == 0;
        while (ok && left) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            ok = w > 0;
            if (ok) {
                p += w;
                left -= (size_t)w;
            }
        }
        if (close(fd) < 0 || !ok) {
            ward_errbuf_set(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
            return -1;
        }
    }
    return 0;
}
