#!/bin/bash
# The fleet settings on a real wardd: `set policy-bundle URL every D` (wardd
# fetches a signed bundle on its timer and the bundle's policy decides the
# next connection) and `set syslog URL [ca FILE]` (a decision reaches a
# receiver in netns B as an RFC 5424 message); what ward check refuses.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
K=$(prog known)
SINK=$(cd "$(dirname "$0")/../ecosystem" && pwd)/syslog-sink.py
export WARD_KEYS_DIR=$WK_TMP/keys WARD_BUNDLE_DIR=$WK_TMP/bundle
mkdir -p "$WK_TMP/keys" "$WK_TMP/src"
chmod 755 "$WK_TMP/src"

# words: set policy-bundle every
"$WARD" bundle keygen --dir "$WK_TMP" fleet >/dev/null && cp "$WK_TMP/fleet.pub" "$WK_TMP/keys/"
POLL="set policy-bundle \"file://$WK_TMP/office.wbd\" every 1s"
printf '%s\nset mode ask\nset no-prompter block\napp "%s" {\n    allow out tcp port 8080\n}\n' \
    "$POLL" "$K" >"$WK_TMP/src/ward.conf"
"$WARD" bundle create --key "$WK_TMP/fleet.key" --name office --version 1 \
    --output "$WK_TMP/office.wbd" "$WK_TMP/src" >/dev/null
pol <<CONF
$POLL
set mode ask
set no-prompter block
CONF
start_wardd || { wk_notok "wardd starts"; exit 1; }
bundled() { "$WARD" bundle status 2>/dev/null | grep -q "office version 1,"; }
for _ in $(seq 100); do bundled && break; sleep 0.2; done
wk_check "policy-bundle every 1s: wardd fetched and applied the signed bundle" bundled
passes "policy-bundle: the bundle's rule decides the next connection" "$K" tcp4 $IP_B 8080
rejects "policy-bundle: only https, http or file URLs" 'ward.conf:1:[0-9]+' \
    <<<'set policy-bundle "ftp://example.org/x.wbd"'
rejects "policy-bundle every 0s is refused" 'ward.conf:1:[0-9]+' \
    <<<'set policy-bundle "https://example.org/x.wbd" every 0s'
stop_wardd

# words: syslog ca
wk_bg sink wk_in_b python3 "$SINK" $IP_B 6514 "$WK_TMP/syslog.jsonl"
wk_wait_for "$WK_TMP/sink.log" listening 20
touch "$WK_TMP/syslog.jsonl"
pol <<CONF
set syslog "tcp://$IP_B:6514"
set mode ask
set no-prompter block
app "$K" {
    allow out tcp port 8080
}
CONF
start_wardd || { wk_notok "wardd starts"; exit 1; }
passes "syslog: a connection" "$K" tcp4 $IP_B 8080
wk_check "syslog tcp://: the decision reaches the receiver" \
    wk_wait_for "$WK_TMP/syslog.jsonl" "\"exe\": \"$K\"" 20
rejects "syslog: ca is for tls:// only" 'ward.conf:1:[0-9]+' \
    <<<'set syslog "tcp://logs.example.org:514" ca "/etc/ssl/ca.pem"'
accepts "syslog: tls:// with a CA file" <<<'set syslog "tls://logs.example.org:6514" ca "/etc/ssl/ca.pem"'
rejects "syslog: a port is required" 'ward.conf:1:[0-9]+' <<<'set syslog "tcp://logs.example.org"'
stop_wardd
sanitizer_clean
