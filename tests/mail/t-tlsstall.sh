#!/bin/bash
# Ward's TLS handshakes cannot be stalled (docs/MAIL.md, "Implicit TLS"):
# ward-maild runs them in its loop, each bounded. A local client that
# connects to a TLS listener and never sends its ClientHello, and an
# upstream that takes the TCP connection and never answers in TLS, wait
# in their handshakes while other clients' mail goes through; each is
# dropped after the bound (TLS_WAIT_S, 10 s), the log says so, and the
# client of the silent upstream gets the protocol's error.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/../av/db.sh"
. "$(dirname "$0")/lib.sh"
mail_tls_fixture "past a stalled one"
chmod 755 "$T" && chmod 644 "$T/ca.pem"

ward_policy <<CONF
set mode allow-all
set mail-tls-listen smtps 127.0.0.1:10465 upstream "$IP_B:465"
set mail-tls-listen smtps 127.0.0.1:10467 upstream "$IP_B:3465"
set mail-tls-trust "$T/ca.pem"
CONF
mail_tls_peer "$T" || { wk_notok "the peer's servers start"; exit 1; }
# The silent upstream: it listens (the kernel takes the connections) and
# never says a word.
wk_bg silent nsenter --net=/run/netns/$NS_B python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 3465))
s.listen()
print("listening", flush=True)
time.sleep(600)'
wk_wait_for "$WK_TMP/silent.log" listening 10 || { wk_notok "the silent upstream starts"; exit 1; }
export WARD_MAIL_CA_DIR=$WK_TMP/mailca
unset WARD_MAIL_TLS_TRUST
start_wardd wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd starts ward-maild with the listeners" \
    wk_wait_for "$WK_TMP/wardd.log" "ward-maild: smtps on 127.0.0.1:10467, upstream $IP_B:3465" 20
cp "$WARD_MAIL_CA_DIR/ca.pem" "$WK_TMP/ward-ca.pem"
smtps() {
    tls_client "smtps://$IP_B:465" 10465 --mail-from alice@ok.example --mail-rcpt $B -T "$M/ok.eml"
}

# A client that connects and sends nothing: the first connection (1).
wk_bg stall wk_client bash -c \
    'exec 5<>/dev/tcp/127.0.0.1/10465 && echo connected && cat <&5; echo closed'
wk_check "a client that sends nothing is in its handshake" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection 1 to $IP_B: TLS, the client's handshake begins" 20
# A client whose upstream never answers: its handshake with Ward is done
# (curl says so), Ward's with the server waits.
wk_bg slow wk_client "$CURL" -v --no-progress-meter --max-time 30 --cacert "$WK_TMP/ward-ca.pem" \
    --connect-to "$IP_B:3465:127.0.0.1:10467" --url "smtps://$IP_B:3465" \
    --mail-from alice@ok.example --mail-rcpt $B -T "$M/ok.eml"
wk_check "a client whose upstream is silent has its TLS with Ward" \
    wk_wait_for "$WK_TMP/slow.log" "SSL connection using" 20

wk_check "meanwhile another client's message goes through" smtps
wk_check "... verified both ways" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection 3 to $IP_B: TLS both ways, $IP_B verified" 5
wk_check "... and reaches the server" [ "$(n_in)" = 1 ]
# The order of events, not their times: neither stalled one was dropped
# before the other's mail was done.
wk_check "... while the stalled client is still connected" lacks "$WK_TMP/stall.log" closed
wk_check "... its handshake still waiting" lacks "$WK_TMP/wardd.log" "connection 1 to $IP_B ("
wk_check "... and the silent upstream's client still waits (no answer yet)" \
    lacks "$WK_TMP/slow.log" "421 4.7.0"

wk_check "the stalled client is dropped after the bound, the log says so" \
    wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection 1 to $IP_B ($IP_B): TLS: client: TLS handshake not done within 10 s" 30
wk_check "... its connection is closed" wk_wait_for "$WK_TMP/stall.log" closed 10
wk_check "the silent upstream's client gets the proxy's 421 after the bound" \
    wk_wait_for "$WK_TMP/slow.log" \
    "421 4.7.0 Ward: the mail server's TLS failed: $IP_B: TLS handshake not done within 10 s" 30
wk_check "... the log says why" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection 2 to $IP_B ($IP_B): TLS to the server: $IP_B: TLS handshake not done within 10 s" 5
wk_check "... an alert is raised" wk_wait_for "$WK_TMP/wardd.log" \
    "alert: mail-tls: $CURL: the mail server's TLS failed: .*not done within" 5
wk_check "... nothing more reached the server" [ "$(n_in)" = 1 ]
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit $WK_FAILED
