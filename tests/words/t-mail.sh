#!/bin/bash
# The mail proxy's words (docs/POLICY.md "Mail rules", docs/MAIL.md) on
# real traffic: each condition and outcome on a message curl sends through
# ward-maild to the SMTP server on B, the proxy turned off again, and what
# `ward check` refuses.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../av/db.sh"
. "$(dirname "$0")/../mail/lib.sh"
[ -x "$WK_BUILD/bin/ward-maild" ] || wk_skip_all "no ward-maild"
DB=$WK_TMP/avdb
av_db "$DB"
M=$WK_TMP/msg
OTHER=$WK_TMP/other-mailer/curl
mkdir -p "$(dirname "$OTHER")"
cp /usr/bin/curl "$OTHER"
printf '#!/bin/sh\necho hi\n' >"$M/run.sh"
printf 'MZ no program\n' >"$M/tool.bin"
head -c 8000 /dev/zero | tr '\0' y | fold -w 70 >"$M/big.txt"
O=alice@ok.example
B=bob@peer.example
mail_msg $O $B "plain" >"$M/plain.eml"
mail_msg $O carol@blocked.example "to blocked" >"$M/to.eml"
mail_msg $O $B "alert me now" >"$M/alert.eml"
mail_msg $O $B "a tool" tool.exe "$M/tool.bin" >"$M/exe.eml"
mail_msg $O $B "a script" run.txt "$M/run.sh" application/x-sh >"$M/type.eml"
mail_msg $O $B "a file" notes.txt "$WK_TMP/eicar.com" >"$M/virus.eml"
mail_msg $O $B "a big one" big.txt "$M/big.txt" text/plain >"$M/big.eml"
mail_peer || { wk_notok "the peer's servers start"; exit 1; }

# words: mail-proxy port mail from to subject attachment type virus size app
# words: allow reject quarantine alert
pol <<CONF
set mode allow-all
set mail-proxy port 10026
mail to "*@blocked.example" reject
mail app "$OTHER" subject "*" reject
mail size 6KB quarantine
mail type "application/x-sh" reject
mail attachment "*.EXE" quarantine
mail virus quarantine
mail subject "alert me*" alert
mail from "*@ok.example" allow
CONF
start_wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }
wk_wait_for "$WD_LOG" "ward-maild: listening on port 10026" 20
row() { wk_wait_for "$WD_LOG" "$1" 20; }

wk_check "mail from ... allow: the message is delivered" smtp "$M/plain.eml"
wk_check "... by that rule" row "mail allow ward.conf:10: from=Sender <$O>"
wk_check "mail to ... reject: refused (550)" fails smtp "$M/to.eml" $O carol@blocked.example
wk_check "... by that rule" row "mail reject ward.conf:3: "
n=$(grep -c "mail reject ward.conf:3: " "$WD_LOG")
wk_check "mail to: an envelope recipient the headers do not show (Bcc) is refused too" \
    fails smtp "$M/plain.eml" $O carol@blocked.example
wk_check "... by that rule" [ "$(grep -c "mail reject ward.conf:3: " "$WD_LOG")" -gt "$n" ]
wk_check "mail app ... subject: the rule holds for that program only" \
    fails smtp "$M/plain.eml" $O $B "$OTHER"
wk_check "... by that rule" row "mail: smtp $OTHER (pid [0-9]*): mail reject ward.conf:4"
wk_check "mail size: a larger message is quarantined (withheld: refused)" fails smtp "$M/big.eml"
wk_check "... by that rule, kept" row "mail quarantine ward.conf:5: .*quarantined="
wk_check "mail type ... reject: an attachment's MIME type" fails smtp "$M/type.eml"
wk_check "... by that rule" row "mail reject ward.conf:6: .*run.txt (application/x-sh"
n=$(n_in)
wk_check "mail attachment ... quarantine: delivered with the notice" smtp "$M/exe.eml"
wk_check "... the notice in place of tool.exe (a glob without case)" \
    has "$WK_TMP/peer/in/$((n + 1)).eml" "Ward kept this attachment in quarantine"
wk_check "mail virus quarantine: EICAR found and replaced" smtp "$M/virus.eml"
wk_check "... by that rule" row "mail quarantine ward.conf:8: .*infected: Ward.Test.Eicar"
wk_check "mail subject ... alert: delivered, and the alert" smtp "$M/alert.eml"
wk_check "... raised" row "alert: mail: $CURL: from="

# words: off
pol <<CONF
set mode allow-all
set mail-proxy off
mail to "*@blocked.example" reject
CONF
wk_check "mail-proxy off: the redirect is gone" wk_eventually 20 bash -c \
    "! nsenter --net=/run/netns/$NS_A nft list chain inet ward mail >/dev/null 2>&1"
wk_check "... mail goes to the server unread (the rules no longer apply)" \
    smtp "$M/to.eml" $O carol@blocked.example

rejects "mail: a pattern must be quoted" 'ward.conf:1:11' <<<'mail from evil.example reject'
rejects "mail: an unknown condition" 'ward.conf:1:6' <<<'mail sender "x" reject'
rejects "mail: an unknown outcome" 'ward.conf:1:12' <<<'mail virus drop'
rejects "mail: a bad size" 'ward.conf:1:11' <<<'mail size lots reject'
rejects "mail: a relative program path" 'ward.conf:1:10' <<<'mail app "curl" virus alert'
rejects "mail-proxy: a mail port is not the proxy's" 'ward.conf:1:21' <<<'set mail-proxy port 25'
rejects "mail-proxy: given twice" 'ward.conf:2:[0-9]+' <<<$'set mail-proxy off\nset mail-proxy port 10026'
stop_wardd
sanitizer_clean
exit 0
