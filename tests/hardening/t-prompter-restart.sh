#!/bin/bash
# wardd killed (-9) and started again: the same `ward prompt` process, idle
# or busy, reconnects, registers again, says so in one line, and answers
# the new wardd's prompts; `ward watch` reconnects to the new event ring.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"

D=$WK_TMP/denied/wk-client
Q=$WK_TMP/asked/wk-client
O=$WK_TMP/other/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set prompt-timeout 20s default deny
set no-prompter block
app "$D" {
    # to lan: decided (and logged) by wardd, not refused by the hook
    deny out tcp port 8080 to lan
}
CONF
chmod 644 "$WK_TMP/etc/ward.conf"
export WARD_SOCKET=$WK_TMP/run/control.sock
start_wardd() {
    wk_bg "$1" nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN"
    wk_wait_for "$WK_TMP/$1.log" "ready" 30
}
conn() { wk_client "$1" tcp4 $IP_B 8080 "${2:-25}" 2>&1; }
prompters() { "$WARD" status --json | sed 's/.*"prompters":\([0-9]*\).*/\1/'; }

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 100
wk_wait_for "$WK_TMP/srv.log" listening
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
# An idle scripted prompter, and a person's prompter (keys from a fifo)
# that will be in the middle of a question when wardd dies.
wk_bg p1 "$WARD" prompt --answer allow --scope port --duration forever
wk_wait_for "$WK_TMP/p1.log" "waiting for prompts" 10
mkfifo "$WK_TMP/keys"
exec 8<>"$WK_TMP/keys"
wk_bg px sh -c "exec \"$WARD\" prompt <\"$WK_TMP/keys\""
wk_wait_for "$WK_TMP/px.log" "waiting for prompts" 10
wk_bg w "$WARD" watch
sleep 0.5
wk_check "two prompters registered" [ "$(prompters)" = 2 ]

# The person's prompter gets a question; p1 answers it first. Then px waits
# at its question, deaf to the socket, when wardd is killed.
conn "$O" >/dev/null
wk_wait_for "$WK_TMP/px.log" "or \[d\]eny" 10
kill -9 "$WK_PID_wardd1"
wait "$WK_PID_wardd1" 2>/dev/null
sleep 1
start_wardd wardd2 || { wk_notok "wardd starts again"; exit 1; }
wk_check "the idle prompter says it reconnected" \
    wk_wait_for "$WK_TMP/p1.log" "wardd restarted: reconnected" 15
printf 'a\n\no\n' >&8 # px's person answers the old question, now gone
wk_check "the busy prompter reconnects after its question" \
    wk_wait_for "$WK_TMP/px.log" "wardd restarted: reconnected" 15
for _ in $(seq 100); do [ "$(prompters)" = 2 ] && break; sleep 0.1; done
wk_check "both are registered with the new wardd ($(prompters))" [ "$(prompters)" = 2 ]
wk_check "the same prompter process answers a new prompt: the program connects" \
    [ "$(conn "$Q")" = ok ]
wk_check "... and it was its answer" grep -q "program:  $Q" "$WK_TMP/p1.log"
wk_check "... learned by the new wardd" grep -q "app \"$Q\"" "$WK_TMP/state/learned.rules"
wk_check "ward watch reconnected" wk_wait_for "$WK_TMP/w.log" "wardd restarted: reconnected" 15
conn "$D" >/dev/null
wk_check "... and shows the new wardd's decisions" wk_wait_for "$WK_TMP/w.log" "$D" 10
n=$(grep -c "reconnected" "$WK_TMP/p1.log")
wk_check "the prompter said it once ($n)" [ "$n" = 1 ]
# A prompt open when a prompter registers is sent to it at once: only the
# person's prompter (busy with a question) is left when a new program asks;
# then a scripted prompter registers and answers it.
kill -9 "$WK_PID_p1"
wait "$WK_PID_p1" 2>/dev/null
for _ in $(seq 100); do [ "$(prompters)" = 1 ] && break; sleep 0.1; done
N=$WK_TMP/late/wk-client
mkdir -p "$WK_TMP/late" && cp "$WK_CLIENT" "$N"
wk_bg late wk_client "$N" tcp4 $IP_B 8080 25
pending() { "$WARD" status --json | sed 's/.*"prompts_pending":\([0-9]*\).*/\1/'; }
for _ in $(seq 100); do [ "$(pending)" = 1 ] && break; sleep 0.1; done
wk_bg p3 "$WARD" prompt --answer allow --duration once --count 1
wait "$WK_PID_late"
wk_check "a prompter registering later gets the open prompt and its answer lets it through" \
    bash -c "grep -qx ok '$WK_TMP/late.log' && grep -q 'program:  $N' '$WK_TMP/p3.log'"
kill -TERM "$WK_PID_wardd2"
wait "$WK_PID_wardd2" 2>/dev/null
if grep -q 'Sanitizer\|runtime error' "$WK_TMP"/wardd2.log "$WK_TMP"/p1.log "$WK_TMP"/px.log; then
    wk_notok "no sanitizer report"
else
    wk_ok "no sanitizer report"
fi
exit 0
