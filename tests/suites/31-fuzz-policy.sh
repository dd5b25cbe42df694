#!/bin/bash
# libFuzzer on the policy parser; the target also aborts when a policy that
# loads does not print back to itself.
. "$(dirname "$0")/fuzz.lib"
fuzz_run policy -dict="$ROOT/tests/fuzz/policy.dict" -max_len=4096
