/*
 * sign/sign.h — signed bundles: one directory of files, packed with a
 * manifest (name, version, date, each file's size and SHA-256) that an
 * Ed25519 key signs (libsodium). Policy bundles (`ward bundle`) and rule
 * updates use the same format and the same verification; docs/FLEET.md
 * describes the format.
 *
 * Trust: a bundle is accepted only if a public key in the keys directory
 * (/etc/ward/keys, or $WARD_KEYS_DIR) made its signature, every file's
 * digest matches the signed manifest and nothing follows the last file.
 * Every error names the bundle as the caller named it (file or URL).
 */
#ifndef WARD_SIGN_H
#define WARD_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WARD_KEYS_DIR_DEFAULT    "/etc/ward/keys"
#define WARD_BUNDLE_MAX_FILES    1024
#define WARD_BUNDLE_MAX_PATH     255
#define WARD_BUNDLE_MAX_NAME     63
#define WARD_BUNDLE_MAX_BYTES    (64u << 20) /* the whole bundle file */
#define WARD_BUNDLE_MAX_MANIFEST (256u << 10)

typedef struct ward_bundle_entry {
    char path[WARD_BUNDLE_MAX_PATH + 1]; /* relative, '/'-separated, no "." or ".." */
    uint64_t size;
    uint64_t offset; /* into the bundle's data, once parsed */
    uint8_t sha256[32];
} ward_bundle_entry;

typedef struct ward_bundle {
    char name[WARD_BUNDLE_MAX_NAME + 1];
    uint64_t version; /* higher is newer; a lower one is a downgrade */
    char date[32];    /* UTC, 2026-12-03T07:40:00Z */
    char keyid[17];   /* hex: the first 8 bytes of the signing public key */
    uint8_t sig[64];
    size_t signed_len; /* bytes of the manifest the signature covers */
    size_t n_files;
    ward_bundle_entry *files;
    const uint8_t *data; /* the whole bundle */
    size_t len;
    uint8_t *owned; /* data, when ward_bundle_open read it */
} ward_bundle;

/* The keys directory: $WARD_KEYS_DIR, else /etc/ward/keys. */
const char *ward_sign_keys_dir(void);

/* A new key pair: DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub, which
 * goes into the keys directory of every machine that trusts it. Refuses to
 * overwrite. Returns 0, or -1 with a message in err. */
int ward_sign_keygen(const char *dir, const char *name, char *err, size_t errlen);

/* Packs every regular file under `dir` (no symlinks, devices, hidden names)
 * into `out`, signed with the secret key file. date: now, or
 * $SOURCE_DATE_EPOCH for reproducible bundles. Returns 0 or -1 (err). */
int ward_bundle_create(const char *dir, const char *name, uint64_t version, const char *key_file,
                       const char *out, char *err, size_t errlen);

/* The structure only (no signature or digest checked): b points into data,
 * which must outlive it. Returns 0 or -1 with the reason in err. Fuzzed. */
int ward_bundle_parse(ward_bundle *b, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Reads `file`, parses it, checks its signature against keys_dir (NULL:
 * ward_sign_keys_dir()) and every file's digest, and refuses a version
 * below min_version (a downgrade). `shown` names the bundle in messages
 * (NULL: file). Returns 0, or -1 with "SHOWN: reason" in err. */
int ward_bundle_open(ward_bundle *b, const char *file, const char *shown, const char *keys_dir,
                     uint64_t min_version, char *err, size_t errlen);
/* The same for a bundle in memory (data must outlive b). */
int ward_bundle_verify(ward_bundle *b, const uint8_t *data, size_t len, const char *shown,
                       const char *keys_dir, uint64_t min_version, char *err, size_t errlen);
void ward_bundle_close(ward_bundle *b);

/* The entry for a path, or NULL. */
const ward_bundle_entry *ward_bundle_find(const ward_bundle *b, const char *path);

/* Writes a verified bundle's files under `dir` (an existing, empty scratch
 * directory), subdirectories 0755 and files 0644. Returns 0 or -1 (err). */
int ward_bundle_extract(const ward_bundle *b, const char *dir, char *err, size_t errlen);

/* Downloads `url` (https, http or file) to `out`, at most
 * WARD_BUNDLE_MAX_BYTES; https certificates are verified (CA file:
 * $WARD_CA_FILE, else the system's). Returns 0 or -1 with "URL: reason". */
int ward_sign_fetch(const char *url, const char *out, char *err, size_t errlen);

/* Whether `s` names a URL rather than a file. */
bool ward_sign_is_url(const char *s);
/* Whether `path` may name a file in a bundle: names joined by '/'. */
bool ward_sign_path_ok(const char *path);
/* The directories (0755) above the bundle path rel, under dir; 0 or -errno. */
int ward_sign_make_parents(const char *dir, const char *rel);
/* A whole file into memory (malloc'd), at most max bytes; 0 or -errno. */
int ward_sign_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

#endif
