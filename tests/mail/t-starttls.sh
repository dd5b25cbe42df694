#!/bin/bash
# STARTTLS through the mail proxy (docs/MAIL.md, "TLS"): ward-maild ends
# the client's TLS with a leaf of Ward's local CA and starts its own toward
# the server (tests/mail/tlsserver.py on B), verified against a test CA
# (WARD_MAIL_TLS_TRUST); the session between is read and decided as a
# plain one. A server whose certificate no trusted CA signed: the client
# gets the protocol's error and the log says why; plain text sent after
# STARTTLS, by either side, ends the connection.
. "$(dirname "$0")/setup.sh"
mail_tls_fixture "over tls"

ward_policy <<CONF
set mode allow-all
set mail-proxy port 10025
mail from "*@evil.example" reject
mail virus reject
CONF
mail_tls_peer "$T" || { wk_notok "the peer's servers start"; exit 1; }
export WARD_MAIL_CA_DIR=$WK_TMP/mailca WARD_MAIL_TLS_TRUST=$T/ca.pem
start_wardd wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd starts ward-maild" wk_wait_for "$WK_TMP/wardd.log" "ward-maild: listening on port 10025" 20
wk_check "ward-maild made Ward's mail CA (0700)" [ "$(stat -c %a "$WARD_MAIL_CA_DIR")" = 700 ]
cp "$WARD_MAIL_CA_DIR/ca.pem" "$WK_TMP/ward-ca.pem"

# stls FILE [FROM] [PORT]: curl sends FILE over STARTTLS, trusting Ward's CA.
stls() {
    wk_client "$CURL" -v --no-progress-meter --max-time 20 --ssl-reqd --cacert "$WK_TMP/ward-ca.pem" \
        --url "smtp://$IP_B:${3:-25}" --mail-from "${2:-alice@ok.example}" --mail-rcpt $B \
        -T "$1" >"$WK_TMP/curl.out" 2>&1
}
wk_check "SMTP STARTTLS: an allowed message reaches the server" stls "$M/ok.eml"
wk_check "... curl verified Ward's leaf for the server's address" \
    grep -q "SSL certificate verify ok" "$WK_TMP/curl.out"
wk_check "... the proxy verified the server" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection [0-9]* to $IP_B: STARTTLS both ways, $IP_B verified" 5
wk_check "... and read the message inside TLS (the log row)" wk_wait_for "$WK_TMP/wardd.log" \
    "mail: smtp $CURL (pid [0-9]*): mail allow: .*subject=\"over tls\"" 5
wk_check "... whole" [ "$(n_in)" = 1 ]
wk_check "... the leaf was issued by Ward's CA" grep -qi "issuer:.*Ward" "$WK_TMP/curl.out"

wk_check "SMTP STARTTLS: a sender the rules reject gets 550 (curl fails)" \
    fails stls "$M/evil.eml" mallory@evil.example
wk_check "... the 550 from the proxy, inside TLS" grep -q "^< 550 5.7.1" "$WK_TMP/curl.out"
wk_check "SMTP STARTTLS: EICAR attached is rejected" fails stls "$M/eicar.eml"
wk_check "... the 550" grep -q "^< 550 5.7.1" "$WK_TMP/curl.out"
wk_check "... the log names the signature" wk_wait_for "$WK_TMP/wardd.log" \
    "mail reject ward.conf:4: .*readme.txt.*infected: Ward.Test.Eicar" 5
wk_check "... neither reached the server" [ "$(n_in)" = 1 ]

wk_check "swaks -tls through the proxy too" wk_client swaks --silent 2 -tls \
    --tls-verify --tls-ca-path "$WK_TMP/ward-ca.pem" --server $IP_B --port 25 \
    --from alice@ok.example --to $B --header 'Subject: swaks tls'
wk_check "... read by the proxy" wk_wait_for "$WK_TMP/wardd.log" \
    "mail: smtp /usr/bin/perl.*subject=\"swaks tls\"" 5

wk_check "SMTP STARTTLS to a server no trusted CA signed: curl fails" \
    fails stls "$M/ok.eml" alice@ok.example 587
wk_check "... with the proxy's 421 saying why" \
    grep -q "421 4.7.0 Ward: the mail server's TLS failed: .*certificate verify failed" "$WK_TMP/curl.out"
wk_check "... the log says why" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection [0-9]* to $IP_B ($IP_B): STARTTLS to the server: .*certificate verify failed" 5
wk_check "... an alert is raised" wk_wait_for "$WK_TMP/wardd.log" \
    "alert: mail-tls: $CURL: the mail server's TLS failed: .*certificate verify failed" 5
wk_check "... nothing reached the server" [ "$(n_in)" = 2 ]

wk_check "IMAP STARTTLS: a message is fetched through the proxy" wk_client "$CURL" -v --no-progress-meter \
    --max-time 20 --ssl-reqd --cacert "$WK_TMP/ward-ca.pem" -u u:p \
    "imap://$IP_B/INBOX;UID=1" -o "$WK_TMP/got" 2>"$WK_TMP/imap.out"
wk_check "... whole" has "$WK_TMP/got" "Hello from the test."
wk_check "IMAP STARTTLS: EICAR is refused (curl fails)" fails wk_client "$CURL" -sS \
    --max-time 20 --ssl-reqd --cacert "$WK_TMP/ward-ca.pem" -u u:p \
    "imap://$IP_B/INBOX;UID=2" -o "$WK_TMP/got2" 2>/dev/null
wk_check "... the log says so" wk_wait_for "$WK_TMP/wardd.log" "mail: imap $CURL.*mail reject" 20

# Plain text after the client's STARTTLS line: not relayed, the connection ends.
printf 'EHLO me\r\nSTARTTLS\r\nMAIL FROM:<x@y>\r\n' >"$WK_TMP/inject.txt"
wk_client nc -w 5 $IP_B 25 <"$WK_TMP/inject.txt" >"$WK_TMP/nc.out" 2>&1
wk_check "STARTTLS with plain text after it: the connection ends, and why is logged" \
    wk_wait_for "$WK_TMP/wardd.log" "STARTTLS: plain text after STARTTLS from the client" 20
wk_check "POP3 STLS whose yes has plain text after it: curl fails" fails wk_client "$CURL" -sS \
    --max-time 20 --ssl-reqd --cacert "$WK_TMP/ward-ca.pem" -u u:p "pop3://$IP_B/1" \
    -o /dev/null 2>/dev/null
wk_check "... the connection ends, and why is logged" wk_wait_for "$WK_TMP/wardd.log" \
    "STARTTLS: plain text after STARTTLS from the server" 5
[ -n "${MAIL_DEBUG:-}" ] && cp -r "$WK_TMP" "$MAIL_DEBUG"
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit $WK_FAILED
