#!/bin/bash
# libFuzzer on the reader of /proc/net/icmp lines (src/kernel/pingline.c).
. "$(dirname "$0")/fuzz.lib"
fuzz_run pingline -max_len=600
