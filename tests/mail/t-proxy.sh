#!/bin/bash
# The mail proxy on real traffic (docs/MAIL.md): wardd in netns A starts
# ward-maild and redirects A's mail flows to it through Ward's nft table;
# curl, swaks and nc (in the test cgroup) talk SMTP, POP3 and IMAP to the
# small servers of tests/mail/server.py on B. Allowed, rejected,
# quarantined and alerted messages end to end, an EICAR attachment, a
# malformed command; the log, the event stream and the quarantine.
. "$(dirname "$0")/setup.sh"
mail_av_setup
M=$WK_TMP/msg
printf 'MZ this is no program\n' >"$M/tool.bin"
B=bob@peer.example
mail_msg alice@ok.example $B "hello" >"$M/ok.eml"
mail_msg alice@ok.example $B "over IPv6" >"$M/ok6.eml"
mail_msg mallory@evil.example $B "hi" >"$M/evil.eml"
mail_msg alice@ok.example $B "the tool" tool.exe "$M/tool.bin" >"$M/exe.eml"
mail_msg alice@ok.example $B "a test file" readme.txt "$WK_TMP/eicar.com" >"$M/eicar.eml"
mail_msg alice@ok.example $B "urgent: pay now" >"$M/urgent.eml"
cp "$M/ok.eml" "$WK_TMP/peer/box/1.eml"
cp "$M/evil.eml" "$WK_TMP/peer/box/2.eml"
cp "$M/exe.eml" "$WK_TMP/peer/box/3.eml"

ward_policy <<CONF
set mode allow-all
set mail-proxy port 10025
mail from "*@evil.example" reject
mail attachment "*.exe" quarantine
mail virus quarantine
mail subject "urgent*" alert
CONF
mail_peer || { wk_notok "the peer's servers start"; exit 1; }
start_wardd wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd starts ward-maild" wk_wait_for "$WK_TMP/wardd.log" "ward-maild: listening on port 10025" 10
# maild_pid: the pid of the last ward-maild wardd started (its log says).
maild_pid() { sed -n 's/.*ward-maild started (pid \([0-9]*\),.*/\1/p' "$WK_TMP/wardd.log" | tail -1; }
wk_check "ward-maild runs as nobody" [ "$(ps -o user= -p "$(maild_pid)")" = nobody ]
wk_check "Ward's table redirects the mail ports" bash -c \
    "nsenter --net=/run/netns/$NS_A nft list chain inet ward mail | grep -q 'redirect to :10025'"
nsenter --net=/run/netns/$NS_A nft delete chain inet ward mail
wk_check "the redirect deleted behind wardd's back is restored" bash -c \
    "for i in \$(seq 50); do nsenter --net=/run/netns/$NS_A nft list chain inet ward mail 2>/dev/null | grep -q ward-mail && exit 0; sleep 0.1; done; exit 1"
wk_check "... with the alert" wk_wait_for "$WK_TMP/wardd.log" "alert: nft-tampered" 5
wk_bg watch "$WARD" watch
sleep 0.5

swaks_send() {
    wk_client swaks --silent 2 --server $IP_B --port 587 --from alice@ok.example \
        --to bob@peer.example --header 'Subject: by swaks' >/dev/null 2>&1
}

wk_check "SMTP: an allowed message reaches the server" smtp "$M/ok.eml"
wk_check "... whole (its dotted line too)" bash -c "grep -q '^.a dotted line' '$WK_TMP/peer/in/1.eml'"
wk_check "... and is logged with its program and headers" wk_wait_for "$WK_TMP/wardd.log" \
    "mail: smtp $CURL (pid [0-9]*): mail allow: from=Sender <alice@ok.example>.*subject=\"hello\"" 5

wk_client "$CURL" -sS --max-time 20 --url "smtp://[$IP6_B]:25" --mail-from alice@ok.example \
    --mail-rcpt bob@peer.example -T "$M/ok6.eml" >"$WK_TMP/curl6.out" 2>&1
