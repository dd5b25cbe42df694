#!/bin/bash
# The shipped example policy (examples/ward.conf and its rules.d) checks
# clean, loads into a running wardd (no kernel hooks), and wardd decides as
# its comments say: DNS to a resolver passes for any program and tracking
# names never resolve, curl reaches the internet on 443, ping goes out,
# ICMP from the internet is blocked, and with nobody to answer prompts an
# unknown program is blocked while the rules still hold (set no-prompter
# block).
set -u
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/nokernel.sh"
nk_setup examples
cp -R "$ROOT/examples" "$T/etc"
chmod -R go-w "$T/etc"
check "ward check accepts the examples" "$B/ward" check -q "$T/etc/ward.conf"

nk_start
check "wardd loads the examples" bash -c "'$B/ward' status | grep -q 'policy:'"

explain() { # expected-regex description explain-args...
    local want=$1 what=$2
    shift 2
    local out
    out=$("$B/ward" explain --daemon "$@" 2>&1)
    if grep -qE "^decision: $want" <<<"$out"; then
        check "$what" true
    else
        sed 's/^/# /' <<<"$out"
        check "$what" false
    fi
}
# No prompter connected: the rules still hold, what would be asked is
# blocked ("set no-prompter block").
explain 'permit .*reason app-rule' "no prompter: curl's rule still holds" \
    --app /usr/bin/curl --proto tcp --to 93.184.216.34 --port 443
explain 'block .*reason no-prompter' "no prompter: an unknown program is blocked" \
    --app /usr/bin/wget --proto tcp --to 93.184.216.34 --port 443

# A prompter (as the desktop's would) for the rest.
python3 - "$WARD_SOCKET" >"$T/prompter.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
for msg in ('{"type":"hello","id":1,"versions":[1]}', '{"type":"prompt.register","id":2}'):
    f.write(msg + "\n"); f.flush(); print(f.readline().strip(), flush=True)
time.sleep(600)
PY
Q=$!
for _ in $(seq 200); do grep -q '"id":2' "$T/prompter.log" && break; sleep 0.1; done

explain 'permit \(hard\), reason filter' "DNS: any program may ask a resolver on udp 53" \
    --app /usr/bin/dig --proto udp --to 9.9.9.9 --port 53
explain 'permit' "DNS: an ordinary name resolves" \
    --layer dns --app /usr/bin/dig --proto udp --to 9.9.9.9 --port 53 --domain example.com
explain 'block \(hard\), reason filter' "DNS: a tracking name never resolves" \
    --layer dns --app /usr/bin/dig --proto udp --to 9.9.9.9 --port 53 --domain ad.doubleclick.net
explain 'permit .*reason app-rule' "curl reaches the internet on 443 (its rule)" \
    --app /usr/bin/curl --proto tcp --to 93.184.216.34 --port 443
explain 'permit \(hard\), reason filter' "ping: an echo request goes out" \
    --app /usr/bin/ping --proto icmp --to 93.184.216.34 --port 8
explain 'block' "ICMP from the internet is blocked" \
    --layer inbound --proto icmp --from 93.184.216.34 --port 8
explain 'block .*reason app-rule' "ssh to the office on a Saturday is denied (its rule)" \
    --app /usr/bin/ssh --proto tcp --to 10.20.3.4 --port 22 --time "sat 10:00"

kill $Q 2>/dev/null
wait $Q 2>/dev/null
nk_stop
nk_no_sanitizer
