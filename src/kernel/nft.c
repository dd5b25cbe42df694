/*
 * nft.c — Ward's nftables table `inet ward`, in the current network namespace.
 *
 * One libnftables transaction replaces the whole table ("add; delete;
 * table {...}" is atomic: there is never an instant with neither the old nor
 * the new table). Marked (undecided) new flows jump to chain `hold`, whose
 * last rule drops (fail-open: accepts). The queue rule goes first in `hold`:
 * the native `queue` statement where the kernel has it (probed by trying),
 * else the xtables NFQUEUE target through nft_compat, inserted with libnftnl
 * in a second batch — until it lands, held flows are dropped, never leaked
 * (fail-open: passed, as when nobody reads the queue).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <nftables/libnftables.h>

#include "kernel/internal.h"

/* Where names are answered: DNS (UDP and TCP), mDNS, LLMNR. */
#define WK_NAME_PORTS "{ udp . 53, tcp . 53, udp . 5353, udp . 5355 }"

int wk_nft_run(ward_kernel *k, const char *cmd)
{
    int rc = nft_run_cmd_from_buffer(k->nft, cmd);
    const char *err = nft_ctx_get_error_buffer(k->nft);
    if (rc && getenv("WARD_NFT_VERBOSE") && err)
        fprintf(stderr, "ward: nft: %s", err);
    return rc ? -EINVAL : 0;
}

static const char *queue_stmt(const ward_kernel *k, char *buf, size_t len, unsigned num)
{
    snprintf(buf, len, "counter queue num %u%s;", num,
             k->cfg.fail == WARD_KFAIL_OPEN ? " bypass" : "");
    return buf;
}

/* The mail proxy's redirect: the rule of chain `mail` (nat, output). */
static void mail_rule(const ward_kernel *k, char *buf, size_t len)
{
    snprintf(buf, len,
             "meta mark & 0x%x == 0x0 meta l4proto tcp tcp dport { 25, 110, 143, 587 } "
             "counter redirect to :%u comment \"ward-mail\"",
             k->cfg.mail_mark, (unsigned)k->cfg.mail_port);
}

#define WK_MAIL_CHAIN "type nat hook output priority -100; policy accept;"

/* The table. native: with the native queue statement; boot: the boot-time
 * ruleset (no queue, no DNS interception: nobody answers yet). */
