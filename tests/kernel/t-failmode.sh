#!/bin/bash
# Fail modes under a storm of new connections from a program decided in
# user space each time: SIGKILL the driver; fail-closed lets zero new
# connections reach the peer until it is back; fail-open lets them pass.
# (The storm connects one at a time, until it is stopped: a slow machine
# does not end it before the driver is back.)
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_wait_for "$WK_TMP/srv.log" listening
Q=$WK_TMP/asked/wk-client
conns() { grep -c '^conn' "$WK_TMP/srv.log"; }
more() { [ "$(conns)" -gt "$1" ]; }

wk_driver --ask-mode allow || { wk_notok "driver starts"; exit 1; }
wk_bg storm wk_client "$Q" storm $IP_B 8080 120
wk_eventually 20 more 0
c0=$(conns)
wk_check "storm: connections pass while the driver answers ($c0)" [ "$c0" -gt 0 ]
kill -9 $WK_PID_kdrv
wait $WK_PID_kdrv 2>/dev/null
# A connection whose SYN was answered before the kill may still finish.
c1=$(wk_settled conns)
sleep 3
c2=$(conns)
wk_check "fail-closed: driver killed, zero new connections reach the peer ($c1 -> $c2)" \
    [ "$c2" -eq "$c1" ]
wk_check "fail-closed: hooks stay attached (pinned links)" \
    [ "$(ls "$WK_PIN/links" | wc -l)" -ge 6 ]
wk_driver --ask-mode allow || { wk_notok "driver restarts"; exit 1; }
wk_eventually 20 more "$c2"
c3=$(conns)
wk_check "driver back: connections pass again ($c2 -> $c3)" [ "$c3" -gt "$c2" ]
kill $WK_PID_storm; wait $WK_PID_storm 2>/dev/null
wk_stop_driver
c3=$(wk_settled conns) # the storm's last connection may land after it is stopped

# Fail-open: the queue is bypassed while nobody listens.
wk_driver --ask-mode allow --fail-open || { wk_notok "driver starts (fail-open)"; exit 1; }
wk_bg storm2 wk_client "$Q" storm $IP_B 8080 120
wk_eventually 20 more "$c3" # the driver answers the new storm
kill -9 $WK_PID_kdrv
wait $WK_PID_kdrv 2>/dev/null
c4=$(conns)
# Two more: the one connection in flight at the kill is not enough.
wk_eventually 20 more $((c4 + 1))
c5=$(conns)
wk_check "fail-open: driver killed, connections still pass ($c4 -> $c5)" [ "$c5" -gt $((c4 + 1)) ]
kill $WK_PID_storm2; wait $WK_PID_storm2 2>/dev/null
exit 0
