#!/bin/bash
# The JSON and OpenSnitch importers' libFuzzer target over its committed corpus, for
# ${WARD_FUZZ_SECONDS:-20} seconds (one process: machines are shared).
# The converted text is loaded too: neither step may crash.
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
SECS=${WARD_FUZZ_SECONDS:-20}
BIN=$ROOT/build/fuzz/fuzz_import
if ! make -s "build/fuzz/fuzz_import" >/tmp/ward-fuzz-import-build.log 2>&1; then
    cat /tmp/ward-fuzz-import-build.log
    echo "not ok 1 - fuzz_import builds"
    exit 1
fi
echo "ok 1 - fuzz_import builds"
WORK=$(mktemp -d /tmp/ward-fuzz-import.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp "$ROOT"/tests/fuzz/corpus/import/* "$WORK/" 2>/dev/null
"$BIN" -max_total_time="$SECS" -max_len=4096 \
    -artifact_prefix="$WORK/" "$WORK" >"$WORK/log" 2>&1
rc=$?
execs=$(grep -oE '^#[0-9]+' "$WORK/log" | tail -1 | tr -d '#')
if [ $rc -eq 0 ]; then
    echo "ok 2 - fuzz_import ran ${SECS}s without a finding (${execs:-0} execs)"
else
    tail -40 "$WORK/log" | sed 's/^/# /'
    for a in "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-*; do
        [ -f "$a" ] && { echo "# artifact $(basename "$a"):"; od -c "$a" | head -20 | sed 's/^/# /'; }
    done
    echo "not ok 2 - fuzz_import found a failure (exit $rc)"
    exit 1
fi
