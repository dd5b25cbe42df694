#!/bin/bash
# Real-kernel tests of the enforcement path (tests/kernel/t-*.sh), each in
# its own network namespaces and test cgroup, cleaned up on exit. TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
n=0
rc=0
for t in tests/kernel/t-*.sh; do
    name=$(basename "$t" .sh)
    echo "# $name"
    out=$(timeout 240 bash "$t" 2>&1)
    trc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok "* | "not ok "*)
            n=$((n + 1))
            status=${line%% [0-9]*}
            desc=${line#* - }
            echo "$status $n - $name: $desc"
            [ "$status" = "not ok" ] && rc=1
            ;;
        "1..0 # SKIP"*) echo "# $name skipped: ${line#*SKIP }" ;;
        *) echo "# $line" ;;
        esac
    done <<<"$out"
    if [ $trc -ne 0 ]; then
        n=$((n + 1))
        echo "not ok $n - $name: exited with status $trc"
        rc=1
    fi
done
exit $rc
