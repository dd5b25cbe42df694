#!/bin/bash
# cmocka unit tests (ASan + UBSan build); each binary prints TAP.
set -uo pipefail
rc=0
for t in "$WARD_BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "# $(basename "$t")"
    # cmocka numbers each binary's cases from 1; prefix names with the binary.
    "$t" 2>&1 | sed -E "s/^(not ok|ok) ([0-9]+) - /\1 \2 - $(basename "$t"): /" || rc=1
done
exit $rc