wk_check "SMTP over IPv6 goes through the proxy too" wk_wait_for "$WK_TMP/wardd.log" \
    "mail: smtp $CURL (pid [0-9]*): mail allow: .*subject=\"over IPv6\"" 5
wk_check "... and reaches the server" [ "$(n_in)" = 2 ]

wk_check "SMTP: a sender the rules reject gets an error (curl fails)" \
    fails smtp "$M/evil.eml" mallory@evil.example
wk_check "... the 550 from the proxy" grep -q "^< 550 5.7.1 message rejected by Ward" "$WK_TMP/curl.out"
wk_check "... nothing reached the server" [ "$(n_in)" = 2 ]
wk_check "... the log row says reject and the rule" wk_wait_for "$WK_TMP/wardd.log" \
    "mail reject ward.conf:3: from=Sender <mallory@evil.example>" 5

# 17 nameless binary parts: one more than Ward reads, so it could not scan them all.
{
    printf 'From: Sender <alice@ok.example>\r\nTo: <%s>\r\nSubject: many parts\r\n' $B
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    for i in $(seq 17); do printf -- '--XX\r\nContent-Type: application/octet-stream\r\n\r\npart %s\r\n' $i; done
    printf -- '--XX--\r\n'
} >"$M/many.eml"
wk_check "SMTP: a message with attachments past the limit is rejected" fails smtp "$M/many.eml"
wk_check "... the 550 says why" grep -q "^< 550 5.7.1 message rejected by Ward (1 attachments could not be scanned)" "$WK_TMP/curl.out"
wk_check "... nothing reached the server" [ "$(n_in)" = 2 ]
wk_check "... the log says why" wk_wait_for "$WK_TMP/wardd.log" \
    "mail: message from Sender <alice@ok.example>.* rejected: 1 of its 17 attachments not scanned" 5

wk_check "SMTP: a message with an .exe attachment is delivered ..." smtp "$M/exe.eml"
wk_check "... without the attachment" lacks "$WK_TMP/peer/in/3.eml" "$(base64 <"$M/tool.bin" | head -c 16)"
wk_check "... a notice in its place" grep -q "Ward kept this attachment in quarantine" "$WK_TMP/peer/in/3.eml"
Q=$WK_TMP/state/quarantine
wk_check "... the message is kept in the quarantine (root's, 0700 / 0600)" bash -c \
    "[ \"\$(stat -c '%U %a' '$Q')\" = 'root 700' ] && f=\$(ls '$Q' | head -1) && [ \"\$(stat -c '%U %a' '$Q'/\$f)\" = 'root 600' ] && grep -q 'tool.exe' '$Q'/\$f"

wk_check "SMTP: an attachment holding EICAR is found by the scanner and quarantined" smtp "$M/eicar.eml"
wk_check "... the server gets no EICAR" lacks "$WK_TMP/peer/in/4.eml" "$(base64 <"$WK_TMP/eicar.com" | head -c 20)"
wk_check "... the log names the signature" wk_wait_for "$WK_TMP/wardd.log" \
    "mail quarantine ward.conf:5: .*readme.txt (application/octet-stream, 68 B, infected: Ward.Test.Eicar" 5

wk_check "SMTP: an alerted message is delivered" smtp "$M/urgent.eml"
wk_check "... and raises the alert" wk_wait_for "$WK_TMP/wardd.log" "alert: mail: $CURL: from=" 5

wk_check "swaks sends through the proxy too (port 587)" swaks_send
wk_check "... logged as swaks's" wk_wait_for "$WK_TMP/wardd.log" "mail: smtp /usr/bin/perl.*subject=\"by swaks\"" 5

# A malformed command: an error, and the session goes on.
{ printf 'EHLO me\r\n'; head -c 9000 /dev/zero | tr '\0' x; printf '\r\nNOOP\r\nQUIT\r\n'; } \
    >"$WK_TMP/bad.txt"