static int ruleset(const ward_kernel *k, bool native, bool boot, char *buf, size_t len)
{
    unsigned u = k->cfg.mark, r = k->cfg.reject_mark;
    char q[96] = "", dq[96] = "", dns_out[224] = "", dns_in[128] = "", dns_chain[256] = "";
    const char *so = k->cfg.static_out ? k->cfg.static_out : "";
    const char *si = k->cfg.static_in ? k->cfg.static_in : "";
    char in_hold[128] = "", fast[512] = "", sq[96] = "", stream[256] = "", to_stream[1024] = "";
    unsigned sm = k->cfg.stream_mark, pm = k->cfg.stream_pass_mark, sn = k->cfg.stream_seen_mark;
    char seen[96] = "";
    char mail[320] = "", mrule[192];
    /* What a queue chain does with a flow its queue rule did not take: the
     * rule is missing between the table and the second batch (a start, a
     * repair), and a daemon that dies in between must leave its fail mode,
     * not a drop, in force. */
    const char *fall = k->cfg.fail == WARD_KFAIL_OPEN ? "accept" : "drop";
    if (!boot && k->cfg.mail_port) {
        mail_rule(k, mrule, sizeof(mrule));
        snprintf(mail, sizeof(mail), "  chain mail {\n    " WK_MAIL_CHAIN "\n    %s;\n  }\n",
                 mrule);
    }
    if (k->cfg.notrack)
        /* Fast path: TCP of sockets the hooks decided (unmarked) skips
         * conntrack both ways; replies are found by their socket (its mark).
         * A bare SYN in is always tracked (inbound policy). */
        snprintf(fast, sizeof(fast),
                 "  chain raw_out {\n"
                 "    type filter hook output priority raw; policy accept;\n"
                 "    meta l4proto tcp meta mark & 0x%x == 0x0 notrack;\n"
                 "  }\n"
                 "  chain raw_pre {\n"
                 "    type filter hook prerouting priority raw; policy accept;\n"
                 "    meta l4proto tcp tcp flags & (syn | ack) != syn socket mark & 0x%x == 0x0 "
                 "notrack;\n"
                 "  }\n",
                 u, u);
    if (!boot || k->cfg.fail == WARD_KFAIL_CLOSED)
        snprintf(in_hold, sizeof(in_hold),
                 "meta l4proto { tcp, udp } ct state new meta mark set meta mark | 0x%x jump hold;",
                 u);
    if (native && !boot) {
        queue_stmt(k, q, sizeof(q), k->cfg.queue_num);
        queue_stmt(k, dq, sizeof(dq), k->cfg.dns_queue_num);
        queue_stmt(k, sq, sizeof(sq), k->cfg.stream_queue_num);
    }
    if (!boot && sm) {
        /* The stream layer: a queue verdict marks the flow's conntrack
         * entry (its first packet comes back with the stream mark; a SYN
         * goes on, another protocol's first packet carries data and goes
         * to the queue); then its packets go to the stream queue, which
         * refuses (reject mark: a TCP reset, an ICMP port unreachable for
         * UDP) or lets the flow go (pass mark clears the entry's mark).
         * ICMP errors about the flow (related) are not its data. A
         * datagram let go comes back with the seen mark: the DNS chain
         * still checks it, then it is accepted. */
        snprintf(to_stream, sizeof(to_stream),
                 "meta mark & 0x%x == 0x%x ct mark set ct mark | 0x%x;\n"
                 "    meta mark & 0x%x == 0x%x meta l4proto tcp accept;\n"
                 "    ct mark & 0x%x == 0x%x meta mark & 0x%x == 0x%x meta l4proto tcp "
                 "reject with tcp reset;\n"
                 "    ct mark & 0x%x == 0x%x meta mark & 0x%x == 0x%x meta l4proto udp "
                 "reject with icmpx port-unreachable;\n"
                 "    ct mark & 0x%x == 0x%x meta mark & 0x%x == 0x%x "
                 "reject with icmpx admin-prohibited;\n"
                 "    ct mark & 0x%x == 0x%x meta mark & 0x%x == 0x%x "
                 "ct mark set ct mark & 0x%x accept;\n"
                 "    ct mark & 0x%x == 0x%x meta mark & 0x%x == 0x0 ct state new,established "
                 "jump stream;",
                 sm, sm, sm, sm, sm, sm, sm, r, r, sm, sm, r, r, sm, sm, r, r, sm, sm, pm, pm, ~sm,
                 sm, sm, sn);
        snprintf(seen, sizeof(seen), "meta mark & 0x%x == 0x%x accept;", sn, sn);
        snprintf(stream, sizeof(stream),
                 "  chain stream {\n    %s\n    counter %s comment \"ward-stream-hold\";\n  }\n",
                 sq, fall);
    }
    if (!k->cfg.no_dns && !boot) {
        /* First in both chains: established DNS flows too (a socket's next
         * query reuses its 5-tuple). Not what a deny re-injects. */
        snprintf(dns_out, sizeof(dns_out),
                 "meta mark & 0x%x == 0x0 meta l4proto . th dport " WK_NAME_PORTS
                 " jump dns comment \"ward-dns\";",
                 r);
        snprintf(dns_in, sizeof(dns_in), "meta l4proto . th sport " WK_NAME_PORTS " jump dns;");
        snprintf(dns_chain, sizeof(dns_chain),
                 "  chain dns {\n    %s\n    counter %s comment \"ward-dns-hold\";\n  }\n", dq,
                 fall);
    }
    int n = snprintf(
        buf, len,
        "add table inet ward\n"
        "delete table inet ward\n"
        "table inet ward {\n"
        "  set in_allow { type inet_proto . inet_service; }\n"
        "  set in_deny { type inet_proto . inet_service; }\n"
        "  set icmp_out_deny { type icmp_type; }\n"
        "  set icmp_in_deny { type icmp_type; }\n"
        "  set icmp6_out_deny { type icmpv6_type; }\n"
        "  set icmp6_in_deny { type icmpv6_type; }\n"
        "  chain hold {\n"
        "    %s\n"
        "    counter %s comment \"ward-hold\";\n"
        "  }\n"
        "%s"
        "  chain static_permit {\n"
        "    meta mark set meta mark | 0x%x accept;\n"
        "  }\n"
        "  chain static_out {\n%s\n  }\n"
        "  chain static_in {\n%s\n  }\n"
        "%s%s%s"
        "  chain output {\n"
        "    type filter hook output priority 0; policy accept;\n"
        "    %s\n"
        "    %s\n"
        "    %s\n"
        "    ct state established,related accept comment \"ward-est\";\n"
        "    meta mark & 0x%x == 0x%x meta l4proto tcp reject with tcp reset;\n"
        "    meta mark & 0x%x == 0x%x reject with icmpx admin-prohibited;\n"
        "    oif lo meta mark & 0x%x == 0x0 accept;\n"
        "    jump static_out;\n"
        "    icmp type @icmp_out_deny counter drop;\n"
        "    icmpv6 type @icmp6_out_deny counter drop;\n"
        "    meta mark & 0x%x == 0x%x ct state new jump hold;\n"
        "  }\n"
        "  chain input {\n"
        "    type filter hook input priority 0; policy accept;\n"
        "    %s\n"
        "    %s\n"
        "    %s\n"
        "    ct state established,related accept comment \"ward-est\";\n"
        "    meta mark & 0x%x == 0x%x meta l4proto tcp reject with tcp reset;\n"
        "    meta mark & 0x%x == 0x%x reject with icmpx admin-prohibited;\n"
        "    iif lo accept;\n"
        "    jump static_in;\n"
        "    icmp type @icmp_in_deny counter drop;\n"
        "    icmpv6 type @icmp6_in_deny counter drop;\n"
        "    meta l4proto . th dport @in_allow accept;\n"
        "    meta l4proto tcp meta l4proto . th dport @in_deny counter reject with tcp reset;\n"
        "    meta l4proto . th dport @in_deny counter drop;\n"
        "    %s\n"
        "  }\n"
        "}\n",
        q, fall, fast, k->cfg.accept_mark, so, si, dns_chain, stream, mail, to_stream, dns_out,
        seen, r, r, r, r, u, u, u, to_stream, dns_in, seen, r, r, r, r, in_hold);
    return n < (int)len ? 0 : -ENOSPC;
}

