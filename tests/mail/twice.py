#!/usr/bin/env python3
"""tests/mail/twice.py HOST GOOD.eml — one SMTP session, two messages: one
GMime cannot read (no header, binary), then GOOD. Prints what became of
each: "first refused CODE" or "first accepted", then "second delivered"."""
import smtplib
import sys

s = smtplib.SMTP(sys.argv[1], 25, timeout=20)
s.ehlo("me")
try:
    s.sendmail("alice@ok.example", ["bob@peer.example"], b"\x01\x02\x03 no header\r\n")
    print("first accepted")
except smtplib.SMTPDataError as e:
    print("first refused", e.smtp_code)
s.sendmail("alice@ok.example", ["bob@peer.example"], open(sys.argv[2], "rb").read())
print("second delivered")
s.quit()
