#!/bin/bash
# IMAP clients that fetch a message part by part (docs/MAIL.md, "The
# protocols"): Python's imaplib fetches BODY[n], BODY[TEXT], partial
# BODY[]<a.b>, headers, several items at once through the proxy from
# tests/mail/server.py on B. A part of an infected message is refused; a
# clean one arrives exactly as the server sent it, without the message the
# proxy fetched with it; a part that comes without its message is refused;
# chunks of a message delivered whole in the session pass as they come.
. "$(dirname "$0")/setup.sh"
mail_av_setup
M=$WK_TMP/msg
B=bob@peer.example
printf 'just some text\n' >"$M/notes.txt"
printf 'MZ this is no program\n' >"$M/tool.bin"
mail_msg alice@ok.example $B "clean" notes.txt "$M/notes.txt" >"$WK_TMP/peer/box/1.eml"
mail_msg alice@ok.example $B "a test file" readme.txt "$WK_TMP/eicar.com" >"$WK_TMP/peer/box/2.eml"
mail_msg alice@ok.example $B "the tool" tool.exe "$M/tool.bin" >"$WK_TMP/peer/box/3.eml"
ward_policy <<CONF
set mode allow-all
set mail-proxy port 10025
mail virus reject
mail attachment "*.exe" quarantine
CONF
mail_peer || { wk_notok "the peer's servers start"; exit 1; }
start_wardd wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd starts ward-maild" wk_wait_for "$WK_TMP/wardd.log" "ward-maild: listening on port 10025" 10
WK_DIAG="$WK_TMP/part.out $WK_TMP/peer.log $WK_TMP/wardd.log"

S=$WK_TMP/peer/sent
G=$WK_TMP/got
# part N ITEMS [ITEMS...]: imaplib fetches message N's ITEMS through the
# proxy, in one session; the literals of the last answer in $G, what the
# server sent in $S, the statuses in part.out.
part() {
    rm -rf "$G" "$S"
    wk_client python3 "$MAIL_DIR/imapfetch.py" $IP_B "$G" "$@" >"$WK_TMP/part.out" 2>&1
}
status() { grep -q "^$1" "$WK_TMP/part.out"; }
items() { [ "$(cat "$G/items")" = "$1" ]; }
EICAR64=$(base64 <"$WK_TMP/eicar.com" | head -c 20)

part 2 '(BODY.PEEK[2])'
wk_check "BODY.PEEK[2] holding EICAR: the client gets NO" status "NO \[ALERT\] message rejected by Ward"
wk_check "... and none of the part" bash -c "[ ! -s '$G/items' ] && ! grep -rqF '$EICAR64' '$G'"
wk_check "... the server was asked for the message with it" [ -s "$S/BODY[]" ]
wk_check "... the message is decided and logged" wk_wait_for "$WK_TMP/wardd.log" \
    "mail: imap .*python3.*: mail reject ward.conf:3: .*readme.txt .*infected: Ward.Test.Eicar" 10

part 1 '(BODY.PEEK[1])'
wk_check "BODY.PEEK[1] of a clean message: OK" status OK
wk_check "... exactly the bytes the server sent for BODY[1]" cmp -s "$G/BODY[1]" "$S/BODY[1]"
wk_check "... and no BODY[] item" items "BODY[1]"

part 1 '(UID FLAGS BODY.PEEK[2] BODY.PEEK[HEADER])'
wk_check "several items with a part: OK" status OK
wk_check "... the part and the header as sent" bash -c \
    "cmp -s '$G/BODY[2]' '$S/BODY[2]' && cmp -s '$G/BODY[HEADER]' '$S/BODY[HEADER]'"
wk_check "... and no BODY[] item" items $'BODY[2]\nBODY[HEADER]'

part 1 'BODY.PEEK[TEXT]'
wk_check "BODY.PEEK[TEXT] (one item, no list) of a clean message as sent" bash -c \
    "grep -q '^OK' '$WK_TMP/part.out' && cmp -s '$G/BODY[TEXT]' '$S/BODY[TEXT]'"

part 2 '(BODY.PEEK[]<0.100>)'
wk_check "a chunk BODY.PEEK[]<0.100> of an infected message: NO" status "NO \[ALERT\] message rejected"
wk_check "... none of it" bash -c "[ ! -s '$G/items' ]"
part 1 '(BODY.PEEK[]<0.100>)'
wk_check "a chunk of a clean message: its 100 bytes as sent" bash -c \
    "grep -q '^OK' '$WK_TMP/part.out' && cmp -s '$G/BODY[]<0>' '$S/BODY[]<0>' && [ \$(stat -c %s '$G/BODY[]<0>') = 100 ]"

part uid:1 '(UID BODY.PEEK[]<0.100>)' '(UID BODY.PEEK[]<100.100>)' '(UID BODY.PEEK[2])'
wk_check "chunks of a clean message in one session (UID FETCH): all OK" \
    [ "$(grep -c '^OK' "$WK_TMP/part.out")" = 3 ]
wk_check "... the message was fetched and decided once, for the first" \
    [ "$(grep -c '^BODY\[\]$' "$S/log")" = 1 ]
wk_check "... the last part as sent" cmp -s "$G/BODY[2]" "$S/BODY[2]"
part uid:2 '(UID BODY.PEEK[]<0.100>)' '(UID BODY.PEEK[]<100.100>)'
wk_check "chunks of an infected message in one session: each NO" \
    [ "$(grep -c '^NO \[ALERT\] message rejected' "$WK_TMP/part.out")" = 2 ]
wk_check "... the message fetched for each" [ "$(grep -c '^BODY\[\]$' "$S/log")" = 2 ]

part 2 '(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])'
wk_check "a header-only fetch passes (infected message)" bash -c \
    "grep -q '^OK' '$WK_TMP/part.out' && cmp -s '$G/BODY[HEADER.FIELDS (SUBJECT FROM)]' '$S/BODY[HEADER.FIELDS (SUBJECT FROM)]'"
wk_check "... untouched: the server was not asked for the message" [ ! -e "$S/BODY[]" ]

part 3 '(BODY.PEEK[1])'
wk_check "a part of a message whose attachment is quarantined: NO" status "NO \[ALERT\] message part withheld by Ward"
wk_check "... none of it" bash -c "[ ! -s '$G/items' ]"

touch "$WK_TMP/peer/no-whole"
part 1 '(BODY.PEEK[1])'
wk_check "a part a server sends without its message: NO" status "NO \[ALERT\] message part fetched without its message"
wk_check "... none of it" bash -c "[ ! -s '$G/items' ]"
rm -f "$WK_TMP/peer/no-whole"
part 1 '(BODY.PEEK[1])'
wk_check "... and the session after it goes on as before" status OK

[ -n "${MAIL_DEBUG:-}" ] && cp -r "$WK_TMP" "$MAIL_DEBUG"
stop_wardd wardd
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit $WK_FAILED
