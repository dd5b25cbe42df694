#!/bin/bash
# Libraries wardd maps only when a feature in force needs them: with no IDS
# signatures, no Hyperscan (nor the C++ runtime it brings); without syslog
# over TLS (or a dpkg check of a changed program), no OpenSSL; never
# libsystemd (wardd speaks the notification protocol itself). Each such
# library was resident memory on every host (docs/PERFORMANCE.md).
# Missing when signatures come (here: hidden in wardd's mount namespace),
# Hyperscan is a clear error; installed later, it is loaded with the same
# rules, without a restart.
. "$(dirname "$0")/nokernel.sh"
nk_setup libs
printf 'set mode ask\napp "/usr/bin/curl" {\n    allow out tcp port 443 to internet\n}\n' | nk_policy
nk_start
check "wardd runs" [ -n "$P" ] && kill -0 $P
maps() { grep -o '[^/ ]*\.so[.0-9]*$' /proc/$P/maps | sort -u; }
maps >"$T/maps"
check "no libhs without IDS signatures" bash -c "! grep -q '^libhs\.' '$T/maps'"
# (The sanitizers' runtime needs libstdc++ itself: then only libhs tells.)
if ldd "$B/wardd" | grep -q libstdc++; then
    n=$((n + 1))
    echo "ok $n - no libstdc++ without IDS signatures # SKIP the sanitizer runtime links it"
else
    check "no libstdc++ without IDS signatures" bash -c "! grep -q '^libstdc++' '$T/maps'"
fi
check "no libssl, no libcrypto without syslog over TLS" \
    bash -c "! grep -q '^libssl\.\|^libcrypto\.' '$T/maps'"
check "no libsystemd" bash -c "! grep -q '^libsystemd' '$T/maps'"
nk_stop

# Signatures while libhs is missing: wardd runs in a mount namespace of its
# own, where the library is an empty file.
HS=$(ldconfig -p | sed -n 's/^[[:space:]]*libhs\.so\.[0-9]* (.*x86-64.*) => //p' | head -1)
if [ -z "$HS" ]; then
    n=$((n + 1))
    echo "ok $n - a missing Hyperscan is a clear error, and found later without a restart # SKIP no libhs"
    nk_no_sanitizer
    exit 0
fi
HS=$(readlink -f "$HS")
unshare -m --propagation private sleep 300 &
HOLDER=$!
for _ in $(seq 100); do [ "$(readlink /proc/$HOLDER/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break; sleep 0.1; done
trap 'kill $HOLDER $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# Never on the host's own mount namespace: the library would be gone for all.
if [ "$(readlink /proc/$HOLDER/ns/mnt 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] ||
    ! nsenter -m -t $HOLDER mount --bind /dev/null "$HS"; then
    check "a mount namespace of wardd's own hides libhs" false
    exit 1
fi
export WARD_IDS_DIR=$T/ids
mkdir -p "$WARD_IDS_DIR"
echo 'alert tcp any any -> any 9000 (msg:"x"; content:"BAD"; sid:9100001;)' >"$WARD_IDS_DIR/ids.rules"
printf 'set mode ask\nfilter "inspect" layer outbound weight 50 proto tcp to port 9000 callout ids\n' | nk_policy
NK_WRAP="nsenter -m -t $HOLDER" nk_start
check "signatures without libhs: a clear error in wardd's log" \
    eventually grep -q "ids: .*: hyperscan: cannot load libhs\.so\.[0-9]*: .*; the rules in force stay" "$T/wardd.log"
grep 'ids:' "$T/wardd.log" | sed 's/^/# /'
check "... and wardd runs on" kill -0 $P
nsenter -m -t $HOLDER umount "$HS"
check "libhs back: the same rules load, without a restart or a change to them" \
    eventually grep -q "ids: 1 rules in force" "$T/wardd.log"
check "... and it is mapped now" bash -c "grep -q '/libhs\.so' /proc/$P/maps"
nk_stop
nk_no_sanitizer
