#!/bin/bash
# The queue over IPv6 and IPv4-mapped sockets, and a full queue in
# fail-closed mode: counted, dropped (never passed), the connections retry
# and complete once answered.
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_wait_for "$WK_TMP/srv.log" listening
for p in q6 qm; do mkdir -p "$WK_TMP/$p" && cp "$WK_CLIENT" "$WK_TMP/$p/prog"; done
mkfifo "$WK_TMP/ctl"
wk_driver --ask-mode hold --control "$WK_TMP/ctl" --queue-maxlen 4 ||
    { wk_notok "driver starts"; exit 1; }
ino() { stat -c %i "$1"; }
conns() { grep -c '^conn' "$WK_TMP/srv.log"; }

wk_bg c6 wk_client "$WK_TMP/q6/prog" tcp6 $IP6_B 8080 20
wk_check "tcp6: held, attributed to its program" \
    wk_wait_for "$WK_TMP/kdrv.log" "remote=$IP6_B:8080 .*exe=[0-9]*:$(ino "$WK_TMP/q6/prog") .*-> hold" 20
echo "allow $(ino "$WK_TMP/q6/prog")" >"$WK_TMP/ctl"
wait $WK_PID_c6
wk_check "tcp6: allowed, completes" grep -qx ok "$WK_TMP/c6.log"
wk_bg cm wk_client "$WK_TMP/qm/prog" mapped $IP_B 8080 20
wk_check "IPv4-mapped: held, attributed to its program" \
    wk_wait_for "$WK_TMP/kdrv.log" "remote=$IP_B:8080 .*exe=[0-9]*:$(ino "$WK_TMP/qm/prog") .*-> hold" 20
echo "allow $(ino "$WK_TMP/qm/prog")" >"$WK_TMP/ctl"
wait $WK_PID_cm
wk_check "IPv4-mapped: allowed, completes" grep -qx ok "$WK_TMP/cm.log"

# Full queue: 8 connections, room for 4.
# The two connections above, once the server has said so (it accepts a
# moment after the client is done).
two() { [ "$(conns)" -ge 2 ]; }
wk_eventually 20 two
before=$(conns)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    wk_bg f$i wk_client "$WK_TMP/other/wk-client" tcp4 $IP_B 8080 25
    eval "pids+=(\$WK_PID_f$i)"
done
# The driver's counts, asked for until the eight SYNs have overflowed the
# queue (a loaded machine starts the clients slowly).
overflowed() {
    echo stats >"$WK_TMP/ctl"
    sleep 0.3
    st=$(grep '^stats' "$WK_TMP/kdrv.log" | tail -1)
    [ "$(echo "$st" | sed -n 's/.*queue_dropped=\([0-9]*\).*/\1/p')" -gt 0 ] 2>/dev/null
}
wk_eventually 20 overflowed
echo "# $st"
qd=$(echo "$st" | sed -n 's/.*queue_dropped=\([0-9]*\).*/\1/p')
wk_check "full queue: overflow counted (queue_dropped=$qd)" [ "${qd:-0}" -gt 0 ]
wk_check "full queue: nothing passed meanwhile" [ "$(conns)" -eq "$before" ]
for i in $(seq 30); do
    echo allow >"$WK_TMP/ctl"
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 1
done
n=$(cat "$WK_TMP"/f?.log | grep -cx ok)
wk_check "full queue: dropped SYNs retried and all 8 completed once answered ($n)" [ "$n" -eq 8 ]
wk_stop_driver
exit 0
