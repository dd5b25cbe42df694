#!/bin/bash
# Libraries wardd maps only when a feature in force needs them: with no IDS
# signatures, no Hyperscan (nor the C++ runtime it brings); without syslog
# over TLS (or a dpkg check of a changed program), no OpenSSL; never
# libsystemd (wardd speaks the notification protocol itself). Each such
# library was resident memory on every host (docs/PERFORMANCE.md).
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
nk_no_sanitizer
