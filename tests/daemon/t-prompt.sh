#!/bin/bash
# wardd end to end, in network namespaces with its hooks on a test cgroup:
# rules decide known programs; an unknown program is held while a prompt is
# answered by `ward prompt`; the answer is learned, persisted, and survives
# a restart; deny-once, the timeout default and "no prompter" apply; every
# decision is logged with the right program, pid and remote.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"

A=$WK_TMP/allowed/wk-client
D=$WK_TMP/denied/wk-client
Q=$WK_TMP/asked/wk-client
O=$WK_TMP/other/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set prompt-timeout 3s default deny
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

start_wardd() {
    wk_bg "$1" nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN"
    wk_wait_for "$WK_TMP/$1.log" "ready" 30
}
stop_wardd() {
    local p
    eval "p=\${WK_PID_$1:-}"
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}
# prompter NAME ARGS...: a `ward prompt` in the background, registered.
prompter() {
    local name=$1
    shift
    wk_bg "$name" "$WARD" prompt "$@"
    wk_wait_for "$WK_TMP/$name.log" "waiting for prompts" 10
}
conn() { wk_client "$1" tcp4 $IP_B 8080 "${2:-10}" 2>&1; }
# silent NAME: a prompter that registers and never answers (its terminal
# stays silent), so wardd has a prompter and the timeout decides.
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
silent() {
    wk_bg "$1" sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
    wk_wait_for "$WK_TMP/$1.log" "waiting for prompts" 10
}

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 100
wk_wait_for "$WK_TMP/srv.log" listening
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
wk_ok "wardd starts in the namespace with hooks on the test cgroup"

# No prompter registered: what would be asked gets the no-prompter outcome
# (pass here); the rules, deny rules included, still hold.
wk_check "no prompter: an unknown program gets the no-prompter outcome (pass)" \
    [ "$(conn "$Q")" = ok ]
wk_check "no prompter: a deny rule still holds" [ "$(conn "$D")" != ok ]
silent p0

prompter p1 --answer allow --scope port --duration forever --count 1
wk_check "rule: an allowed program connects" [ "$(conn "$A")" = ok ]
wk_check "rule: a denied program is refused" [ "$(conn "$D")" != ok ]
wk_check "prompt: an unknown program is held, asked, allowed, and connects" \
    [ "$(conn "$Q" 20)" = ok ]
wk_check "prompt: the prompter saw the program and destination" \
    grep -q "program:  $Q" "$WK_TMP/p1.log"
wk_check "prompt: the answer was learned and persisted" \
    grep -q "app \"$Q\"" "$WK_TMP/state/learned.rules"
decisions() { "$WARD" status --json | sed 's/.*"decisions":\([0-9]*\).*/\1/'; }
qrows() { "$WARD" log --program "$Q" --json | grep '"reason":"app-rule"' | grep -c '"filter_id":[1-9]'; }
qbefore=$(qrows)
before=$(decisions)
wk_check "learned: the next connection of the program passes" [ "$(conn "$Q" 5)" = ok ]
wk_check "learned: it was decided in the kernel (wardd saw nothing)" [ "$(decisions)" = "$before" ]
# ... and still reached the log: the hook reported it, with the learned rule.
klog() { [ "$(qrows)" -gt "$qbefore" ]; }
for _ in $(seq 30); do klog && break; sleep 0.1; done
wk_check "learned: the kernel's decision is in the log with the program and its rule" klog
wait "$WK_PID_p1" 2>/dev/null

prompter p2 --answer deny --duration once --count 1
wk_check "deny once: the connection is refused" [ "$(conn "$O" 20)" != ok ]
wait "$WK_PID_p2" 2>/dev/null
wk_check "deny once: nothing was learned" bash -c "! grep -q '$O' '$WK_TMP/state/learned.rules'"

# Only the silent prompter is left: the policy's timeout default (deny).
wk_check "timeout: nobody answers, the default (deny) applies" [ "$(conn "$O" 20)" != ok ]
wk_check "timeout: wardd logged the block as the timeout's" \
    bash -c "\"$WARD\" log --program '$O' --json | grep -q '\"filter\":\"timeout\"'"

