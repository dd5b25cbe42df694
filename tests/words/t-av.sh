#!/bin/bash
# The antivirus setting (docs/POLICY.md "Settings", docs/AV.md) on real
# traffic: each mode with a clean and an infected program, and the values
# `ward check` refuses.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../av/db.sh"
[ -d "$AV_TESTFILES" ] || wk_skip_all "no clamav-testfiles"
DB=$WK_TMP/avdb
av_db "$DB"
C=$(prog clean)
I=$(prog infected)
av_infect "$WK_CLIENT" "$I"
av_add "$DB" "$I" Ward.Test.Words
pol <<CONF
set mode ask
set no-prompter pass
set av off
CONF
start_wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }

# words: av off
passes "av off: an infected program is not scanned (it passes)" "$I" tcp4 $IP_B 8080
# words: scan-before-allow bound
pol <<CONF
set mode ask
set no-prompter pass
set av scan-before-allow bound 20s
CONF
passes "av scan-before-allow bound 20s: a clean program passes once scanned" "$C" tcp4 $IP_B 8080
refused "av scan-before-allow: an infected program's first connection is refused" "$I" tcp4 $IP_B 8080
# words: scan-in-background
pol <<CONF
set mode ask
set no-prompter pass
set av scan-in-background
CONF
# The reload keeps the results (the databases did not change).
refused "av scan-in-background: the infected program stays refused" "$I" tcp4 $IP_B 8080
passes "av scan-in-background: the clean program passes" "$C" tcp4 $IP_B 8080
rejects "av: an unknown mode is refused" 'ward.conf:1:[0-9]+' <<<'set av sometimes'
rejects "av: bound goes with scan-before-allow only" 'ward.conf:1:[0-9]+' \
    <<<'set av scan-in-background bound 5s'
rejects "av: a bound of zero is refused" 'ward.conf:1:[0-9]+' <<<'set av scan-before-allow bound 0s'
rejects "av: given twice is refused" 'ward.conf:2:[0-9]+' <<<$'set av off\nset av scan-in-background'
exit 0
