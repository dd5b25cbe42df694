/*
 * backend.c — the kernel interface (backend.h) over BPF, nft and NFQUEUE.
 */
#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/internal.h"
#include "kernel/ward_lookup.h"

void ward_kernel_config_default(ward_kernel_config *c)
{
    memset(c, 0, sizeof(*c));
    c->mark = WARD_KMARK_DEFAULT;
    c->reject_mark = WARD_KREJECT_DEFAULT;
    c->accept_mark = WARD_KACCEPT_DEFAULT;
    c->queue_num = WARD_KQUEUE_DEFAULT;
    c->stream_mark = WARD_KSTREAM_DEFAULT;
    c->stream_pass_mark = WARD_KPASS_DEFAULT;
    c->stream_seen_mark = WARD_KSEEN_DEFAULT;
    c->mail_mark = WARD_KMAIL_DEFAULT;
    c->queue_maxlen = WARD_KQUEUE_MAXLEN;
    c->fail = WARD_KFAIL_CLOSED;
    c->default_verdict = WARD_KV_ASK;
    c->unattributed = WARD_KV_ASK;
    c->raw_default = WARD_KV_DENY;
}

int ward_kernel_cgroup2_root(char *buf, size_t len)
{
    FILE *f = setmntent("/proc/mounts", "r");
    if (!f)
        return -errno;
    struct mntent *m;
    int rc = -ENOENT;
    while ((m = getmntent(f))) {
        if (!strcmp(m->mnt_type, "cgroup2")) {
            snprintf(buf, len, "%s", m->mnt_dir);
            rc = 0;
            break;
        }
    }
    endmntent(f);
    return rc;
}

static const char *pin_want(const ward_kernel_config *c)
{
    return c->pin_dir ? c->pin_dir : WARD_KPIN_DIR_DEFAULT;
}

int ward_kernel_open(const ward_kernel_config *c, ward_kernel **out, char *errbuf, size_t errlen)
{
    int err;
    ward_kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->cfg = *c;
    /* Kept for repairs and static_set: the caller's strings need not live on. */
    k->static_out = strdup(c->static_out ? c->static_out : "");
    k->static_in = strdup(c->static_in ? c->static_in : "");
    k->cfg.static_out = k->static_out;
    k->cfg.static_in = k->static_in;
    k->verdicts_fd = k->socks_fd = k->binds_fd = k->stats_fd = k->self_fd = k->cfg_fd = -1;
    k->events_fd = k->kev_stats_fd = -1;
    k->pings_fd = -1;
    k->nfq_fd = k->diag_fd = k->cg_fd = -1;
    k->held_fd = k->handed_fd = k->raw4_fd = k->raw6_fd = k->qep = k->shimmed_fd = -1;
    if (!k->static_out || !k->static_in) {
        err = -ENOMEM;
        goto cleanup;
    }
    if (!k->cfg.mark || (k->cfg.mark & (k->cfg.mark - 1)) || k->cfg.mark == k->cfg.reject_mark) {
        snprintf(k->err, sizeof(k->err), "marks: one bit each, undecided != reject");
        err = -EINVAL;
        goto cleanup;
    }
    if (c->cgroup)
        snprintf(k->cgroup, sizeof(k->cgroup), "%s", c->cgroup);
    else if ((err = ward_kernel_cgroup2_root(k->cgroup, sizeof(k->cgroup)))) {
        snprintf(k->err, sizeof(k->err),
                 "no cgroup v2 file system in /proc/mounts; fix: "
                 "mount -t cgroup2 none /sys/fs/cgroup");
        goto cleanup;
    }
    if (!k->cfg.dns_queue_num)
        k->cfg.dns_queue_num = (uint16_t)(k->cfg.queue_num + 1);
    if (!k->cfg.stream_queue_num)
        k->cfg.stream_queue_num = (uint16_t)(k->cfg.queue_num + 2);
    if (!c->no_bpf) {
        if ((err = wk_bpffs_resolve(pin_want(c), true, k->pin_dir, sizeof(k->pin_dir),
                                    k->bpffs_mounted, sizeof(k->bpffs_mounted), k->err,
                                    sizeof(k->err))))
            goto cleanup;
        if ((err = wk_bpf_open(k))) {
            if (!k->err[0])
                snprintf(k->err, sizeof(k->err), "BPF hooks (pins under %s): %s", k->pin_dir,
                         strerror(-err));
            goto cleanup;
        }
        if ((err = wk_events_open(k))) {
            snprintf(k->err, sizeof(k->err), "BPF event ring: %s", strerror(-err));
            goto cleanup;
        }
    }
    if (!c->no_nft) {
        if ((err = wk_nft_open(k))) {
            snprintf(k->err, sizeof(k->err), "nft table inet ward: %s", strerror(-err));
            goto cleanup;
        }
        if ((err = wk_queue_open(k))) {
            snprintf(k->err, sizeof(k->err), "NFQUEUE %u: %s", k->cfg.queue_num, strerror(-err));
            goto cleanup;
        }
        if ((err = wk_held_open(k))) {
            snprintf(k->err, sizeof(k->err), "held datagrams: %s", strerror(-err));
            goto cleanup;
        }
    }
    *out = k;
    return 0;
cleanup:
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s", k->err[0] ? k->err : strerror(-err));
    ward_kernel_close(k);
    return err;
}

