#!/bin/bash
# More connections waiting on prompts than wardd's bound (--max-waiting):
# the ones past it get the prompt timeout's answer at once (deny here, so
# they fail fast instead of hanging on SYNs the kernel drops), and
# `ward status` counts them; the kernel's queue, longer than the bound,
# drops nothing.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"

Q=$WK_TMP/asked/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
printf 'set mode ask\nset prompt-timeout 30s default deny\n' >"$WK_TMP/etc/ward.conf"
chmod 644 "$WK_TMP/etc/ward.conf"
export WARD_SOCKET=$WK_TMP/run/control.sock
status() { "$WARD" status --json | sed "s/.*\"$1\":\([0-9]*\).*/\1/"; }

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 100
wk_wait_for "$WK_TMP/srv.log" listening
wk_bg wardd nsenter --net=/run/netns/$NS_A "$WARDD" --foreground --max-waiting 3 \
    --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
    --cgroup "$WK_CG" --pin-dir "$WK_PIN"
wk_wait_for "$WK_TMP/wardd.log" "ready" 30 || { wk_notok "wardd starts with --max-waiting"; exit 1; }
# A prompter that never answers: unknown programs wait on their prompt.
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg p sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/p.log" "waiting for prompts" 10
# Three ports, three prompts: all three connections are known to wait
# (prompts_pending = 3) before the ones past the bound start.
for i in 1 2 3; do wk_bg "w$i" wk_client "$Q" tcp4 $IP_B 808$i 40; done
# Each connection here is known to its program although the exec may reach
# wardd after the SYN (misnamed, it would pass as unattributed).
for _ in $(seq 200); do [ "$(status prompts_pending)" = 3 ] && break; sleep 0.1; done
pending=$(status prompts_pending)
wk_check "three connections wait on prompts ($pending)" [ "$pending" = 3 ]
[ "$pending" = 3 ] || "$WARD" log 2>&1 | tail -5 | sed 's/^/# log: /'
for i in 1 2 3 4 5; do wk_bg "o$i" wk_client "$Q" tcp4 $IP_B 8080 20; done
for i in 1 2 3 4 5; do eval "wait \$WK_PID_o$i"; done
refused=$(cat "$WK_TMP"/o?.log | grep -vc '^ok$')
for f in "$WK_TMP"/o?.log; do echo "# $(basename "$f"): $(tr '\n' ' ' <"$f")"; done
over=$(status prompt_overflow)
echo "# past the bound: $refused of 5 refused; ward status: prompt_overflow=$over," \
    "queue_dropped=$(status queue_dropped)"
wk_check "the connections past the bound get the timeout's answer (deny): $refused of 5" \
    [ "$refused" = 5 ]
wk_check "ward status counts them ($over)" [ "${over:-0}" -ge 5 ]
if [ "${over:-0}" -lt 5 ]; then
    sed 's/^/# prompter: /' "$WK_TMP/p.log"
    tail -20 "$WK_TMP/wardd.log" | sed 's/^/# wardd: /'
fi
wk_check "the kernel's queue dropped nothing ($(status queue_dropped))" \
    [ "$(status queue_dropped)" = 0 ]
wk_check "the log names them prompt-overflow" \
    bash -c "\"$WARD\" log --program '$Q' | grep -q 'prompt-overflow'"
kill -TERM "$WK_PID_wardd"
wait "$WK_PID_wardd" 2>/dev/null
if grep -q 'Sanitizer\|runtime error' "$WK_TMP/wardd.log"; then
    wk_notok "no sanitizer report"
else
    wk_ok "no sanitizer report"
fi
exit 0
