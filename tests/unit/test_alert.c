/* Port-scan and flood detection from inbound drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alert/alert.h"

#define S 1000000000LL

static ward_event drop(uint32_t src, uint16_t lport, int64_t t)
{
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.time_ns = t;
    ev.kind = WARD_EVENT_DECISION;
    ev.direction = WARD_DIR_IN;
    ev.proto = 6;
    ev.verdict = WARD_V_BLOCK;
    ev.layer = WARD_LAYER_ACCEPT_IN;
    ev.lport = lport;
    ev.rport = 40000;
    ward_ip_from_v4(&ev.remote, src);
    ward_ip_from_v4(&ev.local, 0x0a000001u);
    return ev;
}

static ward_alert *make(uint32_t ports, uint32_t window, uint32_t pps, uint32_t total)
{
    ward_alert_config c;
    ward_alert_config_default(&c);
    c.scan_ports = ports;
    c.scan_window_s = window;
    c.flood_pps = pps;
    c.flood_total_pps = total;
    c.cooldown_s = 60;
    ward_alert *a = ward_alert_new(&c);
    assert_non_null(a);
    return a;
}

static void test_port_scan(void **state)
{
    ward_alert *a = make(20, 10, 0, 0);
    ward_event out[3];
    size_t alerts = 0;
    int64_t t = 1000 * S;
    for (uint16_t p = 1; p <= 100; p++) {
        ward_event d = drop(0xc0000201u, p, t + p * (S / 100));
        size_t n = ward_alert_feed(a, &d, out, 3);
        if (n) {
            assert_int_equal(p, 20); /* the 20th distinct port trips it */
            assert_int_equal(out[0].kind, WARD_EVENT_ALERT);
            assert_string_equal(out[0].filter, "portscan");
            assert_int_equal(out[0].count, 20);
            assert_memory_equal(&out[0].remote, &d.remote, sizeof(ward_ip));
        }
        alerts += n;
    }
    assert_int_equal(alerts, 1); /* then the cooldown holds */
    /* The same port again and again is not a scan. */
    for (int i = 0; i < 100; i++) {
        ward_event d = drop(0xc0000202u, 22, t + i * S / 10);
        assert_int_equal(ward_alert_feed(a, &d, out, 3), 0);
    }
    /* A slow scan (one port every 2 s, window 10 s) stays under. */
    for (uint16_t p = 1; p <= 100; p++) {
        ward_event d = drop(0xc0000203u, p, t + p * 2 * S);
        assert_int_equal(ward_alert_feed(a, &d, out, 3), 0);
    }
    /* Outbound events are not fed. */
    ward_event o = drop(0xc0000204u, 1, t);
    o.direction = WARD_DIR_OUT;
    assert_int_equal(ward_alert_feed(a, &o, out, 3), 0);
    ward_alert_free(a);
}

static void test_flood(void **state)
{
    ward_alert *a = make(0, 10, 500, 0);
    ward_event out[3];
    size_t alerts = 0;
    int64_t t = 1000 * S;
    for (int i = 0; i < 2000; i++) { /* 2000 packets in 0.2 s */
        ward_event d = drop(0xc6336401u, 80, t + i * 100000);
        size_t n = ward_alert_feed(a, &d, out, 3);
        if (n) {
            assert_string_equal(out[0].filter, "flood");
            assert_int_equal(out[0].count, 500);
        }
        alerts += n;
    }
    assert_int_equal(alerts, 1);
    /* After the cooldown it alerts again. */
    for (int i = 0; i < 600; i++) {
        ward_event d = drop(0xc6336401u, 80, t + 61 * S + i * 1000);
        alerts += ward_alert_feed(a, &d, out, 3);
    }
    assert_int_equal(alerts, 2);
    /* 400 packets/s for 10 s: under the threshold. */
    ward_alert *b = make(0, 10, 500, 0);
    for (int i = 0; i < 4000; i++) {
        ward_event d = drop(0xc6336402u, 80, t + i * (S / 400));
        assert_int_equal(ward_alert_feed(b, &d, out, 3), 0);
    }
    ward_alert_free(a);
    ward_alert_free(b);
}

static void test_spoofed_sources_bounded(void **state)
{
    ward_alert_config c;
    ward_alert_config_default(&c);
    c.max_sources = 256;
    c.flood_total_pps = 5000;
    ward_alert *a = ward_alert_new(&c);
    ward_event out[3];
    size_t total_alerts = 0;
    int64_t t = 1000 * S;
    for (uint32_t i = 0; i < 100000; i++) { /* every packet from a new source */
        ward_event d = drop(0x0b000000u + i * 7919u, (uint16_t)(i % 1000), t + i * 10000);
        size_t n = ward_alert_feed(a, &d, out, 3);
        for (size_t k = 0; k < n; k++)
            if (strcmp(out[k].filter, "flood-total") == 0)
                total_alerts++;
    }
    ward_alert_stats st;
    ward_alert_stats_get(a, &st);
    assert_true(st.sources <= 512);
    assert_true(st.evicted > 90000);
    assert_int_equal(st.fed, 100000);
    assert_int_equal(total_alerts, 1); /* 100k/s in all: one alert, then cooldown */
    ward_alert_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_scan),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_spoofed_sources_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
