#!/bin/bash
# Filter conditions wardd must supply itself, on real traffic: an `iface`
# filter blocks only on its interface, a `cgroup` filter only the processes
# in that cgroup, a `sha256` filter only the binary with that digest. And
# with the shipped example's filters (none names a program) loaded, a known
# program's connections are still decided in the kernel: wardd's queue sees
# nothing.
. "$(dirname "$0")/../kernel/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"

command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
# Sub-cgroups of the test cgroup (the hooks apply to them too); removed
# before lib.sh removes the test cgroup.
CG_BLOCKED=$WK_CG/blocked
CG_FINE=$WK_CG/fine
conds_cleanup() {
    local rc=$? root
    root=$(wk_cg2root)
    for cg in "$CG_BLOCKED" "$CG_FINE"; do
        [ -d "$cg" ] || continue
        for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
            kill -9 "$p" 2>/dev/null
            echo "$p" >"$root/cgroup.procs" 2>/dev/null
        done
        rmdir "$cg" 2>/dev/null
    done
    (exit $rc)
    wk_cleanup
}
trap conds_cleanup EXIT
mkdir "$CG_BLOCKED" "$CG_FINE"
CG_REL=${WK_CG#$(wk_cg2root)}

# A second link between the namespaces: the iface filter's.
IF2=wkc$WK_ID
ip link add "$IF2" netns "$NS_A" type veth peer name wkd$WK_ID netns "$NS_B" || exit 1
wk_in_a ip addr add 10.78.0.1/24 dev "$IF2"
wk_in_b ip addr add 10.78.0.2/24 dev wkd$WK_ID
wk_in_a ip link set "$IF2" up
wk_in_b ip link set wkd$WK_ID up

# The same program text with one byte more: another digest.
S=$WK_TMP/other/wk-client
printf '\0' >>"$S"
SHA_S=$(sha256sum "$S" | cut -d' ' -f1)

mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set no-prompter pass
filter "second-link" layer outbound weight 10 hard block tcp iface $IF2
filter "blocked-cgroup" layer outbound weight 10 hard block cgroup "$CG_REL/blocked"
filter "bad-binary" layer outbound weight 10 hard block sha256 $SHA_S
filter "dns-second-link" layer dns weight 10 hard block iface $IF2
filter "in-blocked-cgroup" layer inbound weight 10 hard block cgroup "$CG_REL/blocked"
app "$A" {
    allow out tcp port 8080
    allow in tcp port { 9090, 9091 }
}
app "$S" {
    allow out tcp port 8080
}
CONF
chmod 644 "$WK_TMP/etc/ward.conf"

# conn CGROUP PROGRAM ADDR [PORT]: one TCP connection to ADDR:PORT from CGROUP.
conn() {
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec nsenter --net=/run/netns/"$@"' \
        sh "$1" "$NS_A" "$2" tcp4 "$3" "${4:-8080}" 10 2>&1
}
decisions() { "$WARD" status --json | sed 's/.*"decisions":\([0-9]*\).*/\1/'; }

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 1000
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
# Listeners in namespace A, one in each sub-cgroup: the inbound layer's.
inlisten() {
    wk_bg "$1" sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec nsenter --net=/run/netns/"$@"' \
        sh "$2" "$NS_A" "$A" listen-tcp "$3" 100
}
for l in srv dns; do wk_wait_for "$WK_TMP/$l.log" listening; done
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }
wk_ok "wardd starts with iface, cgroup and sha256 filters"
# After wardd: its bind hook tells it who listens.
inlisten lblocked "$CG_BLOCKED" 9090
inlisten lfine "$CG_FINE" 9091
for l in lblocked lfine; do wk_wait_for "$WK_TMP/$l.log" listening; done

# iface: the packet's interface, by name in wardd's namespace.
wk_check "iface: the program connects over the first link" [ "$(conn "$CG_FINE" "$A" $IP_B)" = ok ]
wk_check "iface: the filter blocks it on $IF2" [ "$(conn "$CG_FINE" "$A" 10.78.0.2)" != ok ]
wk_check "iface: wardd logged the block as the filter's" \
    bash -c "\"$WARD\" log --program '$A' --json | grep -q '\"filter\":\"second-link\"'"

