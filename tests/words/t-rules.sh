#!/bin/bash
# Per-program rules (docs/POLICY.md, "Programs", "Time windows",
# "Lifetimes", "Rules added at run time") on real traffic through wardd.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
for i in $(seq 1 30); do eval "R$i=\$(prog r$i)"; done
SHA=$(sha256sum "$R11" | cut -d' ' -f1)
BAD=$(printf '%064d' 0)
days=(sun mon tue wed thu fri sat)
other=${days[$((($(date +%w) + 3) % 7))]}
future=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
past=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
for p in 7081 7082 7083 7084; do
    eval "L$p=\$(prog lst$p)"
done
# L7085 and L7086 listen before wardd (and its hooks) start; the others after.
L7085=$(prog lst7085) L7086=$(prog lst7086)
wk_bg in7085 wk_client "$L7085" listen-tcp 7085
wk_bg in7086 wk_client "$L7086" listen-tcp 7086
wk_wait_for "$WK_TMP/in7085.log" listening
wk_wait_for "$WK_TMP/in7086.log" listening
# A process an until-exit rule names: one attempt per line on its stdin.
mkfifo "$WK_TMP/r15.in"
exec 7<>"$WK_TMP/r15.in"
wk_bg r15 sh -c "echo \$\$ >'$WK_CG/cgroup.procs' && exec nsenter --net=/run/netns/$NS_A '$R15' lines tcp4 $IP_B 8080 <'$WK_TMP/r15.in'"
wk_wait_for "$WK_TMP/r15.log" ready 20
R15PID=$(sed -n 's/^ready //p' "$WK_TMP/r15.log")
R15START=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$R15PID/stat)

rules() {
    cat <<CONF
set mode ask
set no-prompter block
set unattributed block
provider "fleet"
app "/usr/bin/dig" {
    allow out udp port 53
}
app "$R1" {
    allow out tcp port 8080
}
app "$R2" {
    deny out tcp port 8080
}
app "$R3" fallback deny {
    deny out tcp port 8080
}
app "$R4" fallback allow {
    allow out tcp port 8080
}
app "$R5" fallback ask {
    allow out tcp port 8080
}
app "$L7081" {
    allow in tcp port 7081
}
app "$L7082" {
    deny in tcp port 7082
}
app "$L7083" {
    allow out tcp port 7083
}
app "$L7084" {
    allow tcp port 7084
}
app "$L7085" {
    allow in tcp port 7085
}
app "$L7086" {
    deny in tcp port 7086
}
app "$R9" {
    allow out any
}
app "$R11" sha256 $SHA {
    allow out tcp
}
app "$R12" sha256 $BAD {
    allow out tcp
}
app "$R13" {
    allow out tcp port 8080 until $future
}
app "$R14" {
    allow out tcp port 8080 until $past
}
app "$R15" {
    allow out tcp port 8080 until-exit pid $R15PID start $R15START
}
app "$R18" {
    allow out tcp port 8080 daily
}
app "$R19" {
    allow out tcp port 8080 $other 00:00-24:00
}
app "$R20" {
    allow out tcp port 8080 domain "shop.test"
}
app "$R21" {
    allow out tcp port 8080 domain { "*.other.test", "other.test" }
}
app "$R22" {
    allow out tcp port 8080 provider fleet
}
app "$R23" {
    allow out proto 17 port 5300 to internet
    deny out any
}
app "$R27" {
    allow out tcp port 8080 user 65534
}
CONF
}
rules | pol
start_wardd || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
wk_bg in7081 wk_client "$L7081" listen-tcp 7081
wk_bg in7082 wk_client "$L7082" listen-tcp 7082
wk_bg in7083 wk_client "$L7083" listen-tcp 7083
wk_bg in7084 wk_client "$L7084" listen-tcp 7084
for p in 7081 7082 7083 7084; do wk_wait_for "$WK_TMP/in$p.log" listening; done

