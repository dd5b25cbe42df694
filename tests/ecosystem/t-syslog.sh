#!/bin/bash
# Remote syslog (`set syslog`): every decision and alert as an RFC 5424
# message in RFC 6587 octet-counted frames, over TCP and over TLS with the
# server's certificate verified (a CA of the test's own); a server whose
# certificate the CA did not sign gets nothing. The receiver
# (syslog-sink.py) runs in netns B and parses every frame strictly; then
# rsyslogd (imtcp) in netns B, where it is installed, parses them as it
# parses any RFC 5424 sender.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
SINK=$(cd "$(dirname "$0")" && pwd)/syslog-sink.py
command -v openssl >/dev/null || wk_skip_all "no openssl"

# A CA, a server certificate for $IP_B signed by it, and one self-signed.
pki() (
    cd "$WK_TMP" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj /CN=ward-test-ca || return 1
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=$IP_B || return 1
    printf 'subjectAltName=IP:%s\n' "$IP_B" >san.ext
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
        -extfile san.ext || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 2 \
        -subj /CN=$IP_B -addext "subjectAltName=IP:$IP_B"
)
wk_check "a test CA and server certificates" pki >"$WK_TMP/pki.log" 2>&1
chmod 644 "$WK_TMP"/*.pem

wk_bg tcp wk_in_b python3 "$SINK" $IP_B 6514 "$WK_TMP/tcp.jsonl"
wk_bg tls wk_in_b python3 "$SINK" $IP_B 6515 "$WK_TMP/tls.jsonl" --cert "$WK_TMP/srv.pem" \
    --key "$WK_TMP/srv.key"
wk_bg rogue wk_in_b python3 "$SINK" $IP_B 6516 "$WK_TMP/rogue.jsonl" --cert "$WK_TMP/rogue.pem" \
    --key "$WK_TMP/rogue.key"
for s in tcp tls rogue; do wk_wait_for "$WK_TMP/$s.log" listening 20; done
touch "$WK_TMP/tcp.jsonl" "$WK_TMP/tls.jsonl" "$WK_TMP/rogue.jsonl"

# msgs FILE FILTER: the messages for which the python expression over m holds.
msgs() {
    python3 -c '
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if eval(sys.argv[2]):
        print(l, end="")' "$1" "$2"
}
wait_msgs() {
    for _ in $(seq 200); do
        [ "$(msgs "$2" "$3" | wc -l)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 10/30s
$1
app "$A" {
    allow out tcp port 8080
}
app "$D" {
    deny out any
}
CONF
}
W='m.get("sd", {}).get("ward@32473", {})'
A_PERMIT="$W.get('exe') == '$A' and $W.get('verdict') == 'permit'"
D_BLOCK="$W.get('exe') == '$D' and $W.get('verdict') == 'block'"

policy "set syslog \"tcp://$IP_B:6514\""
serve_b 1000
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd says where syslog goes" grep -q "syslog: decisions and alerts to tcp://$IP_B:6514" \
    "$WK_TMP/wardd.log"
wk_check "an allowed program connects" [ "$(conn "$A")" = ok ]
wk_check "a denied program is refused" [ "$(conn "$D")" = "err EPERM" ]
wk_check "tcp: the allowed connection, RFC 5424 (daemon.info, app wardd, msgid decision)" \
    wait_msgs 1 "$WK_TMP/tcp.jsonl" "$A_PERMIT and m['pri'] == 30 and m['app'] == 'wardd' \
        and m['msgid'] == 'decision' and m['ts'].endswith('Z') and '$A' in m['msg'] \
        and $W['remote'] == '$IP_B' and $W['rport'] == '8080' and $W['proto'] == 'tcp' \
        and int($W['pid']) > 1 and 'seq' in $W"
wk_check "tcp: the refused connection (daemon.notice)" \
    wait_msgs 1 "$WK_TMP/tcp.jsonl" "$D_BLOCK and m['pri'] == 29"
for port in $(seq 7001 7015); do wk_in_b "$WK_CLIENT" tcp4 $IP_A "$port" 2 >/dev/null; done
wk_check "tcp: a port scan is an alert (daemon.warning, msgid alert)" \
    wait_msgs 1 "$WK_TMP/tcp.jsonl" "m.get('msgid') == 'alert' and m['pri'] == 28 \
        and $W['alert'] == 'portscan' and $W['remote'] == '$IP_B' and int($W['count']) >= 10"
wk_check "tcp: every frame and message parses" bash -c "! grep -q error '$WK_TMP/tcp.jsonl'"

# TLS, the certificate verified against the test's CA; then a server the CA
# does not vouch for.
policy "set syslog \"tls://$IP_B:6515\" ca \"$WK_TMP/ca.pem\""
wk_check "reload: syslog over TLS" "$WARD" reload
wk_check "an allowed program connects" [ "$(conn "$A")" = ok ]
wk_check "tls: the decision arrives over TLS" wait_msgs 1 "$WK_TMP/tls.jsonl" "$A_PERMIT"
wk_check "tls: every frame and message parses" bash -c "! grep -q error '$WK_TMP/tls.jsonl'"
n_tcp=$(wc -l <"$WK_TMP/tcp.jsonl")
policy "set syslog \"tls://$IP_B:6516\" ca \"$WK_TMP/ca.pem\""
wk_check "reload: syslog to a server with a certificate of its own" "$WARD" reload
wk_check "a denied program is refused" [ "$(conn "$D")" = "err EPERM" ]
wk_check "the certificate is refused, and said" wk_wait_for "$WK_TMP/wardd.log" \
    "syslog tls://$IP_B:6516: TLS handshake" 15
wk_check "nothing reached the unverified server" [ ! -s "$WK_TMP/rogue.jsonl" ]
wk_check "the earlier server gets nothing more" [ "$(wc -l <"$WK_TMP/tcp.jsonl")" -eq "$n_tcp" ]
printf 'set syslog "udp://x:514"\n' >"$WK_TMP/bad.conf"
chmod 644 "$WK_TMP/bad.conf"
bad_refused() { ! "$WARD" check "$WK_TMP/bad.conf" 2>"$WK_TMP/bad.err" && grep -q 'bad.conf:1:12' "$WK_TMP/bad.err"; }
wk_check "ward check refuses a syslog URL of another scheme" bad_refused

# rsyslog as it comes (imtcp, its RFC 5424 parser), where it is installed.
if command -v rsyslogd >/dev/null; then
    cat >"$WK_TMP/rsyslog.conf" <<CONF
global(workDirectory="$WK_TMP")
module(load="imtcp")
input(type="imtcp" address="$IP_B" port="6517")
template(name="fields" type="list") {
    property(name="app-name") constant(value="|") property(name="msgid") constant(value="|")
    property(name="structured-data") constant(value="|") property(name="msg") constant(value="\n")
}
*.* action(type="omfile" file="$WK_TMP/rsyslog.out" template="fields")
CONF
    wk_bg rsyslogd wk_in_b rsyslogd -n -f "$WK_TMP/rsyslog.conf" -i "$WK_TMP/rsyslog.pid"
    for _ in $(seq 100); do wk_in_b bash -c "exec 3<>/dev/tcp/$IP_B/6517" 2>/dev/null && break; sleep 0.2; done
    policy "set syslog \"tcp://$IP_B:6517\""
    wk_check "reload: syslog to rsyslog" "$WARD" reload
    wk_check "an allowed program connects" [ "$(conn "$A")" = ok ]
    wk_check "rsyslog parses the message: app, msgid, structured data" \
        wk_wait_for "$WK_TMP/rsyslog.out" "^wardd|decision|\[ward@32473 event=\"decision\" verdict=\"permit\".*exe=\"$A\"" 20
else
    wk_ok "rsyslog receives the messages # SKIP rsyslogd is not installed"
fi
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
