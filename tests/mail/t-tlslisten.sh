#!/bin/bash
# Implicit TLS through Ward's local listeners (docs/MAIL.md, "Implicit TLS"):
# curl speaks SMTPS, IMAPS and POP3S to ward-maild on 127.0.0.1 (curl's
# --connect-to: it checks Ward's leaf against the server's address), which
# speaks TLS to tlsserver.py on B, verified against a test CA (set
# mail-tls-trust); the sessions are read and decided as plain ones. An
# upstream whose certificate no trusted CA signed: the client gets the
# protocol's error, nothing is relayed, the log says why, an alert is raised.
. "$(dirname "$0")/setup.sh"
mail_tls_fixture "over smtps"
chmod 755 "$T" && chmod 644 "$T/ca.pem"

# No mail-proxy port: the listeners alone (nothing redirected).
ward_policy <<CONF
set mode allow-all
set mail-tls-listen smtps 127.0.0.1:10465 upstream "$IP_B:465"
set mail-tls-listen smtps 127.0.0.1:10466 upstream "$IP_B:2465"
set mail-tls-listen imaps 127.0.0.1:10993 upstream "$IP_B:993"
set mail-tls-listen pop3s 127.0.0.1:10995 upstream "$IP_B:995"
set mail-tls-trust "$T/ca.pem"
mail from "*@evil.example" reject
mail virus reject
CONF
mail_tls_peer "$T" || { wk_notok "the peer's servers start"; exit 1; }
export WARD_MAIL_CA_DIR=$WK_TMP/mailca
unset WARD_MAIL_TLS_TRUST
start_wardd wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd starts ward-maild with the listeners" \
    wk_wait_for "$WK_TMP/wardd.log" "ward-maild: pop3s on 127.0.0.1:10995, upstream $IP_B:995" 20
cp "$WARD_MAIL_CA_DIR/ca.pem" "$WK_TMP/ward-ca.pem"

# smtps FILE [FROM] [PORT]: curl sends FILE to B:465 through the listener.
smtps() {
    tls_client "smtps://$IP_B:465" "${3:-10465}" --mail-from "${2:-alice@ok.example}" \
        --mail-rcpt $B -T "$1"
}
wk_check "SMTPS: an allowed message reaches the server" smtps "$M/ok.eml"
wk_check "... curl verified Ward's leaf for the server's address" \
    grep -q "SSL certificate verify ok" "$WK_TMP/curl.out"
wk_check "... the leaf was issued by Ward's CA" grep -qi "issuer:.*Ward" "$WK_TMP/curl.out"
wk_check "... the proxy verified the server" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection [0-9]* to $IP_B: TLS both ways, $IP_B verified" 5
wk_check "... and read the message, the program curl (the log row)" \
    wk_wait_for "$WK_TMP/wardd.log" \
    "mail: smtp $CURL (pid [0-9]*): mail allow: .*subject=\"over smtps\"" 5
wk_check "... whole" [ "$(n_in)" = 1 ]

wk_check "SMTPS: a sender the rules reject gets 550 (curl fails)" \
    fails smtps "$M/evil.eml" mallory@evil.example
wk_check "... the 550 from the proxy" grep -q "^< 550 5.7.1" "$WK_TMP/curl.out"
wk_check "SMTPS: EICAR attached is rejected" fails smtps "$M/eicar.eml"
wk_check "... the log names the signature" wk_wait_for "$WK_TMP/wardd.log" \
    "mail reject ward.conf:8: .*readme.txt.*infected: Ward.Test.Eicar" 5
wk_check "... neither reached the server" [ "$(n_in)" = 1 ]

wk_check "SMTPS to a server no trusted CA signed: curl fails" \
    fails tls_client "smtps://$IP_B:2465" 10466 --mail-from alice@ok.example --mail-rcpt $B \
    -T "$M/ok.eml"
wk_check "... with the proxy's 421 saying why" \
    grep -q "421 4.7.0 Ward: the mail server's TLS failed: .*certificate verify failed" \
    "$WK_TMP/curl.out"
wk_check "... the log says why" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild: connection [0-9]* to $IP_B ($IP_B): TLS to the server: .*certificate verify failed" 5
wk_check "... an alert is raised" wk_wait_for "$WK_TMP/wardd.log" \
    "alert: mail-tls: $CURL: the mail server's TLS failed: .*certificate verify failed" 5
wk_check "... nothing reached the server" [ "$(n_in)" = 1 ]

wk_check "IMAPS: a message is fetched through the listener" \
    tls_client "imaps://$IP_B:993/INBOX;UID=1" 10993 -u u:p -o "$WK_TMP/got"
wk_check "... whole" has "$WK_TMP/got" "Hello from the test."
wk_check "IMAPS: EICAR is refused (curl fails)" \
    fails tls_client "imaps://$IP_B:993/INBOX;UID=2" 10993 -u u:p -o "$WK_TMP/got2"
wk_check "... the log says so" wk_wait_for "$WK_TMP/wardd.log" "mail: imap $CURL.*mail reject" 20
wk_check "POP3S: a message is fetched through the listener" \
    tls_client "pop3s://$IP_B:995/1" 10995 -u u:p -o "$WK_TMP/got3"
wk_check "... whole" has "$WK_TMP/got3" "Hello from the test."
wk_check "... read by the proxy" wk_wait_for "$WK_TMP/wardd.log" "mail: pop3 $CURL.*mail allow" 20
"$WARD" status >"$WK_TMP/status.out" 2>&1
wk_check "ward status: the mail proxy's line (6 messages decided, 1 TLS failure)" grep -q \
    "^mail:      proxy running, 4 TLS listeners; 6 messages decided, 1 upstream TLS failures" \
    "$WK_TMP/status.out"
"$WARD" status --json >"$WK_TMP/status.json" 2>&1
wk_check "... and in JSON" grep -q '"mail_state":"running","mail_port":0,"mail_listeners":4,"mail_decided":6,"mail_tls_failed":1' "$WK_TMP/status.json"
[ -n "${MAIL_DEBUG:-}" ] && cp -r "$WK_TMP" "$MAIL_DEBUG"
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit $WK_FAILED
