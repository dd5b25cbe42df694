#!/bin/bash
# Identity is the executable a process started from (dev, inode): a binary
# replaced after start keeps its identity; policy reloads under continuous
# probing never let a probe wrongly pass or fail.
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_wait_for "$WK_TMP/srv.log" listening
mkdir -p "$WK_TMP/repl"
cp "$WK_CLIENT" "$WK_TMP/repl/prog"
wk_driver --ask-mode deny --allow "$WK_TMP/repl/prog" --allow "$WK_TMP/allowed/wk-client" \
    --deny "$WK_TMP/denied/wk-client" || { wk_notok "driver starts"; exit 1; }

wk_bg run1 wk_client "$WK_TMP/repl/prog" after 2 tcp4 $IP_B 8080 5
# Once it runs the file (not 0.5 s later: a loaded machine may not have
# started it yet, and it would start the new one).
runs() {
    local c
    for c in $(pgrep -P "$WK_PID_run1"); do # (wk_bg's subshell, then the client)
        [ "$(readlink "/proc/$c/exe")" = "$WK_TMP/repl/prog" ] && return 0
    done
    return 1
}
wk_eventually 20 runs
# Replace the file (new inode, same path), as a package update does.
cp "$WK_CLIENT" "$WK_TMP/repl/prog.new" && mv "$WK_TMP/repl/prog.new" "$WK_TMP/repl/prog"
wait $WK_PID_run1
wk_check "a program whose binary was replaced after start keeps its identity (allowed)" \
    grep -qx ok "$WK_TMP/run1.log"
wk_expect "the new binary at the same path is another program (not allowed)" fail \
    "$WK_TMP/repl/prog" tcp4 $IP_B 8080 3

# Reloads under continuous probing.
wk_bg pa wk_client "$WK_TMP/allowed/wk-client" probe tcp4 $IP_B 8080 6
wk_bg pd wk_client "$WK_TMP/denied/wk-client" probe tcp4 $IP_B 8080 6
wk_bg pq wk_client "$WK_TMP/other/wk-client" probe tcp4 $IP_B 8080 6
sleep 0.5
# Each HUP once the reload before is done (two HUPs during one reload make
# one), spread over the probes' time.
reloads() { [ "$(grep -c 'reload: done' "$WK_TMP/kdrv.log")" -ge "$1" ]; }
for i in $(seq 10); do
    kill -HUP $WK_PID_kdrv
    wk_eventually 20 reloads "$i"
    sleep 0.4
done
wait $WK_PID_pa $WK_PID_pd $WK_PID_pq
wk_check "10 reloads done" [ "$(grep -c 'reload: done' "$WK_TMP/kdrv.log")" -eq 10 ]
sed 's/^/# allowed: /' "$WK_TMP/pa.log"
sed 's/^/# denied: /' "$WK_TMP/pd.log"
sed 's/^/# refused in user space: /' "$WK_TMP/pq.log"
wk_check "reload: every probe of the allowed program passed" \
    grep -qE 'probe ok=[1-9][0-9]* eperm=0 other=0' "$WK_TMP/pa.log"
wk_check "reload: every probe of the denied program got EPERM" \
    grep -qE 'probe ok=0 eperm=[1-9][0-9]* other=0' "$WK_TMP/pd.log"
wk_check "reload: every probe of the program refused through the queue failed, none passed" \
    grep -qE 'probe ok=0 eperm=0 other=[1-9]' "$WK_TMP/pq.log"
# The peer saw exactly the allowed program's connections (+1: the replaced
# binary's); the server's last lines may come a moment after the probes end.
want=$(($(grep -o 'ok=[0-9]*' "$WK_TMP/pa.log" | cut -d= -f2) + 1))
peer_saw() { [ "$(grep -c '^conn' "$WK_TMP/srv.log")" -ge "$want" ]; }
wk_eventually 20 peer_saw
wk_check "and nothing of it reached the peer" [ "$(grep -c '^conn' "$WK_TMP/srv.log")" -eq "$want" ]
wk_stop_driver
exit 0
