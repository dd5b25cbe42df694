/* randpolicy.c — see randpolicy.h. */
#include "randpolicy.h"

#include <stdio.h>
#include <string.h>

uint32_t rp_u32(struct bytes *b, uint32_t bound)
{
    uint32_t v;
    if (!b->p) {
        b->prng ^= b->prng << 13; /* xorshift64 */
        b->prng ^= b->prng >> 7;
        b->prng ^= b->prng << 17;
        v = (uint32_t)(b->prng >> 16);
    } else {
        v = 0;
        for (int i = 0; i < 4; i++)
            v = v << 8 | (b->off < b->n ? b->p[b->off++] : 0);
    }
    return bound ? v % bound : 0;
}

/* Small value pools so random filters and requests actually meet. */
static const char *const apps[] = {"/usr/bin/curl", "/usr/bin/ssh", "/usr/bin/firefox",
                                   "/opt/a/bin/x", "/opt/b/bin/x"};
static const char *const app_globs[] = {"/opt/*/bin/x", "/usr/bin/*", "*ss*"};
static const char *const domains[] = {"example.com", "*.example.com", "a.example.com",
                                      "b.example.org", "*.org"};
static const char *const zones[] = {"lan", "internet", "loopback", "office", "self", "multicast"};
static const char *const cgroups[] = {"/", "/system.slice", "/system.slice/", "/user.slice/a"};
static const char *const ifaces[] = {"eth0", "wlan0", "lo"};
static const ward_sha256 digests[3] = {{{0}},
                                       {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                         1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
                                       {{2}}};
static const uint16_t ports[] = {22, 53, 80, 443, 8080, 1024, 65535, 0};

static void rand_ip(struct bytes *b, ward_ip *ip)
{
    static const char *const nets[] = {
        "10.0.0.0", "10.1.2.3",        "192.168.1.10", "93.184.216.34", "127.0.0.1",
        "fd00::1",  "2606:4700::6810", "::1",          "224.0.0.251",   "10.20.5.5"};
    ward_ip_parse(nets[rp_u32(b, 10)], ip);
    if (rp_u32(b, 3) == 0)
        ip->b[15] ^= (uint8_t)rp_u32(b, 256);
}

static void rand_cidr(struct bytes *b, ward_cidr *c)
{
    rand_ip(b, &c->ip);
    bool v4 = ward_ip_is_v4(&c->ip);
    unsigned plen = v4 ? 96 + rp_u32(b, 33) : rp_u32(b, 129);
    c->plen = (uint8_t)plen;
    for (unsigned i = plen; i < 128; i++) /* clear host bits */
        c->ip.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

static void rand_range(struct bytes *b, ward_range *r, uint32_t max)
{
    uint32_t a = rp_u32(b, 2) ? ports[rp_u32(b, 8)] : rp_u32(b, max + 1);
    uint32_t w = rp_u32(b, 3) == 0 ? rp_u32(b, 2000) : 0;
    if (a > max)
        a = max;
    r->lo = a;
    r->hi = a + w > max ? max : a + w;
}

#define MAXV 4

void rp_fill(ward_engine *e, struct bytes *b, size_t n_filters)
{
    ward_cidr office = {{{0}}, 0};
    ward_cidr_parse("10.20.0.0/16", &office);
    ward_zone_define(e, "office", &office, 1);
    int sub2 = ward_sublayer_add(e, "low", (uint16_t)rp_u32(b, 0x10000), WARD_SUBLAYER_FILTERS);
    uint32_t subs[] = {WARD_SUBLAYER_ADMIN, sub2 > 0 ? (uint32_t)sub2 : WARD_SUBLAYER_ADMIN};
    ward_settings s;
    ward_engine_settings(e, &s);
    s.mode = (enum ward_mode)rp_u32(b, 3);
    s.no_prompter = rp_u32(b, 2) ? WARD_V_PERMIT : WARD_V_BLOCK;
    s.no_prompter_scope = (enum ward_np_scope)rp_u32(b, 2);
    if (s.no_prompter_scope == WARD_NP_ALL)
        s.no_prompter = WARD_V_BLOCK; /* the only outcome allowed before the rules */
    ward_engine_configure(e, &s);
    ward_engine_set_prompter(e, rp_u32(b, 8) != 0);

    for (size_t i = 0; i < n_filters; i++) {
        ward_cond conds[6];
        ward_range rng[6][MAXV];
        ward_cidr cidr[6][MAXV];
        const char *str[6][MAXV];
        ward_time_window tw[MAXV];
        ward_sha256 sha[6][MAXV];
        size_t nc = rp_u32(b, 5);
        for (size_t k = 0; k < nc; k++) {
            ward_cond *c = &conds[k];
            size_t nv = 1 + rp_u32(b, MAXV);
            c->n = nv;
            c->negate = rp_u32(b, 8) == 0;
            switch (rp_u32(b, 13)) {
            case 0:
                c->field = WARD_F_APP_PATH;
                for (size_t v = 0; v < nv; v++)
                    str[k][v] = rp_u32(b, 4) ? apps[rp_u32(b, 5)] : app_globs[rp_u32(b, 3)];
                if (rp_u32(b, 2))
                    c->n = 1;
                c->v.str = str[k];
                break;
            case 1:
                c->field = WARD_F_PROTO;
                for (size_t v = 0; v < nv; v++) {
                    uint32_t p = rp_u32(b, 3) ? (rp_u32(b, 2) ? 6 : 17) : rp_u32(b, 256);
                    rng[k][v] = (ward_range){p, p};
                }
                c->v.range = rng[k];
                break;
            case 2:
            case 3:
                c->field = rp_u32(b, 2) ? WARD_F_REMOTE_PORT : WARD_F_LOCAL_PORT;
                for (size_t v = 0; v < nv; v++)
                    rand_range(b, &rng[k][v], 65535);
                c->v.range = rng[k];
                break;
            case 4:
            case 5:
                c->field = rp_u32(b, 3) ? WARD_F_REMOTE_ADDR : WARD_F_LOCAL_ADDR;
                for (size_t v = 0; v < nv; v++)
                    rand_cidr(b, &cidr[k][v]);
                c->v.cidr = cidr[k];
                break;
            case 6:
                c->field = WARD_F_REMOTE_DOMAIN;
                for (size_t v = 0; v < nv; v++)
                    str[k][v] = domains[rp_u32(b, 5)];
                c->v.str = str[k];
                break;
            case 7:
                c->field = rp_u32(b, 2) ? WARD_F_REMOTE_ZONE : WARD_F_LOCAL_ZONE;
                for (size_t v = 0; v < nv; v++)
                    str[k][v] = zones[rp_u32(b, 6)];
                c->v.str = str[k];
                break;
            case 8:
                c->field = WARD_F_TIME;
                for (size_t v = 0; v < nv; v++)
                    tw[v] =
                        (ward_time_window){(uint8_t)(1 + rp_u32(b, 127)), (uint16_t)rp_u32(b, 1441),
                                           (uint16_t)rp_u32(b, 1441)};
                c->v.time = tw;
                break;
            case 9:
                c->field = WARD_F_CGROUP;
                for (size_t v = 0; v < nv; v++)
                    str[k][v] = cgroups[rp_u32(b, 4)];
                c->v.str = str[k];
                break;
            case 10:
                c->field = WARD_F_IFACE;
                for (size_t v = 0; v < nv; v++)
                    str[k][v] = ifaces[rp_u32(b, 3)];
                c->v.str = str[k];
                break;
            case 11:
                c->field = WARD_F_APP_SHA256;
                for (size_t v = 0; v < nv; v++)
                    memset(sha[k][v].b, (int)rp_u32(b, 3), sizeof(sha[k][v].b));
                c->v.sha = sha[k];
                break;
            default:
                c->field = WARD_F_UID;
                for (size_t v = 0; v < nv; v++)
                    rng[k][v] = (ward_range){rp_u32(b, 3) * 1000, rp_u32(b, 3) * 1000 + 999};
                c->v.range = rng[k];
            }
        }
        static const char *const callouts[] = {"cont", "blk", "veto", "missing"};
        ward_filter_def d = {
            .layer = rp_u32(b, 4) ? WARD_LAYER_CONNECT_OUT : WARD_LAYER_ACCEPT_IN,
            .sublayer = subs[rp_u32(b, 2)],
            .provider = WARD_PROVIDER_ADMIN,
            .weight = rp_u32(b, 2) ? rp_u32(b, 8) : rp_u32(b, 0xffffffffu),
            .action = (enum ward_action)rp_u32(b, 3),
            .hard = rp_u32(b, 2),
            .callout = callouts[rp_u32(b, 4)],
            .conds = conds,
            .n_conds = nc,
            .lifetime = {.kind = rp_u32(b, 10) ? WARD_LIFE_PERSISTENT : WARD_LIFE_TIMED,
                         .expires = 500 + rp_u32(b, 1000)},
        };
        int64_t id = ward_filter_add(e, &d);
        if (id > 0 && rp_u32(b, 16) == 0)
            ward_filter_remove(e, (uint64_t)id);
    }
    /* Application rules for some programs. */
    for (size_t a = 0; a < 5; a++) {
        if (rp_u32(b, 2))
            continue;
        int64_t app = ward_app_add(e, apps[a], NULL);
        if (app > 0)
            ward_app_set_fallback(e, (uint64_t)app, (enum ward_app_fallback)rp_u32(b, 4));
        size_t nr = rp_u32(b, 4);
        for (size_t i = 0; app > 0 && i < nr; i++) {
            ward_range pr;
            rand_range(b, &pr, 65535);
            const char *z = zones[rp_u32(b, 6)];
            ward_app_rule r = {
                .dir = (enum ward_direction)rp_u32(b, 3),
                .proto = rp_u32(b, 2) ? 6 : 0,
                .ports = &pr,
                .n_ports = rp_u32(b, 2),
                .zones = &z,
                .n_zones = rp_u32(b, 3) == 0,
                .action = rp_u32(b, 2) ? WARD_ACT_PERMIT : WARD_ACT_BLOCK,
                .provider = WARD_PROVIDER_LEARNED,
            };
            ward_app_rule_append(e, (uint64_t)app, &r);
        }
    }
}

void rp_request(struct bytes *b, ward_request *r)
{
    static const char *const cmd[] = {"curl -s x", "ssh host", NULL};
    memset(r, 0, sizeof(*r));
    r->layer = rp_u32(b, 4) ? WARD_LAYER_CONNECT_OUT : WARD_LAYER_ACCEPT_IN;
    r->dir = r->layer == WARD_LAYER_ACCEPT_IN ? WARD_DIR_IN : WARD_DIR_OUT;
    r->proto = (uint8_t)(rp_u32(b, 4) ? (rp_u32(b, 2) ? 6 : 17) : rp_u32(b, 256));
    rand_ip(b, &r->local);
    rand_ip(b, &r->remote);
    ward_range pr;
    rand_range(b, &pr, 65535);
    r->rport = (uint16_t)pr.lo;
    rand_range(b, &pr, 65535);
    r->lport = (uint16_t)pr.hi;
    r->domain = rp_u32(b, 3) ? domains[rp_u32(b, 5)] : NULL;
    if (r->domain && r->domain[0] == '*')
        r->domain = "x.example.com";
    r->app.path = rp_u32(b, 8) ? apps[rp_u32(b, 5)] : NULL;
    r->app.cmdline = cmd[rp_u32(b, 3)];
    static const char *const cgs[] = {"/system.slice/x.service", "/user.slice/a", "/", NULL};
    r->cgroup = cgs[rp_u32(b, 4)];
    r->iface = rp_u32(b, 4) ? ifaces[rp_u32(b, 3)] : NULL;
    r->app.sha256 = rp_u32(b, 4) ? &digests[rp_u32(b, 3)] : NULL;
    r->has_user = rp_u32(b, 4) != 0;
    r->uid = rp_u32(b, 3000);
    r->now = rp_u32(b, 2000);
    r->wday = (uint8_t)rp_u32(b, 7);
    r->minute = (uint16_t)rp_u32(b, 1440);
}

static ward_callout_result cb_cont(const ward_request *r, void *ctx)
{
    (void)r;
    (void)ctx;
    return (ward_callout_result){WARD_V_CONTINUE, false};
}

static ward_callout_result cb_blk(const ward_request *r, void *ctx)
{
    (void)ctx;
    return (ward_callout_result){r->rport % 2 ? WARD_V_BLOCK : WARD_V_DEFER, false};
}

static ward_callout_result cb_veto(const ward_request *r, void *ctx)
{
    (void)r;
    (void)ctx;
    return (ward_callout_result){WARD_V_BLOCK, true};
}

int rp_compare(ward_engine *e, const ward_request *r, char *msg, size_t len)
{
    /* Callouts are registered here so every engine the generator made has them. */
    ward_callout_register(e, "cont", cb_cont, NULL);
    ward_callout_register(e, "blk", cb_blk, NULL);
    ward_callout_register(e, "veto", cb_veto, NULL);
    ward_decision a, l, t;
    ward_trace *tr = ward_trace_new();
    if (!tr)
        return 0;
    ward_classify(e, r, &a, NULL, 0);
    ward_classify(e, r, &l, NULL, WARD_CLASSIFY_LINEAR);
    ward_classify(e, r, &t, tr, 0);
    char text[1 << 14];
    ward_trace_format(tr, text, sizeof(text));
    ward_trace_free(tr);
    if (a.verdict != l.verdict || a.reason != l.reason || a.filter_id != l.filter_id ||
        a.hard != l.hard || a.sublayer != l.sublayer || t.verdict != l.verdict ||
        t.filter_id != l.filter_id) {
        snprintf(msg, len, "indexed %s/%s #%llu, linear %s/%s #%llu, traced %s #%llu\ntrace:\n%s",
                 ward_verdict_name(a.verdict), ward_reason_name(a.reason),
                 (unsigned long long)a.filter_id, ward_verdict_name(l.verdict),
                 ward_reason_name(l.reason), (unsigned long long)l.filter_id,
                 ward_verdict_name(t.verdict), (unsigned long long)t.filter_id, text);
        return -1;
    }
    return 0;
}
