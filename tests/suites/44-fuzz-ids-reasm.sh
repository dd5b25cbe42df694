#!/bin/bash
# libFuzzer on TCP reassembly (src/ids/reasm.c) against a model.
. "$(dirname "$0")/fuzz.lib"
fuzz_run ids_reasm -max_len=4096
