/*
 * fuzz_pingline — libFuzzer target for the reader of /proc/net/icmp{,6}
 * lines (src/kernel/pingline.c): any text gives an inode or 0, and a line
 * rebuilt from what it found is found again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/pingline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[600];
    if (size < 2 || size - 2 >= sizeof(line))
        return 0;
    uint16_t ident = (uint16_t)(data[0] << 8 | data[1]);
    memcpy(line, data + 2, size - 2);
    line[size - 2] = '\0';
    unsigned long long inode = ward_ping_line_inode(line, ident);
    if (!inode)
        return 0;
    char again[200];
    snprintf(again, sizeof(again),
             "%5d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu 2 0 0\n", 1,
             0x0100007fu, ident, 0u, 0u, 7u, 0u, 0u, 0u, 0ul, 0u, 0u, 0, inode);
    if (ward_ping_line_inode(again, ident) != inode)
        __builtin_trap();
    return 0;
}
