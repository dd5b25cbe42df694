#!/bin/bash
# A policy's application rules, compiled as wardd compiles them (src/compile,
# through ward-kdrv --policy), decide in the real kernel: an allowed port
# passes without a trip to user space, a port whose rule refuses gets EPERM
# from the hook (no trip either), a datagram to a refused UDP port does not
# leave, "allow out any" opens no raw socket, and a reload replaces the
# tables.
. "$(dirname "$0")/lib.sh"
wk_setup

A=$WK_TMP/allowed/wk-client # "deny these ports, allow the rest"
O=$WK_TMP/other/wk-client   # "allow UDP 5353 only"
mkdir -p "$WK_TMP/policy"
POL=$WK_TMP/policy/ward.conf
write_policy() {
    cat >"$POL"
    chmod 600 "$POL"
}
write_policy <<EOF
set mode ask
app "$A" {
    deny out tcp port 8081
    deny out udp port 5353
    allow out any
}
app "$O" {
    allow out udp port 5353
}
EOF

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_bg srv2 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8081
wk_bg usrv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 5353
wk_wait_for "$WK_TMP/srv.log" listening
wk_wait_for "$WK_TMP/srv2.log" listening
wk_wait_for "$WK_TMP/usrv.log" listening
wk_driver --policy "$POL" --ask-mode deny ||
    { wk_notok "driver starts with the policy"; sed 's/^/# /' "$WK_TMP/kdrv.log"; exit 1; }
wk_check "both programs compiled" grep -q "^policy: 2 programs" "$WK_TMP/kdrv.log"

queued() { grep -c "^queue .*remote=$IP_B:$1 " "$WK_TMP/kdrv.log"; }

wk_expect "allowed port passes" ok "$A" tcp4 $IP_B 8080
wk_check "... decided in the kernel (nothing queued)" [ "$(queued 8080)" = 0 ]
wk_expect "its raw socket is still refused (no outbound rule allows one)" EPERM "$A" raw
wk_expect "port its rule refuses: EPERM at connect" EPERM "$A" tcp4 $IP_B 8081 3
wk_check "... decided in the kernel (nothing queued)" [ "$(queued 8081)" = 0 ]

# An unconnected datagram's mark is read before the sendmsg hook runs: the
# socket must be held from its creation, or this datagram leaves unjudged.
wk_client "$A" udp-sendto $IP_B 5353 >/dev/null 2>&1
sleep 0.3
none_arrived() { ! grep -q dgram "$WK_TMP/usrv.log"; }
wk_check "datagram to a refused UDP port is not sent" none_arrived
wk_check "... refused by the sendmsg hook (nothing queued)" [ "$(queued 5353)" = 0 ]
before=$(queued 5353)
wk_client "$O" udp-connect $IP_B 5353 >/dev/null 2>&1
wk_check "connected datagram the other program's rule allows reaches the peer" \
    wk_wait_for "$WK_TMP/usrv.log" dgram 20
wk_check "... decided in the kernel (nothing queued)" [ "$(queued 5353)" = "$before" ]

# Reload: the allowed program loses port 8080; the other program goes.
write_policy <<EOF
set mode ask
app "$A" {
    deny out tcp port 8080
    allow out any
}
EOF
kill -HUP "$WK_PID_kdrv"
wk_check "reload done" wk_wait_for "$WK_TMP/kdrv.log" "^reload: done"
wk_check "... one program now" grep -q "^policy: 1 programs" "$WK_TMP/kdrv.log"
wk_expect "after the reload port 8080 is refused" EPERM "$A" tcp4 $IP_B 8080 3
wk_expect "... and port 8081 passes" ok "$A" tcp4 $IP_B 8081
before=$(queued 5353)
wk_client "$O" udp-connect $IP_B 5353 >/dev/null 2>&1
# The driver logs the queued datagram a moment after the client returns.
more_queued() { [ "$(queued 5353)" -gt "$before" ]; }
wk_check "the withdrawn program's datagram is queued again" wk_eventually 20 more_queued

wk_stop_driver
sed 's/^/# /' "$WK_TMP/kdrv.log"
exit 0
