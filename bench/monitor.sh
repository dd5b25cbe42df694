#!/bin/bash
# bench/run monitor [ROUNDS [EXECS]] — what process monitoring costs: a
# fork-exec loop (bench/forkexec.c, EXECS execs of /bin/true) with wardd
# following every exec, fork and exit from the scheduler's tracepoints (and
# its injection watch), against the same loop without wardd, ROUNDS times,
# in alternating order.
#
# wardd runs as in the kernel tests: in a network namespace of its own (so
# the proc connector refuses and the tracepoints are used), its hooks on a
# cgroup of our own, everything removed on exit. Needs root. Ends with
#   monitor: execs_per_s=… base_execs_per_s=… overhead_ratio=… loop_cpu_ratio=… wardd_cpu_us_per_exec=…
# (medians; overhead_ratio is the median of each round's baseline rate over
# its rate with wardd, the two measured back to back: 1.05 means the loop
# ran 5% slower; loop_cpu_ratio the same for the loop's own CPU time per
# exec, its children's included: what the tracepoints and their wake-ups
# cost the processes that start (noisy too on a loaded machine);
# wardd_cpu_us_per_exec is wardd's own CPU time, user and system, over the
# exec events it applied: what following a process costs, whatever the
# machine's load does to the loop).
#
# WARD_BENCH_BPF_STATS=1 also turns on kernel.bpf_stats_enabled for the runs
# with wardd (set back after) and prints, per round, each of wardd's BPF
# programs that ran: runs per exec of the loop and ns per run (the counts
# include every other process on the machine: the programs are global).
#
# WARD_BENCH_STRACE=1 also counts wardd's system calls over each round's
# loop (strace -c -f -p WARDD) and prints them per exec event: unlike its CPU
# time, a count the machine's load does not change (strace slows wardd, so
# its CPU figure is then not comparable).
#
# WARD_BENCH_MALLOC=1 counts wardd's allocations (malloc, calloc, realloc
# and the aligned ones, all its threads) over each round's loop
# (bench/preload/malloccount.c, preloaded) and prints them per exec event.
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
ROUNDS=${1:-5}
N=${2:-2000}
cd "$ROOT"
B=${BUILD#$ROOT/}
make -s -j2 MODE=rel BUILD_DIR="$B" "$B/bin/wardd" "$B/bin/ward" "$B/bench/forkexec" \
    "$B/tests/kernel/wk-client" "$B/tests/kernel/wk-client-static" >&2 || exit 1
export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
. "$ROOT/tests/kernel/wardd.sh"
MALLOC=${WARD_BENCH_MALLOC:-0}
if [ "$MALLOC" = 1 ]; then
    cc -O2 -shared -fPIC -o "$WK_TMP/malloccount.so" bench/preload/malloccount.c || exit 1
    printf '#!/bin/sh\nWARD_MALLOC_COUNT=%s LD_PRELOAD=%s exec %s "$@"\n' \
        "$WK_TMP/mallocs" "$WK_TMP/malloccount.so" "$WARDD" >"$WK_TMP/wardd-counted"
    chmod 755 "$WK_TMP/wardd-counted"
    WARDD=$WK_TMP/wardd-counted
fi
# mallocs PID: its allocations so far (WARD_BENCH_MALLOC=1).
mallocs() { od -An -tu8 -N8 "$WK_TMP/mallocs.$1" | tr -d ' '; }
exec 3>&1 1>&2 # progress on stderr, results on fd 3

ward_policy <<CONF
set mode ask
set no-prompter pass
CONF
FE=$BUILD/bench/forkexec
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
with=() base=() ratio=() cpu=() loop_cpu=()
# cpu_ticks PID: the process's user and system time so far, in clock ticks.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
execs_applied() { "$WARD" status --json | sed -n 's/.*"proc_execs":\([0-9]*\).*/\1/p'; }
# prog_stats PID: "id name run_cnt run_time_ns" of each BPF program PID holds.
prog_stats() {
    local id
    for id in $(cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u); do
        bpftool prog show id "$id" 2>/dev/null | awk -v id="$id" 'NR == 1 {
            for (i = 1; i <= NF; i++) { if ($i == "name") n = $(i + 1); if ($i == "run_cnt") c = $(i + 1); if ($i == "run_time_ns") t = $(i + 1) }
            print id, n, c + 0, t + 0 }'
    done
}
STATS=${WARD_BENCH_BPF_STATS:-0}
if [ "$STATS" = 1 ]; then
    stats_was=$(sysctl -n kernel.bpf_stats_enabled)
    trap 'sysctl -q kernel.bpf_stats_enabled="$stats_was"; wk_cleanup' EXIT