/* Insert `counter; xt NFQUEUE` at the head of a chain (libnftnl batch). */
static int insert_compat_queue(ward_kernel *k, const char *chain, uint16_t num)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct mnl_socket *nl = NULL;
    struct nftnl_rule *r = NULL;
    struct xt_NFQ_info_v3 *info = NULL;
    struct nftnl_expr *e;
    uint32_t seq = (uint32_t)time(NULL), portid;
    int err;

    r = nftnl_rule_alloc();
    info = calloc(1, sizeof(*info));
    if (!r || !info) {
        err = -ENOMEM;
        goto cleanup;
    }
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "ward");
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    if (!(e = nftnl_expr_alloc("counter"))) {
        err = -ENOMEM;
        goto cleanup;
    }
    nftnl_rule_add_expr(r, e);
    if (!(e = nftnl_expr_alloc("target"))) {
        err = -ENOMEM;
        goto cleanup;
    }
    info->queuenum = num;
    info->queues_total = 1;
    info->flags = k->cfg.fail == WARD_KFAIL_OPEN ? NFQ_FLAG_BYPASS : 0;
    nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
    nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
    nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info)); /* takes info */
    info = NULL;
    nftnl_rule_add_expr(r, e);

    struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
    nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
    mnl_nlmsg_batch_next(b);
    uint32_t rule_seq = seq;
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE,
                                                 NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
    nftnl_rule_nlmsg_build_payload(nlh, r);
    mnl_nlmsg_batch_next(b);
    nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
    mnl_nlmsg_batch_next(b);

    nl = mnl_socket_open(NETLINK_NETFILTER);
    if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        err = -errno;
        goto cleanup;
    }
    portid = mnl_socket_get_portid(nl);
    if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
        err = -errno;
        mnl_nlmsg_batch_stop(b);
        goto cleanup;
    }
    mnl_nlmsg_batch_stop(b);
    int n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    err = n < 0 ? -errno : 0;
    if (n > 0 && mnl_cb_run(buf, n, rule_seq, portid, NULL, NULL) < 0)
        err = -errno;
