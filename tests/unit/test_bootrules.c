/*
 * test_bootrules.c — the policy's boot filters as nft rules (src/compile/
 * bootrules.c): one rule per address family, ports with their protocols,
 * negation, zones resolved, the engine's order, and only boot filters.
 * (That nft loads them is shown by tests/daemon/t-boot.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "compile/bootrules.h"

static ward_boot_rules compile(const char *text)
{
    ward_policy *p = ward_policy_new();
    ward_policy_skip_secrecy(p, true);
    if (ward_policy_load_text(p, "t.conf", text, strlen(text)) != 0)
        fail_msg("%s", ward_policy_diagnostics(p));
    ward_boot_rules r;
    assert_int_equal(ward_boot_compile(ward_policy_engine(p), p, &r), 0);
    ward_policy_free(p);
    return r;
}

static void families_and_zones(void **state)
{
    (void)state;
    ward_boot_rules r = compile("zone office = { 10.20.0.0/16, fd00:20::/32 }\n"
                                "filter \"lo\" layer outbound weight 100 permit to loopback boot\n"
                                "filter \"o\" layer outbound block udp to ! office port 53 boot\n"
                                "filter \"v4\" layer outbound block from 10.0.0.1 boot\n");
    assert_int_equal(r.n_filters, 3);
    /* Higher weight first; one rule per family. */
    const char *lo4 = strstr(r.out, "ip daddr { 127.0.0.0/8 } counter jump static_permit");
    const char *lo6 = strstr(r.out, "ip6 daddr { ::1 } counter jump static_permit");
    const char *o4 = strstr(r.out, "meta l4proto { 17 } ip daddr != { 10.20.0.0/16 } th dport "
                                   "{ 53 } counter reject with icmpx admin-prohibited");
    assert_non_null(lo4);
    assert_non_null(lo6);
    assert_non_null(o4);
    assert_true(lo4 < o4 && lo6 < o4);
    assert_non_null(strstr(r.out, "ip6 daddr != { fd00:20::/32 }"));
    /* An IPv4 source only: no IPv6 rule for it. */
    assert_non_null(strstr(r.out, "ip saddr { 10.0.0.1 }"));
    assert_null(strstr(r.out, "ip6 saddr"));
    assert_string_equal(r.in, "");
    ward_boot_rules_free(&r);
}

static void directions_ports_and_tcp(void **state)
{
    (void)state;
    ward_boot_rules r = compile("filter \"ssh\" layer inbound permit tcp port 22 iface eth0 boot\n"
                                "filter \"web\" layer outbound block port 80-81 boot\n"
                                "filter \"keep\" layer outbound block tcp port 25\n");
    assert_int_equal(r.n_filters, 2);
    /* Inbound: the local port is the destination, the interface iifname. */
    assert_non_null(strstr(r.in, "iifname { \"eth0\" } meta l4proto { 6 } th dport { 22 } "
                                 "counter accept"));
    /* A port without a protocol: the protocols with ports; TCP reset first. */
    const char *rst = strstr(r.out, "meta l4proto tcp meta l4proto { 6, 17, 132 } th dport "
                                    "{ 80-81 } counter reject with tcp reset");
    const char *icmp = strstr(r.out, "meta l4proto { 6, 17, 132 } th dport { 80-81 } counter "
                                     "reject with icmpx admin-prohibited");
    assert_non_null(rst);
    assert_non_null(icmp);
    assert_true(rst < icmp);
    assert_non_null(strstr(r.out, "comment \"ward-boot "));
    /* Not a boot filter: not in the static chains. */
    assert_null(strstr(r.out, "{ 25 }"));
    ward_boot_rules_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(families_and_zones),
        cmocka_unit_test(directions_ports_and_tcp),
    };
    return cmocka_run_group_tests_name("bootrules", tests, NULL, NULL);
}
