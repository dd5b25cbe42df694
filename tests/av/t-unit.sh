#!/bin/bash
# ward-scand under ward.service's capability bounding set and
# no_new_privs, read from the unit file (setpriv: systemd is not pid 1
# here; tests/ecosystem/t-unit.sh reproduces the rest of the unit): the
# helper becomes nobody, holds no capability, and still unpacks what it
# scans (its directory in the run directory is usable by nobody although
# wardd has no CAP_CHOWN). A bounding set without CAP_SETUID/CAP_SETGID
# leaves it uid 0 with no capability, and wardd's log says so.
. "$(dirname "$0")/../daemon/nokernel.sh"
. "$(dirname "$0")/db.sh"
nk_setup av-unit
[ -d "$AV_TESTFILES" ] || { echo "1..0 # SKIP no clamav-testfiles"; exit 0; }
[ -x "$B/ward-scand" ] || { echo "1..0 # SKIP no ward-scand"; exit 0; }
command -v setpriv >/dev/null || { echo "1..0 # SKIP no setpriv"; exit 0; }
UNIT=$(cd "$(dirname "$0")/../.." && pwd)/dist/systemd/ward.service
W=$B/ward
av_db "$T/db"
nk_policy <<<'set mode ask'

# caps [CAP...]: the unit's bounding set as setpriv takes it, less CAP...
caps() {
    local c out=-all
    for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tail -1); do
        [[ " $* " == *" $c "* ]] || out="$out,+$(tr A-Z a-z <<<"${c#CAP_}")"
    done
    echo "$out"
}
# hardened CAPS: wardd under that bounding set, no_new_privs, the unit's
# umask. LeakSanitizer stops the world with ptrace, which the bounding set
# refuses (leaks are checked by t-scan.sh).
hardened() {
    (
        umask 077
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
        exec setpriv --bounding-set "$1" --inh-caps=-all --no-new-privs -- "$B/wardd" \
            --foreground --no-kernel --config "$T/etc/ward.conf" --state-dir "$T/state" \
            --run-dir "$T/run" --av-db "$T/db" >>"$T/wardd.log" 2>&1
    ) &
    P=$!
    for _ in $(seq 200); do
        [ -S "$WARD_SOCKET" ] && "$W" status >/dev/null 2>&1 && return
        sleep 0.1
    done
}
# status_of PID FIELD: a line of /proc/PID/status, its value only.
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
scand_pid() { pgrep -f "ward-scand $T/db" | head -1; }

hardened "$(caps)"
wpid=$(pgrep -f "wardd --foreground --no-kernel --config $T/etc" | head -1)
check "wardd runs under the unit's bounding set (CapBnd $(status_of "$wpid" CapBnd))" \
    [ "$(status_of "$wpid" CapBnd)" = "$(setpriv --bounding-set "$(caps)" -- \
        sed -n 's/^CapBnd:\t//p' /proc/self/status)" ]
out=$("$W" scan "$T/eicar.com")
check "EICAR is found ($out)" grep -q 'infected: Ward.Test.Eicar' <<<"$out"
spid=$(scand_pid)
nb=$(id -u nobody)
ng=$(id -g nobody)
check "ward-scand's uid is not 0: nobody's (Uid $(status_of "$spid" Uid | xargs))" \
    [ "$(status_of "$spid" Uid | xargs)" = "$nb $nb $nb $nb" ]
check "... with nobody's group and no other (Gid $(status_of "$spid" Gid | xargs))" \
    [ "$(status_of "$spid" Gid | xargs)/$(status_of "$spid" Groups | xargs)" = "$ng $ng $ng $ng/" ]
check "... and no capability (CapPrm, CapEff 0)" bash -c "
    [ '$(status_of "$spid" CapPrm)' = 0000000000000000 ] &&
    [ '$(status_of "$spid" CapEff)' = 0000000000000000 ]"
files=("$AV_TESTFILES"/*)
found=$("$W" scan "${files[@]}" | grep -c ': infected: Ward.Test.ClamExe')
check "as nobody it still unpacks: $found of ${#files[@]} test files found" \
    [ "$found" -eq "${#files[@]}" ]
check "its directory is usable by nobody ($(stat -c '%U:%G %a' "$T/run/scan"))" \
    setpriv --reuid nobody --regid nogroup --clear-groups -- test -w "$T/run/scan" -a -x "$T/run/scan"
check "wardd's log has no word of a helper left at uid 0" \
    bash -c "! grep -q 'runs as uid 0' '$T/wardd.log'"
nk_stop

# Without the two capabilities: uid 0, but no capability at all.
hardened "$(caps CAP_SETUID CAP_SETGID)"
"$W" scan "$T/eicar.com" >/dev/null
spid=$(scand_pid)
check "without CAP_SETUID/CAP_SETGID the helper keeps uid 0 but no capability" \
    [ "$(status_of "$spid" Uid | xargs)/$(status_of "$spid" CapEff)" = "0 0 0 0/0000000000000000" ]
check "... and wardd's log says so" grep -q 'runs as uid 0 without capabilities' "$T/wardd.log"
nk_stop
nk_no_sanitizer
exit 0
