#!/bin/bash
# libFuzzer on the DNS parser (src/kernel/dns.c), from the committed seed corpus,
# for WARD_FUZZ_SECONDS (default 20). New inputs go to a scratch directory so
# the committed corpus stays as reviewed.
set -uo pipefail
cd "${WARD_ROOT:-$(dirname "$0")/../..}"
secs=${WARD_FUZZ_SECONDS:-20}
if ! make -s build/fuzz/fuzz_dns >/tmp/ward-fuzz-dns-build.$$ 2>&1; then
    cat /tmp/ward-fuzz-dns-build.$$
    rm -f /tmp/ward-fuzz-dns-build.$$
    echo "not ok 1 - fuzz_dns: build failed"
    exit 1
fi
rm -f /tmp/ward-fuzz-dns-build.$$
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
out=$scratch/fuzz.log
build/fuzz/fuzz_dns -max_total_time="$secs" -max_len=1024 -print_final_stats=1 \
    -artifact_prefix="$scratch/" "$scratch" tests/fuzz/corpus/dns >"$out" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out" | tail -1)
if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
    echo "ok 1 - fuzz_dns: $runs runs"
else
    tail -40 "$out"
    ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* 2>/dev/null | while read -r f; do
        echo "# reproducer: $(base64 -w0 "$f")"
    done
    echo "not ok 1 - fuzz_dns: failed (exit $rc)"
    exit 1
fi
