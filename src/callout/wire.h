/*
 * callout/wire.h — wardd <-> ward-callout-host: fixed binary messages, one
 * per SOCK_SEQPACKET datagram (so framing is the kernel's), both ends the
 * same build. Strings are NUL-terminated within their arrays; the host
 * checks lengths and terminators before it trusts anything.
 */
#ifndef WARD_CALLOUT_WIRE_H
#define WARD_CALLOUT_WIRE_H

#include <stdint.h>

#define WIRE_MAGIC     0x57434f31u /* "WCO1" */
#define WIRE_STR       256
#define WIRE_ANSWERS   32
#define WIRE_BYTES_MAX 16384 /* stream bytes per call */

enum wire_op {
    WIRE_HELLO = 1,    /* host -> wardd, once: what was loaded */
    WIRE_CLASSIFY = 2, /* wardd -> host; answered by WIRE_VERDICT */
    WIRE_VERDICT = 3,
    WIRE_NOTIFY = 4,      /* wardd -> host, no answer */
    WIRE_FLOW_DELETE = 5, /* wardd -> host, no answer */
};

struct wire_hdr {
    uint32_t magic, op, seq, pad;
};

struct wire_hello {
    struct wire_hdr h;
    int32_t ok; /* 1 loaded; 0 refused (err says why) */
    uint32_t layers;
    char name[64];
    char err[192];
};

struct wire_classify {
    struct wire_hdr h;
    uint64_t flow_id;
    uint32_t layer;
    uint8_t dir, proto;
    uint16_t lport, rport;
    uint8_t local[16], remote[16];
    uint32_t pid, uid;
    char app[WIRE_STR], domain[WIRE_STR], qname[WIRE_STR];
    uint16_t qtype;
    uint32_t n_answers;
    uint8_t answers[WIRE_ANSWERS][16];
    uint8_t sdir; /* the stream layer's dir, flags and offset */
    uint32_t sflags;
    uint64_t offset;
    uint32_t len;
    uint8_t bytes[]; /* len bytes follow */
};

struct wire_verdict {
    struct wire_hdr h;
    int32_t verdict; /* enum ward_callout_verdict */
};

struct wire_notify {
    struct wire_hdr h;
    uint32_t event;
    uint64_t filter_id;
    char filter_name[128];
};

struct wire_flow_delete {
    struct wire_hdr h;
    uint64_t flow_id;
};

#endif
