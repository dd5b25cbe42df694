#!/bin/bash
# mDNS (UDP 5353) and LLMNR (UDP 5355) answers teach names like DNS: a query
# sent to the multicast group is matched by the answer from the responder's
# own address. Other traffic on those ports passes, teaching nothing.
. "$(dirname "$0")/lib.sh"
wk_setup
command -v python3 >/dev/null || wk_skip_all "no python3"
RESP=$(dirname "$0")/nameresp.py

wk_in_a ip route add 224.0.0.0/4 dev wka$WK_ID
wk_in_b ip route add 224.0.0.0/4 dev wkb$WK_ID
wk_bg mdns nsenter --net=/run/netns/$NS_B python3 "$RESP" 5353 224.0.0.251 $IP_B $IP_B
wk_bg llmnr nsenter --net=/run/netns/$NS_B python3 "$RESP" 5355 224.0.0.252 $IP_B $IP_B
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 2
for l in mdns llmnr srv; do wk_wait_for "$WK_TMP/$l.log" listening; done
mkfifo "$WK_TMP/ctl"
wk_driver --ask-mode hold --control "$WK_TMP/ctl" --dns-block bad.local ||
    { wk_notok "driver starts"; exit 1; }
ask() { nsenter --net=/run/netns/$NS_A python3 "$RESP" ask "$@" 2>&1; }

wk_check "mDNS (one-shot query to 224.0.0.251:5353): the answer arrives" \
    [ "$(ask 5353 224.0.0.251 printer.local)" = "$IP_B" ]
wk_check "mDNS answer: matched its multicast query (trusted)" \
    grep -q "dns answer qname=printer.local .*trusted=1 addrs=$IP_B -> allow" "$WK_TMP/kdrv.log"
Q=$WK_TMP/asked/wk-client
wk_bg c1 wk_client "$Q" tcp4 $IP_B 8080 20
wk_check "the next connect is held with the name learnt over mDNS" \
    wk_wait_for "$WK_TMP/kdrv.log" "remote=$IP_B:8080 domain=printer.local .*-> hold" 20
echo allow >"$WK_TMP/ctl"
wait $WK_PID_c1

wk_check "LLMNR (query to 224.0.0.252:5355): the answer arrives" \
    [ "$(ask 5355 224.0.0.252 nas)" = "$IP_B" ]
wk_check "LLMNR answer: matched its multicast query (trusted)" \
    grep -q "dns answer qname=nas .*trusted=1 addrs=$IP_B -> allow" "$WK_TMP/kdrv.log"
wk_bg c2 wk_client "$Q" tcp4 $IP_B 8080 20
wk_check "the next connect is held with the name learnt over LLMNR" \
    wk_wait_for "$WK_TMP/kdrv.log" "remote=$IP_B:8080 domain=nas .*-> hold" 20
echo deny >"$WK_TMP/ctl"
wait $WK_PID_c2

wk_check "blocked name over mDNS: no address" sh -c "! nsenter --net=/run/netns/$NS_A \
    python3 $RESP ask 5353 224.0.0.251 bad.local | grep -qx $IP_B"
wk_check "blocked name over mDNS: dropped in user space" \
    grep -q "dns answer qname=bad.local .*-> deny" "$WK_TMP/kdrv.log"

# An unsolicited mDNS datagram (announcement) still reaches a listener.
wk_bg ul nsenter --net=/run/netns/$NS_A "$WK_CLIENT" listen-udp 5353
wk_wait_for "$WK_TMP/ul.log" listening
wk_in_b python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
s.sendto(bytes.fromhex("000084000000000100000000") + b"\x04evil\x05local\x00" +
         bytes.fromhex("00010001000000780004") + socket.inet_aton(sys.argv[1]), (sys.argv[2], 5353))
' $IP_B $IP_A
wk_check "unsolicited mDNS datagram: not trusted, passed" \
    wk_wait_for "$WK_TMP/ul.log" dgram 20
wk_stop_driver
sed 's/^/# /' "$WK_TMP/kdrv.log" | grep -v libxtables
exit 0
