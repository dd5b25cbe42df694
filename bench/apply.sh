#!/bin/bash
# bench/run apply [RULES [ROUNDS]] — putting a new policy in force.
#
# The real wardd (release build) in the kernel tests' sandbox with a policy
# of RULES application rules (default 10000, bench/wardd.lib), then ROUNDS
# (default 7) times: the policy file rewritten with other ports and
# `ward reload` timed from the command's start to its answer, which wardd
# gives once the new policy is in force (parsed off the loop, engine and
# kernel tables swapped in one step: docs/DAEMON.md). Prints
#   apply: rules=… reload_ms_p50=… reload_ms_min=… reload_ms_max=… rounds=…
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
RULES=${1:-10000}
ROUNDS=${2:-7}
. "$ROOT/bench/wardd.lib"

C=$WK_TMP/asked/wk-client
CONF=$WK_TMP/etc/ward.conf
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
bench_policy "$CONF" "$C" "$RULES"
bench_wardd wardd "$CONF" || exit 1

MS=""
for r in $(seq "$ROUNDS"); do
    bench_policy "$CONF" "$C" "$RULES" $((1000 + 7 * r))
    t0=$(date +%s%N)
    "$BUILD/bin/ward" reload >/dev/null || { echo "bench/run apply: reload failed" >&2; exit 1; }
    t1=$(date +%s%N)
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
    echo "# round $r: reload of $RULES rules in $ms ms"
    MS+="$ms "
done
rules=$("$BUILD/bin/ward" status --json | sed 's/.*"rules":\([0-9]*\).*/\1/')
sorted=$(tr ' ' '\n' <<<"$MS" | grep . | sort -n)
p50=$(awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}' <<<"$sorted")
printf 'apply: rules=%s reload_ms_p50=%s reload_ms_min=%s reload_ms_max=%s rounds=%s\n' \
    "$rules" "$p50" "$(head -1 <<<"$sorted")" "$(tail -1 <<<"$sorted")" "$ROUNDS" >&3
