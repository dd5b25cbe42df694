#!/bin/bash
# Processes are tracked without the proc connector: wardd takes exec, fork
# and exit from the scheduler's tracepoints (ward status says which source).
# A rule "until this program exits" holds for the process that was asked
# (pid and start time), not for the program's other processes, and ends
# when that process exits; rules of processes already gone are swept at
# start and at reload. A thousand short-lived connecting processes of two
# programs are each logged with the right program.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
serve_b 100000

A1=$WK_TMP/one/wk-client
A2=$WK_TMP/two/wk-client
S=$WK_TMP/stale/wk-client
mkdir -p "$WK_TMP/one" "$WK_TMP/two" "$WK_TMP/stale"
for f in "$A1" "$A2" "$S"; do cp "$WK_CLIENT" "$f"; done
# A rule naming an address stays with wardd (not in the kernel's tables):
# every connection of A1 and A2 is decided, and logged, by wardd.
ward_policy <<CONF
set mode ask
set prompt-timeout 2s default deny
set no-prompter block
app "$A1" {
    allow out tcp port 8080 to $IP_B
}
app "$A2" {
    allow out tcp port 8080 to $IP_B
}
app "$S" {
    allow out tcp port 8080 until-exit pid 4194000 start 1
}
CONF
# Force the tracepoints where the proc connector would work (a CI host).
args=()
"$WARDD" --help 2>&1 | grep -q proc-events && args=(--proc-events tracepoints)
start_wardd wardd "${args[@]}" || { wk_notok "wardd starts"; exit 1; }
grep '^wardd: process events' "$WK_TMP/wardd.log" | sed 's/^/# /'
wk_check "ward status: process events from the tracepoints" \
    [ "$(status proc_source)" = tracepoints ]

# Exec and exit of short-lived processes are seen.
e0=$(status proc_execs)
x0=$(status proc_exits)
for _ in $(seq 200); do /bin/true; done
# The events are read on wardd's clock: wait for them.
seen() { [ "$(($(status proc_execs) - ${e0:-0}))" -ge 200 ] && [ "$(($(status proc_exits) - ${x0:-0}))" -ge 200 ]; }
wk_eventually 20 seen
e1=$(status proc_execs)
x1=$(status proc_exits)
echo "# exec events: ${e0:-none} -> ${e1:-none}; exit events: ${x0:-none} -> ${x1:-none}"
wk_check "200 short-lived processes: 200 execs seen" [ "$((${e1:-0} - ${e0:-0}))" -ge 200 ]
wk_check "200 short-lived processes: 200 exits seen" [ "$((${x1:-0} - ${x0:-0}))" -ge 200 ]

# Sweep: a rule until the exit of a process that is gone ends at start ...
wk_check "start: a rule until the exit of a process already gone is removed" \
    bash -c "! \"$WARD\" rules | grep -q 'pid 4194000'"
# ... and at reload.
cat >>"$WK_TMP/etc/ward.conf" <<CONF
app "$S" {
    deny out udp until-exit pid 4194001 start 1
}
CONF
"$WARD" reload >/dev/null
wk_check "reload: a rule until the exit of a process already gone is removed" \
    bash -c "! \"$WARD\" rules | grep -q 'pid 4194001'"