fi
for r in $(seq "$ROUNDS"); do
    # The order alternates: whichever runs second is not always the one
    # that finds the machine warmer (or busier).
    [ $((r % 2)) = 1 ] && bo=$("$FE" "$N")
    start_wardd wardd$r --proc-events tracepoints || { sed 's/^/# /' "$WK_TMP/wardd$r.log"; exit 1; }
    eval "wpid=\$WK_PID_wardd$r"
    [ "$STATS" = 1 ] && sysctl -q kernel.bpf_stats_enabled=1 && prog_stats "$wpid" >"$WK_TMP/stats0"
    c0=$(cpu_ticks "$wpid") e0=$(execs_applied)
    if [ "${WARD_BENCH_STRACE:-0}" = 1 ]; then
        strace -c -f -p "$wpid" -o "$WK_TMP/strace$r" 2>/dev/null &
        spid=$!
        sleep 1 # attached
        e0=$(execs_applied)
    fi
    [ "$MALLOC" = 1 ] && m0=$(mallocs "$wpid")
    wo=$("$FE" "$N")
    sleep 0.5 # the last events drained
    [ "${WARD_BENCH_STRACE:-0}" = 1 ] && kill -INT "$spid" && wait "$spid"
    [ "$MALLOC" = 1 ] && m1=$(mallocs "$wpid")
    c1=$(cpu_ticks "$wpid") execs=$(($(execs_applied) - e0))
    if [ "${WARD_BENCH_STRACE:-0}" = 1 ]; then
        # The table's rows: "% time seconds usecs/call calls [errors] name".
        awk -v e="$execs" -v r="$r" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
            n[$NF] = $4; all += $4 } END {
            printf "# round %s: syscalls/exec=%.2f", r, all / e
            for (c in n) if (n[c] / e >= 0.01) printf " %s=%.2f", c, n[c] / e
            printf " (over %d exec events)\n", e }' "$WK_TMP/strace$r"
    fi
    [ "$MALLOC" = 1 ] && awk -v m=$((m1 - m0)) -v e="$execs" -v r="$r" \
        'BEGIN {printf "# round %s: mallocs/exec=%.2f (over %d exec events)\n", r, m / e, e}'
    if [ "$STATS" = 1 ]; then
        prog_stats "$wpid" | join "$WK_TMP/stats0" - | awk -v n="$N" -v r="$r" '$6 > $3 {
            printf "# round %s: %-24s runs/exec=%.1f ns/run=%.0f\n", r, $2, ($6 - $3) / n, ($7 - $4) / ($6 - $3) }'
        sysctl -q kernel.bpf_stats_enabled="$stats_was"
    fi
    cpu+=("$(awk -v c=$((c1 - c0)) -v e="$execs" -v hz="$(getconf CLK_TCK)" \
        'BEGIN {printf "%.1f", e ? c * 1e6 / hz / e : 0}')")
    stop_wardd wardd$r
    [ $((r % 2)) = 0 ] && bo=$("$FE" "$N")
    b=$(field execs_per_s <<<"$bo") w=$(field execs_per_s <<<"$wo")
    bc=$(field cpu_us_per_exec <<<"$bo") wc=$(field cpu_us_per_exec <<<"$wo")
    # Every wardd on the machine (other jobs' too) runs its tracepoints for
    # every process here, the baseline's included.
    others=$(pgrep -c -x wardd)
    echo "# round $r: without wardd $b execs/s ($bc us of CPU each), with wardd $w execs/s ($wc us)" \
        "(wardd applied $execs exec events, ${cpu[-1]} us of CPU each; other wardds running: $others)"
    base+=("$b") with+=("$w")
    ratio+=("$(awk -v a="$b" -v b="$w" 'BEGIN {printf "%.3f", a / b}')")
    loop_cpu+=("$(awk -v a="$wc" -v b="$bc" 'BEGIN {printf "%.3f", a / b}')")
done
mw=$(printf '%s\n' "${with[@]}" | median)
mb=$(printf '%s\n' "${base[@]}" | median)
echo "monitor: execs_per_s=$mw base_execs_per_s=$mb overhead_ratio=$(printf '%s\n' "${ratio[@]}" | median) loop_cpu_ratio=$(printf '%s\n' "${loop_cpu[@]}" | median) wardd_cpu_us_per_exec=$(printf '%s\n' "${cpu[@]}" | median)" >&3
