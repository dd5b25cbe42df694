#!/bin/bash
# wardd end to end in network namespaces (tests/daemon/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
n=0
rc=0
for t in tests/daemon/t-*.sh; do
    echo "# $t"
    # Renumber each script's TAP lines into one sequence.
    while IFS= read -r line; do
        if [[ $line =~ ^(not\ ok|ok)\ [0-9]+\ -\ (.*)$ ]]; then
            n=$((n + 1))
            echo "${BASH_REMATCH[1]} $n - $(basename "$t" .sh): ${BASH_REMATCH[2]}"
        else
            echo "$line"
        fi
    done < <(WK_ID=$$$n timeout 300 bash "$t" 2>&1)
done
exit $rc
