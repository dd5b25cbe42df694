/* The shared-memory event ring: ordering, loss accounting, seals, wake-ups,
 * and a deliberately slow reader in another process that got the memfd over
 * SCM_RIGHTS. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ring/ring.h"

static void fill(ward_event *ev, uint64_t n)
{
    memset(ev, 0, sizeof(*ev));
    ev->time_ns = (int64_t)n * 1000;
    ev->pid = (uint32_t)n;
    ev->uid = 1000;
    ev->proto = 6;
    ev->rport = (uint16_t)n;
    ev->verdict = WARD_V_PERMIT;
    ward_ip_from_v4(&ev->remote, 0x0a000001u + (uint32_t)n);
    snprintf(ev->exe, sizeof(ev->exe), "/usr/bin/prog-%llu", (unsigned long long)n);
    snprintf(ev->cmdline, sizeof(ev->cmdline), "prog --n %llu", (unsigned long long)n);
}

/* A record is consistent when every field derives from the same n. */
static bool consistent(const ward_event *ev)
{
    ward_event want;
    fill(&want, ev->seq);
    want.seq = ev->seq;
    return memcmp(&want, ev, sizeof(want)) == 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_in_order(void **state)
{
    ward_ring *r = ward_ring_create(100);
    assert_non_null(r);
    assert_int_equal(ward_ring_capacity(r), 128);
    ward_ring_reader *rd = ward_ring_reader_open(ward_ring_memfd(r), false);
    assert_non_null(rd);
    ward_event ev;
    assert_int_equal(ward_ring_read(rd, &ev, NULL), 0);
    for (uint64_t i = 0; i < 100; i++) {
        fill(&ev, i);
        ward_ring_write(r, &ev);
    }
    uint64_t lost = 0;
    for (uint64_t i = 0; i < 100; i++) {
        assert_int_equal(ward_ring_read(rd, &ev, &lost), 1);
        assert_int_equal(ev.seq, i);
        assert_true(consistent(&ev));
    }
    assert_int_equal(ward_ring_read(rd, &ev, &lost), 0);
    assert_int_equal(lost, 0);
    assert_int_equal(ward_ring_written(r), 100);
    ward_ring_reader_close(rd);
    ward_ring_destroy(r);
}

static void test_overrun_loses_oldest(void **state)
{
    ward_ring *r = ward_ring_create(64);
    ward_ring_reader *rd = ward_ring_reader_open(ward_ring_memfd(r), false);
    ward_event ev;
    for (uint64_t i = 0; i < 64 * 3 + 5; i++) {
        fill(&ev, i);
        ward_ring_write(r, &ev);
    }
    assert_int_equal(ward_ring_reader_pending(rd), 64 * 3 + 5);
    uint64_t lost = 0, got = 0, expect = 64 * 2 + 5;
    while (ward_ring_read(rd, &ev, &lost) == 1) {
        assert_int_equal(ev.seq, expect + got);
        assert_true(consistent(&ev));
        got++;
    }
    assert_int_equal(lost, 64 * 2 + 5);
    assert_int_equal(got, 64);
    assert_int_equal(ward_ring_reader_lost(rd), lost);
    /* A late reader starting from the oldest sees the last capacity records. */
    ward_ring_reader *old = ward_ring_reader_open(ward_ring_memfd(r), true);
    assert_int_equal(ward_ring_read(old, &ev, NULL), 1);
    assert_int_equal(ev.seq, expect);
    ward_ring_reader_close(old);
    ward_ring_reader_close(rd);
    ward_ring_destroy(r);
}

static void test_sealed_read_only(void **state)
{
    ward_ring *r = ward_ring_create(16);
    int fd = ward_ring_memfd(r);
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(m == MAP_FAILED);
    char b = 0;
    assert_true(write(fd, &b, 1) < 0);
    assert_true(ftruncate(fd, 0) < 0);
    /* Not a ring: refused. */
    int bogus = memfd_create("bogus", MFD_CLOEXEC);
    assert_int_equal(ftruncate(bogus, 1 << 16), 0);
    assert_null(ward_ring_reader_open(bogus, false));
    assert_int_equal(errno, EPROTO);
    close(bogus);
    ward_ring_destroy(r);
}

static void test_notify(void **state)
{
    ward_ring *r = ward_ring_create(16);
    uint32_t a, b;
    int ea = ward_ring_subscribe(r, &a), eb = ward_ring_subscribe(r, &b);
    assert_true(ea >= 0 && eb >= 0 && a != b);
    assert_int_equal(ward_ring_subscribers(r), 2);
    struct pollfd p[2] = {{.fd = ea, .events = POLLIN}, {.fd = eb, .events = POLLIN}};
    ward_ring_notify(r);
    assert_int_equal(poll(p, 2, 0), 0); /* nothing written: no wake-up */
    ward_event ev;
    fill(&ev, 0);
    ward_ring_write(r, &ev);
    ward_ring_notify(r);
    assert_int_equal(poll(p, 2, 0), 2); /* each subscriber woken on its own fd */
    ward_ring_eventfd_drain(ea);
    assert_int_equal(poll(p, 2, 0), 1);
    ward_ring_unsubscribe(r, b);
    assert_int_equal(ward_ring_subscribers(r), 1);
    ward_ring_eventfd_drain(eb);
    ward_ring_write(r, &ev);
    ward_ring_notify(r);
    assert_int_equal(poll(p, 2, 0), 1);
    assert_true(p[0].revents & POLLIN);
    close(ea);
    close(eb);
    ward_ring_destroy(r);
}

static int send_fds(int sock, const int *fds, int n)
{
    char byte = 'R';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fds(int sock, int *fds, int n)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int) * (size_t)n))
        return -1;
    memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
    return 0;
}

