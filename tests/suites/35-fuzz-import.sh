#!/bin/bash
# libFuzzer on the JSON and OpenSnitch importers.
. "$(dirname "$0")/fuzz.lib"
fuzz_run import -max_len=4096
