#!/bin/bash
# libFuzzer on the urlfilter callout's parsers of a program's first bytes
# (src/callout/webparse.c): the HTTP request head and the TLS ClientHello.
. "$(dirname "$0")/fuzz.lib"
fuzz_run webparse -max_len=4096
