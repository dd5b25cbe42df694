/*
 * rule.c — an application rule as the protocol carries it, seen as the
 * engine's rule.
 */
#include "proto/proto.h"

ward_app_rule ward_proto_rule_view(const ward_proto_rule *r)
{
    return (ward_app_rule){
        .dir = r->dir,
        .proto = r->proto,
        .ports = r->ports,
        .n_ports = r->n_ports,
        .times = r->times,
        .n_times = r->n_times,
        .zones = (const char *const *)r->zones,
        .n_zones = r->n_zones,
        .addrs = r->remotes,
        .n_addrs = r->n_remotes,
        .domains = (const char *const *)r->domains,
        .n_domains = r->n_domains,
        .users = r->users,
        .n_users = r->n_users,
        .parents = (const char *const *)r->parents,
        .n_parents = r->n_parents,
        .action = r->action,
        .lifetime = r->lifetime,
        .origin = r->origin,
    };
}
