/*
 * manifest.c — the bundle format, read. A bundle is text then data:
 *
 *     ward-bundle 1
 *     name NAME
 *     version N
 *     date 2026-12-03T07:40:00Z
 *     file SIZE SHA256 PATH          (one per file, paths in strict order)
 *     signature KEYID BASE64
 *     the files' bytes, in manifest order, nothing after
 *
 * The signature covers every byte before its own line. This file checks
 * the structure only; bundle.c checks the signature and the digests.
 */
#define _GNU_SOURCE
#include "sign/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
    const char *p, *end;
    int line;
};

/* The next line (without '\n') into buf; false at the end or if too long. */
static bool next_line(struct cursor *c, char *buf, size_t size)
{
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (!nl || (size_t)(nl - c->p) >= size)
        return false;
    size_t n = (size_t)(nl - c->p);
    memcpy(buf, c->p, n);
    buf[n] = '\0';
    if (strlen(buf) != n) /* a NUL inside */
        return false;
    c->p = nl + 1;
    c->line++;
    return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s || (s[0] == '0' && s[1]))
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

bool ward_sign_name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
        return false;
    for (; *s; s++)
        if (!name_char(*s))
            return false;
    return true;
}

bool ward_sign_path_ok(const char *path)
{
    /* Components are names: no "", ".", ".." or hidden names, no absolute
     * path, so nothing extracts outside its directory. */
    char buf[WARD_BUNDLE_MAX_PATH + 1];
    if (strlen(path) > WARD_BUNDLE_MAX_PATH)
        return false;
    strcpy(buf, path);
    char *save = NULL;
    size_t parts = 0;
    if (!buf[0] || buf[0] == '/' || strstr(buf, "//") || buf[strlen(buf) - 1] == '/')
        return false;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save), parts++)
        if (!ward_sign_name_ok(t, WARD_BUNDLE_MAX_PATH))
            return false;
    return parts > 0;
}

static bool is_date(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return false;
    return true;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        ward_errbuf_set(err, errlen, __VA_ARGS__);                                                 \
        goto fail;                                                                                 \
    } while (0)

int ward_bundle_parse(ward_bundle *b, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    if (len > WARD_BUNDLE_MAX_BYTES) {
        ward_errbuf_set(err, errlen, "larger than %u bytes", WARD_BUNDLE_MAX_BYTES);
        return -1;
    }
    size_t mlen = len < WARD_BUNDLE_MAX_MANIFEST ? len : WARD_BUNDLE_MAX_MANIFEST;
    struct cursor c = {(const char *)data, (const char *)data + mlen, 0};
    char line[64 + 32 + WARD_BUNDLE_MAX_PATH + 16];
    size_t cap = 0;
    uint64_t total = 0;

    if (!next_line(&c, line, sizeof(line)) || strcmp(line, "ward-bundle 1"))
        FAIL("not a Ward bundle (no 'ward-bundle 1' line)");
    if (!next_line(&c, line, sizeof(line)) || strncmp(line, "name ", 5) ||
        !ward_sign_name_ok(line + 5, WARD_BUNDLE_MAX_NAME))
        FAIL("line %d: 'name NAME' expected (letters, digits, '.', '_', '-')", c.line + 1);
    strcpy(b->name, line + 5);
    if (!next_line(&c, line, sizeof(line)) || strncmp(line, "version ", 8) ||
        !parse_u64(line + 8, INT64_MAX, &b->version) || b->version == 0)
        FAIL("line %d: 'version N' expected (1 or more)", c.line + 1);
    if (!next_line(&c, line, sizeof(line)) || strncmp(line, "date ", 5) || !is_date(line + 5))
        FAIL("line %d: 'date YYYY-MM-DDTHH:MM:SSZ' expected", c.line + 1);
    strcpy(b->date, line + 5);

    for (;;) {
        const char *start = c.p;
        if (!next_line(&c, line, sizeof(line)))
            FAIL("line %d: cut short or too long (no signature line)", c.line + 1);
        if (!strncmp(line, "signature ", 10)) {
            b->signed_len = (size_t)(start - (const char *)data);
            break;
        }
        char size[24], hex[65], path[WARD_BUNDLE_MAX_PATH + 2];
        ward_bundle_entry *e;
        _Static_assert(WARD_BUNDLE_MAX_PATH == 255, "the width below");
        if (strncmp(line, "file ", 5) || sscanf(line, "file %23s %64s %256s", size, hex, path) != 3)
            FAIL("line %d: 'file SIZE SHA256 PATH' or 'signature' expected", c.line);
        char again[sizeof(line)];
        snprintf(again, sizeof(again), "file %s %s %s", size, hex, path);
        if (strcmp(again, line) || !ward_sign_path_ok(path))
            FAIL("line %d: bad file entry (a path is relative, its parts names)", c.line);
        if (b->n_files && strcmp(b->files[b->n_files - 1].path, path) >= 0)
            FAIL("line %d: '%s' is out of order or repeated", c.line, path);
        if (b->n_files == WARD_BUNDLE_MAX_FILES)
            FAIL("line %d: more than %d files", c.line, WARD_BUNDLE_MAX_FILES);
        if (b->n_files == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *nf = realloc(b->files, ncap * sizeof(*b->files));
            if (!nf)
                FAIL("out of memory");
            b->files = nf;
            cap = ncap;
        }
        e = &b->files[b->n_files];
        memset(e, 0, sizeof(*e));
        strcpy(e->path, path);
        if (!parse_u64(size, WARD_BUNDLE_MAX_BYTES, &e->size) ||
            sodium_hex2bin(e->sha256, sizeof(e->sha256), hex, 64, NULL, NULL, NULL) != 0 ||
            strlen(hex) != 64)
            FAIL("line %d: bad size or digest of '%s'", c.line, path);
        e->offset = total;
        total += e->size;
        b->n_files++;
    }
    if (b->n_files == 0)
        FAIL("the manifest lists no file");

    char keyid[24], sig64[100];
    unsigned char sig[64];
    size_t siglen = 0;
    if (sscanf(line, "signature %23s %99s", keyid, sig64) != 2 || strlen(keyid) != 16 ||
        sodium_base642bin(sig, sizeof(sig), sig64, strlen(sig64), NULL, &siglen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        siglen != sizeof(sig))
        FAIL("line %d: bad signature line", c.line);
    for (const char *k = keyid; *k; k++)
        if (!((*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'f')))
            FAIL("line %d: bad key id '%s'", c.line, keyid);
    strcpy(b->keyid, keyid);
    memcpy(b->sig, sig, sizeof(sig));

    size_t head = (size_t)(c.p - (const char *)data);
    if (len - head != total)
        FAIL("the data is %zu bytes, the manifest says %llu: the archive is corrupt or cut short",
             len - head, (unsigned long long)total);
    b->data = data;
    b->len = len;
    for (size_t i = 0; i < b->n_files; i++)
        b->files[i].offset += head;
    return 0;
fail:
    free(b->files);
    memset(b, 0, sizeof(*b));
    return -1;
}

const ward_bundle_entry *ward_bundle_find(const ward_bundle *b, const char *path)
{
    for (size_t i = 0; i < b->n_files; i++)
        if (!strcmp(b->files[i].path, path))
            return &b->files[i];
    return NULL;
}
