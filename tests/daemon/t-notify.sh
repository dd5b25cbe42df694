#!/bin/bash
# wardd tells systemd (Type=notify) its state over the notification socket
# without libsystemd: READY=1 with a STATUS once the policy is in force,
# RELOADING=1 then READY=1 around a reload, WATCHDOG=1 when a watchdog is
# asked for, STOPPING=1 on the way out; to a socket path and to an abstract
# one ("@name"). A stand-in socket of the test's own receives the datagrams.
. "$(dirname "$0")/nokernel.sh"
nk_setup notify
printf 'set mode ask\napp "/usr/bin/curl" {\n    allow out tcp port 443 to internet\n}\n' | nk_policy

# sink ADDRESS OUT: every datagram to ADDRESS (a path, or @name) as one line
# of OUT, its newlines as '|'.
sink() {
    python3 -u - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = sys.argv[1]
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
out = open(sys.argv[2], "a", buffering=1)
out.write("listening\n")
while True:
    out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
    eventually grep -qs listening "$2"
}
got() { grep -q "$2" "$T/$1"; }

sink "$T/notify.sock" "$T/path.out"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 nk_start
check "READY=1 and a STATUS once the policy is in force" \
    eventually got path.out '^READY=1|STATUS=policy in force, 1 programs$'
check "WATCHDOG=1 when systemd asks for a watchdog" eventually got path.out '^WATCHDOG=1$'
"$B/ward" reload >/dev/null 2>&1
check "a reload: RELOADING=1" eventually got path.out '^RELOADING=1$'
check "a reload: READY=1 again after it" eventually bash -c "sed -n '/^RELOADING=1/,\$p' '$T/path.out' | grep -q '^READY=1$'"
nk_stop
check "STOPPING=1 on the way out" got path.out '^STOPPING=1$'

name=ward-notify-$$
sink "@$name" "$T/abstract.out"
NOTIFY_SOCKET=@$name nk_start
check "an abstract socket (@name) gets READY=1" eventually got abstract.out '^READY=1|'
check "no watchdog asked, none petted" bash -c "! grep -q WATCHDOG '$T/abstract.out'"
nk_stop
nk_no_sanitizer
