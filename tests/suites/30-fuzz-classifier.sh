#!/bin/bash
# libFuzzer on the indexed classifier: decoded rules, updates and keys, every
# answer compared with the linear reference (the target aborts on a difference).
. "$(dirname "$0")/fuzz.lib"
fuzz_run classifier