struct reader_result {
    uint64_t got, lost, bad, last_seq, wakeups;
};

/* The child: a reader that naps every `nap_every` records, until it has seen
 * the final record. Reports what it saw over the socket. */
static void reader_child(int sock, uint64_t total, unsigned nap_every, unsigned nap_us)
{
    int fds[2];
    struct reader_result res = {0};
    if (recv_fds(sock, fds, 2) < 0)
        _exit(2);
    ward_ring_reader *rd = ward_ring_reader_open(fds[0], true);
    if (!rd)
        _exit(3);
    char ready = 'y';
    if (write(sock, &ready, 1) != 1)
        _exit(4);
    ward_event ev;
    uint64_t prev = UINT64_MAX;
    while (res.last_seq + 1 < total) {
        struct pollfd p = {.fd = fds[1], .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            _exit(5);
        res.wakeups++;
        ward_ring_eventfd_drain(fds[1]);
        while (ward_ring_read(rd, &ev, &res.lost) == 1) {
            if (!consistent(&ev) || (prev != UINT64_MAX && ev.seq <= prev))
                res.bad++;
            prev = res.last_seq = ev.seq;
            if (++res.got % nap_every == 0)
                usleep(nap_us);
        }
    }
    if (write(sock, &res, sizeof(res)) != (ssize_t)sizeof(res))
        _exit(6);
    ward_ring_reader_close(rd);
    _exit(0);
}

static void run_cross_process(uint64_t total, unsigned nap_every, unsigned nap_us,
                              struct reader_result *res, double *rate)
{
    ward_ring *r = ward_ring_create(4096);
    assert_non_null(r);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    uint32_t sub;
    int efd = ward_ring_subscribe(r, &sub);
    assert_true(efd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        ward_ring_destroy(r); /* the child's copy: a reader holds no writable mapping */
        reader_child(sv[1], total, nap_every, nap_us);
    }
    close(sv[1]);
    int fds[2] = {ward_ring_memfd(r), efd};
    assert_int_equal(send_fds(sv[0], fds, 2), 0);
    close(efd);
    char ready;
    assert_int_equal(read(sv[0], &ready, 1), 1);

    ward_event ev;
    double t0 = now_s();
    for (uint64_t i = 0; i < total; i++) {
        fill(&ev, i);
        ward_ring_write(r, &ev);
        if (i % 64 == 63 || i + 1 == total)
            ward_ring_notify(r);
    }
    double dt = now_s() - t0;
    *rate = (double)total / dt;
    assert_int_equal(read(sv[0], res, sizeof(*res)), (ssize_t)sizeof(*res));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(sv[0]);
    ward_ring_destroy(r);
}

static void test_slow_reader_other_process(void **state)
{
    struct reader_result res;
    double rate;
    const uint64_t total = 200000;
    /* 1 ms nap every 100 records: at most ~100k records/s, far slower than
     * the producer. */
    run_cross_process(total, 100, 1000, &res, &rate);
    printf("# slow reader: got %llu lost %llu bad %llu wakeups %llu; producer %.0f events/s\n",
           (unsigned long long)res.got, (unsigned long long)res.lost, (unsigned long long)res.bad,
           (unsigned long long)res.wakeups, rate);
    assert_int_equal(res.bad, 0);
    assert_int_equal(res.last_seq, total - 1);
    assert_int_equal(res.got + res.lost, total);
    assert_true(res.lost > 0);
    assert_true(res.got > 0);
    /* The producer did not wait for the reader: it lapped it (lost > 0),
     * and it wrote about as fast as with no reader at all (a loose factor:
     * the machine is shared; the napping reader would need >= 2 s). */
    ward_ring *alone = ward_ring_create(4096);
    ward_event ev;
    double t0 = now_s();
    for (uint64_t i = 0; i < total; i++) {
        fill(&ev, i);
        ward_ring_write(alone, &ev);
    }
    double base = (double)total / (now_s() - t0);
    ward_ring_destroy(alone);
    printf("# producer alone: %.0f events/s\n", base);
    assert_true(rate > base / 4);
}

static void test_fast_reader_other_process(void **state)
{
    struct reader_result res;
    double rate;
    run_cross_process(100000, 1u << 30, 0, &res, &rate);
    printf("# fast reader: got %llu lost %llu; producer %.0f events/s\n",
           (unsigned long long)res.got, (unsigned long long)res.lost, rate);
    assert_int_equal(res.bad, 0); /* never a torn record, lapped or not */
    assert_int_equal(res.got + res.lost, 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_overrun_loses_oldest),
        cmocka_unit_test(test_sealed_read_only),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_slow_reader_other_process),
        cmocka_unit_test(test_fast_reader_other_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
