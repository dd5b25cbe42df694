#!/bin/bash
# libFuzzer on the signed bundle format's reader (src/sign/manifest.c).
. "$(dirname "$0")/fuzz.lib"
fuzz_run bundle -max_len=4096
