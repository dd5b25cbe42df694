#!/bin/bash
# More connections waiting on prompts than wardd's bound (--max-waiting):
# the ones past it get the prompt timeout's answer at once (deny here, so
# they fail fast instead of hanging on SYNs the kernel drops), and
# `ward status` counts them; the kernel's queue, longer than the bound,
# drops nothing.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

printf 'set mode ask\nset prompt-timeout 30s default deny\n' | ward_policy

serve_b 100
start_wardd wardd --max-waiting 3 || { wk_notok "wardd starts with --max-waiting"; exit 1; }
# A prompter that never answers: unknown programs wait on their prompt.
silent p
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
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit 0
