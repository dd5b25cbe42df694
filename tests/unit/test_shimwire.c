/*
 * test_shimwire.c — the shim's question as wardd checks it
 * (src/proto/shimwire.c): what the shim sends passes; every field out of
 * range, a name with a byte no host name has, bytes after the name or a
 * wrong size is refused, with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ward/shim.h"

static struct ward_shim_question good(void)
{
    struct ward_shim_question q;
    memset(&q, 0, sizeof(q));
    q.magic = WARD_SHIM_MAGIC;
    q.version = WARD_SHIM_VERSION;
    q.op = WARD_SHIM_CONNECT;
    q.proto = 6;
    q.port = 443;
    q.addr[10] = q.addr[11] = 0xff;
    q.addr[12] = 93;
    strcpy(q.name, "shop.example.com");
    q.name_len = (uint8_t)strlen(q.name);
    return q;
}

static const char *why_of(const struct ward_shim_question *q, size_t len)
{
    struct ward_shim_question out;
    const char *why = NULL;
    int rc = ward_shim_question_check(q, len, &out, &why);
    assert_int_equal(rc, why ? -1 : 0);
    if (!why)
        assert_memory_equal(&out, q, sizeof(out));
    return why;
}

static void what_the_shim_sends_passes(void **state)
{
    (void)state;
    struct ward_shim_question q = good();
    assert_null(why_of(&q, sizeof(q)));
    q.name_len = 0;
    memset(q.name, 0, sizeof(q.name));
    assert_null(why_of(&q, sizeof(q))); /* no name known */
    q = good();
    q.op = WARD_SHIM_SEND;
    q.proto = 17;
    assert_null(why_of(&q, sizeof(q)));
    q.name_len = WARD_SHIM_NAME_MAX;
    memset(q.name, 'a', WARD_SHIM_NAME_MAX);
    assert_null(why_of(&q, sizeof(q)));
}

static void each_field_is_checked(void **state)
{
    (void)state;
    struct ward_shim_question q;
    q = good(), q.magic ^= 1;
    assert_string_equal(why_of(&q, sizeof(q)), "bad magic");
    q = good(), q.version = 2;
    assert_string_equal(why_of(&q, sizeof(q)), "unknown version");
    q = good(), q.op = 0;
    assert_string_equal(why_of(&q, sizeof(q)), "unknown operation");
    q = good(), q.op = 4;
    assert_string_equal(why_of(&q, sizeof(q)), "unknown operation");
    q = good(), q.proto = 1;
    assert_string_equal(why_of(&q, sizeof(q)), "not tcp or udp");
    q = good(), q.op = WARD_SHIM_SEND;
    assert_string_equal(why_of(&q, sizeof(q)), "a datagram that is not udp");
    q = good(), q.port = 0;
    assert_string_equal(why_of(&q, sizeof(q)), "port 0");
    q = good(), q._pad = 1;
    assert_string_equal(why_of(&q, sizeof(q)), "padding not zero");
    q = good();
    assert_string_equal(why_of(&q, sizeof(q) - 1), "wrong size");
    assert_string_equal(why_of(&q, 0), "wrong size");
}

static void the_name_is_a_host_name(void **state)
{
    (void)state;
    struct ward_shim_question q;
    q = good(), q.name_len = WARD_SHIM_NAME_MAX + 1;
    assert_string_equal(why_of(&q, sizeof(q)), "name too long");
    q = good(), q.name[4] = '/';
    assert_string_equal(why_of(&q, sizeof(q)), "a name with a character no host name has");
    q = good(), q.name[4] = '\0';
    assert_string_equal(why_of(&q, sizeof(q)), "a name with a character no host name has");
    q = good(), q.name[q.name_len + 3] = 'x';
    assert_string_equal(why_of(&q, sizeof(q)), "bytes after the name");
    q = good(), q.name_len--; /* the last letter now lies after it */
    assert_string_equal(why_of(&q, sizeof(q)), "bytes after the name");
    q = good(), q.name[0] = '.';
    assert_string_equal(why_of(&q, sizeof(q)), "a name starting with a dot or dash");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_the_shim_sends_passes),
        cmocka_unit_test(each_field_is_checked),
        cmocka_unit_test(the_name_is_a_host_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