# Until this program exits: the process that was asked, and only it.
# until_exit TAG: the whole story once, with the wardd now running.
until_exit() {
    local tag=$1 out gone
    silent quiet$tag
    prompter yes$tag --answer allow --scope any --duration until-exit --count 1
    rm -f "$WK_TMP/go"
    mkfifo "$WK_TMP/go"
    wk_bg runner$tag sh -c "exec \"\$@\" <'$WK_TMP/go'" sh \
        sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec nsenter --net=/run/netns/"$@"' \
        sh "$WK_CG" "$NS_A" "$Q" lines tcp4 $IP_B 8080
    exec 7>"$WK_TMP/go"
    local log=$WK_TMP/runner$tag.log
    wk_wait_for "$log" ready 20
    echo go >&7
    wk_wait_for "$log" '^\(ok\|err\)' 20
    finish yes$tag 20
    wk_check "$tag: asked, answered 'until it exits': the process connects" \
        [ "$(sed -n 2p "$log")" = ok ]
    wk_check "$tag: the rule is tied to that process" \
        bash -c "\"$WARD\" rules | grep -q 'until-exit pid $(sed -n 's/^ready //p' "$log")'"
    echo go >&7
    for _ in $(seq 200); do [ "$(grep -c '^\(ok\|err\)' "$log")" -ge 2 ] && break; sleep 0.1; done
    wk_check "$tag: its next connection passes without a question" [ "$(sed -n 3p "$log")" = ok ]
    out=$(wk_client "$Q" tcp4 $IP_B 8080 8)
    wk_check "$tag: another process of the same program does not get the rule ($out)" \
        [ "$out" != ok ]
    exec 7>&- # the process exits
    finish runner$tag 20
    gone=no
    for _ in $(seq 200); do
        "$WARD" rules | grep -q until-exit || { gone=yes; break; }
        sleep 0.1
    done
    wk_check "$tag: the rule ends when its process exits" [ $gone = yes ]
    out=$(wk_client "$Q" tcp4 $IP_B 8080 8)
    wk_check "$tag: a new process of the program is asked again ($out)" [ "$out" != ok ]
    finish quiet$tag 0
}
until_exit tracepoints

# A thousand short-lived connecting processes, two programs in turn (a
# prompter is registered, so the rules decide: no-prompter blocks).
silent keep
wk_client bash -c 'for i in $(seq 1000); do
        if ((i % 2)); then p=$1; else p=$2; fi
        sh -c "echo pid \$\$ \$0; exec \"\$0\" tcp4 $3 8080 8" "$p"
    done' _ "$A1" "$A2" "$IP_B" >"$WK_TMP/thousand.out" 2>&1
oks=$(grep -cx ok "$WK_TMP/thousand.out")
echo "# $oks of 1000 connected"; grep -vx ok "$WK_TMP/thousand.out" | grep -v "^pid " | sort | uniq -c | sed "s/^/# /"
grep '^pid ' "$WK_TMP/thousand.out" | awk '{ print $2, $3 }' | sort >"$WK_TMP/ran"
rows() {
    "$WARD" log --limit 5000 --json | grep -F "\"rport\":8080" | grep -F '"verdict":"permit"' |
        awk 'match($0, /"pid":[0-9]+/) { p = substr($0, RSTART + 6, RLENGTH - 6)
             if (match($0, /"exe":"[^"]*"/)) print p, substr($0, RSTART + 7, RLENGTH - 8) }' |
        sort
}
for _ in $(seq 200); do
    [ "$(rows | grep -cF -e "$A1" -e "$A2")" -ge 1000 ] && break
    sleep 0.1
done
rows | grep -F -e "$A1" -e "$A2" >"$WK_TMP/logged"
right=$(join "$WK_TMP/ran" "$WK_TMP/logged" | awk '$2 == $3' | wc -l)
wrong=$(join "$WK_TMP/ran" "$WK_TMP/logged" | awk '$2 != $3' | wc -l)
missing=$(join -v1 "$WK_TMP/ran" "$WK_TMP/logged" | wc -l)
echo "# 1000 short-lived processes: $right logged with their program, $wrong with another, $missing not logged"
wk_check "1000 short-lived processes connected" [ "$oks" = 1000 ]
wk_check "each was logged with its own program ($right right, $wrong wrong, $missing missing)" \
    [ "$right" = 1000 ] && [ "$wrong" = 0 ]
finish keep 0
stop_wardd wardd

# Without any event source, the process is watched through a pidfd.
start_wardd wardd2 --proc-events none || wk_notok "wardd starts with --proc-events none"
wk_check "ward status: no event source" [ "$(status proc_source)" = none ]
until_exit pidfd
stop_wardd wardd2
exit 0