cleanup:
    free(info);
    nftnl_rule_free(r);
    if (nl)
        mnl_socket_close(nl);
    return err;
}

int wk_nft_install(ward_kernel *k)
{
    static char buf[65536];
    int err;
    /* Probe once: the native queue statement (fails here with ENOENT). */
    if (!k->probed || k->native_queue) {
        k->probed = true;
        if ((err = ruleset(k, true, false, buf, sizeof(buf))))
            return err;
        if (!wk_nft_run(k, buf)) {
            k->native_queue = true;
            return 0;
        }
    }
    k->native_queue = false;
    if ((err = ruleset(k, false, false, buf, sizeof(buf))))
        return err;
    if ((err = wk_nft_run(k, buf)))
        return err;
    if (!k->cfg.no_dns && (err = insert_compat_queue(k, "dns", k->cfg.dns_queue_num)))
        return err;
    if (k->cfg.stream_mark && (err = insert_compat_queue(k, "stream", k->cfg.stream_queue_num)))
        return err;
    return insert_compat_queue(k, "hold", k->cfg.queue_num);
}

static int replay(ward_kernel *k);

/* Whether chain name of the listed table holds its queue rule (native
 * "queue", or the xtables NFQUEUE target): each chain's own, since a chain
 * without one passes (fail-open) or drops what only the queue may decide. */
static bool chain_queues(const char *out, const char *name)
{
    char head[32];
    snprintf(head, sizeof(head), "chain %s {", name);
    const char *b = strstr(out, head);
    const char *e = b ? strchr(b, '}') : NULL;
    if (!e)
        return false;
    const char *q = strcasestr(b, "queue");
    return q && q < e;
}

int ward_kernel_nft_check(ward_kernel *k, bool repair)
{
    if (!k->nft)
        return 0;
    nft_ctx_buffer_output(k->nft);
    int rc = nft_run_cmd_from_buffer(k->nft, "list table inet ward");
    const char *out = nft_ctx_get_output_buffer(k->nft);
    bool ok = !rc && out && strstr(out, "ward-est") && strstr(out, "ward-hold") &&
              chain_queues(out, "hold") && strstr(out, "jump hold") &&
              (k->cfg.no_dns || (strstr(out, "ward-dns-hold") && strstr(out, "jump dns") &&
                                 chain_queues(out, "dns"))) &&
              (!k->cfg.stream_mark || chain_queues(out, "stream")) &&
              (!k->cfg.mail_port || strstr(out, "ward-mail"));
    nft_ctx_unbuffer_output(k->nft);
    if (ok)
        return 0;
    if (!repair)
        return -ENOENT;
    int err = ward_kernel_nft_repair(k);
    return err ? err : 1;
}

