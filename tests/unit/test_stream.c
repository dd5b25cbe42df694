/*
 * test_stream.c — the stream layer (src/stream): reassembly in order across
 * segments that come early, late or twice; need more data holding packets;
 * continue, permit and block; the bound in bytes and in time, fail open and
 * fail closed; the end of a flow (FIN both ways, a reset, idle); datagrams,
 * each answered alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream/stream.h"

/* What the stream did, for the tests to look at. */
struct rec {
    enum ward_stream_pkt pkt[64]; /* by packet id; -1 none yet */
    int npkt_v[64];
    char seen[2][4096]; /* the last bytes the callout was given, per dir */
    uint64_t offset[2];
    uint32_t flags[2];
    int calls;
    enum ward_callout_verdict answer; /* what the callout says */
    const char *permit_on;            /* permit once bytes hold this */
    int ends;
    enum ward_stream_end how;
    void *user;
};

static enum ward_callout_verdict classify(void *ctx, uint64_t flow, void *user,
                                          const ward_callout_data *d)
{
    struct rec *r = ctx;
    r->calls++;
    snprintf(r->seen[d->dir], sizeof(r->seen[0]), "%.*s", (int)d->len, (const char *)d->bytes);
    r->offset[d->dir] = d->offset;
    r->flags[d->dir] = d->flags;
    if (r->permit_on && strstr(r->seen[d->dir], r->permit_on))
        return WARD_CALLOUT_PERMIT;
    return r->answer;
}

static void verdict(void *ctx, uint32_t pkt, enum ward_stream_pkt v)
{
    struct rec *r = ctx;
    assert_true(pkt < 64);
    r->pkt[pkt] = v;
    r->npkt_v[pkt]++;
}

static void end(void *ctx, uint64_t flow, void *user, enum ward_stream_end how)
{
    struct rec *r = ctx;
    r->ends++;
    r->how = how;
    r->user = user;
}

static const ward_stream_ops ops = {classify, verdict, end};

static ward_stream *fresh(struct rec *r, enum ward_callout_verdict answer)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < 64; i++)
        r->pkt[i] = (enum ward_stream_pkt) - 1;
    r->answer = answer;
    ward_stream *s = ward_stream_new(&ops, r);
    assert_non_null(s);
    assert_int_equal(ward_stream_watch(s, 7, (void *)r, 0), 0);
    return s;
}

/* A segment of flow 7: dir, seq relative to ISN 1000 (the SYN's), text. */
static bool seg(ward_stream *s, uint32_t pkt, int dir, uint32_t seq, uint8_t flags,
                const char *text, int64_t now)
{
    ward_stream_seg g = {.pkt = pkt,
                         .dir = (uint8_t)dir,
                         .tcp_flags = flags,
                         .seq = 1000 + seq,
                         .data = (const uint8_t *)text,
                         .len = text ? strlen(text) : 0};
    return ward_stream_segment(s, 7, &g, now);
}

/* The handshake as the stream queue sees it: the remote's SYN-ACK, the
 * local ACK (both let go at once). Local data starts at seq 1. */
static void handshake(ward_stream *s, struct rec *r)
{
    assert_true(seg(s, 1, 1, 0, WARD_TCP_SYN | 0x10, NULL, 0));
    assert_true(seg(s, 2, 0, 1, 0x10, NULL, 0));
    assert_int_equal(r->pkt[1], WARD_SP_ACCEPT);
    assert_int_equal(r->pkt[2], WARD_SP_ACCEPT);
    assert_int_equal(r->calls, 0);
}

