#!/bin/bash
# libFuzzer on ward top's reader of the traffic accounting replies.
. "$(dirname "$0")/fuzz.lib"
fuzz_run top_traffic -max_len=8192
