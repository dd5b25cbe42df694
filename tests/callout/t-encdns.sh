#!/bin/bash
# The encrypted-dns condition on real traffic: a DoT-like TCP/853 server and
# an HTTPS server on B's address 10.77.0.2, declared a resolver (set
# encrypted-dns-resolver), and the same HTTPS server on B's second address
# 10.77.0.3, which is no resolver. One program may use encrypted DNS (a
# filter permits it), another is refused it (a filter blocks it for all);
# both reach HTTPS elsewhere. Decisions show the kind in ward log and
# explain names it.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v curl >/dev/null || wk_skip_all "no curl"
command -v openssl >/dev/null || wk_skip_all "no openssl"
[ -x /usr/bin/python3 ] || wk_skip_all "no /usr/bin/python3"
PY=$(readlink -f /usr/bin/python3)
CURL=$(readlink -f "$(command -v curl)")
IP_B2=10.77.0.3
wk_in_b ip addr add $IP_B2/24 dev wkb$WK_ID
# Two programs: curl under two paths is two identities.
mkdir -p "$WK_TMP/doh-ok" "$WK_TMP/doh-no" "$WK_TMP/www"
cp "$CURL" "$WK_TMP/doh-ok/curl"
cp "$CURL" "$WK_TMP/doh-no/curl"
OK=$WK_TMP/doh-ok/curl NO=$WK_TMP/doh-no/curl
echo '{"Status":0}' >"$WK_TMP/www/dns-query"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=doh.example.test \
    -keyout "$WK_TMP/key.pem" -out "$WK_TMP/cert.pem" >/dev/null 2>&1

ward_policy <<CONF
set mode ask
set no-prompter block
set encrypted-dns-resolver "$IP_B"
filter "doh-ok" layer outbound weight 110 hard permit app { "$OK", "$A" } encrypted-dns
filter "no-encrypted-dns" layer outbound weight 100 hard block encrypted-dns
app "$OK" {
    allow out tcp
}
app "$NO" {
    allow out tcp
}
app "$A" {
    allow out tcp
}
app "$D" {
    allow out tcp
}
CONF
wk_bg https nsenter --net=/run/netns/$NS_B "$PY" -c '
import http.server, ssl, sys, functools
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("0.0.0.0", 443), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
' "$WK_TMP/www" "$WK_TMP/cert.pem" "$WK_TMP/key.pem"
wk_bg dot nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 853
wk_wait_for "$WK_TMP/dot.log" listening
for _ in $(seq 200); do
    wk_in_b ss -ltn | grep -q ':443 ' && break
    sleep 0.1
done
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

# fetch PROGRAM ADDR: the HTTP status of https://ADDR/dns-query (000: refused).
fetch() {
    wk_client "$1" -sk -o /dev/null -w '%{http_code}' --max-time 20 "https://$2/dns-query" \
        2>/dev/null
}

wk_check "doh: the allowed program queries the declared resolver over HTTPS" \
    [ "$(fetch "$OK" $IP_B)" = 200 ]
wk_check "doh: another program is refused it" [ "$(fetch "$NO" $IP_B)" = 000 ]
wk_check "https to an address that is no resolver passes for the refused program" \
    [ "$(fetch "$NO" $IP_B2)" = 200 ]
wk_check "... and for the allowed one" [ "$(fetch "$OK" $IP_B2)" = 200 ]
wk_check "dot: TCP/853 for the allowed program" [ "$(wk_client "$A" tcp4 $IP_B 853 4 2>&1)" = ok ]
wk_check "dot: ... refused to another program, whoever the server is" \
    [ "$(wk_client "$D" tcp4 $IP_B2 853 4 2>&1)" != ok ]
wk_check "ward log: the refusal names the filter and the kind (doh)" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"exe\":\"$NO\"' |
        grep '\"encdns\":\"doh\"' | grep -q '\"filter\":\"no-encrypted-dns\"'"
wk_check "ward log: ... and dot, in text too" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block | grep '$D' | grep -q 'encrypted DNS: dot'"
wk_check "ward log: the permit carries the kind too" \
    wk_eventually 20 bash -c "'$WARD' log --verdict permit --json | grep '\"exe\":\"$OK\"' | grep -q '\"encdns\":\"doh\"'"
wk_check "ward log: plain HTTPS carries none" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep '\"remote\":\"$IP_B2\",\"rport\":443' >'$WK_TMP/plain' &&
        ! grep -q encdns '$WK_TMP/plain'"
wk_check "explain: the request is named encrypted DNS and the filter blocks it" \
    bash -c "'$WARD' explain -f '$WK_TMP/etc/ward.conf' --app '$NO' --proto tcp --to $IP_B --port 443 |
        grep -q 'encrypted DNS: doh' &&
        '$WARD' explain -f '$WK_TMP/etc/ward.conf' --app '$NO' --proto tcp --to $IP_B --port 443 |
        grep -q 'decision: block (hard), reason filter'"
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
stop_wardd wardd
no_sanitizer "wardd stopped with no sanitizer report (no leak)" "$WK_TMP/wardd.log"
exit 0
