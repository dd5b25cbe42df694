#!/bin/bash
# With no prompter registered and `set no-prompter pass`, a program with a
# deny rule stays denied: the no-prompter outcome is for questions only.
# Real connects through wardd (namespaces, hooks on a test cgroup), counted.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
set no-prompter pass
app "$A" {
    allow out tcp port 8080
}
app "$D" {
    deny out tcp port 8080
}
CONF

serve_b 100
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
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
stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
