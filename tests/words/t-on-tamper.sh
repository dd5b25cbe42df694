#!/bin/bash
# `set on-tamper` (docs/POLICY.md, "Settings") on a real attach: with
# `alert` the attached process still connects; with `suspend` its next
# connection is held and asked about. (tests/monitor/t-tamper.sh has more.)
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
command -v gdb >/dev/null || wk_skip_all "no gdb"
A=$(prog attached)
policy() {
    pol <<CONF
set mode ask
set no-prompter block
set on-tamper $1
app "$A" {
    allow out tcp port 8080
}
CONF
}
policy alert
start_wardd || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
# words: on-tamper alert
P1=$(lines_proc p1 "$A")
gdb -p "$P1" -batch -ex 'info registers rip' >/dev/null 2>&1
echo >"$WK_TMP/p1.in"
wk_check "on-tamper alert: the attached process still connects" wk_wait_for "$WK_TMP/p1.log" '^ok' 20
# words: suspend
policy suspend
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg silent sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/silent.log" "waiting for prompts" 20
P2=$(lines_proc p2 "$A")
gdb -p "$P2" -batch -ex 'info registers rip' >/dev/null 2>&1
for ((i = 0; i < 200; i++)); do grep -q "process $P2 .*suspended" "$WD_LOG" && break; sleep 0.1; done
echo >"$WK_TMP/p2.in"
wk_check "on-tamper suspend: the attached process's next connection is asked about" \
    wk_wait_for "$WK_TMP/silent.log" "pid: *$P2" 20
rejects "on-tamper: another outcome is refused" 'ward.conf:1:[0-9]+' <<<'set on-tamper kill'
kill "$WK_PID_silent" "$P1" "$P2" 2>/dev/null
stop_wardd
sanitizer_clean
exit 0
