#!/bin/bash
# bench/run idle [SECONDS] — how often an idle wardd wakes up.
#
# The real wardd (release build) in the kernel tests' sandbox with a small
# policy and nothing connecting. Once it has settled (3 s), over SECONDS
# (default 10) each:
#   - all wake-ups: the context switches of all its threads (voluntary and
#     not, /proc/PID/task/*/status). wardd also wakes for every process the
#     host starts or ends (its process table): on a busy host these are many;
#   - then under strace (which adds switches of its own): the longest its
#     loop's epoll_wait may sleep (timeout_ms_max: on an idle host it wakes
#     1000 / that many times a second, on a busy one events come first;
#     timer_wakeups_per_s, those that ended on the timeout), and its bpf(2)
#     calls: mostly the BPF hook check's, one per link and check.
# Prints
#   idle: seconds=… wakeups_per_s=… timeout_ms_max=… timer_wakeups_per_s=…
#         bpf_calls_per_s=… links=…
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
SECONDS_IDLE=${1:-10}
. "$ROOT/bench/wardd.lib"

CONF=$WK_TMP/etc/ward.conf
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
bench_policy "$CONF" "$WK_TMP/asked/wk-client" 100
bench_wardd wardd "$CONF" || exit 1
pid=$WK_PID_wardd

# switches: the context switches of every thread of wardd so far.
switches() {
    cat /proc/"$pid"/task/*/status 2>/dev/null |
        awk '/_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}
per_s() { awk -v n="$1" -v s="$SECONDS_IDLE" 'BEGIN { printf "%.1f", n / s }'; }
sleep 3
a=$(switches)
sleep "$SECONDS_IDLE"
b=$(switches)
timeout "$SECONDS_IDLE" strace -q -e trace=epoll_wait,bpf -p "$pid" -o "$WK_TMP/strace.txt"
timer=$(grep -c '^epoll_wait(.*) = 0$' "$WK_TMP/strace.txt")
bpf=$(grep -c '^bpf(' "$WK_TMP/strace.txt")
longest=$(sed -n 's/^epoll_wait(.*, \([0-9]*\)) = .*/\1/p' "$WK_TMP/strace.txt" | sort -n | tail -1)
printf 'idle: seconds=%s wakeups_per_s=%s timeout_ms_max=%s timer_wakeups_per_s=%s' \
    "$SECONDS_IDLE" "$(per_s $((b - a)))" "$longest" "$(per_s "$timer")" >&3
printf ' bpf_calls_per_s=%s links=%s\n' "$(per_s "$bpf")" "$(ls "$WK_PIN/links" | wc -l)" >&3
