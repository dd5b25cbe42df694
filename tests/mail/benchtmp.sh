#!/bin/bash
# ad-hoc: median time of one SMTP send (curl) through ward-maild vs with the proxy off; POP3 RETR of a 1 MB message too.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/../av/db.sh"
chmod 755 "$WK_TMP"
DB=$WK_TMP/avdb
av_db "$DB"
. "$(dirname "$0")/lib.sh"
M=$WK_TMP/msg
head -c 700000 /dev/urandom | base64 > "$M/big.txt"
mail_msg alice@ok.example bob@peer.example "hello" >"$M/ok.eml"
mail_msg alice@ok.example bob@peer.example "big" big.txt "$M/big.txt" text/plain >"$M/big.eml"
cp "$M/big.eml" "$WK_TMP/peer/box/1.eml"
ward_policy <<CONF
set mode allow-all
set mail-proxy port 10025
mail from "*@evil.example" reject
CONF
mail_peer
start_wardd wardd --av-db "$DB" || exit 1
wk_wait_for "$WK_TMP/wardd.log" "ward-maild: listening" 10
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { for i in $(seq 21); do s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e-s)/1000 )); done | med; }
pop1() { wk_client "$CURL" -sS -u u:p "pop3://$IP_B/1" >/dev/null; }
smtp "$M/ok.eml"; pop1
echo "# proxy on: smtp small $(run smtp "$M/ok.eml") us, smtp 950KB $(run smtp "$M/big.eml") us, pop3 RETR 950KB $(run pop1) us"
sed -i 's/^set mail-proxy port 10025/set mail-proxy off/' "$WK_TMP/etc/ward.conf"
"$WARD" reload >/dev/null
sleep 2
smtp "$M/ok.eml"; pop1
echo "# proxy off: smtp small $(run smtp "$M/ok.eml") us, smtp 950KB $(run smtp "$M/big.eml") us, pop3 RETR 950KB $(run pop1) us"
exit 0
