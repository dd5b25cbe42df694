#!/bin/bash
# Every setting of docs/POLICY.md ("Settings") on real traffic through wardd,
# and each value the table of limits refuses, refused at file:line:col.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
K=$(prog known)  # has an allow rule for 8080
U=$(prog unknown) # has no rules: asked about
known() { printf 'app "%s" {\n    allow out tcp port 8080\n}\n' "$K"; }

pol <<CONF
set mode ask
set no-prompter pass
$(known)
CONF
start_wardd || { wk_notok "wardd starts"; exit 1; }

# words: set mode ask no-prompter pass
passes "no-prompter pass: an unknown program passes while nobody is asked" "$U" tcp4 $IP_B 8080
passes "mode ask: a program's allow rule decides" "$K" tcp4 $IP_B 8080

# words: mode deny-all
pol <<CONF
set mode deny-all
set no-prompter pass
$(known)
CONF
refused "mode deny-all: even a program with an allow rule is refused" "$K" tcp4 $IP_B 8080
# words: mode allow-all no-prompter block
pol <<CONF
set mode allow-all
set no-prompter block
CONF
passes "mode allow-all: an unknown program passes (no prompter, block)" "$U" tcp4 $IP_B 8081

# words: no-prompter block for questions
pol <<CONF
set mode ask
set no-prompter block for questions
$(known)
CONF
refused "no-prompter block (for questions): an unknown program is refused" "$U" tcp4 $IP_B 8080
passes "no-prompter block for questions: the allow rule still holds" "$K" tcp4 $IP_B 8080
# words: no-prompter block for all
pol <<CONF
set mode ask
set no-prompter block for all
$(known)
CONF
refused "no-prompter block for all: a program with an allow rule is refused too" "$K" tcp4 $IP_B 8080
rejects "no-prompter pass for all is refused" 'ward.conf:1:[0-9]+' <<<'set no-prompter pass for all'

# words: prompt-timeout default s
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg silent sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/silent.log" "waiting for prompts" 20
pol <<CONF
set mode ask
set prompt-timeout 2s default allow
CONF
U2=$(prog unknown2)
wk_check "prompt-timeout 2s default allow: unanswered, the program connects" \
    [ "$(conn "$U2" tcp4 $IP_B 8080 15)" = ok ]
pol <<CONF
set mode ask
set prompt-timeout 2 default deny
CONF
U3=$(prog unknown3)
t0=$(date +%s)
r=$(conn "$U3" tcp4 $IP_B 8080 20)
wk_check "prompt-timeout 2 default deny: unanswered, the program is refused ($r)" [ "$r" != ok ]
wk_check "prompt-timeout: the answer came from the timeout" \
    wk_eventually 20 bash -c "'$WARD' log --program '$U3' --json | grep -q '\"filter\":\"timeout\"'"
rejects "prompt-timeout 0s is refused" 'ward.conf:1:[0-9]+' <<<'set prompt-timeout 0s default deny'
rejects "prompt-timeout beyond a week is refused" 'ward.conf:1:[0-9]+' <<<'set prompt-timeout 8d'
rejects "a setting given twice is refused" 'ward.conf:2:[0-9]+' <<<$'set mode ask\nset mode ask'
kill "$WK_PID_silent" 2>/dev/null

# words: unattributed pass block
# A datagram whose socket and process are gone by the time wardd reads it
# cannot be attributed (sock_diag no longer finds the socket): wardd is
# stopped (SIGSTOP) while bash's /dev/udp sends, closes and exits, and
# continued after. Each datagram's row must say "unattributed", so neither
# check passes on a datagram decided as bash's (no-prompter block would
# refuse it too).
# unattr_rows VERDICT: rows of unattributed datagrams to the UDP peer.
unattr_rows() {
    "$WARD" log --verdict "$1" --json 2>/dev/null | grep '"reason":"unattributed"' |
        grep -c "\"rport\":5300,"
}
unattr_sent() {
    local b i
    b=$(dgrams)
    kill -STOP "$WK_PID_wardd"
    for i in 1 2 3 4 5; do
        wk_client /bin/bash -c "echo x >/dev/udp/$IP_B/5300" 2>/dev/null
    done
    kill -CONT "$WK_PID_wardd"
    for i in $(seq 200); do
        [ "$(unattr_rows "$1")" -ge "$2" ] && break
        sleep 0.1
    done
    if [ "$1" = permit ]; then # the datagrams passed are on their way to the peer
        for i in $(seq 200); do
            [ $(($(dgrams) - b)) -ge "$2" ] && break
            sleep 0.1
        done
    else
        sleep 0.3 # (none may arrive)
    fi
    echo $(($(dgrams) - b))
}
pol <<CONF
set mode ask
set no-prompter block
set unattributed pass
CONF
n_pass=$(unattr_sent permit 5)
r_pass=$(unattr_rows permit)
pol <<CONF
set mode ask
set no-prompter block
set unattributed block
CONF
n_block=$(unattr_sent block 5)
r_block=$(unattr_rows block)
echo "# unattributed datagrams delivered: pass $n_pass/5, block $n_block/5;" \
    "rows unattributed: permit $r_pass, block $r_block"