void ward_kernel_close(ward_kernel *k)
{
    if (!k)
        return;
    wk_held_close(k);
    wk_queue_close(k);
    wk_nft_close(k);
    wk_events_close(k);
    wk_bpf_close(k);
    free(k->static_out);
    free(k->static_in);
    free(k);
}

int ward_kernel_teardown(const ward_kernel_config *c)
{
    char dir[512];
    int e1 = wk_nft_teardown();
    /* Pins nowhere (no BPF file system holds them): nothing to remove. */
    int e2 = wk_bpffs_resolve(pin_want(c), false, dir, sizeof(dir), NULL, 0, NULL, 0)
                 ? 0
                 : wk_bpf_teardown(dir);
    return e1 ? e1 : e2;
}

const char *ward_kernel_pin_dir(const ward_kernel *k)
{
    return k->pin_dir;
}

const char *ward_kernel_bpffs_mounted(const ward_kernel *k)
{
    return k->bpffs_mounted;
}

int ward_kernel_hooks_check(ward_kernel *k, bool repair, ward_khooks *out)
{
    return wk_bpf_check(k, repair, out);
}

static struct ward_vkey vkey(ward_exe_id exe, const ward_kentry *e)
{
    struct ward_vkey key;
    memset(&key, 0, sizeof(key));
    key.dev = exe.dev;
    key.ino = exe.ino;
    key.port = e->port;
    key.proto = e->proto;
    key.dir = e->dir;
    return key;
}

int ward_kernel_program_put(ward_kernel *k, ward_exe_id exe, const ward_kentry *e)
{
    if (k->verdicts_fd < 0)
        return -EBADF;
    struct ward_vkey key = vkey(exe, e);
    struct ward_vval val;
    memset(&val, 0, sizeof(val));
    val.verdict = e->verdict;
    val.rule = e->rule;
    return bpf_map_update_elem(k->verdicts_fd, &key, &val, BPF_ANY) ? -errno : 0;
}

