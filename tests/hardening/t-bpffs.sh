#!/bin/bash
# wardd and ward-kdrv start on a machine with no BPF file system mounted.
# In this test's private mount namespace /sys/fs/bpf is unmounted; wardd
# mounts one there itself and decides real traffic; a restart finds its
# pins; where /sys/fs/bpf cannot take a mount (not empty), ward-kdrv mounts
# one on /run/ward/bpf; where nothing can be mounted, wardd says which path,
# why and the fix in one line. Then scripts/demo runs here and passes.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# wk_wait_for_cmd CMD PATTERN: until CMD's output holds PATTERN (5 s at most).
wk_wait_for_cmd() {
    local i
    for ((i = 0; i < 200; i++)); do
        sh -c "$1" 2>/dev/null | grep -q -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
bpf_mounted() { grep -q ' /sys/fs/bpf bpf ' /proc/mounts; }

# Never in the machine's mount namespace: lib.sh put us in one of our own.
wk_private_mounts || { wk_notok "runs in a private mount namespace"; exit 1; }
for _ in 1 2 3 4; do bpf_mounted && umount /sys/fs/bpf; done
wk_check "no BPF file system on /sys/fs/bpf (unmounted privately)" bash -c '! grep -q " bpf " /proc/mounts'

ward_policy <<CONF
set mode ask
set no-prompter block for questions
app "$A" {
    allow out tcp port 8080
}
# The zone keeps the denied program with wardd (decided and logged there;
# a port-only deny would be refused by the hook at connect).
app "$D" {
    deny out any to lan
}
CONF
serve_b

# 1. wardd mounts a BPF file system on /sys/fs/bpf and works.
start_wardd wardd || { wk_notok "wardd starts without a BPF file system"; cat "$WK_TMP/wardd.log"; exit 1; }
wk_ok "wardd starts without a BPF file system"
wk_check "wardd says it mounted one on /sys/fs/bpf" \
    grep -q "no BPF file system was mounted: mounted one on /sys/fs/bpf" "$WK_TMP/wardd.log"
wk_check "its pins are there" [ -e "$WK_PIN/links/ward_connect4" ]
wk_expect "an allowed program connects (decided in the kernel)" ok "$A" tcp4 $IP_B 8080
wk_expect "a denied program is refused (decided by wardd)" fail "$D" tcp4 $IP_B 8080
wk_check "wardd logged its decision" wk_wait_for_cmd "'$WARD' log --program '$D'" block

# 2. A restart finds the mount and the pins: same links, no second mount.
links=$(cg_links | sort | tr '\n' ' ')
stop_wardd wardd
start_wardd wardd2 || wk_notok "wardd restarts"
wk_check "a restart mounts nothing more" [ "$(grep -c ' /sys/fs/bpf bpf ' /proc/mounts)" -eq 1 ]
wk_check "a restart swaps into the same pinned links" [ "$(cg_links | sort | tr '\n' ' ')" = "$links" ]
wk_expect "the denied program is still refused" fail "$D" tcp4 $IP_B 8080
stop_wardd wardd2

# 3 and 4 need /run/ward as a mount point in a namespace of their own.
made_run_ward=""
[ -d /run/ward ] || { mkdir -m 755 /run/ward && made_run_ward=1; }
# (unshare, sh and nsenter exec: the pid wk_bg keeps is the program's.)
NESTED=(unshare --mount --propagation private -- sh -c)
RUNWARD="mount -t tmpfs none /run/ward"

# 3. /sys/fs/bpf not empty (something else mounted there): /run/ward/bpf.
FULL="mount -t tmpfs none /sys/fs/bpf && touch /sys/fs/bpf/other"
wk_bg kdrv "${NESTED[@]}" "$RUNWARD && $FULL && exec nsenter --net=/run/netns/$NS_A $WK_KDRV --cgroup $WK_CG \
    --pin-dir $WK_PIN-k --deny $D --allow $A"
wk_wait_for "$WK_TMP/kdrv.log" '^ready' 30
wk_check "ward-kdrv mounts one on /run/ward/bpf when /sys/fs/bpf is taken" \
    grep -q "mounted one on /run/ward/bpf; pins under /run/ward/bpf/ward-test-$WK_ID-k" \
    "$WK_TMP/kdrv.log"
wk_expect "ward-kdrv: the denied program gets EPERM" EPERM "$D" tcp4 $IP_B 8080
wk_stop_driver

# 4. Nothing can be mounted (no CAP_SYS_ADMIN): one line, path, cause, fix.
"${NESTED[@]}" "$RUNWARD && umount /sys/fs/bpf && exec nsenter --net=/run/netns/$NS_A capsh --drop=cap_sys_admin -- -c 'exec $WARDD \
    --foreground --config $WK_TMP/etc/ward.conf --state-dir $WK_TMP/state3 \
    --run-dir $WK_TMP/run3 --cgroup $WK_CG --pin-dir $WK_PIN-e'" >"$WK_TMP/e.log" 2>&1
rc=$?
sed 's/^/# /' "$WK_TMP/e.log"
wk_check "without a BPF file system and no way to mount one, wardd exits ($rc)" [ "$rc" -ne 0 ]
wk_check "its error names the path, the cause and the fix in one line" grep -q \
    "wardd: kernel: pin directory $WK_PIN-e: no BPF file system is mounted and none could be (on /sys/fs/bpf: Operation not permitted; .*); fix: " \
    "$WK_TMP/e.log"
# A pin directory chosen off the BPF file system is not mounted over.
nsenter --net=/run/netns/$NS_A "$WARDD" --foreground --config "$WK_TMP/etc/ward.conf" \
    --state-dir "$WK_TMP/state4" --run-dir "$WK_TMP/run4" --cgroup "$WK_CG" \
    --pin-dir "$WK_TMP/pins" >"$WK_TMP/e4.log" 2>&1
rc=$?
sed -n 's/^/# /; /kernel:/p' "$WK_TMP/e4.log"
wk_check "a pin directory elsewhere, off a BPF file system: one line, the fix ($rc)" grep -q \
    "wardd: kernel: pin directory $WK_TMP/pins is on .*, not a BPF file system; fix: " \
    "$WK_TMP/e4.log"
[ -n "$made_run_ward" ] && rmdir /run/ward
wk_check "nothing was left in /run/ward" [ -z "$(ls -A /run/ward 2>/dev/null)" ]

# 5. The demo, here, where no BPF file system is mounted (again: wardd's of
# step 1 is gone with it).
for _ in 1 2 3 4; do bpf_mounted && umount /sys/fs/bpf; done
(cd "$ROOT" && timeout 240 ./scripts/demo) >"$WK_TMP/demo.log" 2>&1
rc=$?
wk_check "scripts/demo passes without a BPF file system ($rc)" [ "$rc" -eq 0 ]
wk_check "the demo's wardd mounted one itself" \
    grep -q "no BPF file system was mounted: mounted one on /sys/fs/bpf" "$WK_TMP/demo.log"
wk_check "the demo: curl allowed, nc refused" \
    sh -c "grep -q 'hello from the internet' '$WK_TMP/demo.log' && grep -q 'nc: refused by Ward' '$WK_TMP/demo.log'"
wk_check "the demo prints no RTNETLINK noise" bash -c "! grep -q RTNETLINK '$WK_TMP/demo.log'"
[ "$rc" -eq 0 ] || sed 's/^/# demo: /' "$WK_TMP/demo.log" | tail -20
exit 0
