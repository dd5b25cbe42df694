#!/bin/bash
# A prompt nobody answers sends nothing: unknown programs connect over TCP
# (IPv4 and IPv6) and send datagrams (IPv4 and IPv6) while a prompter is
# registered and silent; while they wait and after the timeout's answer
# (deny), 0 packets of theirs reach the peer — in fail-closed and in
# fail-open mode (waiting is not wardd being down).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib-variants.sh"
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
prompters() { "$WARD" status --json | sed -n 's/.*"prompters":\([0-9]*\).*/\1/p'; }
pending() { "$WARD" status --json | sed -n 's/.*"prompts_pending":\([0-9]*\).*/\1/p'; }

four_timeouts() { [ "$("$WARD" log --json | grep -c '"filter":"timeout"')" -ge 4 ]; }

for mode in closed open; do
    hv_policy $mode "set prompt-timeout 4s default deny"
    hv_wardd || { wk_notok "$mode: wardd starts"; continue; }
    wk_bg silent$mode sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
    wk_wait_for "$WK_TMP/silent$mode.log" "waiting for prompts" 20
    for _ in $(seq 200); do [ "$(prompters)" = 1 ] && break; sleep 0.1; done
    c0=$(hv_counts)
    for v in $VARIANTS; do
        mkdir -p "$WK_TMP/$mode-$v"
        cp "$WK_CLIENT" "$WK_TMP/$mode-$v/wk-client"
        # shellcheck disable=SC2046
        wk_bg ask_$v wk_client "$WK_TMP/$mode-$v/wk-client" $(hv_args $v) 10
    done
    for _ in $(seq 200); do [ "$(pending)" = 4 ] && break; sleep 0.1; done
    wk_check "fail-$mode: four prompts wait (tcp4 tcp6 udp4 udp6): $(pending)" [ "$(pending)" = 4 ]
    sleep 1
    c1=$(hv_counts)
    echo "# fail-$mode, while the prompts wait: $(hv_diff "$c0" "$c1")"
    wk_check "fail-$mode: 0 packets reach the peer while the prompts wait ($(hv_diff "$c0" "$c1"))" \
        [ "$(hv_sum "$c0" "$c1")" -eq 0 ]
    for v in $VARIANTS; do eval "wait \$WK_PID_ask_$v 2>/dev/null"; done
    sleep 0.5
    c2=$(hv_counts)
    echo "# fail-$mode, after the timeout's deny: $(hv_diff "$c1" "$c2")"
    wk_check "fail-$mode: 0 packets after the timeout's answer (deny) ($(hv_diff "$c1" "$c2"))" \
        [ "$(hv_sum "$c1" "$c2")" -eq 0 ]
    wk_check "fail-$mode: the TCP clients were refused" \
        bash -c "! grep -qx ok '$WK_TMP/ask_tcp4.log' && ! grep -qx ok '$WK_TMP/ask_tcp6.log'"
    wk_check "fail-$mode: the timeouts are logged" wk_eventually 20 four_timeouts
    eval "kill \$WK_PID_silent$mode" 2>/dev/null
    hv_stop
    wk_in_a nft delete table inet ward 2>/dev/null
    rm -rf "$WK_TMP/state"
done
no_sanitizer "wardd ran without a sanitizer report" "$WK_TMP"/wardd*.log
exit 0