int ward_kernel_program_set(ward_kernel *k, ward_exe_id exe, const ward_kentry *e, size_t n)
{
    int err;
    if (k->verdicts_fd < 0)
        return -EBADF;
    /* New entries first, then the stale ones go: an entry present before
     * and after is never missing in between. */
    for (size_t i = 0; i < n; i++)
        if ((err = ward_kernel_program_put(k, exe, &e[i])))
            return err;
    struct ward_vkey cur, next, stale[256];
    size_t nstale = 0;
    void *prev = NULL;
    while (!bpf_map_get_next_key(k->verdicts_fd, prev, &next)) {
        cur = next;
        prev = &cur;
        if (cur.dev != exe.dev || cur.ino != exe.ino)
            continue;
        bool keep = false;
        for (size_t i = 0; i < n && !keep; i++) {
            struct ward_vkey want = vkey(exe, &e[i]);
            keep = !memcmp(&want, &cur, sizeof(cur));
        }
        if (!keep && nstale < sizeof(stale) / sizeof(stale[0]))
            stale[nstale++] = cur;
    }
    for (size_t i = 0; i < nstale; i++)
        bpf_map_delete_elem(k->verdicts_fd, &stale[i]);
    return 0;
}

int ward_kernel_programs(ward_kernel *k, ward_exe_id *out, size_t max)
{
    if (k->verdicts_fd < 0)
        return -EBADF;
    struct ward_vkey cur, next;
    void *prev = NULL;
    size_t n = 0;
    while (!bpf_map_get_next_key(k->verdicts_fd, prev, &next)) {
        cur = next;
        prev = &cur;
        bool seen = false;
        for (size_t i = 0; i < n && i < max && !seen; i++)
            seen = out[i].dev == cur.dev && out[i].ino == cur.ino;
        if (seen)
            continue;
        if (n < max)
            out[n] = (ward_exe_id){cur.dev, cur.ino};
        n++;
    }
    return (int)n;
}

static __u8 map_verdict(ward_kernel *k, const struct ward_vkey *key)
{
    struct ward_vval val;
    return bpf_map_lookup_elem(k->verdicts_fd, key, &val) ? WARD_KV_NONE : val.verdict;
}

/* The hooks' lookup order (ward_lookup.h), over the pinned map. */
WARD_LOOKUP_DEFINE(map_lookup, ward_kernel *, map_verdict)

int ward_kernel_self_set(ward_kernel *k, const ward_ip *ips, size_t n)
{
    if (k->self_fd < 0)
        return -EBADF;
    if (n > WARD_MAX_SELF)
        n = WARD_MAX_SELF;
    /* New ones first, then the stale ones go: an address kept is never
     * missing in between. */
    __u8 one = 1;
    for (size_t i = 0; i < n; i++)
        if (bpf_map_update_elem(k->self_fd, ips[i].b, &one, BPF_ANY))
            return -errno;
    struct ward_addr cur, next, stale[64];
    void *prev = NULL;
    size_t nstale;
    do {
        nstale = 0;
        prev = NULL;
        while (nstale < 64 && !bpf_map_get_next_key(k->self_fd, prev, &next)) {
            cur = next;
            prev = &cur;
            bool keep = false;
            for (size_t i = 0; i < n && !keep; i++)
                keep = !memcmp(ips[i].b, cur.b, 16);
            if (!keep)
                stale[nstale++] = cur;
        }
        for (size_t i = 0; i < nstale; i++)
            bpf_map_delete_elem(k->self_fd, &stale[i]);
    } while (nstale == 64);
    return 0;
}

static int cfg_write(ward_kernel *k)
{
    if (k->cfg_fd < 0)
        return -EBADF;
    __u32 zero = 0;
    /* This process answers the queue (wk_bpf_open): say so with it. */
    struct ward_kcfg c = {
        .self_rules = k->self_rules, .self_blocks = k->self_blocks, .queue_tgid = (__u32)getpid()};
    return bpf_map_update_elem(k->cfg_fd, &zero, &c, BPF_ANY) ? -errno : 0;
}

int ward_kernel_self_rules(ward_kernel *k, bool rules)
{
    k->self_rules = rules;
    return cfg_write(k);
}

int ward_kernel_self_blocks(ward_kernel *k, bool blocks)
{
    k->self_blocks = blocks;
    return cfg_write(k);
}

int ward_kernel_program_lookup(ward_kernel *k, ward_exe_id exe, uint8_t proto, uint8_t dir,
                               uint16_t port)
{
    if (k->verdicts_fd < 0)
        return -EBADF;
    uint8_t dflt = proto == WARD_KPROTO_RAW ? k->cfg.raw_default : k->cfg.default_verdict;
    return map_lookup(k, exe.dev, exe.ino, proto, dir, port, dflt);
}

