#!/bin/bash
# Ward only adds its own cgroup links (multi-attach): another program on the
# same cgroup stays attached through Ward's start, restart and teardown.
. "$(dirname "$0")/lib.sh"
wk_setup
command -v bpftool >/dev/null || wk_skip_all "no bpftool"
OBJ=$WK_BUILD/kernel/ward.bpf.o
[ -f "$OBJ" ] || wk_skip_all "no $OBJ"

# The foreign program's pins are this test's own, made before Ward runs:
# they need a BPF file system (mounted in this test's mount namespace only).
if ! grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then
    wk_private_mounts && mount -t bpf bpf /sys/fs/bpf || wk_skip_all "no BPF file system"
fi
mkdir -p "$WK_PIN"
bpftool prog loadall "$OBJ" "$WK_PIN/foreign" >/dev/null 2>&1 &&
    bpftool cgroup attach "$WK_CG" post_bind4 pinned "$WK_PIN/foreign/ward_post_bind4" multi
wk_check "a foreign program is attached to the test cgroup" \
    sh -c "bpftool cgroup show '$WK_CG' | grep -q post_bind4"
foreign=$(bpftool cgroup show "$WK_CG" | awk '/post_bind4/ {print $1}')
attached() { bpftool cgroup show "$WK_CG" | awk 'NR > 1 {print $1}' | sort -n | tr '\n' ' '; }

wk_driver --ask-mode deny || { wk_notok "driver starts"; exit 1; }
n=$(bpftool cgroup show "$WK_CG" | grep -c -E 'sock_create|sock_release|connect|sendmsg|post_bind|egress|ingress')
wk_check "after start: Ward's 10 programs and the foreign one ($n attachments)" [ "$n" -eq 11 ]
wk_check "the foreign program is still attached" sh -c "attached() { bpftool cgroup show '$WK_CG'; }; attached | grep -qw '$foreign'"
ids1=$(attached)
wk_stop_driver
wk_driver --ask-mode deny || { wk_notok "driver restarts"; exit 1; }
ids2=$(attached)
wk_check "restart swaps programs inside the pinned links: still 11 attachments" \
    [ "$(echo $ids2 | wc -w)" -eq 11 ]
wk_check "the foreign program survives the restart" sh -c "echo '$ids2' | grep -qw '$foreign'"
wk_stop_driver
wk_in_a "$WK_KDRV" --teardown --pin-dir "$WK_PIN"
wk_check "teardown removes Ward's links only: the foreign program remains alone" \
    [ "$(attached | tr -d ' ')" = "$foreign" ]
wk_check "teardown removed table inet ward" sh -c "! nsenter --net=/run/netns/$NS_A nft list table inet ward >/dev/null 2>&1"
echo "# before: $ids1 / after restart: $ids2"
exit 0
