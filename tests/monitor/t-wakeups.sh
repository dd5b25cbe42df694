#!/bin/bash
# Process events while processes start fast (docs/MONITOR.md, "Wake-ups"):
# wardd reads the tracepoints' ring on its own clock instead of being woken
# by each record. An exec still reaches wardd with no connection to pull it
# in — alone on a quiet wardd, in the middle of a storm of short-lived
# processes, and alone again after the storm — seen here by the LD_PRELOAD
# alert, which only the exec's event raises; and a program started during
# the storm connects under its own rule, its log row naming it.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../words/lib.sh"
A=$(prog batched)
pol <<CONF
set mode ask
set no-prompter block
app "$A" {
    allow out tcp port 8080
}
CONF
start_wardd --proc-events tracepoints || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }

# lone NAME: $A started with LD_PRELOAD=/nonexistent-NAME.so, asleep (it
# would connect in two minutes); its alert must come from the exec alone.
lone() {
    wk_bg "$1" sh -c "echo \$\$ >'$WK_CG/cgroup.procs' && exec nsenter --net=/run/netns/$NS_A \
        env LD_PRELOAD=/nonexistent-$1.so '$A' after 120 tcp4 $IP_B 8080"
}
alert_for() {
    "$WARD" log --program "$A" --json | grep '"filter":"ld-preload"' | grep -q "LD_PRELOAD=/nonexistent-$1.so"
}
wait_alert() {
    for ((i = 0; i < 100; i++)); do alert_for "$1" && return 0; sleep 0.1; done
    return 1
}

lone quiet1
wk_check "a lone exec on a quiet wardd is applied without a connection (its alert)" wait_alert quiet1

# A storm: short-lived processes back to back, faster than wardd's poll.
wk_bg storm sh -c 'i=0; while [ $i -lt 3000 ]; do /bin/true; i=$((i + 1)); done; echo storm done'
sleep 0.5
lone storm1
wk_check "an exec in the middle of the storm is applied without a connection" wait_alert storm1
wk_check "a program started during the storm connects under its rule" \
    [ "$(conn "$A" tcp4 $IP_B 8080)" = ok ]
wk_check "its log row names the program" logged "$A" permit
wk_wait_for "$WK_TMP/storm.log" "storm done" 120
execs=$("$WARD" status --json | sed -n 's/.*"proc_execs":\([0-9]*\).*/\1/p')
echo "# exec events applied: $execs"
wk_check "wardd applied the storm's execs (3000 and more: $execs)" [ "${execs:-0}" -ge 3000 ]

sleep 1 # wardd stops polling: the ring is quiet
lone quiet2
wk_check "a lone exec after the storm is applied without a connection" wait_alert quiet2

kill "$WK_PID_quiet1" "$WK_PID_storm1" "$WK_PID_quiet2" 2>/dev/null
stop_wardd
sanitizer_clean
exit 0
