#!/bin/bash
# Fail modes under a storm of new connections from a program decided in
# user space each time: SIGKILL the driver; fail-closed lets zero new
# connections reach the peer until it is back; fail-open lets them pass.
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_wait_for "$WK_TMP/srv.log" listening
Q=$WK_TMP/asked/wk-client
conns() { grep -c '^conn' "$WK_TMP/srv.log"; }

wk_driver --ask-mode allow || { wk_notok "driver starts"; exit 1; }
wk_bg storm wk_client "$Q" storm $IP_B 8080 14
sleep 3
c0=$(conns)
wk_check "storm: connections pass while the driver answers ($c0)" [ "$c0" -gt 0 ]
kill -9 $WK_PID_kdrv
wait $WK_PID_kdrv 2>/dev/null
sleep 0.5 # connections whose SYN was answered before the kill may finish
c1=$(conns)
sleep 3
c2=$(conns)
wk_check "fail-closed: driver killed, zero new connections reach the peer ($c1 -> $c2)" \
    [ "$c2" -eq "$c1" ]
wk_check "fail-closed: hooks stay attached (pinned links)" \
    [ "$(ls "$WK_PIN/links" | wc -l)" -ge 6 ]
wk_driver --ask-mode allow || { wk_notok "driver restarts"; exit 1; }
sleep 2
c3=$(conns)
wk_check "driver back: connections pass again ($c2 -> $c3)" [ "$c3" -gt "$c2" ]
wait $WK_PID_storm
sed 's/^/# /' "$WK_TMP/storm.log"
wk_stop_driver

# Fail-open: the queue is bypassed while nobody listens.
wk_driver --ask-mode allow --fail-open || { wk_notok "driver starts (fail-open)"; exit 1; }
wk_bg storm2 wk_client "$Q" storm $IP_B 8080 6
sleep 1.5
kill -9 $WK_PID_kdrv
wait $WK_PID_kdrv 2>/dev/null
sleep 0.5
c4=$(conns)
sleep 2
c5=$(conns)
wk_check "fail-open: driver killed, connections still pass ($c4 -> $c5)" [ "$c5" -gt "$c4" ]
wait $WK_PID_storm2
exit 0
