#!/bin/bash
# libFuzzer on the control-protocol decoder (decode, encode, decode again).
. "$(dirname "$0")/fuzz.lib"
fuzz_run proto -max_len=8192
