#!/bin/bash
# `ward top` shows who started a process: a program run by a script under a
# "cron" shell asks; the prompts view shows the selected prompt's parent
# chain (program ← shell ← cron's shell), the answer form keeps it, and
# after the answer the programs view and the program's own view show the
# chain of its last connection.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/lib-top.sh"

mkdir -p "$WK_TMP/cron"
CRON=$WK_TMP/cron/sh
cp "$(readlink -f /bin/sh)" "$CRON"
SH=$(readlink -f /bin/sh)
cat >"$WK_TMP/job.sh" <<'SH'
/bin/sh -c '"$@"; r=$?; exit $r' sh "$@"
SH

ward_policy <<CONF
set mode ask
set prompt-timeout 60s default deny
set no-prompter block
CONF
serve_b 10
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
top_start main || { wk_notok "ward top starts"; exit 1; }
screen_wait main "connected \(admin\)" >/dev/null

CHAIN="chain: $O ← $SH ← $CRON"
wk_bg c1 wk_client "$CRON" "$WK_TMP/job.sh" "$O" tcp4 $IP_B 8080 50
wk_check "the prompt appears" screen_wait main "prompt [0-9]+ +$O "
keys main 2
wk_check "prompts view: the selected prompt's parent chain is shown" screen_wait main "$CHAIN"
keys main a
wk_check "answer form: ... and stays while it is answered" \
    screen_wait main "answer prompt [0-9]+: ALLOW"
wk_check "answer form: the chain is beside it" screen_wait main "$CHAIN"
save main top-chain-prompt
keys main o Enter
wait "$WK_PID_c1" 2>/dev/null
wk_check "the answered connection went through" grep -qx ok "$WK_TMP/c1.log"
keys main 1
wk_check "programs view: the selected program's chain is shown" screen_wait main "$CHAIN"
keys main Enter
wk_check "program view: its last process's chain" screen_wait main "-- Program --"
wk_check "program view: ... is shown" screen_wait main "$CHAIN"
save main top-chain-program
wk_check "ward top quits" top_quit main
no_sanitizer "ward top and wardd ran without a sanitizer report" "$WK_TMP"/wardd.log \
    $(ls "$WK_TMP"/asan/* 2>/dev/null) /dev/null