int ward_kernel_nft_repair(ward_kernel *k)
{
    if (!k->nft)
        return -EBADF;
    int err = wk_nft_install(k);
    if (!err)
        err = replay(k);
    if (!err)
        k->repairs++;
    return err;
}

int wk_nft_open(ward_kernel *k)
{
    k->nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!k->nft)
        return -ENOMEM;
    nft_ctx_buffer_error(k->nft);
    k->mon = mnl_socket_open(NETLINK_NETFILTER);
    if (k->mon) {
        if (mnl_socket_bind(k->mon, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
            mnl_socket_close(k->mon);
            k->mon = NULL;
        }
    }
    return wk_nft_install(k);
}

void wk_nft_close(ward_kernel *k)
{
    if (k->nft)
        nft_ctx_free(k->nft);
    if (k->mon)
        mnl_socket_close(k->mon);
    k->nft = NULL;
    k->mon = NULL;
}

int wk_nft_teardown(void)
{
    struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!c)
        return -ENOMEM;
    nft_ctx_buffer_error(c);
    nft_run_cmd_from_buffer(c, "add table inet ward\ndelete table inet ward\n");
    nft_ctx_free(c);
    return 0;
}

int ward_kernel_nft_monitor_fd(ward_kernel *k)
{
    return k->mon ? mnl_socket_get_fd(k->mon) : -1;
}

/* What this notification does to table inet ward: WARD_KNFT_DELETED,
 * WARD_KNFT_ADDED or 0 (not ours). Every object message names its table in
 * attribute 1 (NFTA_{TABLE_NAME,CHAIN_TABLE,RULE_TABLE,SET_TABLE,
 * SET_ELEM_LIST_TABLE,OBJ_TABLE,FLOWTABLE_TABLE}). */
static unsigned change_to_ours(const struct nlmsghdr *h)
{
    if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
        return 0;
    unsigned kind;
    switch (NFNL_MSG_TYPE(h->nlmsg_type)) {
    case NFT_MSG_DELTABLE:
    case NFT_MSG_DELCHAIN:
    case NFT_MSG_DELRULE:
    case NFT_MSG_DELSET:
    case NFT_MSG_DELSETELEM:
    case NFT_MSG_DELOBJ:
    case NFT_MSG_DELFLOWTABLE:
        kind = WARD_KNFT_DELETED;
        break;
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_NEWRULE:
    case NFT_MSG_NEWSET:
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_NEWOBJ:
    case NFT_MSG_NEWFLOWTABLE:
        kind = WARD_KNFT_ADDED;
        break;
    default:
        return 0;
    }
    const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
    if (g->nfgen_family != NFPROTO_INET)
        return 0;
    const struct nlattr *a;
    mnl_attr_for_each(a, h, sizeof(*g))
    {
        if (mnl_attr_get_type(a) == 1)
            return strcmp(mnl_attr_get_str(a), "ward") ? 0 : kind;
    }
    return 0;
}

/* Who committed the transaction this NEWGEN ends. */
static void gen_owner(const struct nlmsghdr *h, ward_knft_change *out)
{
    const struct nlattr *a;
    mnl_attr_for_each(a, h, sizeof(struct nfgenmsg))
    {
        if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID)
            out->pid = ntohl(mnl_attr_get_u32(a));
        else if (mnl_attr_get_type(a) == NFTA_GEN_PROC_NAME)
            snprintf(out->comm, sizeof(out->comm), "%s", mnl_attr_get_str(a));
    }
}

