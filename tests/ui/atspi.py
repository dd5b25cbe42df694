#!/usr/bin/python3
"""Drive ward-gtk through its widget tree (AT-SPI), as a screen reader would.

    atspi.py wait-window TITLE [SECONDS]     a showing window with that title
    atspi.py wait-label TEXT [SECONDS]       a showing label containing TEXT
    atspi.py wait-label-re REGEX [SECONDS]   a showing label matching REGEX
    atspi.py wait-gone TITLE [SECONDS]       no showing window with that title
    atspi.py click ROLE NAME [SECONDS]       do the first action of a widget
    atspi.py type ROLE NAME TEXT             set a text field's contents
    atspi.py checked ROLE NAME [SECONDS]     wait until a check box is checked
    atspi.py dump                            print the tree (for debugging)

ROLE is AT-SPI's role name ("push button", "radio button", "toggle button").
Exit 0 on success, 1 when the widget never showed up (the test fails)."""
import re
import sys
import time

import pyatspi

APP = "ward-gtk"


def apps():
    desk = pyatspi.Registry.getDesktop(0)
    for i in range(desk.childCount):
        a = desk.getChildAtIndex(i)
        if a is not None and a.name == APP:
            yield a


def walk(acc, depth=0):
    if acc is None or depth > 60:
        return
    yield acc, depth
    for i in range(acc.childCount):
        yield from walk(acc.getChildAtIndex(i), depth + 1)


def showing(acc):
    try:
        return acc.getState().contains(pyatspi.STATE_SHOWING)
    except Exception:
        return False


def named(acc, name):
    """The widget's name, without mnemonic marks, or a label inside it, is name."""
    if (acc.name or "").replace("_", "") == name:
        return True
    for i in range(acc.childCount):
        c = acc.getChildAtIndex(i)
        if c is not None and c.getRoleName() == "label" and c.name == name:
            return True
    return False


def find_once(pred):
    """One pass over the showing windows: the first widget pred accepts."""
    for a in apps():
        for i in range(a.childCount):
            win = a.getChildAtIndex(i)
            if win is None or not showing(win):
                continue
            for acc, _ in walk(win):
                try:
                    if pred(acc):
                        return acc
                except Exception:
                    pass
    return None


def find(pred, seconds):
    """The first widget pred accepts in a showing window (GTK 4.8 reports
    "showing" for windows only; a widget of a hidden window is not found)."""
    end = time.time() + seconds
    while True:
        try:
            found = find_once(pred)
        except Exception:
            # A widget went away while the tree was read (the window is
            # rebuilt on reconnect): read it again on the next round.
            found = None
        if found is not None:
            return found
        if time.time() >= end:
            return None
        time.sleep(0.3)


def main():
    cmd = sys.argv[1]
    if cmd == "dump":
        for a in apps():
            for acc, d in walk(a):
                print("  " * d + f"{acc.getRoleName()} {acc.name!r}" + (" showing" if showing(acc) else ""))
        return 0
    if cmd == "wait-window":
        secs = float(sys.argv[3]) if len(sys.argv) > 3 else 30
        w = find(lambda a: a.getRoleName() == "frame" and a.name == sys.argv[2], secs)
        return 0 if w else 1
    if cmd == "wait-label":
        secs = float(sys.argv[3]) if len(sys.argv) > 3 else 30
        w = find(lambda a: a.getRoleName() == "label" and sys.argv[2] in (a.name or ""), secs)
        if w:
            print(w.name)
        return 0 if w else 1
    if cmd == "wait-label-re":
        secs = float(sys.argv[3]) if len(sys.argv) > 3 else 30
        pat = re.compile(sys.argv[2], re.S)
        w = find(lambda a: a.getRoleName() == "label" and pat.search(a.name or ""), secs)
        if w:
            print(w.name)
        return 0 if w else 1
    if cmd == "wait-gone":
        end = time.time() + (float(sys.argv[3]) if len(sys.argv) > 3 else 30)
        while find(lambda a: a.getRoleName() == "frame" and a.name == sys.argv[2], 0):
            if time.time() >= end:
                return 1
            time.sleep(0.3)
        return 0
    if cmd == "type":
        w = find(lambda a: a.getRoleName() == sys.argv[2] and named(a, sys.argv[3]), 20)
        if not w:
            print(f"no showing {sys.argv[2]} named {sys.argv[3]!r}", file=sys.stderr)
            return 1
        w.queryEditableText().setTextContents(sys.argv[4])
        return 0
    if cmd == "checked":
        secs = float(sys.argv[4]) if len(sys.argv) > 4 else 10
        w = find(lambda a: a.getRoleName() == sys.argv[2] and named(a, sys.argv[3])
                 and a.getState().contains(pyatspi.STATE_CHECKED), secs)
        return 0 if w else 1
    if cmd == "click":
        secs = float(sys.argv[4]) if len(sys.argv) > 4 else 20
        w = find(lambda a: a.getRoleName() == sys.argv[2] and named(a, sys.argv[3]), secs)
        if not w:
            print(f"no showing {sys.argv[2]} named {sys.argv[3]!r}", file=sys.stderr)
            return 1
        act = w.queryAction()
        act.doAction(0)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