# cgroup: the process's, from /proc/PID/cgroup.
wk_check "cgroup: the program connects from another cgroup" \
    [ "$(conn "$CG_FINE" "$A" $IP_B)" = ok ]
wk_check "cgroup: the filter blocks the same program in $CG_REL/blocked" \
    [ "$(conn "$CG_BLOCKED" "$A" $IP_B)" != ok ]
wk_check "cgroup: wardd logged the block as the filter's" \
    bash -c "\"$WARD\" log --program '$A' --json | grep -q '\"filter\":\"blocked-cgroup\"'"

# sha256: the executable's digest, computed when a filter asks for it.
wk_check "sha256: a program with another digest connects" [ "$(conn "$CG_FINE" "$A" $IP_B)" = ok ]
wk_check "sha256: the binary with the filter's digest is blocked" \
    [ "$(conn "$CG_FINE" "$S" $IP_B)" != ok ]
wk_check "sha256: wardd logged the block as the filter's" \
    bash -c "\"$WARD\" log --program '$S' --json | grep -q '\"filter\":\"bad-binary\"'"

# The DNS layer: the interface an answer came in by.
dig_a() { wk_client /usr/bin/dig +short +time=2 +tries=1 @"$1" shop.example.test; }
wk_check "dns iface: an answer over the first link resolves" [ "$(dig_a $IP_B)" = "$IP_B" ]
wk_check "dns iface: an answer in by $IF2 is blocked" bash -c "! grep -qx '$IP_B' <<<'$(dig_a 10.78.0.2)'"
wk_check "dns iface: wardd logged the block as the dns filter's" \
    bash -c "\"$WARD\" log --json | grep -q '\"filter\":\"dns-second-link\"'"

# The inbound layer: the listening process's cgroup.
inconn() { wk_in_b "$WK_CLIENT" tcp4 $IP_A "$1" 5 2>&1; }
wk_check "inbound cgroup: a listener in another cgroup is reached" [ "$(inconn 9091)" = ok ]
wk_check "inbound cgroup: the listener in $CG_REL/blocked is not" [ "$(inconn 9090)" != ok ]
wk_check "inbound cgroup: wardd logged the block as the filter's" \
    bash -c "\"$WARD\" log --json | grep -q '\"filter\":\"in-blocked-cgroup\"'"
stop_wardd wardd1

# The shipped example, with a rule for the test's program: its filters name
# no program (DNS, ping, loopback, SMB), yet the program's connections on
# its own port are the kernel's.
rm -rf "$WK_TMP/etc" "$WK_TMP/state"
cp -R "$ROOT/examples" "$WK_TMP/etc"
cat >"$WK_TMP/etc/rules.d/40-test.rules" <<CONF
app "$A" {
    allow out tcp port 8080
}
CONF
chmod -R go-w "$WK_TMP/etc"
chmod 755 "$WK_TMP/etc" "$WK_TMP/etc/rules.d"
start_wardd wardd2 || wk_notok "wardd starts with the example policy"
# A prompter, as a desktop would have (the example blocks questions without one).
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg p1 sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/p1.log" "waiting for prompts" 20
before=$(decisions)
ok=0
for _ in 1 2 3 4 5; do [ "$(conn "$CG_FINE" "$A" $IP_B)" = ok ] && ok=$((ok + 1)); done
wk_check "example: the program's 5 connections pass" [ "$ok" = 5 ]
wk_check "example: all in the kernel (wardd decided nothing: $before -> $(decisions))" \
    [ "$(decisions)" = "$before" ]
other=$(conn "$CG_FINE" "$A" $IP_B 8081)
# The opposite of its last rule (deny): refused, by the hook (EPERM) or,
# where one of the example's filters could still permit it, by wardd.
wk_check "example: a port its rules do not allow is refused ($other)" \
    bash -c "[ '$other' = 'err EPERM' ] || [ '$other' = 'err ECONNREFUSED' ]"
stop_wardd wardd2
no_sanitizer "no sanitizer report" "$WK_TMP"/wardd*.log
exit 0
