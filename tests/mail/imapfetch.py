#!/usr/bin/env python3
"""tests/mail/imapfetch.py — one IMAP FETCH through the mail proxy, with
Python's imaplib (docs/MAIL.md, message parts).

    imapfetch.py HOST OUT N ITEMS [ITEMS...]

Logs in, selects INBOX, fetches message N's ITEMS ("(BODY.PEEK[2])"), in
one session each ITEMS in turn (N as uid:U: UID FETCH of UID U). Prints
each answer's status and text; each literal of the last answer goes to
OUT/ITEM (its name as the server gave it: OUT/BODY[2]), the names of all
of them one a line to OUT/items.
"""
import imaplib
import os
import re
import sys

host, out, n = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
m = imaplib.IMAP4(host, 143, timeout=20)
m.login("u", "p")
m.select("INBOX")
for items in sys.argv[4:]:
    if n.startswith("uid:"):
        typ, data = m.uid("FETCH", n[4:], items)
    else:
        typ, data = m.fetch(n, items)
    names = []
    for d in data:
        if isinstance(d, tuple):
            name = re.search(rb"([^ (]+(?:\[[^\]]*\])?(?:<\d+>)?) \{\d+\}$", d[0]).group(1)
            names.append(name.decode())
            with open(os.path.join(out, name.decode()), "wb") as f:
                f.write(d[1])
    with open(os.path.join(out, "items"), "w") as f:
        f.write("".join(x + "\n" for x in names))
    print(typ, b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace"))
m.logout()
