#!/bin/bash
# libFuzzer on the mail proxy's protocol state machines (src/mail:
# session.c, smtp.c, pop3.c, imap.c): SMTP, POP3 and IMAP conversations, each side's bytes and the decisions of
# the messages held.
. "$(dirname "$0")/fuzz.lib"
fuzz_run mail -max_len=16384