# Two programs wait at once; each prompt is answered on its own.
mkdir -p "$WK_TMP/two/a" "$WK_TMP/two/b"
cp "$WK_CLIENT" "$WK_TMP/two/a/wk-client"
cp "$WK_CLIENT" "$WK_TMP/two/b/wk-client"
mkfifo "$WK_TMP/keys"
exec 8<>"$WK_TMP/keys"
wk_bg px sh -c "exec \"$WARD\" prompt <\"$WK_TMP/keys\""
wk_wait_for "$WK_TMP/px.log" "waiting for prompts" 10
wk_bg ca wk_client "$WK_TMP/two/a/wk-client" tcp4 $IP_B 8080 20
wk_bg cb wk_client "$WK_TMP/two/b/wk-client" tcp4 $IP_B 8080 20
pending() { "$WARD" status --json | sed 's/.*"prompts_pending":\([0-9]*\).*/\1/'; }
for _ in $(seq 100); do [ "$(pending)" = 2 ] && break; sleep 0.1; done
wk_check "two prompts: both programs wait at once" [ "$(pending)" = 2 ]
printf 'a\n\no\n' >&8 # the first shown: allow, this destination, once
for _ in $(seq 100); do [ "$(pending)" = 1 ] && break; sleep 0.1; done
wk_check "two prompts: the first answer leaves the other waiting" [ "$(pending)" = 1 ]
printf 'd\n\no\n' >&8 # the second: deny once
wait "$WK_PID_ca" "$WK_PID_cb"
first=$(sed -n 's/^program:  //p' "$WK_TMP/px.log" | head -1)
[ "$first" = "$WK_TMP/two/a/wk-client" ] && { yes=ca; no=cb; } || { yes=cb; no=ca; }
wk_check "two prompts: the program allowed connects" grep -qx ok "$WK_TMP/$yes.log"
wk_check "two prompts: the program denied does not" bash -c "! grep -qx ok '$WK_TMP/$no.log'"

# Anyone may read; only root and group ward may change the policy.
asnobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
wk_check "a non-root, non-ward user can read the status" asnobody "$WARD" status
wk_check "a non-root, non-ward user cannot switch the mode" bash -c \
    "! setpriv --reuid nobody --regid nogroup --clear-groups '$WARD' mode allow-all 2>/dev/null"
wk_check "... nor add a rule" bash -c \
    "! setpriv --reuid nobody --regid nogroup --clear-groups '$WARD' rules add /bin/sh allow 2>/dev/null"
wk_check "... and the mode is unchanged" [ "$("$WARD" mode)" = ask ]

# The log holds each decision with its program, pid and remote.
rows=$("$WARD" log --program "$Q" --json 2>&1)
wk_check "log: the learned program's connection is logged as permit with its pid" \
    bash -c "grep -q '\"verdict\":\"permit\"' <<<'$rows' && grep -q '\"pid\":[1-9]' <<<'$rows' && \
             grep -q '10.77.0.2' <<<'$rows'"
wk_check "log: the denied program's connection is logged as block" \
    bash -c "\"$WARD\" log --program '$D' --verdict block | grep -q '$D'"

row=$("$WARD" log --program "$D" --json | head -1 | sed 's/.*"seq":\([0-9]*\).*/\1/')
wk_check "explain --log: wardd explains a logged connection by its rule" \
    bash -c "\"$WARD\" explain --log '$row' | grep -q 'matches: block'"

# Learned rules survive a restart (a prompter is registered, none answers).
stop_wardd wardd1
start_wardd wardd2 || wk_notok "wardd restarts"
silent p4
wk_check "restart: the learned rule still allows the program without a prompt" \
    [ "$(conn "$Q" 5)" = ok ]
wk_check "restart: no prompt was raised for it" bash -c "! grep -q -- '--- prompt' '$WK_TMP/p4.log'"
wk_bg w "$WARD" watch --count 1
sleep 0.5
conn "$D" >/dev/null
wk_check "watch: the decision arrives on the event ring" wk_wait_for "$WK_TMP/w.log" "$D" 10
stop_wardd wardd2
if grep -q 'Sanitizer\|runtime error' "$WK_TMP"/wardd1.log "$WK_TMP"/wardd2.log; then
    wk_notok "wardd runs and stops without a sanitizer report"
    grep -h -A30 'Sanitizer\|runtime error' "$WK_TMP"/wardd1.log "$WK_TMP"/wardd2.log | sed 's/^/# /'
else
    wk_ok "wardd runs and stops without a sanitizer report"
fi
exit 0
