#!/bin/bash
# Someone else flushes or deletes table inet ward: the driver notices (nft
# netlink monitor) and restores it in one transaction. What leaked through
# the empty table meanwhile is counted at the peer and reported.
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_wait_for "$WK_TMP/srv.log" listening
wk_driver --ask-mode deny --icmp-deny in:8 || { wk_notok "driver starts"; exit 1; }
Q=$WK_TMP/asked/wk-client
conns() { grep -c '^conn' "$WK_TMP/srv.log"; }
intact() {
    local i
    for i in $(seq 200); do
        nsenter --net=/run/netns/$NS_A nft list table inet ward 2>/dev/null |
            grep -q 'ward-hold' && return 0
        sleep 0.1
    done
    return 1
}

wk_bg storm wk_client "$Q" storm $IP_B 8080 10
sleep 1
wk_check "storm of a denied-in-user-space program: nothing reaches the peer" [ "$(conns)" -eq 0 ]
# Each change once the one before is repaired: two changes before one
# repair would be one repair.
for i in 1 2 3 4; do
    wk_in_a nft flush table inet ward
    intact
done
wk_in_a nft delete table inet ward
wk_check "table restored after 4 flushes and a delete" intact
five() { [ "$(grep -c 'restored' "$WK_TMP/kdrv.log")" -ge 5 ]; }
wk_eventually 20 five
r=$(grep -c 'restored' "$WK_TMP/kdrv.log")
wk_check "every change was noticed ($r repairs)" [ "$r" -ge 5 ]
wk_check "set elements replayed after the repair (icmp in 8)" \
    sh -c "nsenter --net=/run/netns/$NS_A nft list set inet ward icmp_in_deny | grep -q echo-request"
wait $WK_PID_storm
leaked=$(conns)
echo "# leaked while the table was gone: $leaked connection(s) of $(grep -o 'fail=[0-9]*' "$WK_TMP/storm.log") refused"
wk_check "nothing leaked while the table was gone (BPF egress backstop): $leaked" [ "$leaked" -eq 0 ]
wk_stop_driver
exit 0
