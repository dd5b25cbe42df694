#!/bin/bash
# Undecided programs: the first packet of each new flow waits in NFQUEUE
# until the driver answers; not one byte reaches the peer before that.
. "$(dirname "$0")/lib.sh"
wk_setup
command -v tcpdump >/dev/null || wk_skip_all "no tcpdump"

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_bg usrv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 5353
wk_wait_for "$WK_TMP/srv.log" listening
wk_wait_for "$WK_TMP/usrv.log" listening
wk_bg cap nsenter --net=/run/netns/$NS_B tcpdump -n -U --immediate-mode -i wkb$WK_ID -w "$WK_TMP/peer.pcap" \
    'tcp port 8080 or udp port 5353'
wk_wait_for "$WK_TMP/cap.log" "listening on" 20
mkfifo "$WK_TMP/ctl"
wk_driver --ask-mode hold --learn --control "$WK_TMP/ctl" --allow "$WK_TMP/allowed/wk-client" ||
    { wk_notok "driver starts"; exit 1; }

Q=$WK_TMP/asked/wk-client
O=$WK_TMP/other/wk-client
ino() { stat -c %i "$1"; }
peer_packets() { tcpdump -n -r "$WK_TMP/peer.pcap" 2>/dev/null | grep -c "${1:-.}"; }
held() { grep -c -- "-> hold" "$WK_TMP/kdrv.log"; }

# 1. TCP held, then allowed.
wk_bg c1 wk_client "$Q" tcp4 $IP_B 8080 30
wk_check "unknown program's SYN is queued and held" wk_wait_for "$WK_TMP/kdrv.log" "-> hold" 20
sleep 2
wk_check "held connection: the client is still waiting" kill -0 $WK_PID_c1
wk_check "held connection: no packet reached the peer" [ "$(peer_packets)" -eq 0 ]
wk_check "an allowed program passes while another waits" \
    [ "$(wk_client "$WK_TMP/allowed/wk-client" tcp4 $IP_B 8080 5)" = ok ]
echo "allow $(ino "$Q")" >"$WK_TMP/ctl"
wait $WK_PID_c1
wk_check "after allow: the held connection completes" grep -qx ok "$WK_TMP/c1.log"
peer_saw() {
    for i in $(seq 200); do [ "$(peer_packets "$1")" -gt 0 ] && return 0; sleep 0.1; done
    return 1
}
wk_check "after allow: the peer saw the connection" peer_saw 'IP 10.77.0.1.* > 10.77.0.2.8080'
# (What the driver logs of the allowed connection may come a moment later.)
n=$(wk_settled grep -c '^queue' "$WK_TMP/kdrv.log")
wk_expect "learned: next connection of the program passes" ok "$Q" tcp4 $IP_B 8080 5
wk_check "learned: decided in the kernel, nothing queued" \
    [ "$(grep -c '^queue' "$WK_TMP/kdrv.log")" -eq "$n" ]

# 2. Two programs wait independently; one is denied, the other allowed.
# The earlier connections' last packets (FIN, ACK) may still be on their way.
before=$(wk_settled peer_packets)
wk_bg c2 wk_client "$O" tcp4 $IP_B 8080 30
wk_bg c3 wk_client "$Q" tcp4 $IP_B 9090 30
for i in $(seq 200); do [ "$(held)" -ge 3 ] && break; sleep 0.1; done
wk_check "two undecided connections held at once" [ "$(held)" -ge 3 ]
echo "deny $(ino "$O")" >"$WK_TMP/ctl"
wait $WK_PID_c2
wk_check "after deny: the held connection fails at once (not EPERM)" \
    grep -qE 'err (ECONNREFUSED|EHOSTUNREACH|EACCES)' "$WK_TMP/c2.log"
wk_check "the other program still waits" kill -0 $WK_PID_c3
wk_check "denied flow: nothing reached the peer" [ "$(peer_packets)" -eq "$before" ]
echo "allow $(ino "$Q")" >"$WK_TMP/ctl"
wait $WK_PID_c3
wk_check "then the other one is answered (port closed: refused by the peer)" \
    grep -q ECONNREFUSED "$WK_TMP/c3.log"
wk_expect "learned deny: the program's next connection gets EPERM" EPERM "$O" tcp4 $IP_B 8080 5

# 3. UDP: unconnected datagram held, then allowed.
rm -f "$WK_TMP/c4.log"
wk_bg c4 wk_client "$WK_TMP/other/wk-client" udp-sendto $IP_B 5353 5
for i in $(seq 200); do [ "$(held)" -ge 4 ] && break; sleep 0.1; done
wk_check "udp datagram of an unknown program held" [ "$(held)" -ge 4 ]
wk_check "held datagram: nothing at the peer" [ "$(peer_packets 'UDP')" -eq 0 ]
echo "allow $(ino "$O")" >"$WK_TMP/ctl"
wait $WK_PID_c4
wk_check "after allow: the datagram arrives" wk_wait_for "$WK_TMP/usrv.log" dgram 20

wk_stop_driver
sed 's/^/# /' "$WK_TMP/kdrv.log"
exit 0
