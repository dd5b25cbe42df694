#!/bin/bash
# `ward ps`: a process with an open connection, listed with its parent chain,
# the rules of its program and its traffic (docs/MONITOR.md).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../words/lib.sh"
command -v nc >/dev/null || wk_skip_all "no nc"
mkdir -p "$WK_TMP/p/cron" "$WK_TMP/p/nc"
CRON=$WK_TMP/p/cron/sh
N=$WK_TMP/p/nc/nc
cp "$(readlink -f /bin/sh)" "$CRON"
cp "$(readlink -f "$(command -v nc)")" "$N"
pol <<CONF
set mode ask
set no-prompter block
app "$N" parent "$CRON" {
    allow out tcp port 9100
}
CONF
start_wardd || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
wk_check "ward ps: nothing open, nothing listed" \
    bash -c "'$WARD' ps | grep -q 'no process has an open connection'"
# B sends about 500 kB/s; the nc copy, started by cron's shell, reads it.
wk_bg feed wk_in_b sh -c "while :; do head -c 50000 /dev/zero; sleep 0.1; done | nc -l -s $IP_B -p 9100"
wk_listening b 9100
wk_bg slow wk_client "$CRON" -c '"$0" "$@"; r=$?; exit $r' "$N" -d $IP_B 9100
row=
for ((i = 0; i < 100; i++)); do
    row=$("$WARD" ps --json | grep -F "\"program\":\"$N\"")
    grep -q '"bytes_in":[1-9]' <<<"$row" && break
    sleep 0.2
done
echo "# $row"
"$WARD" ps | sed 's/^/# /'
wk_check "ward ps lists the process with its program and pid" grep -q '"pid":[1-9]' <<<"$row"
wk_check "... its parent chain, cron's shell first" grep -qF "\"parents\":[\"$CRON\"" <<<"$row"
wk_check "... the rule of its program" grep -q '"rules":\[[1-9][0-9]*\]' <<<"$row"
wk_check "... its open connection and the bytes it read" grep -q '"conns":1,"bytes_in":[1-9]' <<<"$row"
wk_check "ward ps (text) names the parent" bash -c "'$WARD' ps | grep -F '$N' | grep -q ' sh '"
kill "$WK_PID_slow" "$WK_PID_feed" 2>/dev/null
stop_wardd
sanitizer_clean
exit 0