static void need_more_then_permit(void **state)
{
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
    handshake(s, &r);
    r.permit_on = "GET /split HTTP";
    assert_true(seg(s, 3, 0, 1, 0x18, "GET /sp", 10));
    assert_int_equal(r.calls, 1);
    assert_int_equal((int)r.pkt[3], -1); /* held */
    assert_true(seg(s, 4, 0, 8, 0x18, "lit HTTP/1.0\r\n\r\n", 20));
    assert_int_equal(r.calls, 2);
    assert_string_equal(r.seen[0], "GET /split HTTP/1.0\r\n\r\n");
    assert_int_equal(r.offset[0], 0);
    assert_int_equal(r.pkt[3], WARD_SP_PASS);
    assert_int_equal(r.pkt[4], WARD_SP_PASS);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.how, WARD_SE_PERMIT);
    assert_ptr_equal(r.user, &r);
    /* No longer watched: the caller passes what still comes. */
    assert_false(seg(s, 5, 1, 1, 0x18, "HTTP/1.0 200 OK\r\n", 30));
    ward_stream_stats st;
    ward_stream_get_stats(s, &st);
    assert_int_equal(st.watching, 0);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.permitted, 1);
    ward_stream_free(s);
}

static void out_of_order_and_retransmit(void **state)
{
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
    handshake(s, &r);
    /* The second piece first: held, no call (nothing in order yet). */
    assert_true(seg(s, 3, 0, 5, 0x18, "World", 1));
    assert_int_equal(r.calls, 0);
    assert_int_equal((int)r.pkt[3], -1);
    assert_true(seg(s, 4, 0, 1, 0x18, "Helo", 2));
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.seen[0], "HeloWorld");
    /* A retransmission overlapping both: nothing new, it waits too. */
    assert_true(seg(s, 5, 0, 3, 0x18, "loWo", 3));
    assert_int_equal(r.calls, 1);
    assert_true(seg(s, 6, 0, 10, 0x18, "!", 4));
    assert_string_equal(r.seen[0], "HeloWorld!");
    /* Block: the oldest held packet becomes a reset, the others drop. */
    r.answer = WARD_CALLOUT_BLOCK;
    assert_true(seg(s, 7, 0, 11, 0x18, "?", 5));
    assert_int_equal(r.pkt[3], WARD_SP_RESET);
    assert_int_equal(r.pkt[4], WARD_SP_DROP);
    assert_int_equal(r.pkt[5], WARD_SP_DROP);
    assert_int_equal(r.pkt[6], WARD_SP_DROP);
    assert_int_equal(r.pkt[7], WARD_SP_DROP);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.how, WARD_SE_BLOCK);
    /* A blocked flow refuses what still comes, with no more calls. */
    int calls = r.calls;
    assert_true(seg(s, 8, 1, 1, 0x18, "late", 6));
    assert_int_equal(r.pkt[8], WARD_SP_REJECT);
    assert_int_equal(r.calls, calls);
    assert_true(seg(s, 9, 0, 12, WARD_TCP_RST, NULL, 7));
    assert_int_equal(r.pkt[9], WARD_SP_DROP);
    assert_false(seg(s, 10, 0, 12, 0x10, NULL, 8)); /* gone with the reset */
    assert_int_equal(r.ends, 1);                    /* ended once */
    /* A blocked flow's 5-tuple used again before its reset: watched anew. */
    assert_int_equal(ward_stream_watch(s, 7, NULL, 10), 0);
    assert_true(seg(s, 11, 0, 1, 0x10, NULL, 11));
    assert_true(seg(s, 12, 0, 1, 0x18, "x", 11));
    assert_int_equal(r.pkt[12], WARD_SP_RESET);
    assert_int_equal(ward_stream_watch(s, 7, NULL, 12), 0);
    assert_int_equal(ward_stream_watch(s, 7, NULL, 12), -1);
    assert_int_equal(r.ends, 2);
    ward_stream_free(s);
}