# words: app allow out tcp port
passes "allow: the rule's port passes" "$R1" tcp4 $IP_B 8080
refused "allow: no match gets the opposite (deny)" "$R1" tcp4 $IP_B 9090
# words: deny
refused "deny: the rule's port is refused" "$R2" tcp4 $IP_B 8080
passes "deny: no match gets the opposite (allow)" "$R2" tcp4 $IP_B 9090
# words: fallback deny allow ask
refused "fallback deny: no match is refused, not the opposite" "$R3" tcp4 $IP_B 9090
passes "fallback allow: no match passes, not the opposite" "$R4" tcp4 $IP_B 9090
refused "fallback ask: no match is asked (no prompter: blocked)" "$R5" tcp4 $IP_B 9090
wk_check "fallback ask: the log says it was a question (no-prompter)" \
    wk_eventually 20 bash -c "'$WARD' log --program '$R5' --json | grep -q '\"reason\":\"no-prompter\"'"
# words: in
wk_check "in: an allow in rule lets the peer reach the listener" \
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7081 4)" = ok ]
wk_check "in: a deny in rule refuses it" [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7082 4)" != ok ]
wk_check "out: an out rule does not let anyone in" [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7083 4)" != ok ]
wk_check "no direction: the rule holds inbound too" [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7084 4)" = ok ]
# Listeners bound before wardd and its hooks: found at start (sock_diag's
# inodes in /proc/net, their owners in /proc/PID/fd) and known by their rules.
early_listeners() {
    wk_check "in: a listener bound before wardd started is known by its rule ($1)" \
        [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7085 4)" = ok ]
    wk_check "in: ... and its deny rule refuses the peer ($1)" \
        [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7086 4)" != ok ]
}
early_listeners "first start"
# words: any proto
passes "allow out any: tcp" "$R9" tcp4 $IP_B 9090
wk_check "allow out any: udp" udp_arrives "$R9" $IP_B
wk_check "proto 17 port 5300 to internet: udp to an internet address" udp_arrives "$R23" $IP_NET_B
wk_check "proto 17 port 5300 to internet: not to a lan address" udp_blocked "$R23" $IP_B
rejects "a rule takes one protocol, not a list" 'ward.conf:2:[0-9]+' \
    <<<$'app "/bin/x" {\n    allow out proto { tcp, udp }\n}'
# words: sha256
# Without a prompter the pin question would get the no-prompter outcome:
# wardd computes the digest first, and a matching pin lets the rules decide.
passes "sha256 (no prompter): the pinned digest matches, the rules decide" "$R11" tcp4 $IP_B 8080
refused "sha256 (no prompter): another digest is refused" "$R12" tcp4 $IP_B 8080
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg silent sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/silent.log" "waiting for prompts" 20
passes "sha256 (a prompter runs): the pinned digest matches, the rules decide" "$R11" tcp4 $IP_B 8080
wk_bg r12 wk_client "$R12" tcp4 $IP_B 8080 10
wk_check "sha256: another digest is asked about (reason app-pin)" \
    wk_wait_for "$WK_TMP/silent.log" "$R12" 20
kill "$WK_PID_silent" "$WK_PID_r12" 2>/dev/null
wait "$WK_PID_r12" 2>/dev/null
# words: until
passes "until (tomorrow): the rule holds" "$R13" tcp4 $IP_B 8080
refused "until (yesterday): the rule is over (asked: blocked)" "$R14" tcp4 $IP_B 8080
# words: until-exit pid start
echo >&7
wk_wait_for "$WK_TMP/r15.log" '^ok\|^err' 20
wk_check "until-exit pid start: the process the rule names connects" grep -qx ok "$WK_TMP/r15.log"
refused "until-exit: another process of the same program does not" "$R15" tcp4 $IP_B 8080
kill "$R15PID" 2>/dev/null
wait "$WK_PID_r15" 2>/dev/null
wk_check "until-exit: the rule is gone when its process exits" \
    wk_eventually 20 bash -c "! '$WARD' rules list --program '$R15' | grep -q 'until-exit'"
# words: daily
passes "a time window that holds (daily)" "$R18" tcp4 $IP_B 8080
refused "a day that is not today ($other): the opposite applies" "$R19" tcp4 $IP_B 8080
# words: domain
ans=$(wk_client /usr/bin/dig +short +time=8 +tries=1 @$IP_B shop.test 2>&1)
wk_check "dns: shop.test resolves through wardd" [ "$ans" = "$IP_B" ]
passes "domain: a rule for shop.test allows its address" "$R20" tcp4 $IP_B 8080
refused "domain: a rule for other.test does not" "$R21" tcp4 $IP_B 8080
# words: provider
passes "provider: a rule of provider fleet decides" "$R22" tcp4 $IP_B 8080

