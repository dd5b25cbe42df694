#!/bin/bash
# Someone with root adds to wardd's table inet ward: an `accept` rule at the
# head of its output chain, an element in its inbound allow set, a chain of
# their own. The nft monitor sees the transaction (not wardd's), wardd
# re-creates the table at once without them and raises an alert. A denied
# program connects out in a loop throughout (the BPF egress backstop also
# holds those back), and the peer connects in to a listener wardd refuses:
# what gets through is counted.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
refuse_denied_policy
serve_b
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
table() { wk_in_a nft -a list table inet ward 2>/dev/null; }
alerts() { grep -c "alert: nft-tampered" "$WK_TMP/wardd.log"; }

# wait_gone PATTERN: until the table no longer holds it (20 s at most).
wait_gone() {
    local i
    for ((i = 0; i < 200; i++)); do
        table | grep -q -- "$1" || return 0
        sleep 0.1
    done
    return 1
}

wk_bg storm wk_client "$D" storm $IP_B 8080 5
sleep 1
base=$(conns)
wk_check "the denied program is refused before" [ "$base" -eq 0 ]
a0=$(alerts)
wk_in_a nft insert rule inet ward output meta l4proto tcp counter accept comment '"intruder"'
wk_check "an inserted accept rule is removed" wait_gone intruder
during=$(($(wk_settled conns) - base)) # once what was in flight has landed
wk_check "wardd raised an alert naming the change" \
    wk_wait_for "$WK_TMP/wardd.log" "alert: nft-tampered: something was added to table inet ward by pid [0-9]* (nft)"
# Inbound: a listener wardd knows nothing of; the peer connects in a loop.
wk_bg lst wk_client "$WK_TMP/other/wk-client" listen-tcp 9999
wk_wait_for "$WK_TMP/lst.log" listening
lconns() { grep -c '^conn' "$WK_TMP/lst.log"; }
wk_bg istorm wk_in_b "$WK_CLIENT" storm $IP_A 9999 3
sleep 1
wk_check "inbound connections to an unknown listener are refused before" [ "$(lconns)" -eq 0 ]
wk_in_a nft add element inet ward in_allow '{ tcp . 9999 }'
wk_check "an element added to the inbound allow set is removed" wait_gone 9999
in_during=$(wk_settled lconns)
wait "$WK_PID_istorm"
wk_bg istorm wk_in_b "$WK_CLIENT" storm $IP_A 9999 2
wait "$WK_PID_istorm"
in_after=$(($(lconns) - in_during))
echo "# inbound: leaked during the repair window: $in_during, after it: $in_after"
wk_check "inbound: 0 connections leaked after the repair ($in_after; $in_during in the window)" \
    [ "$in_after" -eq 0 ]
wk_in_a nft add chain inet ward intruder_chain
wk_check "an added chain is removed" wait_gone intruder_chain
wk_in_a nft delete rule inet ward output handle \
    "$(table | grep -m1 'ward-est' | sed 's/.*# handle //')"
wk_check "a deleted rule is put back (as before)" \
    wk_eventually 20 sh -c "nsenter --net=/run/netns/$NS_A nft list chain inet ward output 2>/dev/null |
        grep -q ward-est"
four_alerts() { [ "$(($(alerts) - a0))" -ge 4 ]; }
wk_eventually 20 four_alerts
wk_check "each change raised an alert ($(($(alerts) - a0)))" four_alerts
wait "$WK_PID_storm"
s1=$(cat "$WK_TMP/storm.log")
wk_bg storm wk_client "$D" storm $IP_B 8080 2
wait "$WK_PID_storm"
after=$(($(conns) - base - during))
echo "# leaked during the repair window: $during, after it: $after ($s1; then $(cat "$WK_TMP/storm.log"))"
wk_check "outbound: 0 connections leaked after the repair ($after; $during in the window)" \
    [ "$after" -eq 0 ]
wk_check "the table is whole again (queue and hold in place)" \
    sh -c "nsenter --net=/run/netns/$NS_A nft list chain inet ward hold 2>/dev/null | grep -qi queue"
exit 0
