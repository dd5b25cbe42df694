#!/bin/bash
# `ward explain` with what a filter may ask beyond the addresses: the
# interface (--iface), the process's cgroup (--cgroup), the executable's
# digest (--sha256) and the group (--gid); each decides, offline from the
# files (-f) and in wardd (--daemon), and only when given.
. "$(dirname "$0")/nokernel.sh"
nk_setup explain
SHA=$(printf '%064d' 7 | tr 0 a)
nk_policy <<CONF
set mode ask
filter "by-iface" layer outbound weight 10 hard block iface "wk-if9" app "/usr/bin/e1"
filter "by-cgroup" layer outbound weight 10 hard block cgroup "/wk/box" app "/usr/bin/e2"
filter "by-sha" layer outbound weight 10 hard block sha256 $SHA app "/usr/bin/e3"
filter "by-gid" layer outbound weight 10 hard block group 4242 app "/usr/bin/e4"
CONF
nk_start

# explain WHERE APP [FLAGS...]: the decision line, offline or from wardd.
explain() {
    local where=$1 app=$2
    shift 2
    if [ "$where" = daemon ]; then set -- --daemon "$@"; else set -- -f "$T/etc/ward.conf" "$@"; fi
    "$B/ward" explain "$@" --app "$app" --proto tcp --to 192.0.2.1 --port 443 | tail -1
}
blocked_by() { grep -q "decision: block (hard), reason filter.*by #" <<<"$1"; }
for where in files daemon; do
    check "explain ($where) --iface: a filter on the interface decides" \
        blocked_by "$(explain $where /usr/bin/e1 --iface wk-if9)"
    check "explain ($where): ... not without --iface" \
        bash -c "! grep -q block <<<'$(explain $where /usr/bin/e1)'"
    check "explain ($where) --cgroup: a filter on the cgroup decides (and below it)" \
        blocked_by "$(explain $where /usr/bin/e2 --cgroup /wk/box/inner)"
    check "explain ($where): ... not for another cgroup" \
        bash -c "! grep -q block <<<'$(explain $where /usr/bin/e2 --cgroup /wk/other)'"
    check "explain ($where) --sha256: a filter on the digest decides" \
        blocked_by "$(explain $where /usr/bin/e3 --sha256 "$SHA")"
    check "explain ($where): ... not for another digest" \
        bash -c "! grep -q block <<<'$(explain $where /usr/bin/e3 --sha256 "$(printf '%064d' 1)")'"
    check "explain ($where) --gid: a filter on the group decides" \
        blocked_by "$(explain $where /usr/bin/e4 --uid 1000 --gid 4242)"
done
check "explain --daemon --sha256: a bad digest is a usage error" \
    bash -c "'$B/ward' explain --daemon --app /usr/bin/e3 --sha256 xyz 2>/dev/null; [ \$? = 2 ]"
nk_stop
nk_no_sanitizer
