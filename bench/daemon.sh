#!/bin/bash
# bench/run daemon [RULES [CONNECTS [PROCESSES]]] — wardd with a large policy.
#
# The real wardd (release build) in the kernel tests' sandbox (two network
# namespaces, hooks on a cgroup of our own), its policy RULES application
# rules (default 10000) over RULES/5 programs. The client's own rule names a
# zone, which the kernel cannot evaluate, so each of its CONNECTS connections
# (default 3000) is queued and decided in user space by that rule: the rate
# is decisions through the queue. A silent prompter is registered, as on a
# desktop. Idle processes (sleep) are started first until the host runs
# PROCESSES (default 1000), for wardd's process table. Then the connection
# log's capacity is measured on its own (bench/lograte). Prints wardd's resident memory by mapping (smaps: heap,
# anonymous, libraries, BPF maps) on stderr, then
#   daemon: rss_kb=… anon_kb=… rules=… processes=… decisions_per_s=… log_events_per_s=…
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
RULES=${1:-10000}
N=${2:-3000}
PROCS=${3:-1000}
REL=${WARD_BENCH_BUILD:-$ROOT/build/rel}
REL=${REL#$ROOT/}
make -s -j2 -C "$ROOT" MODE=rel BUILD_DIR="$REL" "$REL/bench/lograte" >&2 || exit 1
. "$ROOT/bench/wardd.lib"

C=$WK_TMP/asked/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
bench_policy "$WK_TMP/etc/ward.conf" "$C" "$RULES"
# wk_cleanup ends them (WK_PIDS) with the sandbox.
for ((i = $(ls /proc | grep -c '^[0-9]'); i < PROCS; i++)); do
    sleep 3600 &
    WK_PIDS+=($!)
done

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_wait_for "$WK_TMP/srv.log" listening
bench_wardd wardd "$WK_TMP/etc/ward.conf" || exit 1
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg prompter sh -c "exec \"$BUILD/bin/ward\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/prompter.log" "waiting for prompts" 10

out=$(wk_client "$C" lat $IP_B 8080 "$N")
echo "$out"
rate=$(sed -n 's/.*conns_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
dec=$("$BUILD/bin/ward" status --json | sed 's/.*"decisions":\([0-9]*\).*/\1/')
rules=$("$BUILD/bin/ward" status --json | sed 's/.*"rules":\([0-9]*\).*/\1/')
rss=$(awk '/VmRSS/ { print $2 }' /proc/"$WK_PID_wardd"/status 2>/dev/null)
anon=$(awk '/RssAnon/ { print $2 }' /proc/"$WK_PID_wardd"/status 2>/dev/null)
echo "wardd: VmRSS $rss kB, of which private (RssAnon) $anon kB; the rest is shared library pages"
echo "wardd's resident memory by mapping (kB):"
echo "     rss  private  mapping"
awk -f "$ROOT/bench/smaps.awk" /proc/"$WK_PID_wardd"/smaps
# nsenter execs wardd in place, so the pid is wardd's own.
procs=$(ls /proc | grep -c '^[0-9]')
echo "wardd made $dec decisions for $N connections (plus warm-up)"
lr=$("$BUILD/bench/lograte" "$WK_TMP/lograte.db" 300000)
echo "$lr"
lrate=$(sed -n 's/.*log_events_per_s=\([0-9]*\).*/\1/p' <<<"$lr")
echo "daemon: rss_kb=$rss anon_kb=$anon rules=$rules processes=$procs decisions_per_s=$rate log_events_per_s=$lrate" >&3
