#!/bin/bash
# libFuzzer on the kernel verdict table compiler: random policies, their
# compiled tables and connections; the tables must never contradict the engine.
. "$(dirname "$0")/fuzz.lib"
fuzz_run kcompile
