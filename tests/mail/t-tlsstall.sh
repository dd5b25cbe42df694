#!/bin/bash
# Ward's TLS handshakes cannot be stalled (docs/MAIL.md, "Implicit TLS"):
# ward-maild runs them in its loop, each bounded (WARD_MAIL_TLS_WAIT).
# First with a bound no machine reaches (300 s): a local client that
# connects to a TLS listener and never sends its ClientHello, and one
# whose upstream takes the TCP connection and never answers in TLS, wait
# in their handshakes while another client's mail goes through. Then with
# a short bound (2 s), in a second wardd: each is dropped, the log says so,
# the client of the silent upstream gets the protocol's error; so does a
# STARTTLS client whose server never answers in TLS and who never sends
# its first line (dropped after the bound and the bound for that line).
# Clients of a listener whose upstream refuses leave nothing behind.
. "$(dirname "$0")/setup.sh"
mail_tls_fixture "past a stalled one"
WK_DIAG="$WK_DIAG $WK_TMP/wardd2.log $WK_TMP/stall2.log $WK_TMP/stls.log"
chmod 755 "$T" && chmod 644 "$T/ca.pem"

ward_policy <<CONF
set mode allow-all
set mail-proxy port 10025
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
export WARD_MAIL_TLS_WAIT=300
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
wk_bg slow wk_client "$CURL" -v --no-progress-meter --max-time 600 --cacert "$WK_TMP/ward-ca.pem" \
    --connect-to "$IP_B:3465:127.0.0.1:10467" --url "smtps://$IP_B:3465" \
    --mail-from alice@ok.example --mail-rcpt $B -T "$M/ok.eml"
wk_check "a client whose upstream is silent has its TLS with Ward" \
    wk_wait_for "$WK_TMP/slow.log" "SSL connection using" 20

wk_check "meanwhile another client's message goes through" smtps
wk_check "... verified both ways" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection 3 to $IP_B: TLS both ways, $IP_B verified" 20
wk_check "... and reaches the server" [ "$(n_in)" = 1 ]
# The order of events, not their times: neither stalled one was dropped
# before the other's mail was done.
wk_check "... while the stalled client is still connected" lacks "$WK_TMP/stall.log" closed
wk_check "... its handshake still waiting" lacks "$WK_TMP/wardd.log" "connection 1 to $IP_B ("
wk_check "... and the silent upstream's client still waits (no answer yet)" \
    lacks "$WK_TMP/slow.log" "421 4.7.0"

stop_wardd wardd
no_sanitizer "no sanitizer report (a bound of 300 s)" "$WK_TMP/wardd.log"
wk_signal KILL stall
wk_signal KILL slow
wk_signal TERM peer

# The short bound. The STARTTLS server on 25: its yes to STARTTLS, then
# silence.
wk_bg stlsd nsenter --net=/run/netns/$NS_B python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 25))
s.listen()
print("listening", flush=True)
c, _ = s.accept()
f = c.makefile("rb")
c.sendall(b"220 silent ESMTP\r\n")
for l in f:
    if l.upper().startswith(b"EHLO"):
        c.sendall(b"250-silent\r\n250 STARTTLS\r\n")
    elif l.upper().startswith(b"STARTTLS"):
        c.sendall(b"220 go ahead\r\n")
        break
time.sleep(600)'
wk_wait_for "$WK_TMP/stlsd.log" listening 10 || { wk_notok "the STARTTLS server starts"; exit 1; }
export WARD_MAIL_TLS_WAIT=2
start_wardd wardd2 --av-db "$DB" || { wk_notok "wardd starts again (a bound of 2 s)"; exit 1; }
wk_check "wardd starts ward-maild again" \
    wk_wait_for "$WK_TMP/wardd2.log" "ward-maild: smtps on 127.0.0.1:10467, upstream $IP_B:3465" 20
# Clients of a listener whose upstream refuses (the peer's servers are
# gone): closed, and ward-maild does not trip over their sockets' events.
refused() {
    local i
    for i in $(seq 20); do
        wk_client bash -c 'exec 5<>/dev/tcp/127.0.0.1/10465 && cat <&5' || return 1
    done
}
wk_check "clients of a listener whose upstream refuses are closed" refused
# The stalled client: on the silent upstream's listener.
wk_bg stall2 wk_client bash -c \
    'exec 5<>/dev/tcp/127.0.0.1/10467 && echo connected && cat <&5; echo closed'
wk_check "the stalled client is dropped after the bound, the log says so" \
    wk_wait_for "$WK_TMP/wardd2.log" \
    "ward-maild: connection [0-9]* to $IP_B ($IP_B): TLS: client: TLS handshake not done within 2 s" 20
wk_check "... its connection is closed" wk_wait_for "$WK_TMP/stall2.log" closed 20
wk_bg slow2 wk_client "$CURL" -v --no-progress-meter --max-time 600 --cacert "$WK_TMP/ward-ca.pem" \
    --connect-to "$IP_B:3465:127.0.0.1:10467" --url "smtps://$IP_B:3465" \
    --mail-from alice@ok.example --mail-rcpt $B -T "$M/ok.eml"
wk_check "the silent upstream's client gets the proxy's 421 after the bound" \
    wk_wait_for "$WK_TMP/slow2.log" \
    "421 4.7.0 Ward: the mail server's TLS failed: $IP_B: TLS handshake not done within 2 s" 20
wk_check "... the log says why" wk_wait_for "$WK_TMP/wardd2.log" \
    "ward-maild: connection [0-9]* to $IP_B ($IP_B): TLS to the server: $IP_B: TLS handshake not done within 2 s" 20
wk_check "... an alert is raised" wk_wait_for "$WK_TMP/wardd2.log" \
    "alert: mail-tls: $CURL: the mail server's TLS failed: .*not done within" 20
# Alone in the loop (nothing else pending): the wait for its first line
# must wake the loop by itself.
wk_bg stls wk_client bash -c "openssl s_client -starttls smtp -connect $IP_B:25 -ign_eof \
    -CAfile '$WK_TMP/ward-ca.pem' </dev/null; echo closed"
wk_check "a STARTTLS client has its TLS with Ward" wk_wait_for "$WK_TMP/stls.log" \
    "Verify return code: 0" 20
wk_check "... its silent server's handshake is dropped after the bound" \
    wk_wait_for "$WK_TMP/wardd2.log" \
    "ward-maild: connection [0-9]* to $IP_B ($IP_B): STARTTLS to the server: .*TLS handshake not done within 2 s" 20
wk_check "... the client, who never sends a line, gets the 421 after its own bound" \
    wk_wait_for "$WK_TMP/stls.log" "421 4.7.0 Ward: the mail server's TLS failed" 20
wk_check "... and its connection is closed" wk_wait_for "$WK_TMP/stls.log" closed 20
wk_check "... nothing more reached the server" [ "$(n_in)" = 1 ]
wk_check "... one ward-maild all along" lacks "$WK_TMP/wardd2.log" "ward-maild (pid"
stop_wardd wardd2
no_sanitizer "no sanitizer report (a bound of 2 s)" "$WK_TMP/wardd2.log"
exit $WK_FAILED