int ward_kernel_listeners(ward_kernel *k, ward_klisten *out, size_t max)
{
    if (k->binds_fd < 0)
        return -EBADF;
    struct ward_bindkey cur, next;
    void *prev = NULL;
    size_t n = 0;
    while (n < max && !bpf_map_get_next_key(k->binds_fd, prev, &next)) {
        struct ward_bindinfo b;
        cur = next;
        prev = &cur;
        if (bpf_map_lookup_elem(k->binds_fd, &cur, &b))
            continue;
        out[n].proto = cur.proto;
        out[n].port = cur.port;
        out[n].exe.dev = b.dev;
        out[n].exe.ino = b.ino;
        out[n].pid = b.pid;
        out[n].uid = b.uid;
        n++;
    }
    return (int)n;
}

static void queue_counters(ward_kernel *k, ward_kstats *s)
{
    FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
    if (!f)
        return;
    unsigned q, portid, total, mode, range, qdrop, udrop, seq, one;
    while (fscanf(f, "%u %u %u %u %u %u %u %u %u", &q, &portid, &total, &mode, &range, &qdrop,
                  &udrop, &seq, &one) == 9) {
        if (q == k->cfg.queue_num) {
            s->queue_dropped = qdrop;
            s->user_dropped = udrop;
        }
    }
    fclose(f);
}

int ward_kernel_stats(ward_kernel *k, ward_kstats *out)
{
    memset(out, 0, sizeof(*out));
    if (k->stats_fd >= 0) {
        int ncpu = libbpf_num_possible_cpus();
        if (ncpu <= 0)
            return -EINVAL;
        uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
        if (!v)
            return -ENOMEM;
        for (uint32_t i = 0; i < WARD_STAT_COUNT; i++) {
            if (bpf_map_lookup_elem(k->stats_fd, &i, v))
                continue;
            for (int c = 0; c < ncpu; c++)
                out->hook[i] += v[c];
        }
        free(v);
    }
    out->queued = k->queued;
    out->answered = k->answered;
    out->repairs = k->repairs;
    out->hook_repairs = k->hook_repairs;
    out->dns_answers = k->dns_answers;
    out->dns_untrusted = k->dns_untrusted;
    out->dns_blocked = k->dns_blocked;
    out->native_queue = k->native_queue;
    out->packet_sockets = k->packet_link ? WARD_KPACKET_LOGGED : WARD_KPACKET_UNSEEN;
    wk_events_stats(k, out);
    queue_counters(k, out);
    return 0;
}

int ward_kernel_shim_mark(ward_kernel *k, int sock, ward_exe_id exe, uint8_t proto,
                          const ward_ip *remote, uint16_t port)
{
    if (k->shimmed_fd < 0)
        return -EBADF;
    uint64_t cookie;
    socklen_t l = sizeof(cookie);
    if (getsockopt(sock, SOL_SOCKET, SO_COOKIE, &cookie, &l))
        return -errno;
    struct ward_shimmark m = {
        .dev = exe.dev, .ino = exe.ino, .port = port, .proto = proto, .verdict = WARD_KV_ALLOW};
    memcpy(m.remote, remote->b, sizeof(m.remote));
    if (bpf_map_update_elem(k->shimmed_fd, &cookie, &m, BPF_ANY))
        return -errno;
    /* A datagram socket held from birth: its next datagram's mark is read
     * before the sendmsg hook could clear it, so it is cleared here. */
    uint32_t mark = 0;
    l = sizeof(mark);
    if (!getsockopt(sock, SOL_SOCKET, SO_MARK, &mark, &l) && (mark & k->cfg.mark)) {
        mark &= ~k->cfg.mark;
        if (setsockopt(sock, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
            return -errno;
    }
    return 0;
}
