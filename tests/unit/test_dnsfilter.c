/*
 * test_dnsfilter.c — the dnsfilter callout's blocklist: both list formats,
 * wildcards, regular expressions, errors with file:line:col and nothing
 * half-added, and a list of 200,000 names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callout/dnsfilter.h"

static ward_dnsfilter *load(const char *text)
{
    ward_dnsfilter *f = ward_dnsfilter_new();
    char err[512] = "";
    assert_non_null(f);
    if (ward_dnsfilter_load_text(f, "list", text, strlen(text), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return f;
}

static void formats(void **state)
{
    ward_dnsfilter *f = load("# a hosts file\n"
                             "127.0.0.1 localhost\n"
                             "::1 ip6-localhost ip6-loopback\n"
                             "0.0.0.0 ads.example.com  Tracker.Example.NET. # two names\n"
                             "\n"
                             "! an adblock-style comment\n"
                             "plain.example.org\n"
                             "*.doubleclick.net\n"
                             "/^ad[0-9]+\\.cdn\\./  # a regular expression\n");
    assert_int_equal(ward_dnsfilter_count(f), 5);
    assert_int_equal(ward_dnsfilter_match(f, "ads.example.com"), WARD_DNSF_EXACT);
    assert_int_equal(ward_dnsfilter_match(f, "ADS.example.com."), WARD_DNSF_EXACT);
    assert_int_equal(ward_dnsfilter_match(f, "tracker.example.net"), WARD_DNSF_EXACT);
    assert_int_equal(ward_dnsfilter_match(f, "plain.example.org"), WARD_DNSF_EXACT);
    assert_int_equal(ward_dnsfilter_match(f, "www.plain.example.org"), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, "example.com"), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, "localhost"), WARD_DNSF_MISS);
    /* A wildcard: its subdomains, not itself. */
    assert_int_equal(ward_dnsfilter_match(f, "doubleclick.net"), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, "ad.doubleclick.net"), WARD_DNSF_WILDCARD);
    assert_int_equal(ward_dnsfilter_match(f, "a.b.doubleclick.net"), WARD_DNSF_WILDCARD);
    assert_int_equal(ward_dnsfilter_match(f, "notdoubleclick.net"), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, "ad42.cdn.example"), WARD_DNSF_REGEX);
    assert_int_equal(ward_dnsfilter_match(f, "AD7.CDN.x"), WARD_DNSF_REGEX);
    assert_int_equal(ward_dnsfilter_match(f, "xad7.cdn.x"), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, ""), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, "bad name"), WARD_DNSF_MISS);
    ward_dnsfilter_free(f);
}

static void expect_error(const char *text, const char *want)
{
    ward_dnsfilter *f = load("kept.example.com\n");
    char err[512] = "";
    assert_int_equal(ward_dnsfilter_load_text(f, "bad.list", text, strlen(text), err, sizeof(err)),
                     -1);
    if (strcmp(err, want) != 0)
        fail_msg("error is \"%s\", want \"%s\"", err, want);
    /* Nothing of the bad list was added; the earlier one stays. */
    assert_int_equal(ward_dnsfilter_count(f), 1);
    assert_int_equal(ward_dnsfilter_match(f, "first.example.com"), WARD_DNSF_MISS);
    assert_int_equal(ward_dnsfilter_match(f, "kept.example.com"), WARD_DNSF_EXACT);
    ward_dnsfilter_free(f);
}

static void errors(void **state)
{
    expect_error("first.example.com\nbad!name.com\n",
                 "bad.list:2:4: error: not a domain name: 'bad!name.com'");
    expect_error("first.example.com\n  two names.com\n",
                 "bad.list:2:7: error: one name a line (or a hosts line: ADDRESS NAME...)");
    expect_error("first.example.com\n0.0.0.0\n",
                 "bad.list:2:8: error: a hosts line needs a name after the address");
    expect_error("first.example.com\n0.0.0.0 *.x.com\n",
                 "bad.list:2:9: error: a hosts line names hosts, not wildcards: '*.x.com'");
    expect_error("first.example.com\n/ab(c/\n",
                 "bad.list:2:6: error: bad regular expression: missing closing parenthesis");
    expect_error("first.example.com\n/abc\n",
                 "bad.list:2:1: error: a regular expression is written /.../");
    expect_error("first.example.com\n//\n",
                 "bad.list:2:1: error: an empty regular expression would match every name");
    expect_error("first.example.com\na..b\n", "bad.list:2:3: error: not a domain name: 'a..b'");
    char big[400];
    memset(big, 'a', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    ward_dnsfilter *f = ward_dnsfilter_new();
    char err[512];
    assert_int_equal(ward_dnsfilter_load_text(f, "big", big, strlen(big), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "big:1:1: error: "));
    ward_dnsfilter_free(f);
}

/* 200,000 names in the hosts format: all found, others not. */
static void large_list(void **state)
{
    size_t n = 200000, cap = n * 40;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len +=
            (size_t)snprintf(text + len, cap - len, "0.0.0.0 host%zu.ads%zu.example\n", i, i % 97);
    ward_dnsfilter *f = ward_dnsfilter_new();
    char err[256];
    assert_int_equal(ward_dnsfilter_load_text(f, "big", text, len, err, sizeof(err)), 0);
    assert_int_equal(ward_dnsfilter_count(f), n);
    char name[64];
    for (size_t i = 0; i < n; i += 997) {
        snprintf(name, sizeof(name), "host%zu.ads%zu.example", i, i % 97);
        assert_int_equal(ward_dnsfilter_match(f, name), WARD_DNSF_EXACT);
        snprintf(name, sizeof(name), "host%zu.ads%zu.example", i, (i + 1) % 97);
        assert_int_equal(ward_dnsfilter_match(f, name), WARD_DNSF_MISS);
    }
    ward_dnsfilter_free(f);
    free(text);
}

/* The callout: the list in use blocks (without veto), anything else continues. */
static void callout(void **state)
{
    ward_dnsfilter *f = load("blocked.example\n");
    ward_callout_flow flow = {.layer = WARD_CALLOUT_L_DNS};
    ward_callout_data d = {.qname = "blocked.example", .qtype = 1};
    void *ctx = NULL;
    const ward_callout *c = &ward_dnsfilter_callout;
    assert_string_equal(c->name, "dnsfilter");
    assert_int_equal(c->classify(&flow, &d, &ctx), WARD_CALLOUT_CONTINUE); /* no list yet */
    ward_dnsfilter_use(f);
    assert_int_equal(c->classify(&flow, &d, &ctx), WARD_CALLOUT_BLOCK_NO_VETO);
    d.qname = "fine.example";
    assert_int_equal(c->classify(&flow, &d, &ctx), WARD_CALLOUT_CONTINUE);
    ward_dnsfilter_use(NULL);
    ward_dnsfilter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats),
        cmocka_unit_test(errors),
        cmocka_unit_test(large_list),
        cmocka_unit_test(callout),
    };
    return cmocka_run_group_tests_name("dnsfilter", tests, NULL, NULL);
}
