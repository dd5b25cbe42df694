#!/bin/bash
# libFuzzer on the indexed classifier: decoded rules, updates and keys, with
# every answer compared to the linear reference (the target aborts on any
# difference). Runs ${WARD_FUZZ_SECONDS:-20} s over the committed seed corpus,
# one process (machines are shared); new inputs go to a scratch directory so
# the committed corpus stays as reviewed.
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
SECS=${WARD_FUZZ_SECONDS:-20}
BIN=$ROOT/build/fuzz/fuzz_classifier
WORK=$(mktemp -d /tmp/ward-fuzz-classifier.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# make rebuilds the target only when a source changed (and builds it when
# missing); only this target, so another fuzzer's breakage does not count here.
if ! make -s build/fuzz/fuzz_classifier >"$WORK/build.log" 2>&1 || [ ! -x "$BIN" ]; then
    sed 's/^/# /' "$WORK/build.log" | tail -40
    echo "not ok 1 - fuzz_classifier: build failed"
    exit 1
fi
mkdir -p "$WORK/corpus"
cp "$ROOT"/tests/fuzz/corpus/classifier/* "$WORK/corpus/" 2>/dev/null
"$BIN" -max_total_time="$SECS" -print_final_stats=1 -artifact_prefix="$WORK/" \
    "$WORK/corpus" >"$WORK/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/log" | tail -1)
[ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$WORK/log" | tail -1 | tr -d '#')
if [ $rc -eq 0 ]; then
    echo "ok 1 - fuzz_classifier: ${runs:-0} runs, no crash"
else
    tail -40 "$WORK/log" | sed 's/^/# /'
    for a in "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$WORK"/oom-*; do
        [ -f "$a" ] && { echo "# artifact $(basename "$a") (base64):"; base64 "$a" | head -20 | sed 's/^/# /'; }
    done
    echo "not ok 1 - fuzz_classifier: failure after ${runs:-0} runs (exit $rc)"
    exit 1
fi
