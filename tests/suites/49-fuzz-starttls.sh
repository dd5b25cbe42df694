#!/bin/bash
# libFuzzer on the mail proxy's STARTTLS state machines, both sides
# (src/mailtls/starttls.c): the peer's lines never break Ward's answers.
. "$(dirname "$0")/fuzz.lib"
fuzz_run starttls -max_len=4096
