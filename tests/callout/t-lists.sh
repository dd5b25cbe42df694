#!/bin/bash
# Lists longer than one message (64 KiB): 1500 filters with long names added
# at run time, then `ward filter list` and `--json` show every one of them,
# once, in order (wardd sends object.reply in parts, the CLI reads them all).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
set no-prompter pass
app "$A" {
    allow out tcp
}
CONF
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

N=1500
# Transactions of 250 (one holds at most 256 changes).
for part in 0 1 2 3 4 5; do
    for i in $(seq $((part * 250)) $((part * 250 + 249))); do
        printf 'filter "list-filter-with-a-long-name-number-%05d" layer outbound weight 40 hard block to port %d\n' \
            "$i" $((20000 + i))
    done >"$WK_TMP/many$part.rules"
    "$WARD" filter apply "$WK_TMP/many$part.rules" >/dev/null || wk_notok "250 filters apply ($part)"
done

"$WARD" filter list >"$WK_TMP/list.out" 2>"$WK_TMP/list.err"
wk_check "ward filter list of $N run-time filters succeeds" [ $? -eq 0 ]
sed 's/^/# /' "$WK_TMP/list.err"
wk_check "... its output is more than one message holds" \
    [ "$(stat -c %s "$WK_TMP/list.out")" -gt 65536 ]
wk_check "... and shows all $N, once each" \
    [ "$(grep -o 'list-filter-with-a-long-name-number-[0-9]*' "$WK_TMP/list.out" | sort -u | wc -l)" -eq $N ] &&
    [ "$(grep -c 'list-filter-with-a-long-name' "$WK_TMP/list.out")" -eq $N ]
wk_check "... the first and the last among them" \
    bash -c "grep -q 'number-00000\" layer outbound' '$WK_TMP/list.out' &&
        grep -q 'number-01499\" layer outbound' '$WK_TMP/list.out'"
wk_check "... in the order of their ids" \
    bash -c "awk '{print \$1}' '$WK_TMP/list.out' | sort -c -n"

"$WARD" filter list --json >"$WK_TMP/list.json" 2>"$WK_TMP/json.err"
wk_check "ward filter list --json succeeds" [ $? -eq 0 ]
sed 's/^/# /' "$WK_TMP/json.err"
wk_check "... one JSON object a line, all $N filters" \
    [ "$(python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if "list-filter-with" in json.loads(l).get("name", "")))' \
        "$WK_TMP/list.json")" -eq $N ]

wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
stop_wardd wardd
no_sanitizer "wardd stops with no sanitizer report" "$WK_TMP/wardd.log"
exit 0
