#!/bin/bash
# ward.service's hardening, line by line, without systemd (it is not pid 1
# here): wardd runs under what each line of the unit asks for, read from
# the unit file itself, and must still start and decide connections in the
# test's network namespace (a rule in the kernel, a refusal in the kernel,
# an unknown program decided by wardd from the queue).
#
#   CapabilityBoundingSet=   setpriv --bounding-set (the unit's list); and
#                            each capability is needed: one fewer, and wardd
#                            does not start or a program escapes its rule
#   NoNewPrivileges=yes      setpriv --no-new-privs
#   ProtectSystem=strict     every mount read-only (but /proc, /sys, /dev)
#   ReadWritePaths=          the policy's directory, BPF pins, cgroups
#                            writable again; state and run directory too
#                            (StateDirectory=, RuntimeDirectory=)
#   ProtectHome=read-only    covered by the above
#   (no PrivateTmp=)         wardd must see /tmp as the programs it names do:
#                            with a /tmp of its own, a program started from
#                            /tmp is not the file at its path (checked below)
#   PrivateDevices=yes       a /dev with null, zero, full, random, urandom, tty
#   SystemCallFilter=        seccomp (tests/ecosystem/sandbox.c): only the
#                            calls of the unit's groups, expanded by
#                            systemd-analyze syscall-filter; others EPERM
#   RestrictAddressFamilies= seccomp: socket() of another family refused
#   MemoryDenyWriteExecute=  seccomp: no W+X mapping, no mprotect to X
#   SystemCallArchitectures= seccomp: the native ABI only
# Not reproduced here (systemd's own seccomp and namespace set-up):
# RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID, LockPersonality,
# ProtectClock, ProtectHostname, ProtectKernelModules, ProtectKernelLogs.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
UNIT=$(cd "$(dirname "$0")/../.." && pwd)/dist/systemd/ward.service
command -v setpriv >/dev/null || wk_skip_all "no setpriv"
command -v systemd-analyze >/dev/null || wk_skip_all "no systemd-analyze"
[ -f /usr/include/seccomp.h ] || wk_skip_all "no libseccomp-dev (scripts/deps installs it)"
SANDBOX=$WK_TMP/ward-sandbox
cc -std=c17 -O2 -Wall -Wextra -Werror -o "$SANDBOX" "$(dirname "$0")/sandbox.c" -lseccomp ||
    wk_skip_all "sandbox.c does not build"

wait_cmd() {
    for _ in $(seq 100); do
        bash -c "$1" && return 0
        sleep 0.2
    done
    return 1
}
# prop NAME: the unit's value of NAME (the last line that sets it).
prop() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
wk_check "the unit has every hardening line this test reproduces" bash -c "
    for p in CapabilityBoundingSet NoNewPrivileges ProtectSystem ReadWritePaths ProtectHome \
        PrivateDevices SystemCallFilter RestrictAddressFamilies \
        MemoryDenyWriteExecute SystemCallArchitectures; do
        grep -q \"^\$p=\" '$UNIT' || { echo \"# missing \$p\"; exit 1; }
    done"
[ "$(prop ProtectSystem)" = strict ] && [ "$(prop NoNewPrivileges)" = yes ] &&
    [ -z "$(prop PrivateTmp)" ] && [ "$(prop PrivateDevices)" = yes ] &&
    [ "$(prop MemoryDenyWriteExecute)" = yes ] && [ "$(prop SystemCallArchitectures)" = native ]
wk_check "the unit's values are the ones reproduced" [ $? -eq 0 ]

score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null |
    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
wk_check "systemd-analyze security scores the unit ${score:-?} (below 5: OK or better)" \
    awk -v s="${score:-99}" 'BEGIN { exit !(s < 5.0) }'
BOOT=$(dirname "$UNIT")/../../src/kernel/boot/ward-boot.service
wk_check "ward-boot.service puts the boot filters in place before network-online.target" bash -c \
    "grep -q '^Before=.*network-online.target' '$BOOT' && grep -q '^DefaultDependencies=no' '$BOOT' &&
     grep -q '^WantedBy=sysinit.target' '$BOOT' && grep -q '^After=.*ward-boot.service' '$UNIT'"