wk_check "unattributed pass: the datagrams were unattributed, logged so ($r_pass/5 rows)" \
    [ "$r_pass" -eq 5 ]
wk_check "unattributed pass: unattributed datagrams get out ($n_pass/5)" [ "$n_pass" -eq 5 ]
wk_check "unattributed block: the datagrams were unattributed, logged so ($r_block/5 rows)" \
    [ "$r_block" -eq 5 ]
wk_check "unattributed block: no unattributed datagram gets out ($n_block/5)" [ "$n_block" -eq 0 ]

# words: default dns block pass
pol <<CONF
set mode ask
set no-prompter pass
set default dns block
CONF
ans=$(wk_client /usr/bin/dig +short +time=2 +tries=1 @$IP_B a.example.test 2>&1)
wk_check "default dns block: a query no filter decides gets no answer" bash -c "! grep -qx '$IP_B' <<<'$ans'"
pol <<CONF
set mode ask
set no-prompter pass
set default dns pass
CONF
ans=$(wk_client /usr/bin/dig +short +time=8 +tries=1 @$IP_B b.example.test 2>&1)
wk_check "default dns pass: the same query is answered" [ "$ans" = "$IP_B" ]
# words: self-traffic pass rules
# A program under "deny out any" and the host itself: a listener in A.
S=$(prog selfish)
wk_bg selfsrv wk_in_a "$WK_CLIENT" listen-tcp 7090
wk_wait_for "$WK_TMP/selfsrv.log" listening
pol <<CONF
set mode ask
set no-prompter pass
set self-traffic pass
app "$S" {
    deny out any
}
CONF
passes "self-traffic pass: a program under 'deny out any' still reaches 127.0.0.1" "$S" tcp4 127.0.0.1 7090
passes "self-traffic pass: ... and the host's own address" "$S" tcp4 $IP_A 7090
pol <<CONF
set mode ask
set no-prompter pass
set self-traffic rules
app "$S" {
    deny out any
}
CONF
refused "self-traffic rules: its rules refuse 127.0.0.1" "$S" tcp4 127.0.0.1 7090
refused "self-traffic rules: ... and the host's own address" "$S" tcp4 $IP_A 7090
# words: default outbound inbound
accepts "default outbound / inbound are accepted" <<<$'set default outbound pass\nset default inbound block'
rejects "default on a layer wardd does not decide (bind) is refused" 'ward.conf:1:[0-9]+' \
    <<<'set default bind block'

# words: alert portscan flood flood-total
pol <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 5/30s
set alert flood 1000000/1s
set alert flood-total 1000000/1s
CONF
for port in $(seq 7001 7008); do wk_in_b "$WK_CLIENT" tcp4 $IP_A "$port" 1 >/dev/null; done
wk_check "alert portscan 5/30s: 8 refused ports raise an alert" \
    wk_wait_for "$WD_LOG" "alert: portscan from $IP_B" 20
pol <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 64/30s
set alert flood 5/1s
set alert flood-total 1000000/1s
CONF
wk_in_b timeout 3 "$WK_CLIENT" storm $IP_A 7100 2 >/dev/null
wk_check "alert flood 5/1s: a burst of refused connections raises an alert" \
    wk_wait_for "$WD_LOG" "alert: flood from $IP_B" 20
pol <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 64/30s
set alert flood 1000000/1s
set alert flood-total 5/1s
CONF
wk_in_b timeout 3 "$WK_CLIENT" storm $IP_A 7200 2 >/dev/null
wk_check "alert flood-total 5/1s: the burst raises the all-sources alert" \
    wk_wait_for "$WD_LOG" "alert: flood-total" 20
rejects "alert portscan 65/10s is refused (at most 64)" 'ward.conf:1:[0-9]+' <<<'set alert portscan 65/10s'
rejects "alert flood with a window other than 1s is refused" 'ward.conf:1:[0-9]+' <<<'set alert flood 5/2s'
rejects "an unknown alert is refused" 'ward.conf:1:[0-9]+' <<<'set alert portscna 5/10s'

# words: fail-mode closed open
# Read at start: SIGKILL wardd; a queued (unknown) program is held, or passes.
pol <<CONF
set mode ask
set no-prompter block
set fail-mode closed
CONF
stop_wardd
start_wardd || wk_notok "wardd restarts (fail-mode closed)"
kill_wardd
U5=$(prog failc)
refused "fail-mode closed: wardd killed, a queued program does not pass" "$U5" tcp4 $IP_B 8080 3
pol <<CONF
set mode ask
set no-prompter block
set fail-mode open
CONF
start_wardd || wk_notok "wardd restarts (fail-mode open)"
U6=$(prog failo)
refused "fail-mode open: while wardd runs, the rules decide" "$U6" tcp4 $IP_B 8080 3
kill_wardd
passes "fail-mode open: wardd killed, a queued program passes" "$U6" tcp4 $IP_B 8080 3
start_wardd || wk_notok "wardd restarts"
stop_wardd
sanitizer_clean
exit 0
