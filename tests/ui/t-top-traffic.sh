#!/bin/bash
# ward top's traffic figures from the real wardd's accounting (`stats.query`
# and `conns.list`): a copy of curl downloads a file of known size from B and
# a copy of nc keeps a connection open that B feeds at about 500 kB/s. The
# programs view shows nc's rate in and its open connection, curl's finished
# connection and a sparkline; drilling into nc shows its open connection with
# bytes that grow.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/lib-top.sh"
command -v curl >/dev/null && command -v nc >/dev/null || wk_skip_all "no curl or nc"
PY=/usr/bin/python3
[ -x $PY ] || wk_skip_all "no $PY"
C=$WK_TMP/tr/curl
N=$WK_TMP/tr/nc
mkdir -p "$WK_TMP/tr"
cp "$(command -v curl)" "$C"
cp "$(readlink -f "$(command -v nc)")" "$N"
chmod 755 "$C" "$N"
ward_policy <<CONF
set mode ask
set no-prompter block
app "$C" {
    allow out tcp port 8080
}
app "$N" {
    allow out tcp port 9100
}
CONF
DOWN=3000000
mkdir -p "$WK_TMP/www"
head -c $DOWN /dev/urandom >"$WK_TMP/www/down.bin"
chmod -R a+rX "$WK_TMP/www"
wk_bg http wk_in_b $PY -m http.server 8080 --bind $IP_B --directory "$WK_TMP/www"
wk_listening b 8080
wk_bg feed wk_in_b sh -c "while :; do head -c 50000 /dev/zero; sleep 0.1; done | nc -l -s $IP_B -p 9100"
wk_listening b 9100
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
top_start main || { wk_notok "ward top starts"; exit 1; }
wk_check "the header says traffic figures are live (wardd answers both messages)" \
    screen_wait main "traffic: live"

wk_client "$C" -s -o /dev/null http://$IP_B:8080/down.bin || wk_notok "curl downloads"
wk_bg slow wk_client "$N" -d $IP_B 9100
# PROGRAM ALLOW BLOCK IN/s OUT/s CONNS |LAST 5 MIN|: the columns of a row.
wk_check "programs: curl's download counts (its one connection, a sparkline that moved)" \
    screen_wait main "tr/curl +[0-9]+ +0 +[0-9.]+[BKM] +[0-9.]+[BKM] +1  \|[ .:=+*#-]*[^ |][ .:=+*#-]*\|" 20
wk_check "programs: nc's rate in is hundreds of kB/s, with its open connection" \
    screen_wait main "tr/nc +[0-9]+ +0 +[1-9][0-9.]*K +[0-9.]+[BK] +1  \|" 20
save main top-traffic-programs

# Drill into nc (the filter leaves it alone in the list).
keys main /
keys main n c Enter
keys main Enter
wk_check "drill-in: nc's open connection with the bytes it received" \
    screen_wait main "out $IP_A:[0-9]+ -> $IP_B:9100 +permit +in [0-9.]+[KM] out [0-9.]+[BK]"
bytes_in() { screen main | sed -n "s/.*-> $IP_B:9100 .* in \([0-9.]*\)\([KM]\) out.*/\1\2/p" | head -1; }
kb() { awk -v v="${1%[KM]}" -v u="${1: -1}" 'BEGIN { print int(u == "M" ? v * 1024 : v) }'; }
b1=$(bytes_in)
# The screen is redrawn with wardd's next reading (every second; later on a
# loaded machine): until then it shows b1.
grew() {
    b2=$(bytes_in)
    [ -n "$b1" ] && [ -n "$b2" ] && [ "$(kb "$b2" 2>/dev/null || echo 0)" -gt "$(kb "$b1" 2>/dev/null || echo 0)" ]
}
wk_eventually 20 grew
wk_check "drill-in: the connection's bytes in grow ($b1, then $b2)" \
    bash -c "[ -n '$b1' ] && [ -n '$b2' ] && [ $(kb "$b2" 2>/dev/null || echo 0) -gt $(kb "$b1" 2>/dev/null || echo 0) ]"
save main top-traffic-detail
wk_check "ward top quits" top_quit main
stop_wardd wardd
no_sanitizer "ward top and wardd ran without a sanitizer report" "$WK_TMP"/wardd.log \
    $(ls "$WK_TMP"/asan/* 2>/dev/null) /dev/null
exit 0
