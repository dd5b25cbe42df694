#!/bin/bash
# wardd killed (-9) under load: the decisions it published but had not yet
# logged are not lost silently. The next wardd counts them (its own log,
# `ward status`), marks the gap in the log (`ward log`, `ward log --gaps`),
# and every decision of the killed run is either a row or counted lost.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
app "$D" {
    # to lan: decided (and logged) by wardd, not refused by the hook
    deny out tcp port 8080 to lan
}
CONF

serve_b 100
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
boot1=$(status boot)
# Load: the denied program connects in a loop; wardd decides each connect.
# The kill comes once 6,000 rows are written (or after 30 s): more than one
# query answers (5,000), so `ward log --limit 100000` reads them in pages.
wk_bg storm wk_client "$D" storm $IP_B 8080 6
for _ in $(seq 600); do [ "$(status log_written)" -gt 6000 ] 2>/dev/null && break; sleep 0.05; done
kill9_wardd wardd1
wait "$WK_PID_storm" 2>/dev/null
start_wardd wardd2 || { wk_notok "wardd starts again"; exit 1; }
line=$(grep "never logged" "$WK_TMP/wardd2.log")
echo "# $line"
published=$(sed -n 's/.*published \([0-9]*\) decisions.*/\1/p' <<<"$line")
lost=$(status lost_last_run)
rows=$("$WARD" log --json --limit 100000 | grep "\"boot\":${boot1:-x}," | grep -vc '"kind":"lost"')
gaps=$("$WARD" log --gaps --json | grep "\"boot\":${boot1:-x}," |
    sed 's/.*"count":\([0-9]*\).*/\1/' | paste -sd+ | bc)
written_gaps=$("$WARD" log --gaps | grep -v "wardd stopped" | grep -c "not logged")
echo "# killed run (boot $boot1): ${published:-?} published, $rows logged, ${lost:-?} lost at the" \
    "kill, $written_gaps gaps inside it (log queue), ${gaps:-0} missing in all"
wk_check "the new wardd counts the killed run's unlogged decisions (${lost:-none})" \
    [ -n "$published" ] && [ "${lost:-0}" -gt 0 ]
wk_check "every published decision is a row or counted missing ($rows + ${gaps:-0} = ${published:-?})" \
    [ "$((rows + ${gaps:-0}))" = "${published:-x}" ]
wk_check "ward log shows the gap where it happened" \
    bash -c "\"$WARD\" log --limit 100000 | grep -q \"… $lost decisions not logged (wardd stopped\""
wk_check "ward log --gaps lists it" \
    bash -c "\"$WARD\" log --gaps | grep -q \"$lost decisions not logged (wardd stopped; boot $boot1\""
boot2=$(status boot)
wk_check "the new run has a new boot id ($boot2 > $boot1)" [ "${boot2:-0}" -gt "${boot1:-0}" ]
stop_wardd wardd2
wk_check "a clean stop says how many decisions it published and that none were lost" \
    grep -q "decisions published, 0 not logged" "$WK_TMP/wardd2.log"
no_sanitizer "no sanitizer report" "$WK_TMP/wardd2.log"
exit 0
