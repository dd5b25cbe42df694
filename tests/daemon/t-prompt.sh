#!/bin/bash
# wardd end to end, in network namespaces with its hooks on a test cgroup:
# rules decide known programs; an unknown program is held while a prompt is
# answered by `ward prompt`; the answer is learned, persisted, and survives
# a restart; deny-once, the timeout default and "no prompter" apply; every
# decision is logged with the right program, pid and remote.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
set prompt-timeout 3s default deny
set no-prompter pass
app "$A" {
    allow out tcp port 8080
}
# The zone keeps this program's rule with wardd (a port-only deny is
# refused in the kernel, at connect): its blocks are logged and explained.
app "$D" {
    deny out tcp port 8080 to lan
}
CONF
serve_b 100
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
qrows() { "$WARD" log --program "$Q" --json | grep '"reason":"app-rule"' | grep -c '"filter_id":[1-9]'; }
qbefore=$(qrows)
before=$(status decisions)
wk_check "learned: the next connection of the program passes" [ "$(conn "$Q" 5)" = ok ]
wk_check "learned: it was decided in the kernel (wardd saw nothing)" [ "$(status decisions)" = "$before" ]
# ... and still reached the log: the hook reported it, with the learned rule.
klog() { [ "$(qrows)" -gt "$qbefore" ]; }
for _ in $(seq 200); do klog && break; sleep 0.1; done
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
keyed px
wk_bg ca wk_client "$WK_TMP/two/a/wk-client" tcp4 $IP_B 8080 20
wk_bg cb wk_client "$WK_TMP/two/b/wk-client" tcp4 $IP_B 8080 20
for _ in $(seq 200); do [ "$(status prompts_pending)" = 2 ] && break; sleep 0.1; done
wk_check "two prompts: both programs wait at once" [ "$(status prompts_pending)" = 2 ]
printf 'a\n\no\n' >&8 # the first shown: allow, this destination, once
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
wk_check "two prompts: the first answer leaves the other waiting" [ "$(status prompts_pending)" = 1 ]
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
watching w
conn "$D" >/dev/null
wk_check "watch: the decision arrives on the event ring" wk_wait_for "$WK_TMP/w.log" "$D" 20
stop_wardd wardd2
no_sanitizer "wardd runs and stops without a sanitizer report" "$WK_TMP"/wardd1.log "$WK_TMP"/wardd2.log
exit 0
