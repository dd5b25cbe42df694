/*
 * Who may do what over the control socket (docs/PROTOCOL.md, "Authorization").
 * The kernel tells us the peer (SO_PEERCRED, SO_PEERGROUPS): nothing the
 * client says about itself is trusted.
 */
#define _GNU_SOURCE
#include "proto/proto.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

gid_t ward_proto_admin_gid(void)
{
    struct group gr, *res = NULL;
    char buf[4096];
    if (getgrnam_r("ward", &gr, buf, sizeof(buf), &res) != 0 || !res)
        return (gid_t)-1;
    return gr.gr_gid;
}

int ward_proto_peer(int fd, gid_t admin_gid, ward_peer *out)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    memset(out, 0, sizeof(*out));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -1;
    out->pid = cred.pid;
    out->uid = cred.uid;
    out->gid = cred.gid;
    out->auth = WARD_AUTH_READ;
    if (cred.uid == 0 || (admin_gid != (gid_t)-1 && cred.gid == admin_gid)) {
        out->auth = WARD_AUTH_ADMIN;
        return 0;
    }
    if (admin_gid == (gid_t)-1)
        return 0;
    /* Supplementary groups as they were when the peer connected. */
    gid_t groups[256];
    len = sizeof(groups);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
            if (groups[i] == admin_gid)
                out->auth = WARD_AUTH_ADMIN;
    }
    /* ERANGE (more than 256 groups) or an old kernel: primary group only. */
    return 0;
}

bool ward_proto_allowed(enum ward_msg_type t, enum ward_auth auth)
{
    if (auth == WARD_AUTH_ADMIN)
        return ward_msg_is_request(t);
    switch (t) {
    case WARD_MSG_HELLO:
    case WARD_MSG_STATUS:
    case WARD_MSG_MODE_GET:
    case WARD_MSG_RULES_LIST:
    case WARD_MSG_EXPLAIN:   /* with "conn" only: the server refuses a log_id */
    case WARD_MSG_LOG_QUERY: /* restricted to the peer's own uid by the server */
    case WARD_MSG_CALLOUT_LIST:
    case WARD_MSG_FILTER_LIST:
    case WARD_MSG_SUBLAYER_LIST:
    case WARD_MSG_PROVIDER_LIST:
    /* traffic: restricted to the peer's own uid by the server, as log.query */
    case WARD_MSG_STATS_QUERY:
    case WARD_MSG_CONNS_LIST:
    case WARD_MSG_LIMITS_LIST: /* what the policy says, and how much is used */
    /* The server shows and takes only prompts about the peer's own
     * processes (ward_proto_may_answer). */
    case WARD_MSG_PROMPT_REGISTER:
    case WARD_MSG_PROMPT_ANSWER:
        return true;
    default:
        /* mode.set, rules.add/delete, reload: policy. subscribe: the ring
         * carries every user's connections. */
        return false;
    }
}

bool ward_proto_may_answer(const ward_peer *peer, uint32_t proc_uid)
{
    if (peer->auth == WARD_AUTH_ADMIN)
        return true;
    /* A process of unknown owner is nobody's own: admins only. */
    return proc_uid != WARD_UID_UNKNOWN && proc_uid == (uint32_t)peer->uid;
}
