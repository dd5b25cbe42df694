#!/bin/bash
# wardd killed (-9) and started again: the same `ward prompt` process, idle
# or busy, reconnects, registers again, says so in one line, and answers
# the new wardd's prompts; `ward watch` reconnects to the new event ring.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
set prompt-timeout 20s default deny
set no-prompter block
app "$D" {
    # to lan: decided (and logged) by wardd, not refused by the hook
    deny out tcp port 8080 to lan
}
CONF

serve_b 100
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
# An idle scripted prompter, and a person's prompter (keys from a fifo)
# that will be in the middle of a question when wardd dies.
prompter p1 --answer allow --scope port --duration forever
keyed px
wk_bg w "$WARD" watch
watching w
two_prompters() { [ "$(status prompters)" = 2 ]; }
wk_check "two prompters registered" wk_eventually 20 two_prompters

# The person's prompter gets a question; p1 answers it first. Then px waits
# at its question, deaf to the socket, when wardd is killed.
conn "$O" 25 >/dev/null
wk_wait_for "$WK_TMP/px.log" "or \[d\]eny" 20
kill9_wardd wardd1
sleep 1
start_wardd wardd2 || { wk_notok "wardd starts again"; exit 1; }
wk_check "the idle prompter says it reconnected" \
    wk_wait_for "$WK_TMP/p1.log" "wardd restarted: reconnected" 15
printf 'a\n\no\n' >&8 # px's person answers the old question, now gone
wk_check "the busy prompter reconnects after its question" \
    wk_wait_for "$WK_TMP/px.log" "wardd restarted: reconnected" 15
for _ in $(seq 200); do [ "$(status prompters)" = 2 ] && break; sleep 0.1; done
wk_check "both are registered with the new wardd ($(status prompters))" [ "$(status prompters)" = 2 ]
wk_check "the same prompter process answers a new prompt: the program connects" \
    [ "$(conn "$Q" 25)" = ok ]
wk_check "... and it was its answer" grep -q "program:  $Q" "$WK_TMP/p1.log"
wk_check "... learned by the new wardd" wk_eventually 20 grep -q "app \"$Q\"" "$WK_TMP/state/learned.rules"
wk_check "ward watch reconnected" wk_wait_for "$WK_TMP/w.log" "wardd restarted: reconnected" 15
conn "$D" 25 >/dev/null
wk_check "... and shows the new wardd's decisions" wk_wait_for "$WK_TMP/w.log" "$D" 20
n=$(grep -c "reconnected" "$WK_TMP/p1.log")
wk_check "the prompter said it once ($n)" [ "$n" = 1 ]
# A prompt open when a prompter registers is sent to it at once: only the
# person's prompter (busy with a question) is left when a new program asks;
# then a scripted prompter registers and answers it.
wk_signal KILL p1
for _ in $(seq 200); do [ "$(status prompters)" = 1 ] && break; sleep 0.1; done
N=$WK_TMP/late/wk-client
mkdir -p "$WK_TMP/late" && cp "$WK_CLIENT" "$N"
wk_bg late wk_client "$N" tcp4 $IP_B 8080 25
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
wk_bg p3 "$WARD" prompt --answer allow --duration once --count 1
wait "$WK_PID_late"
wk_check "a prompter registering later gets the open prompt and its answer lets it through" \
    bash -c "grep -qx ok '$WK_TMP/late.log' && grep -q 'program:  $N' '$WK_TMP/p3.log'"
stop_wardd wardd2
no_sanitizer "no sanitizer report" "$WK_TMP"/wardd2.log "$WK_TMP"/p1.log "$WK_TMP"/px.log
exit 0