unsigned ward_kernel_nft_monitor_drain(ward_kernel *k, ward_knft_change *out)
{
    static char buf[65536] __attribute__((aligned(8)));
    ward_knft_change c;
    memset(&c, 0, sizeof(c));
    if (!k->mon)
        goto done;
    ssize_t n;
    while ((n = recv(mnl_socket_get_fd(k->mon), buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
           (n < 0 && errno == ENOBUFS)) {
        if (n < 0) {
            c.what |= WARD_KNFT_LOST; /* notifications lost: repair to be sure */
            continue;
        }
        int len = (int)n;
        for (const struct nlmsghdr *h = (const void *)buf; mnl_nlmsg_ok(h, len);
             h = mnl_nlmsg_next(h, &len)) {
            k->mon_touched |= change_to_ours(h);
            if (NFNL_SUBSYS_ID(h->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
                NFNL_MSG_TYPE(h->nlmsg_type) == NFT_MSG_NEWGEN) {
                /* End of a transaction: ours (a repair, a set element) or
                 * someone else's? */
                ward_knft_change owner;
                memset(&owner, 0, sizeof(owner));
                gen_owner(h, &owner);
                if (k->mon_touched && owner.pid != (uint32_t)getpid()) {
                    c.what |= k->mon_touched;
                    c.pid = owner.pid;
                    memcpy(c.comm, owner.comm, sizeof(c.comm));
                }
                k->mon_touched = 0;
            }
        }
    }
done:
    if (out)
        *out = c;
    return c.what;
}

static const char *proto_name(uint8_t p)
{
    return p == 6 ? "tcp" : p == 17 ? "udp" : p == 132 ? "sctp" : NULL;
}

static int inbound_port(ward_kernel *k, uint8_t proto, uint16_t port, uint8_t verdict)
{
    char cmd[256];
    const char *pn = proto_name(proto);
    if (!pn || !k->nft)
        return -EINVAL;
    /* One transaction: out of both sets, then into the one it belongs. */
    int n = snprintf(cmd, sizeof(cmd),
                     "add element inet ward in_allow { %s . %u }\n"
                     "delete element inet ward in_allow { %s . %u }\n"
                     "add element inet ward in_deny { %s . %u }\n"
                     "delete element inet ward in_deny { %s . %u }\n",
                     pn, port, pn, port, pn, port, pn, port);
    if (verdict == WARD_KV_ALLOW || verdict == WARD_KV_DENY)
        snprintf(cmd + n, sizeof(cmd) - n, "add element inet ward %s { %s . %u }\n",
                 verdict == WARD_KV_ALLOW ? "in_allow" : "in_deny", pn, port);
    return wk_nft_run(k, cmd);
}

static int icmp_type(ward_kernel *k, uint8_t proto, uint8_t dir, uint8_t type, uint8_t verdict)
{
    char cmd[256];
    if ((proto != 1 && proto != 58) || !k->nft)
        return -EINVAL;
    char set[32];
    snprintf(set, sizeof(set), "%s_%s_deny", proto == 1 ? "icmp" : "icmp6",
             dir == WARD_KDIR_IN ? "in" : "out");
    int n = snprintf(cmd, sizeof(cmd),
                     "add element inet ward %s { %u }\ndelete element inet ward %s { %u }\n", set,
                     type, set, type);
    if (verdict == WARD_KV_DENY)
        snprintf(cmd + n, sizeof(cmd) - n, "add element inet ward %s { %u }\n", set, type);
    return wk_nft_run(k, cmd);
}

static void remember(ward_kernel *k, const struct wk_elem *e)
{
    for (size_t i = 0; i < k->nelems; i++) {
        struct wk_elem *x = &k->elems[i];
        if (x->kind == e->kind && x->proto == e->proto && x->dir == e->dir && x->port == e->port) {
            *x = *e;
            return;
        }
    }
    if (k->nelems < sizeof(k->elems) / sizeof(k->elems[0]))
        k->elems[k->nelems++] = *e;
}

int ward_kernel_inbound_port(ward_kernel *k, uint8_t proto, uint16_t port, uint8_t verdict)
{
    int err = inbound_port(k, proto, port, verdict);
    if (!err)
        remember(k, &(struct wk_elem){.kind = 0, .proto = proto, .port = port, .verdict = verdict});
    return err;
}

int ward_kernel_icmp(ward_kernel *k, uint8_t proto, uint8_t dir, uint8_t type, uint8_t verdict)
{
    int err = icmp_type(k, proto, dir, type, verdict);
    if (!err)
        remember(k, &(struct wk_elem){
                        .kind = 1, .proto = proto, .dir = dir, .port = type, .verdict = verdict});
    return err;
}

/* After the table was re-created: put the set elements back. */
static int replay(ward_kernel *k)
{
    int err = 0;
    for (size_t i = 0; i < k->nelems && !err; i++) {
        const struct wk_elem *e = &k->elems[i];
        if (e->verdict != WARD_KV_ALLOW && e->verdict != WARD_KV_DENY)
            continue;
        err = e->kind == 0 ? inbound_port(k, e->proto, e->port, e->verdict)
                           : icmp_type(k, e->proto, e->dir, (uint8_t)e->port, e->verdict);
    }
    return err;
}

int ward_kernel_boot_ruleset(const ward_kernel_config *c, char *buf, size_t len)
{
    ward_kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->cfg = *c;
    int err = ruleset(k, false, true, buf, len);
    free(k);
    return err;
}

/* "add rule inet ward CHAIN RULE" for each rule of a static chain's text
 * (rules end with ';' or a newline; '#' lines are comments). */
static int static_cmds(char **buf, size_t *len, size_t *cap, const char *chain, const char *rules)
{
    for (const char *p = rules; *p;) {
        size_t n = strcspn(p, ";\n");
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        if (n && *p != '#') {
            size_t need = *len + n + strlen(chain) + 32;
            if (need > *cap) {
                char *b = realloc(*buf, need * 2);
                if (!b)
                    return -ENOMEM;
                *buf = b;
                *cap = need * 2;
            }
            *len += (size_t)snprintf(*buf + *len, *cap - *len, "add rule inet ward %s %.*s\n",
                                     chain, (int)n, p);
        }
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

int ward_kernel_static_set(ward_kernel *k, const char *out, const char *in)
{
    out = out ? out : "";
    in = in ? in : "";
    if (!strcmp(out, k->cfg.static_out ? k->cfg.static_out : "") &&
        !strcmp(in, k->cfg.static_in ? k->cfg.static_in : ""))
        return 0;
    char *no = strdup(out), *ni = strdup(in);
    size_t cap = 256, len = 0;
    char *cmd = malloc(cap);
    int err = !no || !ni || !cmd ? -ENOMEM : 0;
    if (!err && k->nft) {
        len = (size_t)snprintf(
            cmd, cap, "flush chain inet ward static_out\nflush chain inet ward static_in\n");
        if (!(err = static_cmds(&cmd, &len, &cap, "static_out", out)) &&
            !(err = static_cmds(&cmd, &len, &cap, "static_in", in)))
            err = wk_nft_run(k, cmd); /* one transaction: flush and refill */
    }
    free(cmd);
    if (err) {
        free(no);
        free(ni);
        return err;
    }
    free(k->static_out);
    free(k->static_in);
    k->cfg.static_out = k->static_out = no;
    k->cfg.static_in = k->static_in = ni;
    return 0;
}

int ward_kernel_mail_redirect(ward_kernel *k, uint16_t port)
{
    if (port == k->cfg.mail_port)
        return 0;
    uint16_t was = k->cfg.mail_port;
    k->cfg.mail_port = port;
    if (!k->nft)
        return 0;
    char cmd[512], rule[192];
    if (port) {
        mail_rule(k, rule, sizeof(rule));
        snprintf(cmd, sizeof(cmd),
                 "add chain inet ward mail { " WK_MAIL_CHAIN " }\n"
                 "flush chain inet ward mail\n"
                 "add rule inet ward mail %s\n",
                 rule);
    } else {
        snprintf(cmd, sizeof(cmd), "delete chain inet ward mail\n");
    }
    int err = wk_nft_run(k, cmd);
    if (err)
        k->cfg.mail_port = was;
    return err;
}
