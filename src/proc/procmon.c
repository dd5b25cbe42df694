/*
 * procmon.c — exec, fork and exit events from the kernel's proc connector
 * (the Linux counterpart of the classic design's process-creation notify
 * routine), applied to the process table.
 */
#define _GNU_SOURCE
#include "proc/proctab.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int procmon_open(void)
{
    int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
    if (fd < 0)
        return -errno;
    /* Every process event of the host comes here: a build's fork storm
     * overruns the default buffer (ENOBUFS, a resync). Best effort. */
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        goto fail;
    /* nlmsghdr, then cn_msg, then the operation: built in bytes, since
     * cn_msg ends in a flexible array. */
    enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
    char req[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))] __attribute__((aligned(8)));
    memset(req, 0, sizeof(req));
    struct nlmsghdr *nl = (struct nlmsghdr *)req;
    nl->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(op));
    nl->nlmsg_type = NLMSG_DONE;
    struct cn_msg *cn = NLMSG_DATA(nl);
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->len = sizeof(op);
    memcpy(cn->data, &op, sizeof(op));
    if (send(fd, req, nl->nlmsg_len, 0) < 0)
        goto fail;
    return fd;
fail:;
    int err = errno;
    close(fd);
    return -err;
}

int procmon_read(int fd, proctab *t, void (*on_exec)(uint32_t pid, void *ctx),
                 void (*on_exit)(const ward_proc *gone, void *ctx), void *ctx)
{
    int handled = 0;
    char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof(buf), 0);
        if (len < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return handled;
            if (errno == ENOBUFS) {
                /* We fell behind and events were lost: resynchronise,
                 * exits first (a lost exit would keep a rule "until the
                 * program exits" alive, and a reused pid its old entry). */
                proctab_sweep(t, on_exit, ctx);
                proctab_scan(t);
                continue;
            }
            return -errno;
        }
        if (len == 0)
            return handled;
        for (struct nlmsghdr *nl = (struct nlmsghdr *)buf; NLMSG_OK(nl, (size_t)len);
             nl = NLMSG_NEXT(nl, len)) {
            if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP)
                continue;
            struct cn_msg *cn = NLMSG_DATA(nl);
            if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
                cn->len < sizeof(struct proc_event))
                continue;
            /* The event sits at a 4-byte offset: copy it out before reading
             * its 8-byte fields. */
            struct proc_event evbuf;
            memcpy(&evbuf, cn->data, sizeof(evbuf));
            struct proc_event *ev = &evbuf;
            switch (ev->what) {
            case PROC_EVENT_FORK:
                /* Threads share their process's program: only new processes. */
                if (ev->event_data.fork.child_pid == ev->event_data.fork.child_tgid)
                    proctab_fork(t, (uint32_t)ev->event_data.fork.parent_tgid,
                                 (uint32_t)ev->event_data.fork.child_tgid, 0, ev->timestamp_ns);
                break;
            case PROC_EVENT_EXEC: {
                ward_proc gone;
                if (proctab_exec(t, (uint32_t)ev->event_data.exec.process_tgid, &gone)) {
                    /* Exited before this read: its exit event will find
                     * no entry, so its end is told now. */
                    if (on_exit)
                        on_exit(&gone, ctx);
                    proctab_proc_free(&gone);
                } else if (on_exec) {
                    on_exec((uint32_t)ev->event_data.exec.process_tgid, ctx);
                }
                break;
            }
            case PROC_EVENT_EXIT:
                if (ev->event_data.exit.process_pid == ev->event_data.exit.process_tgid) {
                    ward_proc gone;
                    if (proctab_exit(t, (uint32_t)ev->event_data.exit.process_tgid, &gone)) {
                        if (on_exit)
                            on_exit(&gone, ctx);
                        proctab_proc_free(&gone);
                    }
                }
                break;
            default:
                continue;
            }
            handled++;
        }
    }
}
