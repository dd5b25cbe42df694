#!/bin/bash
# libward-shim.so end to end (docs/SHIM.md): curl, python3 and nc under
# LD_PRELOAD in the sandbox, with the real wardd and kernel hooks.
# Allowed, denied (the policy's errno), prompted once; a domain rule decided
# on the name asked for; threads; fork after connect; a raw connect(2) the
# kernel still catches; wardd down: the kernel's fail-closed holds and the
# shim does not hang.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
SHIM=$WK_BUILD/lib/libward-shim.so
[ -f "$SHIM" ] || wk_skip_all "no $SHIM"
for p in curl nc.openbsd python3.11; do
    [ -x "/usr/bin/$p" ] || wk_skip_all "no /usr/bin/$p"
done
CLIENT=$(cd "$(dirname "$0")" && pwd)/client.py

# Each program under test is a copy of its own, so the policy tells them apart.
prog() {
    mkdir -p "$WK_TMP/$1"
    cp "/usr/bin/$2" "$WK_TMP/$1/$3"
    echo "$WK_TMP/$1/$3"
}
CURL_OK=$(prog curl-ok curl curl)
CURL_NO=$(prog curl-no curl curl)
CURL_DOM=$(prog curl-dom curl curl)
NC_NO=$(prog nc-no nc.openbsd nc)
PY_OK=$(prog py-ok python3.11 python3)
PY_NO=$(prog py-no python3.11 python3)
PY_ASK=$(prog py-ask python3.11 python3)
PY_SRV=$(prog py-srv python3.11 python3)
PY_UDP=$(prog py-udp python3.11 python3)
PY_THR=$(prog py-thr python3.11 python3)

ward_policy <<CONF
set mode ask
set no-prompter block
app "$CURL_OK" {
    allow out tcp port 8080
}
app "$CURL_NO" {
    allow out udp port 53
    deny out any
}
app "$CURL_DOM" {
    allow out udp port 53
    allow out tcp port 8080 domain "shop.example.test"
}
app "$NC_NO" {
    deny out any
}
app "$PY_OK" {
    allow out tcp port 8080
}
app "$PY_NO" {
    deny out any
}
app "$PY_SRV" {
    allow in tcp port 9090
}
CONF

# The peer: an HTTP server on B, and a DNS server there answering every
# name with B. The test's own mount namespace points the resolver at it.
wk_bg http nsenter --net=/run/netns/$NS_B python3 -u -m http.server --bind $IP_B 8080
wk_wait_for "$WK_TMP/http.log" "Serving HTTP" 20
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
echo "nameserver $IP_B" >"$WK_TMP/resolv.conf"
echo "options timeout:2 attempts:1" >>"$WK_TMP/resolv.conf"
wk_private_mounts || wk_skip_all "no private mount namespace"
mount --bind "$WK_TMP/resolv.conf" /etc/resolv.conf
wk_wait_for "$WK_TMP/dns.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 0; }

# shimmed PROGRAM ARGS...: PROGRAM as a test client with the shim preloaded.
shimmed() { wk_client env LD_PRELOAD="$SHIM" WARD_RUN_DIR="$WK_TMP/run" "$@"; }
http() { shimmed "$1" -4 -s -o /dev/null -m 10 -w '%{http_code}' "http://$2:8080/"; }
via_shim() { "$WARD" log --program "$1" --json | grep '"via":"shim"' | grep -q "\"verdict\":\"$2\""; }

wk_check "wardd listens for the shim" [ -S "$WK_TMP/run/shim.sock" ]

# Allowed: curl's port is in its kernel table; the shim asks once, then
# knows (the cache), and the kernel decides as always.
wk_check "allowed: curl fetches a page under the shim" [ "$(http "$CURL_OK" $IP_B)" = 200 ]
wk_check "allowed: and again (the cache's answer)" [ "$(http "$CURL_OK" $IP_B)" = 200 ]
wk_check "allowed: python3 connects under the shim" \
    [ "$(shimmed "$PY_OK" "$CLIENT" connect $IP_B 8080)" = ok ]
# The answer is known now (the cache): the next connect asks nobody.
out=$(shimmed strace -f -qq -e trace=connect -o "$WK_TMP/known.strace" "$PY_OK" "$CLIENT" connect $IP_B 8080)
wk_check "known answer: python3 connects again" [ "$out" = ok ]
wk_check "known answer: without a question to wardd (no connect to shim.sock)" \
    bash -c "grep -q '$IP_B' '$WK_TMP/known.strace' && ! grep -q shim.sock '$WK_TMP/known.strace'"

