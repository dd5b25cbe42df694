/*
 * test_pingline.c — lines of /proc/net/icmp and /proc/net/icmp6 as the
 * kernel prints them: the ping socket of an echo identifier, by its inode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/pingline.h"

static const char header[] = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                             "retrnsmt   uid  timeout inode ref pointer drops\n";
static const char v4[] = "   12: 0100007F:0A6F 00000000:0000 07 00000000:00000000 00:00000000 "
                         "00000000     0        0 123456 2 0000000000000000 0\n";
static const char v6[] = "    3: 00000000000000000000000001000000:002A "
                         "00000000000000000000000000000000:0000 07 00000000:00000000 "
                         "00:00000000 00000000  1000        0 98765 2 0000000000000000 0\n";

static void finds_its_socket(void **state)
{
    (void)state;
    assert_int_equal(ward_ping_line_inode(v4, 0x0a6f), 123456);
    assert_int_equal(ward_ping_line_inode(v6, 42), 98765);
}

static void nothing_else(void **state)
{
    (void)state;
    assert_int_equal(ward_ping_line_inode(v4, 0x0a70), 0); /* another identifier */
    assert_int_equal(ward_ping_line_inode(v6, 0x0a6f), 0);
    assert_int_equal(ward_ping_line_inode(header, 0), 0);
    assert_int_equal(ward_ping_line_inode("", 1), 0);
    assert_int_equal(ward_ping_line_inode("   1: 0100007F:0A6F", 0x0a6f), 0); /* cut short */
    assert_int_equal(ward_ping_line_inode("   1: 0100007F 0 07 a b 0 0 0 77", 0), 0); /* no port */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_its_socket),
        cmocka_unit_test(nothing_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
