/*
 * dnsreply.c — a DNS answer packet rewritten into the reply a blocklist
 * gives (NXDOMAIN or the unspecified address), headers and all, for the
 * DNS queue to hand on in place of the resolver's answer.
 *
 * The IP and UDP headers are the answer's own (same addresses and ports,
 * so the application's socket takes it); only the lengths and checksums
 * change. IPv4's UDP checksum is left out (0: allowed); IPv6 requires it.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/dns.h"
#include "kernel/internal.h"

size_t wk_dns_reply_packet(const uint8_t *pkt, size_t len, int family, size_t ip, bool zero,
                           uint8_t *out, size_t cap)
{
    if (len < ip + 8 || cap < ip + 8)
        return 0;
    size_t dns = ward_dns_block_reply(pkt + ip + 8, len - ip - 8, zero, out + ip + 8, cap - ip - 8);
    if (!dns)
        return 0;
    memcpy(out, pkt, ip + 8);
    size_t udp_len = 8 + dns, total = ip + udp_len;
    uint8_t *u = out + ip;
    u[4] = (uint8_t)(udp_len >> 8), u[5] = (uint8_t)udp_len;
    u[6] = u[7] = 0;
    if (family == 4) {
        out[2] = (uint8_t)(total >> 8), out[3] = (uint8_t)total;
        out[10] = out[11] = 0;
        uint16_t c = wk_csum_fold(wk_sum16(out, ip, 0));
        out[10] = (uint8_t)(c >> 8), out[11] = (uint8_t)c;
    } else {
        out[4] = (uint8_t)(udp_len >> 8), out[5] = (uint8_t)udp_len;
        /* The pseudo-header: addresses, length, next header (UDP). */
        uint32_t s = wk_sum16(out + 8, 32, 0);
        s += (uint32_t)udp_len + 17;
        uint16_t c = wk_csum_fold(wk_sum16(u, udp_len, s));
        if (c == 0)
            c = 0xffff;
        u[6] = (uint8_t)(c >> 8), u[7] = (uint8_t)c;
    }
    return total;
}
