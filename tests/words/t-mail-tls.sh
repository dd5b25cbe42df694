#!/bin/bash
# The mail proxy's TLS listener words (docs/POLICY.md "Mail rules",
# docs/MAIL.md "Implicit TLS") on real traffic: curl through each kind of
# listener to tlsserver.py on B, the upstreams verified against a test CA
# (mail-tls-trust); a listener dropped from the policy is closed; what
# `ward check` refuses.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mail/lib.sh"
[ -x "$WK_BUILD/bin/ward-maild" ] || wk_skip_all "no ward-maild"
command -v openssl >/dev/null || wk_skip_all "no openssl"
M=$WK_TMP/msg
mail_msg alice@ok.example bob@peer.example "words" >"$M/ok.eml"
cp "$M/ok.eml" "$WK_TMP/peer/box/1.eml"
T=$WK_TMP/tca
mail_tls_certs "$T" || { wk_notok "the test certificates are made"; exit 1; }
chmod 755 "$T" && chmod 644 "$T/ca.pem"
mail_tls_peer "$T" || { wk_notok "the peer's servers start"; exit 1; }
export WARD_MAIL_CA_DIR=$WK_TMP/mailca
unset WARD_MAIL_TLS_TRUST

# words: mail-tls-listen smtps imaps pop3s upstream mail-tls-trust
pol <<CONF
set mode allow-all
set mail-tls-listen smtps 127.0.0.1:10465 upstream "$IP_B:465"
set mail-tls-listen imaps 127.0.0.1:10993 upstream "$IP_B:993"
set mail-tls-listen pop3s 127.0.0.1:10995 upstream "$IP_B:995"
set mail-tls-trust "$T/ca.pem"
CONF
start_wardd || { wk_notok "wardd starts"; exit 1; }
wk_wait_for "$WD_LOG" "ward-maild: pop3s on 127.0.0.1:10995" 20
cp "$WARD_MAIL_CA_DIR/ca.pem" "$WK_TMP/ward-ca.pem"
wk_check "mail-tls-listen smtps: a message goes through, the upstream verified" \
    tls_client "smtps://$IP_B:465" 10465 --mail-from alice@ok.example \
    --mail-rcpt bob@peer.example -T "$M/ok.eml"
wk_check "... read by the proxy" wk_wait_for "$WD_LOG" "mail: smtp $CURL.*mail allow" 20
wk_check "mail-tls-listen imaps: a message is fetched" \
    tls_client "imaps://$IP_B:993/INBOX;UID=1" 10993 -u u:p -o "$WK_TMP/got1"
wk_check "... whole" has "$WK_TMP/got1" "Hello from the test."
wk_check "mail-tls-listen pop3s: a message is fetched" \
    tls_client "pop3s://$IP_B:995/1" 10995 -u u:p -o "$WK_TMP/got2"
wk_check "... whole" has "$WK_TMP/got2" "Hello from the test."

# Without mail-tls-trust the system's store verifies: the test CA is not in it.
pol <<CONF
set mode allow-all
set mail-tls-listen smtps 127.0.0.1:10465 upstream "$IP_B:465"
CONF
# The proxy is started again with its new arguments: its second "smtps on" line.
wk_check "a changed listener set restarts ward-maild" wk_eventually 20 bash -c \
    "[ \$(grep -c 'ward-maild: smtps on 127.0.0.1:10465' '$WD_LOG') -ge 2 ]"
wk_check "no mail-tls-trust: the system's store does not know the test CA (curl fails)" \
    fails tls_client "smtps://$IP_B:465" 10465 --mail-from alice@ok.example \
    --mail-rcpt bob@peer.example -T "$M/ok.eml"
wk_check "... the proxy's 421 says why" grep -q "421 4.7.0 Ward: .*certificate verify failed" \
    "$WK_TMP/curl.out"
wk_check "the imaps listener dropped from the policy is closed" \
    fails tls_client "imaps://$IP_B:993/INBOX;UID=1" 10993 -u u:p -o /dev/null

rejects "mail-tls-listen: an unknown protocol" 'ward.conf:1:21' \
    <<<'set mail-tls-listen smtp 127.0.0.1:10465 upstream "mx.example:465"'
rejects "mail-tls-listen: not a loopback address" 'ward.conf:1:27' \
    <<<'set mail-tls-listen smtps 10.0.0.1:10465 upstream "mx.example:465"'
rejects "mail-tls-listen: an upstream without a port" 'ward.conf:1:52' \
    <<<'set mail-tls-listen smtps 127.0.0.1:10465 upstream "mx.example"'
rejects "mail-tls-listen: the same address twice" 'ward.conf:2:27' \
    <<<$'set mail-tls-listen smtps 127.0.0.1:10465 upstream "a.example:465"\nset mail-tls-listen imaps 127.0.0.1:10465 upstream "a.example:993"'
rejects "mail-tls-trust: a relative path" 'ward.conf:1:20' <<<'set mail-tls-trust "ca.pem"'
rejects "mail-tls-trust: given twice" 'ward.conf:2:[0-9]+' \
    <<<$'set mail-tls-trust "/a.pem"\nset mail-tls-trust "/b.pem"'
stop_wardd
sanitizer_clean
exit 0
