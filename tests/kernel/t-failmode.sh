#!/bin/bash
# Fail modes under a storm of new connections from a program decided in
# user space each time: SIGKILL the driver; fail-closed lets zero new
# connections reach the peer until it is back; fail-open lets them pass,
# also when the driver is killed right after its start, and when it dies
# between its table and the table's queue rule (a start, a repair).
# (The storm connects one at a time, until it is stopped: a slow machine
# does not end it before the driver is back.)
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_wait_for "$WK_TMP/srv.log" listening
Q=$WK_TMP/asked/wk-client
conns() { grep -c '^conn' "$WK_TMP/srv.log"; }
more() { [ "$(conns)" -gt "$1" ]; }
# The storm's client is a child of its job: both go.
stop_storm() {
    pkill -P "$1" 2>/dev/null
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
# What explains traffic held while nobody answers: the table's queue chain
# (is the queue rule there, does it say bypass), who listens on the queues
# (/proc/net/netfilter/nfnetlink_queue: none once the driver is gone), and
# what the last driver printed (its "ready ... fail=" line).
state() {
    echo "# hold chain:"
    wk_in_a nft -a list chain inet ward hold 2>&1 | sed 's/^/#   /'
    echo "# queue listeners:"
    wk_in_a cat /proc/net/netfilter/nfnetlink_queue | sed 's/^/#   /'
    echo "# driver log:"
    grep -v '^queue id=' "$WK_TMP/kdrv.log" | tail -n 5 | sed 's/^/#   /'
}
# passes NAME BEFORE: two connections more than BEFORE reach the peer (one
# could be the one in flight at the kill), else the state above.
passes() {
    if wk_eventually 20 more $(($2 + 1)); then
        wk_ok "$1 ($2 -> $(conns))"
    else
        wk_notok "$1 ($2 -> $(conns))"
        state
    fi
}

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
stop_storm $WK_PID_storm
wk_stop_driver

# Fail-open: the queue is bypassed while nobody listens. The driver dies
# right after its start, before it may have answered anything.
wk_driver --ask-mode allow --fail-open || { wk_notok "driver starts (fail-open)"; exit 1; }
wk_check "fail-open: the driver says so" grep -q '^ready.* fail=open' "$WK_TMP/kdrv.log"
wk_bg storm2 wk_client "$Q" storm $IP_B 8080 120
kill -9 $WK_PID_kdrv
wait $WK_PID_kdrv 2>/dev/null
passes "fail-open: driver killed right after its start, connections pass" "$(conns)"

# A driver that dies between its table and the queue rule it inserts next
# leaves the hold chain without the rule: fail-open, flows pass there too.
h=$(wk_in_a nft -a list chain inet ward hold 2>/dev/null | sed -n 's/.*queue num .*# handle \([0-9]*\)$/\1/p')
wk_check "fail-open: the queue rule is found and removed" \
    wk_in_a nft delete rule inet ward hold handle "${h:-none}"
passes "fail-open: no queue rule in hold, connections pass" "$(conns)"
stop_storm $WK_PID_storm2
exit 0
