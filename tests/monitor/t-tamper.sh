#!/bin/bash
# Injection alerts (docs/MONITOR.md): gdb attaching to an allowed program is
# an alert naming both; with `set on-tamper suspend` that process's next
# connection is held and asked about, while another process of the same
# program still passes; a program with network rights started with
# LD_PRELOAD, or while the preload list is set, is an alert too, and so are
# process_vm_writev into it and an open of its /proc/PID/mem for writing;
# without tracefs, the attach and a packet socket it opens are seen still.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../words/lib.sh"
command -v gdb >/dev/null || wk_skip_all "no gdb"
A=$(prog tampered)
PRELOAD=$WK_TMP/etc/ld.so.preload
policy() {
    pol <<CONF
set mode ask
set no-prompter block
$1
app "$A" {
    allow out tcp port 8080
}
CONF
}
policy ""
start_wardd --ld-preload-file "$PRELOAD" || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
watch=$("$WARD" status --json | sed -n 's/.*"tamper_watch":"\([a-z-]*\)".*/\1/p')
echo "# injection watch: $watch"
wk_check "ward status says how injections are watched (bpf-lsm or tracepoint: $watch)" \
    bash -c "[ '$watch' = bpf-lsm ] || [ '$watch' = tracepoint ]"
"$WARD" status | grep '^injection' | sed 's/^/# /'
# progs: the names of the BPF programs wardd holds.
progs() {
    local id
    for id in $(cat /proc/"$WK_PID_wardd"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p'); do
        bpftool prog show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p'
    done
}
# on_events FILE: the watch is on the four calls' own exit events, not on
# every system call's exit.
on_events() { grep -qx ward_tp_openat "$1" && ! grep -qx ward_tp_tamper "$1"; }
if [ "$watch" = tracepoint ] && [ -d /sys/kernel/tracing/events/syscalls ]; then
    progs >"$WK_TMP/progs1"
    wk_check "with tracefs, the watch is on the calls' own exit events" on_events "$WK_TMP/progs1"
fi

# attempt NAME: one connection of that process; its answer ("ok", "err ...").
attempt() {
    local n
    n=$(grep -c '^ok\|^err' "$WK_TMP/$1.log")
    echo >"$WK_TMP/$1.in"
    for ((i = 0; i < ${2:-50}; i++)); do
        [ "$(grep -c '^ok\|^err' "$WK_TMP/$1.log")" -gt "$n" ] && break
        sleep 0.1
    done
    grep '^ok\|^err' "$WK_TMP/$1.log" | sed -n "$((n + 1))p"
}
alerted() { "$WARD" log --program "$A" --json | grep '"kind":"alert"' | grep -q "\"filter\":\"$1\""; }

T1=$(lines_proc t1 "$A")
wk_check "the allowed program connects" [ "$(attempt t1)" = ok ]
gdb -p "$T1" -batch -ex 'info registers rip' >"$WK_TMP/gdb1.log" 2>&1
wk_check "gdb -p attached to it (and detached)" grep -q 'rip' "$WK_TMP/gdb1.log"
for ((i = 0; i < 200; i++)); do alerted ptrace-attach && break; sleep 0.1; done
wk_check "the attach is an alert (ptrace-attach) on the program" alerted ptrace-attach
wk_check "the alert names gdb and the target's pid" \
    wk_eventually 20 bash -c "'$WARD' log --program '$A' --json | grep '\"filter\":\"ptrace-attach\"' | grep -q 'gdb (pid [0-9]*) took ptrace-attach rights over .* (pid $T1)'"
wk_check "alert only (the default): the process still connects" [ "$(attempt t1)" = ok ]

# Suspend: a prompter that never answers, so a held connection is seen.
policy "set on-tamper suspend"
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg silent sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/silent.log" "waiting for prompts" 20
T2=$(lines_proc t2 "$A")
T3=$(lines_proc t3 "$A")
wk_check "suspend: before the attach, the process connects" [ "$(attempt t2)" = ok ]
gdb -p "$T2" -batch -ex 'info registers rip' >"$WK_TMP/gdb2.log" 2>&1
for ((i = 0; i < 200; i++)); do grep -q 'allow rules suspended' "$WD_LOG" && break; sleep 0.1; done
wk_check "suspend: wardd suspends its allow rules" grep -q "process $T2 .*allow rules suspended" "$WD_LOG"
echo >"$WK_TMP/t2.in"
wk_check "suspend: its next connection is held and asked about" \
    wk_wait_for "$WK_TMP/silent.log" "pid: *$T2" 20
wk_check "suspend: another process of the program still connects" [ "$(attempt t3)" = ok ]
kill "$WK_PID_silent" 2>/dev/null

# LD_PRELOAD at exec, and the preload list.
policy ""
wk_client env LD_PRELOAD=/nonexistent-ward-test.so "$A" after 1 tcp4 $IP_B 8080 >/dev/null 2>&1
for ((i = 0; i < 200; i++)); do alerted ld-preload && break; sleep 0.1; done
wk_check "a program with network rights started with LD_PRELOAD is an alert" \
    wk_eventually 20 bash -c "'$WARD' log --program '$A' --json | grep '\"filter\":\"ld-preload\"' | grep -q 'LD_PRELOAD=/nonexistent-ward-test.so'"
echo /nonexistent-ward-test.so >"$PRELOAD"
wk_client "$A" after 1 tcp4 $IP_B 8080 >/dev/null 2>&1
wk_check "the preload list changed: an alert at the program's next start" \
    wk_eventually 20 bash -c "'$WARD' log --program '$A' --json | grep '\"filter\":\"ld-preload\"' | grep -q 'ld.so.preload was changed'"
# Another process writing its memory: process_vm_writev (8 bytes of a
# writable mapping, read first and written back unchanged), and an open of
# /proc/PID/mem for writing.
python3 - "$T1" <<'PY'
import ctypes, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
addr = next(int(l.split("-")[0], 16) for l in open(f"/proc/{pid}/maps") if l.split()[1].startswith("rw"))
buf = ctypes.create_string_buffer(8)
local, remote = iovec(ctypes.addressof(buf), 8), iovec(addr, 8)
for call in (libc.process_vm_readv, libc.process_vm_writev):
    call.argtypes = [ctypes.c_int, ctypes.POINTER(iovec), ctypes.c_ulong, ctypes.POINTER(iovec), ctypes.c_ulong, ctypes.c_ulong]
    if call(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) != 8:
        sys.exit("process_vm: errno %d" % ctypes.get_errno())
open(f"/proc/{pid}/mem", "r+b").close()
PY
wk_check "process_vm_writev into it is an alert (process-vm-write)" wk_eventually 20 alerted process-vm-write
wk_check "an open of its /proc/PID/mem for writing is an alert (proc-mem-write)" wk_eventually 20 alerted proc-mem-write
wk_check "the process still connects" [ "$(attempt t1)" = ok ]

kill "$T2" "$T3" 2>/dev/null
stop_wardd

# Without tracefs (wardd in a mount namespace of its own where it is
# unmounted) the events cannot be attached: the watch falls back to every
# system call's exit, and sees the same attach.
if [ "$watch" = tracepoint ]; then
    printf '#!/bin/sh\nexec unshare -m sh -c %s sh %s "$@"\n' \
        "'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; exec \"\$@\"'" \
        "'$WARDD'" >"$WK_TMP/wardd-no-tracefs"
    chmod 755 "$WK_TMP/wardd-no-tracefs"
    WARDD=$WK_TMP/wardd-no-tracefs start_wardd --ld-preload-file "$PRELOAD" ||
        { wk_notok "wardd starts without tracefs"; sed 's/^/# /' "$WD_LOG"; exit 1; }
    progs >"$WK_TMP/progs2"
    wk_check "without tracefs, the watch is on every system call's exit" \
        bash -c "grep -qx ward_tp_tamper '$WK_TMP/progs2' && ! grep -qx ward_tp_openat '$WK_TMP/progs2'"
    n=$("$WARD" log --program "$A" --json | grep -c '"filter":"ptrace-attach"')
    gdb -p "$T1" -batch -ex 'info registers rip' >"$WK_TMP/gdb3.log" 2>&1
    more_attaches() { [ "$("$WARD" log --program "$A" --json | grep -c '"filter":"ptrace-attach"')" -gt "$n" ]; }
    wk_check "without tracefs, gdb's attach is an alert all the same" wk_eventually 20 more_attaches
    # A packet socket: socket(2)'s own exit event needs tracefs too; the
    # watch on every system call's exit reports it, and the program's rules
    # give it no raw access: an alert.
    wk_check "without tracefs, packet sockets are still seen (ward status: logged)" \
        bash -c "'$WARD' status --json | grep -q '\"packet_sockets\":\"logged\"'"
    packet_alerts() { "$WARD" log --program "$A" --json | grep -c '"filter":"packet-socket-not-allowed"'; }
    n=$(packet_alerts)
    out=$(wk_client "$A" packet)
    echo "# packet socket without tracefs: $out"
    more_packet_alerts() { [ "$(packet_alerts)" -gt "$n" ]; }
    wk_check "without tracefs, a packet socket of a program without raw rights is an alert" \
        wk_eventually 20 more_packet_alerts
    wk_check "... and a row naming the program: permit, packet-socket" \
        wk_eventually 20 bash -c "'$WARD' log --program '$A' --verdict permit --json | grep -q 'packet-socket: not enforceable here'"
    stop_wardd
fi
kill "$T1" 2>/dev/null
sanitizer_clean
exit 0
