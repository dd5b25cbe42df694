#!/bin/bash
# libFuzzer over the engine: random policies and requests, index == reference.
set -uo pipefail
cd "$WARD_ROOT"
make -s fuzz >/dev/null || { echo "not ok 1 - fuzz_engine: build failed"; exit 1; }
secs=${WARD_FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/fuzz/corpus/engine/* "$work"/ 2>/dev/null
if build/fuzz/fuzz_engine -max_total_time="$secs" -rss_limit_mb=2048 "$work" >"$work.log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$work.log" | awk '{print $2}')
    echo "ok 1 - fuzz_engine: ${runs:-?} runs in ${secs}s, index and reference agree"
else
    tail -40 "$work.log"
    echo "not ok 1 - fuzz_engine: crash or mismatch (see above)"
fi
rm -f "$work.log"
