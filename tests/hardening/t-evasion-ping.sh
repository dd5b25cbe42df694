#!/bin/bash
# Unprivileged ping: an ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP), what
# iputils ping uses without capabilities. A program whose rules deny it
# ("deny out any") must not get echo requests out. Real pings through
# wardd, replies counted.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
A=$WK_TMP/allowed/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
# The defaults for unattributed traffic and no prompter (pass): only the
# deny rule stands between the program and the peer.
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
app "$D" {
    deny out any
}
app "$A" {
    allow out icmp
    allow out udp
}
CONF
chmod 644 "$WK_TMP/etc/ward.conf"
N=20
wk_in_a sysctl -qw net.ipv4.ping_group_range="0 2147483647"
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

out=$(wk_client "$A" ping $IP_B $N)
echo "# allowed program: $out"
wk_check "the program allowed icmp pings the peer" grep -q "replies=$N" <<<"$out"
out=$(wk_client "$D" ping $IP_B $N)
echo "# denied program: $out"
wk_check "the program denied everything gets no echo reply from a ping socket" \
    grep -q 'replies=0$' <<<"$out"
out=$(wk_client "$D" ping 127.0.0.1 3)
echo "# denied program to loopback: $out"
wk_check "it still pings the host itself (self-traffic pass)" grep -q 'replies=3' <<<"$out"

"$WARD" log --json 2>&1 | tail -5 | sed "s/^/# log: /"
stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
