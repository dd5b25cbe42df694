#!/bin/bash
# Process monitoring (docs/MONITOR.md): a fork-exec chain is attributed with
# its parent rule, a storm of 2,000 short-lived connecting processes has no
# wrong attribution (each log row names the program and parent the process
# ran), and all of it holds with the proc connector unavailable (it is:
# wardd runs in a network namespace), from the scheduler's tracepoints and
# with no process events at all (/proc read on demand).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../words/lib.sh"
A=$(prog storm-a)
B=$(prog storm-b)
C=$(prog chain)
mkdir -p "$WK_TMP/p/cron" "$WK_TMP/p/storm"
CRON=$WK_TMP/p/cron/sh
STORM=$WK_TMP/p/storm/sh
cp "$(readlink -f /bin/sh)" "$CRON"
cp "$(readlink -f /bin/sh)" "$STORM"
ROUNDS=${WARD_STORM_ROUNDS:-40} # 50 processes a round

pol <<CONF
set mode ask
set no-prompter block
set unattributed block
app "$A" parent "$STORM" {
    allow out tcp port 8080
}
app "$B" parent "$STORM" {
    deny out tcp port 8080
}
app "$C" parent "$CRON" {
    allow out tcp port 8080
}
app "$C" {
    deny out any
}
CONF

# The chain: cron's shell runs a script whose shell runs the program.
cat >"$WK_TMP/p/job.sh" <<'SH'
/bin/sh -c '"$@"; r=$?; exit $r' sh "$@"
r=$?
exit $r
SH
# The storm: ROUNDS rounds of 25 A and 25 B at once; "PID PROGRAM" for each.
cat >"$WK_TMP/p/storm.sh" <<SH
i=0
while [ \$i -lt $ROUNDS ]; do
    j=0
    while [ \$j -lt 25 ]; do
        "$A" tcp4 $IP_B 8080 4 >/dev/null 2>&1 &
        echo "\$! $A"
        "$B" tcp4 $IP_B 8080 4 >/dev/null 2>&1 &
        echo "\$! $B"
        j=\$((j + 1))
    done
    wait
    i=\$((i + 1))
done
SH

# run_case SOURCE: wardd with --proc-events SOURCE, the chain, the storm.
run_case() {
    local src=$1 got n_rows wrong
    start_wardd --proc-events "$src" || { wk_notok "wardd starts ($src)"; sed 's/^/# /' "$WD_LOG"; return; }
    got=$("$WARD" status --json | sed -n 's/.*"proc_source":"\([a-z-]*\)".*/\1/p')
    wk_check "$src: wardd's process events come from $src (the proc connector refuses here)" \
        [ "$got" = "$src" ]
    wk_check "$src: a fork-exec chain under cron's shell is allowed by its parent rule" \
        [ "$(wk_client "$CRON" "$WK_TMP/p/job.sh" "$C" tcp4 $IP_B 8080 15 2>&1)" = ok ]
    wk_check "$src: the same program started otherwise is denied" \
        [ "$(wk_client "$C" tcp4 $IP_B 8080 4 2>&1)" != ok ]
    wk_check "$src: its log row names the chain (sh, then cron's shell)" \
        wk_eventually 20 bash -c "'$WARD' log --program '$C' --verdict permit --json |
            grep -qF '\"parents\":[\"$(readlink -f /bin/sh)\",\"$CRON\"'"
    local since
    since=$(date +%s)
    wk_client "$STORM" "$WK_TMP/p/storm.sh" >"$WK_TMP/storm-$src.pids" 2>&1
    # The log is written behind the decisions: wait until the rows are in.
    local i rows=$WK_TMP/storm-$src.rows
    for ((i = 0; i < 100; i++)); do
        { "$WARD" log --since "$since" --program "$A" --json --limit 5000
          "$WARD" log --since "$since" --program "$B" --json --limit 5000; } >"$rows" 2>&1
        [ "$(grep -c '"kind":"decision"' "$rows")" -ge $((ROUNDS * 50)) ] && break
        sleep 0.2
    done
    # Each row of A or B: its pid must have run that program, under STORM.
    read -r n_rows wrong < <(python3 - "$WK_TMP/storm-$src.pids" "$WK_TMP/storm-$src.rows" \
        "$A" "$B" "$STORM" <<'PY'
import json, sys
pids = dict(l.split(" ", 1) for l in open(sys.argv[1]).read().split("\n") if " " in l)
a, b, storm = sys.argv[3], sys.argv[4], sys.argv[5]
rows = wrong = 0
for line in open(sys.argv[2]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    exe = r.get("exe", "")
    if r.get("kind") != "decision" or str(r.get("pid")) not in pids and exe not in (a, b):
        continue
    rows += 1
    want = pids.get(str(r.get("pid")))
    verdict = "permit" if want == a else "block"
    if exe != want or (r.get("parents") or [""])[0] != storm or r.get("verdict") != verdict:
        wrong += 1
        if wrong <= 5:
            print(line.strip(), file=sys.stderr)
print(rows, wrong)
PY
    )
    local n_procs
    n_procs=$(wc -l <"$WK_TMP/storm-$src.pids")
    echo "# $src: $n_procs processes, $n_rows log rows, $wrong wrong"
    wk_check "$src: the storm ran $((ROUNDS * 50)) connecting processes" [ "$n_procs" -eq $((ROUNDS * 50)) ]
    wk_check "$src: every one of them has its log row" [ "${n_rows:-0}" -eq "$n_procs" ]
    wk_check "$src: 0 wrong attributions (program, parent and verdict of each row)" [ "${wrong:-1}" -eq 0 ]
    stop_wardd
}
run_case tracepoints
rm -f "$WK_TMP/state/log.db"* 2>/dev/null
run_case none
sanitizer_clean
exit 0