# words: once
"$WARD" rules add "$R17" allow out tcp port 8080 once >/dev/null
passes "once (ward rules add): the first connection passes" "$R17" tcp4 $IP_B 8080
refused "once: the second is asked (blocked)" "$R17" tcp4 $IP_B 8080
# words: until-restart
"$WARD" rules add --until-restart "$R16" allow out tcp port 8080 >/dev/null
passes "until-restart (ward rules add): the rule holds" "$R16" tcp4 $IP_B 8080
"$WARD" rules add "$R24" allow out tcp port 8080 until-restart >/dev/null
wk_check "until-restart: not written to learned.rules" \
    bash -c "! grep -q '$R16\|$R24' '$WK_TMP/state/learned.rules' 2>/dev/null"
"$WARD" rules add "$R25" allow out tcp port 8080 >/dev/null
wk_check "a persistent rule added at run time is written to learned.rules" \
    grep -q "$R25" "$WK_TMP/state/learned.rules"
passes "a rule a reload keeps: until-restart survives ward reload" "$R24" tcp4 $IP_B 8080
stop_wardd
# The listening table forgets the early listeners while wardd is down (as a
# fresh map would): the next start finds them again.
for p in 7085 7086; do
    bpftool map delete pinned "$WK_PIN/maps/ward_binds" \
        key $(printf '0x%02x 0x%02x' $((p & 255)) $((p >> 8))) 0x06 0x00 2>&1 | sed 's/^/# /'
done
start_wardd || wk_notok "wardd restarts"
early_listeners "after a restart of wardd"
refused "until-restart: gone after a restart" "$R16" tcp4 $IP_B 8080
passes "a persistent added rule: kept across the restart" "$R25" tcp4 $IP_B 8080
out=$("$WARD" rules add "$R26" allow out tcp port 99999 2>&1)
wk_check "ward rules add: a bad rule is refused at rule:1:COL" grep -q 'rule:1:[0-9]*' <<<"$out"

# words: user (a program's rule for some users)
wk_check "user: a program's rule for uid 65534 holds for that user" \
    [ "$(wk_client setpriv --reuid 65534 --regid 65534 --clear-groups "$R27" tcp4 $IP_B 8080 4)" = ok ]
refused "user: ... not for root (the opposite of the last rule)" "$R27" tcp4 $IP_B 8080
"$WARD" rules add "$R28" allow out tcp port 8080 user 65534 until-restart >/dev/null
wk_check "user (ward rules add): the added rule holds for that user" \
    [ "$(wk_client setpriv --reuid 65534 --regid 65534 --clear-groups "$R28" tcp4 $IP_B 8080 4)" = ok ]
refused "user (ward rules add): ... not for root" "$R28" tcp4 $IP_B 8080
# words: session
rejects "session N is not for files: ward check refuses it" 'ward.conf:2:19' \
    <<<$'app "/bin/x" {\n    allow out tcp session 3\n}'
rejects "two blocks pinning one program differently" 'ward.conf:[0-9]+:[0-9]+' \
    <<<$'app "/bin/x" sha256 '"$SHA"$' {\n    allow out tcp\n}\napp "/bin/x" sha256 '"$BAD"$' {\n    allow out udp\n}'
rejects "an unknown fallback" 'ward.conf:1:[0-9]+' <<<$'app "/bin/x" fallback maybe {\n    allow out tcp\n}'
rejects "until with a bad time" 'ward.conf:2:[0-9]+' <<<$'app "/bin/x" {\n    allow out tcp until tomorrow\n}'
rejects "until-exit without start" 'ward.conf:[23]:[0-9]+' <<<$'app "/bin/x" {\n    allow out tcp until-exit pid 5\n}'
rejects "a port beyond 65535" 'ward.conf:2:[0-9]+' <<<$'app "/bin/x" {\n    allow out tcp port 65536\n}'
rejects "a misspelt action, with a suggestion" 'ward.conf:2:[0-9]+' <<<$'app "/bin/x" {\n    alow out tcp\n}'
stop_wardd
sanitizer_clean
exit 0
