#!/bin/bash
# libFuzzer on ward-gtk's parsers of the traffic accounting replies.
. "$(dirname "$0")/fuzz.lib"
fuzz_run gtk_traffic -max_len=8192
