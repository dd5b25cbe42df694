#!/bin/bash
# libFuzzer on the DNS parser (src/kernel/dns.c).
. "$(dirname "$0")/fuzz.lib"
fuzz_run dns -max_len=1024
