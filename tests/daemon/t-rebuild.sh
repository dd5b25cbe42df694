#!/bin/bash
# The engine's index rebuilt off wardd's loop (docs/ENGINE.md, "Rebuilding
# off the loop"): 600 filters added at run time make rebuilds of the
# classifier due; wardd builds it on a thread and installs it (it says so
# with WARD_DEBUG). Filters added and deleted around it decide at once,
# both in wardd's engine (`ward explain --daemon`) and on real connections.
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
serve_b
export WARD_DEBUG=1
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

passes() { [ "$(conn "$A" 5)" = ok ]; }
blocked() { [ "$(conn "$A" 5)" != ok ]; }
# decides PORT WORD: wardd's engine decides a connect of A to B:PORT with
# WORD on its decision line (the verdict, a filter's #id).
decides() {
    "$WARD" explain --daemon --app "$A" --proto tcp --to $IP_B --port "$1" 2>&1 |
        grep 'decision:' | grep -q -- "$2"
}
undecided() { ! decides "$@"; }

# Three transactions (at most 256 changes each) of 200 filters.
for part in 0 1 2; do
    for i in $(seq $((part * 200 + 1)) $((part * 200 + 200))); do
        echo "filter \"bulk-$i\" layer outbound weight 40 hard block to port $((20000 + i))"
    done >"$WK_TMP/bulk$part.rules"
    wk_check "200 filters apply at run time ($part)" "$WARD" filter apply "$WK_TMP/bulk$part.rules"
done
# Right after, while the rebuild may still be pending.
F='filter "rt-block-8080" layer outbound weight 50 hard block to port 8080'
id=$("$WARD" filter add "$F")
wk_check "a filter added right after blocks A" blocked
wk_check "... in wardd's engine too" decides 8080 "#$id"
# (`ward filter list` of 600 filters is more than one reply holds.)
line=$("$WARD" explain --daemon --app "$A" --proto tcp --to $IP_B --port 20321 2>&1 | grep 'decision:')
echo "# $line"
bulk=$(grep -o '#[0-9]*' <<<"$line" | head -n 1 | tr -d '#')
wk_check "one of the 600 decides its port" [ -n "$bulk" ]
wk_check "... and blocks it" decides 20321 block
wk_check "wardd rebuilt its index aside" wk_wait_for "$WK_TMP/wardd.log" "index rebuilt aside" 30
wk_check "after the rebuild the filter still blocks" blocked
wk_check "ward filter del removes it" "$WARD" filter del "$id"
wk_check "deleted: A connects again" passes
wk_check "a bulk filter deleted after the rebuild" "$WARD" filter del "$bulk"
wk_check "... no longer decides its port" undecided 20321 "#$bulk"
wk_check "... its neighbour still does" decides 20322 block
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
stop_wardd wardd
no_sanitizer "... and stops with no sanitizer report" "$WK_TMP/wardd.log"
exit 0
