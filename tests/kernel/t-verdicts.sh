#!/bin/bash
# Known programs are decided in the kernel: allowed connects, denied gets
# EPERM at once, for every way of sending; a copy of an allowed binary is
# another program.
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_bg usrv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 5353
wk_wait_for "$WK_TMP/srv.log" listening
wk_wait_for "$WK_TMP/usrv.log" listening
wk_driver --allow "$WK_TMP/allowed/wk-client" --deny "$WK_TMP/denied/wk-client" \
    --allow "$WK_TMP/allowed/wk-client-static" --deny "$WK_TMP/denied/wk-client-static" \
    --ask-mode deny || { wk_notok "driver starts"; cat "$WK_TMP/kdrv.log" >&2; exit 1; }
wk_ok "driver loads, attaches to the test cgroup, installs nft"

A=$WK_TMP/allowed/wk-client
D=$WK_TMP/denied/wk-client
for m in tcp4 mapped udp-connect udp-sendto sendmmsg tfo uring; do
    case $m in udp* | sendmmsg) port=5353 ;; *) port=8080 ;; esac
    wk_expect "allowed program: $m passes" ok "$A" $m $IP_B $port
    wk_expect "denied program: $m gets EPERM" EPERM "$D" $m $IP_B $port
done
wk_expect "allowed program: tcp6 passes" ok "$A" tcp6 $IP6_B 8080
wk_expect "denied program: tcp6 gets EPERM" EPERM "$D" tcp6 $IP6_B 8080
wk_expect "allowed program: udp6 sendto passes" ok "$A" udp6-sendto $IP6_B 5353
wk_expect "denied program: udp6 sendto gets EPERM" EPERM "$D" udp6-sendto $IP6_B 5353
wk_expect "static client allowed passes" ok "$WK_TMP/allowed/wk-client-static" tcp4 $IP_B 8080
wk_expect "static client denied gets EPERM" EPERM "$WK_TMP/denied/wk-client-static" tcp4 $IP_B 8080
wk_expect "static client io_uring denied gets EPERM" EPERM "$WK_TMP/denied/wk-client-static" uring $IP_B 8080
wk_expect "a copy of the allowed binary is another program (not allowed)" fail \
    "$WK_TMP/other/wk-client" tcp4 $IP_B 8080 3
# Replace the allowed binary's file while a copy runs: identity is the inode
# it started from. The running program (started before) keeps passing.
sleep_pid=""
wk_check "datagrams of allowed program reached the peer" grep -q dgram "$WK_TMP/usrv.log"
wk_stop_driver
cat "$WK_TMP/kdrv.log" | sed 's/^/# /'
exit 0
