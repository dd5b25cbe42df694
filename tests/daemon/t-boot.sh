#!/bin/bash
# Boot-time filters are wardd's own: wardd compiles the policy's `boot`
# filters into the static chains of its table and writes the boot ruleset
# beside the policy. After a simulated reboot (table and hooks gone) the
# boot ruleset is loaded with nft -f, as ward-boot.service does, and wardd
# is started, reloaded and restarted while clients connect in a tight loop:
# what the boot filters block stays blocked throughout (0 connections reach
# the server), what they allow keeps working. `ward check` refuses boot
# filters that test what nft cannot, at file:line:col.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"
CONF=$WK_TMP/etc/ward.conf
BOOT=$WK_TMP/etc/boot.nft
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
policy() {
    cat >"$CONF.new" <<CONF
set mode ask
set no-prompter block
zone peers = { $IP_B/32 }
filter "boot-no-9999" layer outbound weight 10 hard block tcp to peers port 9999 boot
$1
app "$A" {
    allow out tcp port 8080
}
CONF
    chmod 644 "$CONF.new"
    mv "$CONF.new" "$CONF"
}
policy ""


# ward check: what a boot filter may test.
wk_check "ward check accepts the boot filter" "$WARD" check "$CONF"
printf 'filter "x" layer outbound block tcp port 22 boot\nfilter "y" layer outbound block tcp app "/usr/bin/curl" port 80 boot\n' \
    >"$WK_TMP/etc/bad.conf"
chmod 644 "$WK_TMP/etc/bad.conf"
"$WARD" check "$WK_TMP/etc/bad.conf" >"$WK_TMP/check.out" 2>&1
rc=$?
sed 's/^/# /' "$WK_TMP/check.out"
wk_check "ward check refuses a boot filter that names a program (exit 1)" [ $rc -eq 1 ]
wk_check "... at file:line:col of the condition" \
    grep -q 'bad.conf:2:37: error: a boot filter cannot test app-path' "$WK_TMP/check.out"
printf 'filter "z" layer outbound block tcp to internet boot\n' >"$WK_TMP/etc/bad.conf"
wk_check "ward check refuses a boot filter naming a zone without fixed addresses" \
    bash -c "'$WARD' check '$WK_TMP/etc/bad.conf' 2>&1 | grep -q 'bad.conf:1:40: error: a boot filter cannot name zone .internet.'"

wk_bg s1 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_bg s2 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 9999
for l in s1 s2; do wk_wait_for "$WK_TMP/$l.log" listening; done

# First run: wardd writes the boot ruleset and enforces the boot filter.
start_wardd w0 || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd wrote the boot ruleset beside the policy" grep -q 'boot-no-9999' "$BOOT"
wk_check "the boot filter is in wardd's table (nft list table inet ward)" \
    bash -c "nsenter --net=/run/netns/$NS_A nft list table inet ward | grep -q 'tcp dport 9999 .*reject.*ward-boot .* boot-no-9999'"
stop_wardd w0

# Reboot: nothing of Ward's left in netns A, then the boot unit's nft -f.
wk_in_a "$WK_KDRV" --teardown --pin-dir "$WK_PIN" >/dev/null 2>&1
wk_check "after the reboot, no table inet ward" bash -c "! nsenter --net=/run/netns/$NS_A nft list table inet ward >/dev/null 2>&1"
wk_check "the boot ruleset loads (nft -f)" wk_in_a nft -f "$BOOT"

# Clients in a tight loop (outside the hooks' cgroup: nft alone decides
# them) through boot ruleset -> wardd -> reload -> restart.
wk_bg p1 wk_in_a "$WK_CLIENT" probe tcp4 $IP_B 8080 10
wk_bg p2 wk_in_a "$WK_CLIENT" probe tcp4 $IP_B 9999 10
sleep 1.5
start_wardd w1 || wk_notok "wardd starts over the boot ruleset"
sleep 1
"$WARD" reload >/dev/null 2>&1 || wk_notok "reload"
sleep 1
stop_wardd w1
start_wardd w2 || wk_notok "wardd restarts"
wait $WK_PID_p1 $WK_PID_p2
sed 's/^/# port 8080 (allowed): /' "$WK_TMP/p1.log"
sed 's/^/# port 9999 (boot filter): /' "$WK_TMP/p2.log"
wk_check "hand-over: every connection the boot filters allow passed" \
    grep -qE 'probe ok=[1-9][0-9]* eperm=0 other=0' "$WK_TMP/p1.log"
wk_check "hand-over: every connection the boot filter blocks was refused" \
    grep -qE 'probe ok=0 eperm=0 other=[1-9]' "$WK_TMP/p2.log"
echo "# connections that reached the blocked port's server: $(grep -c '^conn' "$WK_TMP/s2.log")"
wk_check "hand-over: 0 connections leaked to the blocked port" \
    [ "$(grep -c '^conn' "$WK_TMP/s2.log")" -eq 0 ]

# A reload that changes the boot filters swaps the static chain's rules
# (one transaction) and rewrites the boot ruleset.
policy 'filter "boot-no-8081" layer outbound block tcp port 8081 boot'
"$WARD" reload >/dev/null 2>&1
wk_check "reload: the new boot filter is in wardd's table" \
    bash -c "nsenter --net=/run/netns/$NS_A nft list table inet ward | grep -q 'boot-no-8081'"
wk_check "reload: and in the boot ruleset" grep -q 'boot-no-8081' "$BOOT"
policy ""
"$WARD" reload >/dev/null 2>&1
wk_check "reload: a boot filter removed from the policy leaves the table" \
    bash -c "! nsenter --net=/run/netns/$NS_A nft list table inet ward | grep -q 'boot-no-8081'"
wk_check "reload: the other boot filter stays" \
    bash -c "nsenter --net=/run/netns/$NS_A nft list table inet ward | grep -q 'boot-no-9999'"
stop_wardd w2
exit 0