wk_client nc -w 5 $IP_B 25 <"$WK_TMP/bad.txt" >"$WK_TMP/nc.out" 2>&1
wk_check "SMTP: a command line too long gets 500 ..." grep -q "^500 5.5.2 Line too long" "$WK_TMP/nc.out"
wk_check "... and the session goes on (NOOP answered, then QUIT)" bash -c \
    "grep -q '^250 ok' '$WK_TMP/nc.out' && grep -q '^221' '$WK_TMP/nc.out'"
wk_check "... PIPELINING and CHUNKING are not offered through the proxy" bash -c \
    "grep -q '^250-peer' '$WK_TMP/nc.out' && ! grep -q 'PIPELINING\\|CHUNKING' '$WK_TMP/nc.out'"

# A malformed message: refused, and the session goes on.
wk_client python3 "$MAIL_DIR/twice.py" $IP_B "$M/ok.eml" >"$WK_TMP/twice.out" 2>&1
wk_check "SMTP: a message GMime cannot read is refused (550) ..." \
    grep -q "^first refused 550" "$WK_TMP/twice.out"
wk_check "... and the next message of the session is delivered" \
    grep -q "^second delivered" "$WK_TMP/twice.out"
wk_check "... the log says why" wk_wait_for "$WK_TMP/wardd.log" \
    "mail reject: .*(not a readable message (no header))" 5
{ printf 'USER u\r\n'; head -c 9000 /dev/zero | tr '\0' x; printf '\r\nSTAT\r\nQUIT\r\n'; } \
    >"$WK_TMP/badpop.txt"
wk_client nc -w 5 $IP_B 110 <"$WK_TMP/badpop.txt" >"$WK_TMP/ncpop.out" 2>&1
wk_check "POP3: a command line too long gets -ERR, and the session goes on" bash -c \
    "grep -q '^-ERR line too long' '$WK_TMP/ncpop.out' && grep -q '^+OK 3 ' '$WK_TMP/ncpop.out'"

# POP3 and IMAP: reading mail from B.
# fetch pop3|imap N: curl reads message N from B into $WK_TMP/got; its status.
fetch() {
    local url="pop3://$IP_B/$2"
    [ "$1" = imap ] && url="imap://$IP_B/INBOX;UID=$2"
    wk_client "$CURL" -sS --max-time 20 -u u:p "$url" >"$WK_TMP/got" 2>"$WK_TMP/got.err"
}
for p in pop3 imap; do
    P=${p^^}
    wk_check "$P: an allowed message is read whole" fetch $p 1
    wk_check "... its text" has "$WK_TMP/got" "Hello from the test"
    wk_check "$P: a rejected one is refused" fails fetch $p 2
    wk_check "... none of it reaches the client" lacks "$WK_TMP/got" "Hello"
    wk_check "$P: a quarantined attachment is replaced by the notice" fetch $p 3
    wk_check "... the notice" has "$WK_TMP/got" "Ward kept this attachment"
done
wk_check "POP3 and IMAP decisions are logged" bash -c \
    "grep -q 'mail: pop3 $CURL' '$WK_TMP/wardd.log' && grep -q 'mail: imap $CURL' '$WK_TMP/wardd.log'"

wk_check "the log (ward log) has the decided messages with the program" bash -c \
    "'$WARD' log --program '$CURL' --json | grep -q 'mail reject'"
wk_check "the event stream (ward watch) shows them" bash -c \
    "grep -q 'mail quarantine' '$WK_TMP/watch.log' && grep -q 'mail allow' '$WK_TMP/watch.log'"
kill -KILL "$(maild_pid)"
wk_check "a killed ward-maild is said in wardd's log" wk_wait_for "$WK_TMP/wardd.log" \
    "ward-maild (pid [0-9]*) stopped, signal 9" 5
# listening N: ward-maild said it listens N times.
listening() {
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(grep -c 'ward-maild: listening on port 10025' "$WK_TMP/wardd.log")" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
wk_check "... and listens again" listening 2
wk_check "... and mail flows through it again" smtp "$M/ok.eml"
[ -n "${MAIL_DEBUG:-}" ] && cp -r "$WK_TMP" "$MAIL_DEBUG"
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit $WK_FAILED
