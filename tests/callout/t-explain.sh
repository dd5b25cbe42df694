#!/bin/bash
# `ward explain` offline knows the built-in callouts and reads the policy's
# dnsfilter lists: a callout filter explains as wardd decides it; a list
# with an error is reported at file:line:col.
WARD=${WARD_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build/san}/bin/ward
T=$(mktemp -d /tmp/ward-explain.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
n=0
check() {
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}
printf '0.0.0.0 ads.example.test\n*.doubleclick.test\n' >"$T/block.hosts"
printf 'set dnsfilter-list "%s/block.hosts"\nfilter "blocklist" layer dns weight 100 callout dnsfilter\n' \
    "$T" >"$T/ward.conf"
chmod 644 "$T"/*
ex() { "$WARD" explain -f "$T/ward.conf" --layer dns --proto udp --to 10.0.0.2 --port 53 --domain "$1"; }
says() { ex "$1" | grep -q "$2"; }
check "a listed name: blocked by the callout's filter" \
    says ads.example.test "decision: block (soft), reason callout, in sublayer admin, by #1"
check "a wildcard's subdomain: blocked" says x.doubleclick.test "reason callout, in"
check "another name: the callout says continue, the layer's default decides" \
    says fine.example.test "nothing decided, the default of layer dns"
echo 'bad!name' >>"$T/block.hosts"
ex fine.example.test >"$T/out" 2>&1
rc=$?
check "a list with an error: explain fails" [ $rc -ne 0 ]
check "... at file:line:col" grep -q "block.hosts:3:4: error: not a domain name: 'bad!name'" "$T/out"
