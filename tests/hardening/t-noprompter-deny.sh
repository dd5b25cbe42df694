#!/bin/bash
# With no prompter registered and `set no-prompter pass`, a program with a
# deny rule stays denied: the no-prompter outcome is for questions only.
# Real connects through wardd (namespaces, hooks on a test cgroup), counted.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"

A=$WK_TMP/allowed/wk-client
D=$WK_TMP/denied/wk-client
Q=$WK_TMP/asked/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set no-prompter pass
app "$A" {
    allow out tcp port 8080
}
app "$D" {
    deny out tcp port 8080
}
CONF
chmod 644 "$WK_TMP/etc/ward.conf"
export WARD_SOCKET=$WK_TMP/run/control.sock

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 100
wk_wait_for "$WK_TMP/srv.log" listening
wk_bg wardd nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
    --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
    --cgroup "$WK_CG" --pin-dir "$WK_PIN"
wk_wait_for "$WK_TMP/wardd.log" "ready" 30 || { wk_notok "wardd starts"; exit 1; }
wk_check "no prompter is registered" \
    bash -c "\"$WARD\" status --json | grep -q '\"prompters\":0'"

# storm PROGRAM SECONDS: connects in a loop, prints how many succeeded.
storm() { wk_client "$1" storm $IP_B 8080 "$2" | sed -n 's/^storm ok=\([0-9]*\) .*/\1/p'; }
denied=$(storm "$D" 3)
allowed=$(storm "$A" 1)
asked=$(wk_client "$Q" tcp4 $IP_B 8080 5)
echo "# connects that succeeded with no prompter: denied program $denied, allowed program $allowed"
wk_check "the deny rule holds: 0 connects of the denied program succeed (got ${denied:-none})" \
    [ "${denied:-x}" = 0 ]
wk_check "the allow rule holds: the allowed program connects (${allowed:-none})" \
    [ "${allowed:-0}" -gt 0 ]
wk_check "a question nobody can answer gets the no-prompter outcome (pass)" [ "$asked" = ok ]
# The deny rule is compiled into the kernel: refused at connect, EPERM.
out=$(wk_client "$D" tcp4 $IP_B 8080 3)
wk_check "the denied program is refused by the hook at connect (EPERM; got '$out')" \
    [ "$out" = "err EPERM" ]

# A policy that would pass everything before the rules is refused, with
# file:line:col, and nothing changes.
printf 'set no-prompter pass for all\n' >"$WK_TMP/etc/bad.conf"
out=$("$WARD" check "$WK_TMP/etc/bad.conf" 2>&1)
wk_check "ward check refuses 'no-prompter pass for all' at its line and column" \
    grep -q 'bad.conf:1:26: error:.*override deny rules' <<<"$out"
kill -TERM "$WK_PID_wardd"
wait "$WK_PID_wardd" 2>/dev/null
if grep -q 'Sanitizer\|runtime error' "$WK_TMP/wardd.log"; then
    wk_notok "wardd runs without a sanitizer report"
else
    wk_ok "wardd runs without a sanitizer report"
fi
exit 0
