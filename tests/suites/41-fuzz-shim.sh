#!/bin/bash
# libFuzzer on the shim's question (src/proto/shimwire.c): wardd reads it
# from any program on the host.
. "$(dirname "$0")/fuzz.lib"
fuzz_run shim -max_len=1024
