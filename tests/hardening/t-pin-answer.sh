#!/bin/bash
# A pinned program whose binary changed is asked about; "allow" vouches for
# the binary seen: the program is pinned to its digest, so it is asked once,
# not on every connection, across a restart too; and learned.rules holds the
# rule once, however often the same answer is given.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"

P=$WK_TMP/asked/wk-client
old=$(sha256sum "$WK_TMP/allowed/wk-client-static" | cut -d' ' -f1) # not P's digest
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set prompt-timeout 20s default deny
app "$P" sha256 $old {
    allow out tcp port 8080
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
conn() { wk_client "$P" tcp4 $IP_B 8080 "${1:-25}" 2>&1; }
prompts() { grep -c -- '--- prompt' "$WK_TMP/$1.log"; }

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 100
wk_wait_for "$WK_TMP/srv.log" listening
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
wk_bg p1 "$WARD" prompt --answer allow --scope port --duration forever
wk_wait_for "$WK_TMP/p1.log" "waiting for prompts" 10
ok=0
for _ in 1 2 3 4 5; do [ "$(conn)" = ok ] && ok=$((ok + 1)); done
echo "# 5 connects of the changed binary: $ok passed, $(prompts p1) prompts"
wk_check "the changed binary, allowed, connects (5 of 5: $ok)" [ "$ok" = 5 ]
wk_check "it was asked about once, not on every connection ($(prompts p1) prompts)" \
    [ "$(prompts p1)" = 1 ]
n=$(grep -c 'allow out tcp port 8080' "$WK_TMP/state/learned.rules" 2>/dev/null)
wk_check "learned.rules holds no duplicate of a rule in force ($n learned lines)" [ "${n:-0}" -le 1 ]
new=$(sha256sum "$P" | cut -d' ' -f1)
wk_check "learned.rules pins the program to the digest allowed" \
    grep -q "app \"$P\" sha256 $new" "$WK_TMP/state/learned.rules"

# A restart: the learned pin replaces the administrator's; no new question.
kill -9 "$WK_PID_p1"
wait "$WK_PID_p1" 2>/dev/null
kill -TERM "$WK_PID_wardd1"
wait "$WK_PID_wardd1" 2>/dev/null
start_wardd wardd2 || wk_notok "wardd restarts with the learned pin"
wk_bg p2 "$WARD" prompt --answer allow --scope port --duration forever
wk_wait_for "$WK_TMP/p2.log" "waiting for prompts" 10
wk_check "after a restart the allowed binary connects" [ "$(conn 10)" = ok ]
wk_check "... without being asked again" [ "$(prompts p2)" = 0 ]
# Another binary at the same path is still a changed binary: asked.
{ cat "$WK_CLIENT"; printf x; } >"$P.new" && chmod 755 "$P.new" && mv "$P.new" "$P"
conn >/dev/null
wk_check "a different binary at the same path is asked about" [ "$(prompts p2)" = 1 ]
kill -TERM "$WK_PID_wardd2"
wait "$WK_PID_wardd2" 2>/dev/null
if grep -q 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log; then
    wk_notok "wardd runs without a sanitizer report"
else
    wk_ok "wardd runs without a sanitizer report"
fi
exit 0
