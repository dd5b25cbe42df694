#!/bin/bash
# `set on-policy-change` (docs/POLICY.md, "Settings"): the policy file
# edited outside ward is an alert; with `reload` wardd also loads it again.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
A=$(prog edited)
# conf OUTCOME ACTION: the policy, written straight into the file (not
# through `ward reload`): A may or may not connect.
conf() {
    cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set no-prompter block
set on-policy-change $1
app "$A" {
    $2 out tcp port 8080
}
CONF
}
alerts() { "$WARD" log --json 2>/dev/null | grep -c '"filter":"policy-changed"'; }
# edit OUTCOME ACTION: the file changed; waits for wardd's alert (its log
# line: the log's rows of one alert are folded into a count).
said() { [ "$(grep -c 'alert: policy-changed' "$WD_LOG")" -gt "$1" ]; }
edit() {
    local n
    n=$(grep -c 'alert: policy-changed' "$WD_LOG")
    conf "$1" "$2"
    wk_eventually 20 said "$n"
}
conf alert deny
start_wardd || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
refused "the program is denied" "$A" tcp4 $IP_B 8080
# words: on-policy-change alert
edit alert allow
wk_check "on-policy-change alert: the edit is an alert" [ "$(alerts)" -ge 1 ]
refused "on-policy-change alert: the policy in force is unchanged" "$A" tcp4 $IP_B 8080
# words: reload
"$WARD" reload >/dev/null # now in force: the edited file (its setting: reload)
conf reload deny
"$WARD" reload >/dev/null
refused "the program is denied again" "$A" tcp4 $IP_B 8080
edit reload allow
# The reload follows the alert: the first connection it allows is waited for.
allowed() { [ "$(conn "$A" tcp4 $IP_B 8080)" = ok ]; }
wk_eventually 20 allowed
passes "on-policy-change reload: the edited policy is in force" "$A" tcp4 $IP_B 8080
rejects "on-policy-change: another outcome is refused" 'ward.conf:1:[0-9]+' \
    <<<'set on-policy-change ignore'
stop_wardd
sanitizer_clean
exit 0
