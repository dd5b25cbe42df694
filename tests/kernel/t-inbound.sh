#!/bin/bash
# Inbound per listening program (bind hooks -> nft port sets, else the
# queue), ICMP per rule in the packet layer, raw sockets per program.
. "$(dirname "$0")/lib.sh"
wk_setup

A=$WK_TMP/allowed/wk-client
D=$WK_TMP/denied/wk-client
O=$WK_TMP/other/wk-client
wk_driver --ask-mode deny --in-allow-prog "$A" --in-deny-prog "$D" --icmp-deny in:8 \
    --raw-allow "$A" --allow "$A" || { wk_notok "driver starts"; exit 1; }

wk_bg l1 wk_client "$A" listen-tcp 8081 6
wk_bg l2 wk_client "$D" listen-tcp 8082
wk_bg l3 wk_client "$O" listen-tcp 8083
for l in l1 l2 l3; do wk_wait_for "$WK_TMP/$l.log" listening; done
wk_check "listener of an inbound-allowed program compiled into nft set in_allow" \
    wk_wait_for "$WK_TMP/kdrv.log" "port=8081 .*-> nft allow" 20
wk_check "listener of an inbound-denied program compiled into nft set in_deny" \
    wk_wait_for "$WK_TMP/kdrv.log" "port=8082 .*-> nft deny" 20
wk_check "nft set in_allow holds tcp . 8081" \
    sh -c "nsenter --net=/run/netns/$NS_A nft list set inet ward in_allow | grep -q 8081"
wk_check "inbound to the allowed program's port connects" \
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 8081 5)" = ok ]
wk_check "inbound to the denied program's port is refused" \
    sh -c "[ \"\$(nsenter --net=/run/netns/$NS_B $WK_CLIENT tcp4 $IP_A 8082 5)\" != ok ]"
wk_check "the denied listener never saw a connection" [ "$(grep -c '^conn' "$WK_TMP/l2.log")" -eq 0 ]
wk_check "inbound to an unknown program goes through the queue and is refused" \
    sh -c "[ \"\$(nsenter --net=/run/netns/$NS_B $WK_CLIENT tcp4 $IP_A 8083 5)\" != ok ]"
wk_check "the queue saw the inbound connection, attributed to the listener" \
    grep -q "dir=in proto=6 local=$IP_A:8083 .*exe=[0-9]*:$(stat -c %i "$O") " "$WK_TMP/kdrv.log"
wk_check "the unknown listener never saw a connection" [ "$(grep -c '^conn' "$WK_TMP/l3.log")" -eq 0 ]
wk_check "inbound tcp6 to the allowed program's port connects" \
    [ "$(wk_in_b "$WK_CLIENT" tcp6 $IP6_A 8081 5)" = ok ]

command -v ping >/dev/null || wk_notok "ping is installed (iputils-ping)"
wk_check "ICMP echo in: blocked by rule (ping B -> A fails)" \
    sh -c "nsenter --net=/run/netns/$NS_B ping -c 1 -W 1 $IP_A >/dev/null; [ \$? -eq 1 ]"
wk_check "ICMP echo out: allowed (ping A -> B, answer established)" \
    sh -c "nsenter --net=/run/netns/$NS_A ping -c 1 -W 2 $IP_B >/dev/null"
wk_check "ICMPv6 echo in: not blocked (no rule)" \
    sh -c "nsenter --net=/run/netns/$NS_B ping -6 -c 1 -W 2 $IP6_A >/dev/null"

wk_expect "raw socket: allowed program may create one" ok "$A" raw
wk_expect "raw socket: other program gets EPERM" EPERM "$D" raw
wk_stop_driver
sed 's/^/# /' "$WK_TMP/kdrv.log" | grep -v libxtables
exit 0
