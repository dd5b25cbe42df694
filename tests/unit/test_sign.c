/*
 * test_sign — src/sign: a bundle made from a directory verifies against the
 * keys directory holding its public key and extracts to the same bytes; a
 * flipped bit anywhere, another key, a downgrade and a cut bundle are each
 * refused with a message naming the bundle.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sign/sign.h"

static char dir[64];

static void path(char *out, const char *name)
{
    snprintf(out, 256, "%s/%s", dir, name);
}

static void put(const char *name, const char *text)
{
    char p[256];
    path(p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ward-test-sign.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[256], err[512];
    const char *sub[] = {"keys", "other", "src", "src/rules.d", "out"};
    for (size_t i = 0; i < 5; i++) {
        path(p, sub[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    put("src/ward.conf", "set mode ask\ninclude \"rules.d/*.rules\"\n");
    put("src/rules.d/a.rules", "app \"/usr/bin/curl\" {\n    allow out tcp port 443\n}\n");
    path(p, "keys");
    assert_int_equal(ward_sign_keygen(p, "fleet", err, sizeof(err)), 0);
    path(p, "other");
    assert_int_equal(ward_sign_keygen(p, "rogue", err, sizeof(err)), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* bundle KEY VERSION OUT: src signed with keys/KEY.key or other/KEY.key. */
static void bundle(const char *key, uint64_t version, const char *out)
{
    char src[256], k[256], o[256], err[512];
    path(src, "src");
    path(k, key);
    path(o, out);
    assert_int_equal(ward_bundle_create(src, "office", version, k, o, err, sizeof(err)), 0);
}

static uint8_t *slurp(const char *name, size_t *len)
{
    char p[256];
    uint8_t *data;
    path(p, name);
    assert_int_equal(ward_sign_read_file(p, WARD_BUNDLE_MAX_BYTES, &data, len), 0);
    return data;
}

static void test_roundtrip(void **state)
{
    (void)state;
    char keys[256], b1[256], out[256], err[512];
    ward_bundle b;
    bundle("keys/fleet.key", 3, "v3.wbd");
    path(keys, "keys");
    path(b1, "v3.wbd");
    assert_int_equal(ward_bundle_open(&b, b1, "v3.wbd", keys, 3, err, sizeof(err)), 0);
    assert_string_equal(b.name, "office");
    assert_int_equal(b.version, 3);
    assert_int_equal(b.n_files, 2);
    assert_string_equal(b.files[0].path, "rules.d/a.rules");
    assert_non_null(ward_bundle_find(&b, "ward.conf"));
    path(out, "out");
    assert_int_equal(ward_bundle_extract(&b, out, err, sizeof(err)), 0);
    ward_bundle_close(&b);
    size_t l1, l2;
    uint8_t *x = slurp("src/rules.d/a.rules", &l1), *y = slurp("out/rules.d/a.rules", &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(x, y, l1);
    free(x);
    free(y);
}

static void test_refusals(void **state)
{
    (void)state;
    char keys[256], err[512];
    ward_bundle b;
    size_t len;
    path(keys, "keys");
    bundle("keys/fleet.key", 5, "v5.wbd");
    bundle("other/rogue.key", 6, "rogue.wbd");
    uint8_t *data = slurp("v5.wbd", &len);
    /* Every single flipped bit is refused. */
    for (size_t i = 0; i < len; i++) {
        data[i] ^= 0x10;
        assert_int_equal(ward_bundle_verify(&b, data, len, "v5.wbd", keys, 0, err, sizeof(err)),
                         -1);
        assert_memory_equal(err, "v5.wbd: ", 8);
        data[i] ^= 0x10;
    }
    assert_int_equal(ward_bundle_verify(&b, data, len, "v5.wbd", keys, 0, err, sizeof(err)), 0);
    ward_bundle_close(&b);
    assert_int_equal(ward_bundle_verify(&b, data, len - 1, "v5.wbd", keys, 0, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cut short"));
    assert_int_equal(ward_bundle_verify(&b, data, len, "v5.wbd", keys, 6, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "downgrade refused"));
    free(data);
    data = slurp("rogue.wbd", &len);
    assert_int_equal(ward_bundle_verify(&b, data, len, "rogue.wbd", keys, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "which is not in"));
    free(data);
}

static void test_paths(void **state)
{
    (void)state;
    assert_true(ward_sign_path_ok("ward.conf"));
    assert_true(ward_sign_path_ok("rules.d/a.rules"));
    const char *bad[] = {"",   "/etc/passwd", "../x",  "a/../b", "a//b",
                         "a/", ".hidden",     "a/./b", "a b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(ward_sign_path_ok(bad[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
