/*
 * fuzz_classifier — libFuzzer: the indexed classifier must answer exactly
 * as the linear reference, whatever the rules, updates and keys.
 *
 * The input is a program: each op byte selects insert, bulk insert, remove,
 * a rebuild into the decision tree or a walk over all matches of a key; the bytes after it give the
 * values. Addresses are drawn from a small pool (IPv4-mapped and IPv6) and varied in their low
 * bytes, and priorities from a small range, so prefixes overlap, buckets collide and priorities are
 * shared. Lengths and ranges come raw, so refused rules (plen > 128, lo > hi) are exercised too.
 * An input whose last byte is odd defers rebuilds: an op then steps a rebuild aside (take, run,
 * install a slice at a time) between the updates and lookups, as wardd's thread would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/classifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t u8(input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint16_t u16(input *in)
{
    uint16_t hi = u8(in);
    return (uint16_t)(hi << 8 | u8(in));
}

static const uint8_t pool[8][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 1},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
};

static ward_ip addr(input *in)
{
    uint8_t sel = u8(in);
    ward_ip ip;
    memcpy(ip.b, pool[sel & 7], 16);
    if (sel & 8)
        ip.b[15] ^= u8(in);
    if (sel & 16)
        ip.b[14] ^= u8(in);
    if (sel & 32)
        ip.b[(sel >> 6) + 8] ^= u8(in);
    return ip;
}

static ward_range range(input *in, uint32_t max)
{
    uint8_t kind = u8(in);
    uint32_t lo, hi;
    switch (kind & 3) {
    case 0:
        return (ward_range){0, max};
    case 1:
        lo = max > 255 ? u16(in) : u8(in);
        return (ward_range){lo, lo};
    case 2:
        lo = max > 255 ? u16(in) : u8(in);
        hi = lo + (kind >> 2);
        return (ward_range){lo, hi};
    default: /* raw: may be refused or reach past the field */
        lo = max > 255 ? u16(in) : u8(in);
        hi = max > 255 ? u16(in) : u8(in);
        if (kind & 4)
            hi += max;
        return (ward_range){lo, hi};
    }
}

static cls_rule rule(input *in, uint64_t *serial)
{
    cls_rule r;
    r.laddr.ip = addr(in);
    r.laddr.plen = u8(in);
    r.raddr.ip = addr(in);
    r.raddr.plen = u8(in);
    /* Mostly valid lengths: the top of the byte range stays refused. */
    if (r.laddr.plen > 128 && r.laddr.plen < 250)
        r.laddr.plen = (uint8_t)(r.laddr.plen % 129);
    if (r.raddr.plen > 128 && r.raddr.plen < 250)
        r.raddr.plen = (uint8_t)(r.raddr.plen % 129);
    r.lport = range(in, 65535);
    r.rport = range(in, 65535);
    r.proto = range(in, 255);
    r.prio = u8(in) % 48; /* 0 is refused */
    r.data = (*serial)++;
    return r;
}

/* One step of a rebuild aside: take one if due, build it, install it. */
static void aside_step(cls *c, ward_rebuild **job, bool *built)
{
    if (!*job) {
        *job = cls_rebuild_take(c);
        *built = false;
    } else if (!*built) {
        if (ward_rebuild_run(*job) != 0)
            abort();
        *built = true;
    } else {
        int rc = ward_rebuild_install(*job);
        if (rc == 1)
            return;
        if (rc != 0 && rc != WARD_E_NOENT) /* NOENT: a batch or cls_optimize came first */
            abort();
        ward_rebuild_free(*job);
        *job = NULL;
    }
}

static cls_key key(input *in)
{
    cls_key k;
    k.laddr = addr(in);
    k.raddr = addr(in);
    k.lport = u16(in);
    k.rport = u16(in);
    k.proto = u8(in);
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, size};
    cls *c = cls_new();
    cls_linear *lin = cls_linear_new();
    if (!c || !lin)
        abort();
    uint64_t serial = 0;
    size_t count = 0;
    cls_rule batch[32];
    bool aside = size && data[size - 1] & 1, built = false;
    ward_rebuild *job = NULL;
    cls_set_deferred(c, aside);
    for (int ops = 0; in.n && ops < 4096; ops++) {
        uint8_t op = u8(&in);
        switch (op % 5) {
        case 0:
        case 1: {
            cls_rule r = rule(&in, &serial);
            int a = cls_insert(c, &r), b = cls_linear_insert(lin, &r);
            if (a != b)
                abort();
            count += a == 0;
            break;
        }
        case 2: {
            size_t m = (op >> 3) % 32 + 1;
            for (size_t i = 0; i < m; i++)
                batch[i] = rule(&in, &serial);
            int a = cls_insert_bulk(c, batch, m);
            if (a == 0) {
                for (size_t i = 0; i < m; i++)
                    if (cls_linear_insert(lin, &batch[i]) != 0)
                        abort(); /* bulk took a rule the reference refuses */
                count += m;
            } else {
                /* Bulk refuses all or nothing: the reference must refuse
                 * at least one of them. */
                bool refused = false;
                cls_linear *probe = cls_linear_new();
                for (size_t i = 0; i < m; i++)
                    refused |= cls_linear_insert(probe, &batch[i]) != 0;
                cls_linear_free(probe);
                if (!refused)
                    abort();
            }
            break;
        }
        case 3: {
            if (op & 0x80) { /* the rules into the decision tree */
                if (cls_optimize(c) != 0)
                    abort();
                break;
            }
            if (op & 0x40 && aside) {
                aside_step(c, &job, &built);
                break;
            }
            uint64_t p = u8(&in) % 48;
            size_t a = cls_remove(c, p), b = cls_linear_remove(lin, p);
            if (a != b)
                abort();
            count -= a;
            break;
        }
        default: {
            cls_key k = key(&in);
            uint64_t after = op & 0x80 ? u8(&in) % 48 : 0;
            for (;;) {
                cls_match x, y;
                bool fx = cls_lookup(c, &k, after, &x), fy = cls_linear_lookup(lin, &k, after, &y);
                if (fx != fy || (fx && (x.prio != y.prio || x.data != y.data || x.prio <= after)))
                    abort();
                if (!fx)
                    break;
                after = x.prio;
            }
        }
        }
        if (cls_rule_count(c) != count)
            abort();
    }
    cls_free(c);
    ward_rebuild_free(job); /* after its classifier: detached */
    cls_linear_free(lin);
    return 0;
}
