#!/bin/bash
# libFuzzer on the IDS rule parser and matcher (src/ids).
. "$(dirname "$0")/fuzz.lib"
fuzz_run ids_rules -max_len=4096