# Denied: the call fails with the policy's errno, and the log says the
# shim's question was decided.
wk_check "denied: python3's connect fails with ECONNREFUSED" \
    [ "$(shimmed "$PY_NO" "$CLIENT" connect $IP_B 8080)" = "err ECONNREFUSED" ]
wk_check "denied: a datagram fails with EACCES" \
    [ "$(shimmed "$PY_NO" "$CLIENT" udp $IP_B 9999)" = "err EACCES" ]
shimmed "$CURL_NO" -4 -s -o /dev/null -m 10 "http://$IP_B:8080/"
wk_check "denied: curl cannot connect (exit 7)" [ $? = 7 ]
out=$(shimmed "$NC_NO" -v -z -w 3 $IP_B 8080 2>&1)
wk_check "denied: nc is refused by the shim" grep -q "Connection refused" <<<"$out"
wk_check "denied: the log has the block, via shim" via_shim "$PY_NO" block
wk_check "denied: ward log says 'via shim'" wk_eventually 20 bash -c "'$WARD' log --program '$NC_NO' | grep -q 'via shim'"

# A domain rule decided on the name curl asked for (the DNS answer wardd
# saw confirms it); another name of the same address is not allowed.
wk_check "domain: the name the rule allows is fetched" \
    [ "$(http "$CURL_DOM" shop.example.test)" = 200 ]
wk_check "domain: the permit is logged with the name, via shim" \
    wk_eventually 20 bash -c "'$WARD' log --program '$CURL_DOM' --json | grep '\"via\":\"shim\"' |
             grep '\"verdict\":\"permit\"' | grep -q shop.example.test"
wk_check "domain: another name of the same address is refused" \
    [ "$(http "$CURL_DOM" other.example.test)" = 000 ]
wk_check "domain: the allowed name still decides after the other's answer" \
    [ "$(http "$CURL_DOM" shop.example.test)" = 200 ]

# Threads: each connection its own question, none lost or mixed up.
out=$(shimmed "$PY_OK" "$CLIENT" threads 8 $IP_B 8080)
wk_check "threads: 8 threads of an allowed program all connect" [ "$(grep -cx ok <<<"$out")" = 8 ]
out=$(shimmed "$PY_NO" "$CLIENT" threads 8 $IP_B 8080)
wk_check "threads: 8 threads of a denied program are all refused" \
    [ "$(grep -cx "err ECONNREFUSED" <<<"$out")" = 8 ]

# Fork after connect: the child uses the socket and connects on its own.
out=$(shimmed "$PY_OK" "$CLIENT" fork $IP_B 8080)
wk_check "fork: the child sends on the parent's socket" grep -qx "child-send ok" <<<"$out"
wk_check "fork: the child connects under the shim" grep -qx "child-connect ok" <<<"$out"
wk_check "fork: the parent carries on" grep -qx "parent ok" <<<"$out"

# A non-blocking connect stays non-blocking; a refusal is at once.
out=$(shimmed "$PY_OK" "$CLIENT" nonblock $IP_B 8080)
wk_check "non-blocking: an allowed connect returns EINPROGRESS, then connects" \
    [ "$out" = "$(printf 'returned EINPROGRESS\nended ok')" ]
wk_check "non-blocking: a denied one fails at once with ECONNREFUSED" \
    [ "$(shimmed "$PY_NO" "$CLIENT" nonblock $IP_B 8080)" = "returned ECONNREFUSED" ]

# accept: the kernel let the connection in; the shim adds no second decision.
wk_bg srv9090 shimmed "$PY_SRV" "$CLIENT" serve 9090
wk_wait_for "$WK_TMP/srv9090.log" listening 20
wk_check "accept: a peer the policy lets in connects" \
    [ "$(wk_in_b "$CLIENT" connect $IP_A 9090)" = ok ]
finish srv9090 10
wk_check "accept: the server under the shim accepts it" grep -q "^accepted $IP_B" "$WK_TMP/srv9090.log"
wk_check "accept: no decision of the shim's for it (the kernel's stands)" \
    bash -c "! '$WARD' log --program '$PY_SRV' --json | grep -q '\"via\":\"shim\"'"

# Anyone may ask; a malformed question is answered "not decided here".
wk_check "a malformed question from an unprivileged user: not decided here" \
    [ "$(setpriv --reuid nobody --regid nogroup --clear-groups /usr/bin/python3.11 "$CLIENT" garbage \
        "$WK_TMP/run/shim.sock")" = "verdict 0" ]
