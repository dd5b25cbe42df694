#!/bin/bash
# libFuzzer on the engine: random policies and requests; the indexed
# classification, the reference and the explain path must agree.
. "$(dirname "$0")/fuzz.lib"
fuzz_run engine
