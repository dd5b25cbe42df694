#!/bin/bash
# Every word of the policy language on real traffic through wardd
# (tests/words/t-*.sh), and the coverage check: every keyword of
# docs/POLICY.md is named by a test (tests/words/coverage.sh). One TAP
# sequence; "# TODO" lines are known gaps.
set -uo pipefail
cd "$WARD_ROOT"
n=0
rc=0
for t in tests/words/t-*.sh tests/words/coverage.sh; do
    echo "# $t"
    while IFS= read -r line; do
        if [[ $line =~ ^(not\ ok|ok)\ [0-9]+\ -\ (.*)$ ]]; then
            n=$((n + 1))
            echo "${BASH_REMATCH[1]} $n - $(basename "$t" .sh): ${BASH_REMATCH[2]}"
            [ "${BASH_REMATCH[1]}" = "not ok" ] && [[ $line != *"# TODO"* ]] && rc=1
        else
            echo "$line"
        fi
    done < <(WK_ID=$$$n timeout 300 bash "$t" 2>&1)
done
exit $rc