wk_check "... and wardd carries on" bash -c "'$WARD' status >/dev/null"

# A raw connect(2) goes around the shim; the kernel layer still decides it.
wk_check "bypass: a raw syscall of a denied program is refused by the kernel (EPERM)" \
    [ "$(shimmed "$PY_NO" "$CLIENT" raw $IP_B 8080)" = "err EPERM" ]
wk_check "agreement: the kernel lets the allowed program's raw syscall through, as the shim did" \
    [ "$(shimmed "$PY_OK" "$CLIENT" raw $IP_B 8080)" = ok ]

# Prompted once: a program without rules asks; the answer allows the
# connection and the kernel does not ask again.
keyed px
wk_bg ask shimmed "$PY_ASK" "$CLIENT" connect $IP_B 8080
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
wk_check "prompt: the shim's question is a prompt" [ "$(status prompts_pending)" = 1 ]
printf 'a\n\no\n' >&8 # allow, this destination, once
finish ask 20
wk_check "prompt: the answer lets the connection through" grep -qx ok "$WK_TMP/ask.log"
wk_check "prompt: asked once" [ "$(grep -c '^program:' "$WK_TMP/px.log")" = 1 ]
wk_check "prompt: one decision, by the shim: no other row for the program" \
    bash -c "[ \$('$WARD' log --program '$PY_ASK' --json | grep -c decision) = 1 ] &&
             '$WARD' log --program '$PY_ASK' --json | grep -q '\"via\":\"shim\"'"

# A datagram: its socket is held from birth (the program may not send UDP
# anywhere); the shim's allow lets this one datagram out, asked once.
wk_bg udp9999 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 9999
wk_wait_for "$WK_TMP/udp9999.log" listening 20
wk_bg askudp shimmed "$PY_UDP" "$CLIENT" udp $IP_B 9999
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
printf 'a\n\no\n' >&8
finish askudp 20
wk_check "prompt: a datagram allowed once is sent" grep -qx ok "$WK_TMP/askudp.log"
wk_check "prompt: ... and reaches the peer" wk_wait_for "$WK_TMP/udp9999.log" "^dgram 1" 20
grep -q "^dgram 1" "$WK_TMP/udp9999.log" || {
    sed "s/^/# px: /" "$WK_TMP/px.log"; sed "s/^/# udp: /" "$WK_TMP/udp9999.log" "$WK_TMP/askudp.log"
    "$WARD" log --program "$PY_UDP" | sed "s/^/# log: /"
}
wk_check "prompt: ... asked once" [ "$(grep -c '^program:' "$WK_TMP/px.log")" = 2 ]

# Four threads of an unknown program at once: one question (the others
# join it, or find the answer learned), whose answer lets all four through.
wk_bg thr shimmed "$PY_THR" "$CLIENT" threads 4 $IP_B 8080
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
printf 'a\n\nx\n' >&8 # allow, this destination, until the program exits
finish thr 20
wk_check "prompt: four threads, one question, all four connect" \
    [ "$(grep -cx ok "$WK_TMP/thr.log")" = 4 ]
wk_check "prompt: ... asked once" [ "$(grep -c '^program:' "$WK_TMP/px.log")" = 3 ]
wk_signal TERM px

# wardd down: the kernel's tables and its fail-closed queue decide; the
# shim finds no socket and never waits for it.
stop_wardd wardd
wk_check "wardd down: the allowed program still connects (kernel table)" \
    [ "$(shimmed "$PY_OK" "$CLIENT" connect $IP_B 8080)" = ok ]
wk_check "wardd down: the denied program is refused by the kernel (EPERM)" \
    [ "$(shimmed "$PY_NO" "$CLIENT" connect $IP_B 8080)" = "err EPERM" ]
out=$(timeout 30 bash -c "$(declare -f shimmed wk_client); WK_CG='$WK_CG' NS_A='$NS_A' SHIM='$SHIM' WK_TMP='$WK_TMP' shimmed '$PY_ASK' '$CLIENT' connect $IP_B 8080")
rc=$?
wk_check "wardd down: a program to ask about returns (no hang)" [ "$rc" != 124 ]
wk_check "wardd down: ... and does not connect (fail-closed)" [ "$out" = "err timeout" ]

no_sanitizer "wardd: no sanitizer report" "$WK_TMP/wardd.log"
exit 0
