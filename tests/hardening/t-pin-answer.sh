#!/bin/bash
# A pinned program whose binary changed is asked about; "allow" vouches for
# the binary seen: the program is pinned to its digest, so it is asked once,
# not on every connection, across a restart too; and learned.rules holds the
# rule once, however often the same answer is given.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

P=$WK_TMP/asked/wk-client
old=$(sha256sum "$WK_TMP/allowed/wk-client-static" | cut -d' ' -f1) # not P's digest
ward_policy <<CONF
set mode ask
set prompt-timeout 20s default deny
app "$P" sha256 $old {
    allow out tcp port 8080
}
CONF
prompts() { grep -c -- '--- prompt' "$WK_TMP/$1.log"; }

serve_b 100
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
prompter p1 --answer allow --scope port --duration forever
ok=0
for _ in 1 2 3 4 5; do [ "$(conn "$P" 25)" = ok ] && ok=$((ok + 1)); done
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
wk_signal KILL p1
stop_wardd wardd1
start_wardd wardd2 || wk_notok "wardd restarts with the learned pin"
prompter p2 --answer allow --scope port --duration forever
wk_check "after a restart the allowed binary connects" [ "$(conn "$P" 10)" = ok ]
wk_check "... without being asked again" [ "$(prompts p2)" = 0 ]
# Another binary at the same path is still a changed binary: asked.
{ cat "$WK_CLIENT"; printf x; } >"$P.new" && chmod 755 "$P.new" && mv "$P.new" "$P"
conn "$P" 25 >/dev/null
wk_check "a different binary at the same path is asked about" [ "$(prompts p2)" = 1 ]
stop_wardd wardd2
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP"/wardd*.log
exit 0
