#!/bin/bash
# `parent` (docs/POLICY.md, "Programs"): a rule that holds only when one of
# the process's ancestors runs a program it names, on real traffic.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
P=$(prog child)
Q=$(prog globbed)
# The "parents": shells of our own (copies of dash, so their paths are ours).
mkdir -p "$WK_TMP/p/cron" "$WK_TMP/p/other"
CRON=$WK_TMP/p/cron/sh
OTHER=$WK_TMP/p/other/sh
cp "$(readlink -f /bin/sh)" "$CRON"
cp "$(readlink -f /bin/sh)" "$OTHER"

pol <<CONF
set mode ask
set no-prompter block
set unattributed block
app "$P" parent "$CRON" {
    allow out tcp port 8080
}
app "$P" {
    deny out any
}
app "$Q" fallback deny {
    allow out tcp port 8080 parent "$WK_TMP/p/c*/sh"
}
CONF
start_wardd || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }

# via SHELL PROG ARGS...: PROG as a child of SHELL (a command after it keeps
# the shell from exec'ing it in its place).
via() { local sh=$1; shift; wk_client "$sh" -c '"$@"; r=$?; exit $r' sh "$@" 2>&1; }
# via2: PROG as a grandchild of SHELL, with /bin/sh between.
cat >"$WK_TMP/p/between.sh" <<'SH'
/bin/sh -c '"$@"; r=$?; exit $r' sh "$@"
r=$?
exit $r
SH
via2() { local sh=$1; shift; wk_client "$sh" "$WK_TMP/p/between.sh" "$@" 2>&1; }

# words: parent
wk_check "parent: the program started by the named parent passes" \
    [ "$(via "$CRON" "$P" tcp4 $IP_B 8080 4)" = ok ]
wk_check "parent: any ancestor counts (a grandparent)" \
    [ "$(via2 "$CRON" "$P" tcp4 $IP_B 8080 4)" = ok ]
wk_check "parent: started by another program, the rule does not hold" \
    [ "$(via "$OTHER" "$P" tcp4 $IP_B 8080 4)" != ok ]
wk_check "parent: started directly, the rule does not hold" \
    [ "$(conn "$P" tcp4 $IP_B 8080)" != ok ]
wk_check "parent: a glob names the parent" [ "$(via "$CRON" "$Q" tcp4 $IP_B 8080 4)" = ok ]
wk_check "parent: the glob does not name another" [ "$(via "$OTHER" "$Q" tcp4 $IP_B 8080 4)" != ok ]
wk_check "parent: the log row carries the parent chain" \
    wk_eventually 20 bash -c "'$WARD' log --program '$P' --verdict permit --json | grep -qF '\"parents\":[\"$CRON\"'"
id=$("$WARD" log --program "$P" --verdict block --json | head -1 | sed 's/.*"seq":\([0-9]*\).*/\1/')
wk_check "parent: explain --log shows the chain and the failed condition" \
    bash -c "'$WARD' explain --log '$id' | grep -q 'no ancestor is the rule.s parent'"
wk_check "parent: explain --parent decides as the rule says" \
    bash -c "'$WARD' explain -f '$WK_TMP/etc/ward.conf' --app '$P' --to $IP_B --port 8080 \
        --parent /usr/bin/bash --parent '$CRON' | grep -q 'decision: permit'"
rejects "parent: a relative path is refused" 'ward.conf:2:[0-9]+' \
    <<<$'app "/bin/x" {\n    allow out parent "sh"\n}'
rejects "parent: the block's parent and a rule's together are refused" 'ward.conf:2:[0-9]+' \
    <<<$'app "/bin/x" parent "/bin/a" {\n    allow out parent "/bin/b"\n}'
stop_wardd
sanitizer_clean
exit 0
