#!/bin/bash
# The built-in dnsfilter callout on real lookups: dig in the test cgroup
# asks a resolver in the peer namespace through wardd. Names on the
# policy's blocklist (hosts format, domain list, wildcard, regular
# expression) are answered NXDOMAIN, or 0.0.0.0 when the policy says so;
# other names get the resolver's answer; each block is logged with the
# program that asked. A list with an error refuses the reload (file:line:col)
# and the list in force stays.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
. "$(dirname "$0")/../kernel/wardd.sh"
DIG=$(readlink -f "$(command -v dig)")

mkdir -p "$WK_TMP/etc"
cat >"$WK_TMP/etc/block.hosts" <<LIST
# a hosts file
127.0.0.1 localhost
0.0.0.0 ads.example.test tracker.example.test
LIST
cat >"$WK_TMP/etc/block.list" <<LIST
! a domain list, a wildcard and a regular expression
plain.example.test
*.doubleclick.test
/^ad[0-9]+\\.cdn\\./
LIST
chmod 644 "$WK_TMP/etc/block.hosts" "$WK_TMP/etc/block.list"
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter pass
$1
set dnsfilter-list "$WK_TMP/etc/block.hosts"
set dnsfilter-list "$WK_TMP/etc/block.list"
filter "blocklist" layer dns weight 100 callout dnsfilter
CONF
}
policy ""
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
wk_wait_for "$WK_TMP/dns.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

# dig's status line and answer for NAME [TYPE].
ask() { wk_client "$DIG" +time=3 +tries=1 @$IP_B "$@" 2>&1; }
status() { ask "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
short() { wk_client "$DIG" +short +time=3 +tries=1 @$IP_B "$@" 2>&1; }

wk_check "a name not on the list is answered by the resolver" \
    [ "$(short www.example.test)" = "$IP_B" ]
for n in ads.example.test tracker.example.test plain.example.test x.doubleclick.test \
    ad7.cdn.example.test; do
    wk_check "$n (on the list) is answered NXDOMAIN" [ "$(status $n)" = NXDOMAIN ]
done
wk_check "a wildcard blocks subdomains, not the name itself" \
    [ "$(short doubleclick.test)" = "$IP_B" ]
wk_check "the hosts file's own names are not blocked" [ "$(status localhost)" = NOERROR ]
wk_check "a block is logged with the program that asked and the callout's filter" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"domain\":\"ads.example.test\"' |
        grep '\"exe\":\"$DIG\"' | grep -q blocklist"

# The policy says 0.0.0.0 instead.
policy "set dnsfilter-answer zero"
wk_check "reload with dnsfilter-answer zero" "$WARD" reload
wk_check "a blocked name is answered 0.0.0.0" [ "$(short ads.example.test)" = 0.0.0.0 ]
wk_check "... and its AAAA question ::" [ "$(short ads.example.test AAAA)" = :: ]
wk_check "other names still reach the resolver" [ "$(short www.example.test)" = "$IP_B" ]

# A list with an error: the reload is refused, the list in force stays.
echo "bad!name.test" >>"$WK_TMP/etc/block.list"
"$WARD" reload >"$WK_TMP/reload.out" 2>&1
wk_check "a list with an error refuses the reload" [ $? -ne 0 ]
wk_check "... saying file:line:col" \
    grep -q "block.list:5:4: error: not a domain name: 'bad!name.test'" "$WK_TMP/reload.out"
wk_check "... and the list in force stays" [ "$(short tracker.example.test)" = 0.0.0.0 ]
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
exit 0