# The capability set as setpriv takes it: -all,+net_admin,...
CAPS=-all
for c in $(prop CapabilityBoundingSet); do CAPS="$CAPS,+$(tr A-Z a-z <<<"${c#CAP_}")"; done
# The system calls: systemd's groups expanded, recursively.
expand() {
    local w
    for w in "$@"; do
        if [[ $w == @* ]]; then
            expand $(systemd-analyze syscall-filter "$w" | sed -n 's/^ \+\([@a-z0-9_-]\+\)$/\1/p')
        else
            echo "$w"
        fi
    done
}
CALLS=$(expand $(prop SystemCallFilter) | sort -u | paste -sd,)
FAMILIES=$(prop RestrictAddressFamilies | tr ' ' ,)
wk_check "the unit's system call groups expand ($(tr , '\n' <<<"$CALLS" | wc -l) calls)" \
    bash -c "grep -q '\\bbpf\\b' <<<'$CALLS' && \
             grep -q '\\bopenat\\b' <<<'$CALLS' && ! grep -q '\\breboot\\b' <<<'$CALLS'"

# A program in another user's private directory (mode 0700): wardd needs
# CAP_DAC_READ_SEARCH to find it at its path and hold its rule.
P=$WK_TMP/private/wk-client
mkdir -p "$WK_TMP/private"
cp "$WK_CLIENT" "$P"
chown -R nobody "$WK_TMP/private"
chmod 700 "$WK_TMP/private"
ward_policy <<CONF
set mode ask
set no-prompter pass
set unattributed block
app "$A" {
    allow out tcp port 8080
}
app "$D" {
    deny out any
}
app "$P" {
    deny out any
}
CONF
chmod 700 "$WK_TMP/etc" # the unit's UMask; the policy's directory is written (boot.nft)
mkdir -p "$WK_TMP/state" "$WK_TMP/run"
chmod 700 "$WK_TMP/state"
serve_b 1000

# The launcher: in netns A, a mount namespace of its own set up as the unit
# says, then the capability bounding set, no_new_privs and seccomp. With
# PRIVATE_TMP=1 it adds what PrivateTmp=yes would do.
cat >"$WK_TMP/hardened.sh" <<'SH'
set -e
T=$1 CAPS=$2 CALLS=$3 FAMILIES=$4 SANDBOX=$5 WARDD=$6
shift 6
mount --make-rprivate /
# systemd, as pid 1, mounts the BPF file system on /sys/fs/bpf at boot, before
# any unit starts; a unit without CAP_SYS_ADMIN could not. Stand in for it
# here when this machine has none (the mount is private to this namespace).
mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf
# The directories the unit makes writable, where wardd will find them once
# /tmp is private: under a tmpfs on /mnt.
mount -t tmpfs -o mode=755 ward-rw /mnt
mkdir /mnt/etc /mnt/state /mnt/run /mnt/sandbox
mount --bind "$T/etc" /mnt/etc
mount --bind "$T/state" /mnt/state
mount --bind "$T/run" /mnt/run
cp "$SANDBOX" "$WARDD" /mnt/sandbox/
if [ "${PRIVATE_TMP:-}" = 1 ]; then
    mount -t tmpfs -o mode=1777 ward-tmp /tmp
    mount -t tmpfs -o mode=1777 ward-vartmp /var/tmp
fi
# PrivateDevices=yes
mount -t tmpfs -o mode=755 ward-dev /dev
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name maj min <<<"$d"
    mknod -m 666 "/dev/$name" c "$maj" "$min"
done
# ProtectSystem=strict (and ProtectHome=read-only): every mount read-only
# but the kernel's API file systems ...
awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do
    case $m in /proc | /proc/* | /sys | /sys/* | /dev) continue ;; esac
    mount -o remount,bind,ro "$m" 2>/dev/null || true
done
# ... and ReadWritePaths=, StateDirectory=, RuntimeDirectory= writable again
# (/sys/fs/bpf and /sys/fs/cgroup were never made read-only).
for m in /mnt/etc /mnt/state /mnt/run; do mount -o remount,bind,rw "$m"; done
exec setpriv --bounding-set "$CAPS" --inh-caps=-all --no-new-privs -- \
    /mnt/sandbox/ward-sandbox --syscalls "$CALLS" --families "$FAMILIES" --mdwe --native -- \
    /mnt/sandbox/wardd --foreground --config /mnt/etc/ward.conf --state-dir /mnt/state \
    --run-dir /mnt/run "$@"
SH
# hardened NAME CAPS: wardd started by the launcher in the background.
# LeakSanitizer stops the world with ptrace, which the filter refuses (leaks
# are checked by the other suites).
hardened() {
    ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 \
        wk_bg "$1" nsenter --net=/run/netns/$NS_A unshare -m --propagation private -- \
        bash "$WK_TMP/hardened.sh" "$WK_TMP" "$2" "$CALLS" "$FAMILIES" "$SANDBOX" "$WARDD" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN"
}
# ready NAME: wardd NAME is ready (true) or has given up (false).
ready() {
    local p
    eval "p=\$WK_PID_$1"
    for _ in $(seq 300); do
        grep -q ready "$WK_TMP/$1.log" && return 0
        kill -0 "$p" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
hardened wardd "$CAPS"
if ! wk_wait_for "$WK_TMP/wardd.log" "ready" 30; then
    wk_notok "wardd starts under the unit's hardening"
    tail -20 "$WK_TMP/wardd.log" | sed "s/^/# /"
    exit 1
fi
wk_ok "wardd starts under the unit's hardening"
pid=$(pgrep -f '^/mnt/sandbox/wardd ' | head -1)
st() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"; }
want_bnd=$(setpriv --bounding-set "$CAPS" -- sh -c 'sed -n "s/^CapBnd:\t//p" /proc/self/status')
wk_check "wardd's capability bounding set is the unit's ($(st CapBnd))" [ "$(st CapBnd)" = "$want_bnd" ]
wk_check "wardd runs with no_new_privs" [ "$(st NoNewPrivs)" = 1 ]
wk_check "wardd runs under a seccomp filter" [ "$(st Seccomp)" = 2 ]
wk_check "wardd sees / read-only and its directories writable" bash -c "
    awk '\$5 == \"/\" { print \$6 }' /proc/$pid/mountinfo | grep -q '^ro' &&
    awk '\$5 == \"/mnt/state\" { print \$6 }' /proc/$pid/mountinfo | grep -q '^rw'"
wk_check "wardd sees the test's programs in /tmp" bash -c "[ -e /proc/$pid/root$D ]"

wk_check "hardened: a rule in the kernel lets the allowed program through" [ "$(conn "$A")" = ok ]
out=$(conn "$D")
wk_check "hardened: the denied program is refused ($out)" [ "$out" = "err EPERM" ]
wk_check "hardened: wardd decides an unknown program from the queue" [ "$(conn "$O")" = ok ]
out=$(conn "$P")
wk_check "hardened: a program in another user's private directory is held by its rule ($out)" \
    [ "$out" = "err EPERM" ]
wk_check "hardened: the decision is logged (state directory writable)" \
    wait_cmd "'$WARD' log --json | grep -q '\"exe\":\"$O\"'"
wk_check "hardened: wardd wrote the boot ruleset beside the policy" [ -f "$WK_TMP/etc/boot.nft" ]
wk_check "hardened: ward status answers" bash -c "'$WARD' status >/dev/null"
stop_wardd wardd
wk_check "wardd stops cleanly under the hardening" bash -c "grep -q stopping '$WK_TMP/wardd.log'"

# Why the unit has no PrivateTmp=: with a /tmp of its own, wardd cannot
# tell the denied program (started from /tmp) by its path, and its rule
# does not hold.
PRIVATE_TMP=1 hardened wardd2 "$CAPS"
ready wardd2
out=$(conn "$D")
wk_check "PrivateTmp=yes would hide programs in /tmp: the denied one gets through ($out)" \
    [ "$out" = ok ]
stop_wardd wardd2

# Each capability of the unit's set is needed: without it wardd does not
# start, or cannot tell a program, and its rule does not hold.
without() {
    local c=$1 caps=-all x
    for x in $(prop CapabilityBoundingSet); do [ "$x" = "$c" ] || caps="$caps,+$(tr A-Z a-z <<<"${x#CAP_}")"; done
    echo "$caps"
}
for c in CAP_NET_ADMIN CAP_BPF CAP_PERFMON; do
    hardened "no$c" "$(without $c)"
    ready "no$c"
    wk_check "without $c wardd does not start" [ $? -ne 0 ]
    stop_wardd "no$c"
done
hardened noptrace "$(without CAP_SYS_PTRACE)"
ready noptrace
out=$(conn "$O")
wk_check "without CAP_SYS_PTRACE wardd cannot name a client with more capabilities ($out)" \
    [ "$out" != ok ]
stop_wardd noptrace
hardened nodac "$(without CAP_DAC_READ_SEARCH)"
ready nodac
out=$(conn "$P")
wk_check "without CAP_DAC_READ_SEARCH a program in a private directory escapes its rule ($out)" \
    [ "$out" = ok ]
stop_wardd nodac

# The filters bite: what the unit forbids fails under the same launcher.
"$SANDBOX" --families "$FAMILIES" -- python3 -c \
    'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)' 2>/dev/null
wk_check "the same filters refuse a family the unit does not list (AF_PACKET)" [ $? -ne 0 ]
"$SANDBOX" --syscalls "$CALLS" -- python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
# swapoff is in no group the unit allows: EPERM from the filter.
r = libc.swapoff(b"/nonexistent")
sys.exit(0 if ctypes.get_errno() == 1 else 1)'
wk_check "the same filters refuse a call outside the unit's groups (swapoff: EPERM)" [ $? -eq 0 ]
"$SANDBOX" --mdwe -- python3 -c '
import mmap
mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)' 2>/dev/null
wk_check "the same filters refuse a writable and executable mapping" [ $? -ne 0 ]
no_sanitizer "no sanitizer report" "$WK_TMP"/wardd*.log "$WK_TMP"/noCAP_*.log "$WK_TMP"/no{ptrace,dac}.log
exit 0