static void continue_moves_offset(void **state)
{
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_CONTINUE);
    handshake(s, &r);
    assert_true(seg(s, 3, 0, 1, 0x18, "abc", 1));
    assert_int_equal(r.pkt[3], WARD_SP_ACCEPT);
    assert_true(seg(s, 4, 0, 4, 0x18, "def", 2));
    assert_int_equal(r.pkt[4], WARD_SP_ACCEPT);
    assert_string_equal(r.seen[0], "def");
    assert_int_equal(r.offset[0], 3);
    /* The other direction has its own offsets. */
    assert_true(seg(s, 5, 1, 1, 0x18, "xyz", 3));
    assert_string_equal(r.seen[1], "xyz");
    assert_int_equal(r.offset[1], 0);
    /* FIN both ways: the flow ends, told to the callout. */
    assert_true(seg(s, 6, 0, 7, WARD_TCP_FIN | 0x10, NULL, 4));
    assert_int_equal(r.flags[0], WARD_CALLOUT_SF_FIN);
    assert_int_equal(r.ends, 0);
    assert_true(seg(s, 7, 1, 4, WARD_TCP_FIN | 0x10, NULL, 5));
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.how, WARD_SE_CLOSED);
    assert_int_equal(r.pkt[7], WARD_SP_ACCEPT);
    ward_stream_free(s);
}

static void bound_bytes(void **state)
{
    for (int open = 0; open < 2; open++) {
        struct rec r;
        ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
        ward_stream_set_bound(s, &(ward_stream_bound){.bytes = 10, .ms = 1000, .fail_open = open});
        handshake(s, &r);
        assert_true(seg(s, 3, 0, 1, 0x18, "0123456789", 1));
        assert_int_equal((int)r.pkt[3], -1); /* 10 held: at the bound, not past it */
        assert_true(seg(s, 4, 0, 11, 0x18, "a", 2));
        assert_int_equal(r.ends, 1);
        assert_int_equal(r.how, open ? WARD_SE_BOUND_OPEN : WARD_SE_BOUND_CLOSED);
        assert_int_equal(r.pkt[3], open ? WARD_SP_PASS : WARD_SP_RESET);
        assert_int_equal(r.pkt[4], open ? WARD_SP_PASS : WARD_SP_DROP);
        ward_stream_free(s);
    }
}

static void bound_time_and_idle(void **state)
{
    for (int open = 0; open < 2; open++) {
        struct rec r;
        ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
        ward_stream_set_bound(s, &(ward_stream_bound){.bytes = 0, .ms = 500, .fail_open = open});
        handshake(s, &r);
        assert_true(seg(s, 3, 0, 1, 0x18, "GET /wait", 1000));
        ward_stream_tick(s, 1499);
        assert_int_equal((int)r.pkt[3], -1);
        ward_stream_tick(s, 1500);
        assert_int_equal(r.pkt[3], open ? WARD_SP_PASS : WARD_SP_RESET);
        assert_int_equal(r.how, open ? WARD_SE_BOUND_OPEN : WARD_SE_BOUND_CLOSED);
        ward_stream_free(s);
        assert_int_equal(r.ends, 1); /* not again when freed */
    }
    /* A flow with nothing held and nothing seen: idle, ended. */
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
    ward_stream_tick(s, WARD_STREAM_IDLE_MS - 1);
    assert_int_equal(r.ends, 0);
    ward_stream_tick(s, WARD_STREAM_IDLE_MS);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.how, WARD_SE_IDLE);
    ward_stream_free(s);
}

static void reset_before_decision(void **state)
{
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
    handshake(s, &r);
    assert_true(seg(s, 3, 0, 1, 0x18, "part", 1));
    assert_true(seg(s, 4, 0, 5, WARD_TCP_RST, NULL, 2));
    assert_int_equal(r.pkt[3], WARD_SP_DROP); /* held bytes never go */
    assert_int_equal(r.pkt[4], WARD_SP_ACCEPT);
    assert_int_equal(r.how, WARD_SE_CLOSED);
    /* Watching twice is refused; unknown flows are not the stream's. */
    assert_int_equal(ward_stream_watch(s, 8, NULL, 0), 0);
    assert_int_equal(ward_stream_watch(s, 8, NULL, 0), -1);
    ward_stream_free(s);
    assert_int_equal(r.ends, 2);
}

