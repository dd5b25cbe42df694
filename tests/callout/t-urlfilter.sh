#!/bin/bash
# The built-in urlfilter callout on real web traffic: curl over HTTP and
# HTTPS to servers in the peer namespace, through a filter that sends ports
# 8081 (HTTP) and 8443 (HTTPS) to urlfilter. A name denied for everyone is
# refused by Host and by the TLS server name; a path denied to one program
# is refused to it over HTTP (HTTPS shows no path) and not to another;
# that other program's allow list lets only its names through. Blocks
# reset the connection at both ends (the HTTPS server answers one client
# at a time: a connection left open on its side would stall every later
# test) and are logged with the filter's name.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v curl >/dev/null || wk_skip_all "no curl"
command -v openssl >/dev/null || wk_skip_all "no openssl"
[ -x /usr/bin/python3 ] || wk_skip_all "no /usr/bin/python3"
PY=$(readlink -f /usr/bin/python3)
CURL=$(readlink -f "$(command -v curl)")
mkdir -p "$WK_TMP/www/private" "$WK_TMP/other"
echo hello >"$WK_TMP/www/index.html"
echo secret >"$WK_TMP/www/private/x"
# A second program: the same curl under another path is another identity.
CURL2=$WK_TMP/other/curl
cp "$CURL" "$CURL2"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=www.example.test \
    -keyout "$WK_TMP/key.pem" -out "$WK_TMP/cert.pem" >/dev/null 2>&1

ward_policy <<CONF
set mode ask
set no-prompter block
set urlfilter deny "evil.test"
set urlfilter deny app "$CURL" "www.example.test/private/*"
set urlfilter allow app "$CURL2" "*.example.test"
filter "web" layer outbound weight 50 proto tcp to port { 8081, 8443 } callout urlfilter
app "$CURL" {
    allow out tcp
}
app "$CURL2" {
    allow out tcp
}
CONF
wk_bg http nsenter --net=/run/netns/$NS_B "$PY" -m http.server 8081 --bind $IP_B \
    --directory "$WK_TMP/www"
wk_bg https nsenter --net=/run/netns/$NS_B "$PY" -c '
import http.server, ssl, sys, functools
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
s = http.server.HTTPServer((sys.argv[1], 8443), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[3], sys.argv[4])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
' $IP_B "$WK_TMP/www" "$WK_TMP/cert.pem" "$WK_TMP/key.pem"
for _ in $(seq 200); do
    [ "$(wk_in_b ss -ltn | grep -c ':8081 \|:8443 ')" = 2 ] && break
    sleep 0.1
done
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

# fetch PROGRAM URL: the HTTP status (000: no answer); names resolve to B.
fetch() {
    wk_client "$1" -sk -o /dev/null -w '%{http_code}' --max-time 20 \
        --resolve www.example.test:8081:$IP_B --resolve www.example.test:8443:$IP_B \
        --resolve evil.test:8081:$IP_B --resolve evil.test:8443:$IP_B \
        --resolve other.test:8081:$IP_B --resolve other.test:8443:$IP_B "$2" 2>/dev/null
}

wk_check "http: a name on no list is fetched" [ "$(fetch "$CURL" http://www.example.test:8081/)" = 200 ]
wk_check "https: ... also by its server name" \
    [ "$(fetch "$CURL" https://www.example.test:8443/)" = 200 ]
wk_check "http: a name denied for all programs is refused by its Host" \
    [ "$(fetch "$CURL" http://evil.test:8081/)" = 000 ]
wk_check "https: ... and by the ClientHello's server name" \
    [ "$(fetch "$CURL" https://evil.test:8443/)" = 000 ]
wk_check "http: a path denied to curl is refused to it" \
    [ "$(fetch "$CURL" http://www.example.test:8081/private/x)" = 000 ]
wk_check "https: ... a path is not seen in TLS: the host alone decides" \
    [ "$(fetch "$CURL" https://www.example.test:8443/private/x)" = 200 ]
wk_check "the same path for another program is fetched" \
    [ "$(fetch "$CURL2" http://www.example.test:8081/private/x)" = 200 ]
wk_check "an allow list: a name on it is fetched over https" \
    [ "$(fetch "$CURL2" https://www.example.test:8443/)" = 200 ]
wk_check "an allow list: a name off it is refused over http" \
    [ "$(fetch "$CURL2" http://other.test:8081/)" = 000 ]
wk_check "an allow list: ... and over https" [ "$(fetch "$CURL2" https://other.test:8443/)" = 000 ]
wk_check "an address without a name (Host is the address) is off the allow list" \
    [ "$(fetch "$CURL2" http://$IP_B:8081/)" = 000 ]
wk_check "a program without rules is not held: its own rules decide" \
    [ "$(fetch "$CURL" http://other.test:8081/)" = 200 ]
wk_check "blocks are logged with the filter's name and the program" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"exe\":\"$CURL2\"' | grep -q '\"filter\":\"web\"'"
wk_check "... named by the server name the ClientHello gave" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"rport\":8443' | grep -q '\"domain\":\"evil.test\",\"name_src\":\"sni\"'"
wk_check "... or by the HTTP Host" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"rport\":8081' | grep -q '\"domain\":\"other.test\",\"name_src\":\"http-host\"'"
wk_check "ward callout list shows urlfilter built in, with its filter" \
    bash -c "'$WARD' callout list --json | grep -q '\"name\":\"urlfilter\",\"layers\":\"connect,stream\",\"builtin\":true'"
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
stop_wardd wardd
no_sanitizer "wardd stopped with no sanitizer report (no leak)" "$WK_TMP/wardd.log"
exit 0
