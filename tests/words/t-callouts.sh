#!/bin/bash
# The callout settings of docs/POLICY.md on real traffic: the callout
# suite's end-to-end scripts, which use each of them (dig through the
# dnsfilter callout; connections through a shared-object callout that
# crashes; the stream layer's bound, fail closed and fail open; curl through
# urlfilter's allow and deny lists; rule updates of the ids callout fetched
# by wardd; DoT and DoH let out for one program and refused to another by
# the encrypted-dns condition).
# words: dnsfilter-list dnsfilter-answer nxdomain zero
bash "$(dirname "$0")/../callout/t-dnsfilter.sh"
# words: callout-failure
bash "$(dirname "$0")/../callout/t-shared.sh"
# words: stream-bound fail-open fail-closed
bash "$(dirname "$0")/../callout/t-stream.sh"
# words: ids-update every
bash "$(dirname "$0")/../ids/t-timer.sh"
# words: urlfilter
bash "$(dirname "$0")/../callout/t-urlfilter.sh"
# words: encrypted-dns encrypted-dns-resolver
bash "$(dirname "$0")/../callout/t-encdns.sh"