static void wraparound(void **state)
{
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
    r.permit_on = "abcdef";
    ward_stream_seg g = {.pkt = 1, .dir = 0, .tcp_flags = 0x10, .seq = 0xfffffffe};
    assert_true(ward_stream_segment(s, 7, &g, 0));
    g = (ward_stream_seg){.pkt = 2,
                          .dir = 0,
                          .tcp_flags = 0x18,
                          .seq = 0xfffffffe,
                          .data = (const uint8_t *)"abc",
                          .len = 3};
    assert_true(ward_stream_segment(s, 7, &g, 0));
    g = (ward_stream_seg){
        .pkt = 3, .dir = 0, .tcp_flags = 0x18, .seq = 1, .data = (const uint8_t *)"def", .len = 3};
    assert_true(ward_stream_segment(s, 7, &g, 0));
    assert_string_equal(r.seen[0], "abcdef");
    assert_int_equal(r.how, WARD_SE_PERMIT);
    ward_stream_free(s);
}

/* A datagram of flow 7 (UDP, ICMP...): dir, text. */
static bool dgram(ward_stream *s, uint32_t pkt, int dir, const char *text, int64_t now)
{
    ward_stream_seg g = {.pkt = pkt,
                         .dir = (uint8_t)dir,
                         .datagram = true,
                         .data = (const uint8_t *)text,
                         .len = strlen(text)};
    return ward_stream_segment(s, 7, &g, now);
}

static void datagrams(void **state)
{
    struct rec r;
    ward_stream *s = fresh(&r, WARD_CALLOUT_NEED_MORE_DATA);
    /* Never held, never joined: each alone, at offset 0. */
    assert_true(dgram(s, 1, 0, "query", 1));
    assert_int_equal(r.pkt[1], WARD_SP_ACCEPT);
    assert_true(dgram(s, 2, 1, "answer", 2));
    assert_int_equal(r.pkt[2], WARD_SP_ACCEPT);
    assert_string_equal(r.seen[0], "query");
    assert_string_equal(r.seen[1], "answer");
    assert_int_equal(r.offset[1], 0);
    /* A block is the packet's: the flow stays watched. */
    r.answer = WARD_CALLOUT_BLOCK;
    assert_true(dgram(s, 3, 0, "bad", 3));
    assert_int_equal(r.pkt[3], WARD_SP_DROP);
    r.answer = WARD_CALLOUT_DROP_CONNECTION;
    assert_true(dgram(s, 4, 0, "worse", 4));
    assert_int_equal(r.pkt[4], WARD_SP_REJECT);
    r.answer = WARD_CALLOUT_CONTINUE;
    assert_true(dgram(s, 5, 0, "fine", 5));
    assert_int_equal(r.pkt[5], WARD_SP_ACCEPT);
    assert_int_equal(r.calls, 5);
    assert_int_equal(r.ends, 0);
    /* Watched again (a new conntrack entry): the old flow ends, closed. */
    assert_int_equal(ward_stream_watch(s, 7, (void *)&r, 6), 0);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.how, WARD_SE_CLOSED);
    /* Permit: it goes, and the flow leaves. */
    r.answer = WARD_CALLOUT_PERMIT;
    assert_true(dgram(s, 6, 0, "done", 7));
    assert_int_equal(r.pkt[6], WARD_SP_PASS);
    assert_int_equal(r.ends, 2);
    assert_int_equal(r.how, WARD_SE_PERMIT);
    assert_false(dgram(s, 7, 0, "after", 8));
    ward_stream_stats st;
    ward_stream_get_stats(s, &st);
    assert_int_equal(st.watching, 0);
    assert_int_equal(st.held, 0);
    ward_stream_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(need_more_then_permit),
        cmocka_unit_test(out_of_order_and_retransmit),
        cmocka_unit_test(continue_moves_offset),
        cmocka_unit_test(bound_bytes),
        cmocka_unit_test(bound_time_and_idle),
        cmocka_unit_test(reset_before_decision),
        cmocka_unit_test(wraparound),
        cmocka_unit_test(datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
