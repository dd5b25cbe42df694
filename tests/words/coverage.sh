#!/bin/bash
# Every keyword of docs/POLICY.md has a test: the words shown in the
# language's sections (from "Settings" to "Lifetimes", and "Includes": their
# code blocks and `quoted` parts) that the parser knows (a string literal of
# src/policy/parser.c) must each appear on a "# words:" line of a
# tests/words/t-*.sh, or on a line of tests/words/elsewhere naming a script
# that a suite runs (and that names the word). Prints TAP: one line per
# such script, one per keyword, then the total.
cd "$(dirname "$0")/../.."
python3 - <<'PY'
import fnmatch, glob, os, re
doc = open("docs/POLICY.md").read()
text = doc[doc.index("## Settings"):doc.index("## Rules added at run time")]
text += doc[doc.index("## Includes"):doc.index("## Loading")]
parser = set(re.findall(r'"([a-z][a-z0-9-]*)"', open("src/policy/parser.c").read()))
# Prose of the code blocks' comments that happens to be a parser string.
prose = {"answer", "verdict", "s", "protocol", "interface", "list"}  # also: what a list holds, in messages; the CLI's `ward provider … list`
word = r'(?<![\w"$/.-])([a-z][a-z0-9-]*)(?![\w"/.-])'
words = set()
for blk in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
    words.update(re.findall(word, blk))
for q in re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
    words.update(re.findall(word, q))
keywords = sorted((words & parser) - prose)
covered = set()
for t in glob.glob("tests/words/t-*.sh"):
    for line in open(t):
        if line.startswith("# words:"):
            covered.update(line[len("# words:"):].split())
# The scripts the suites run, as they name them (globs too).
run = set()
for suite in glob.glob("tests/suites/*.sh"):
    run.update(re.findall(r"tests/[\w/.*-]+\.sh", open(suite).read()))
n = 0
for line in open("tests/words/elsewhere"):
    if not line.strip() or line.startswith("#"):
        continue
    script, _, names = line.partition(":")
    script, names = script.strip(), names.split()
    text = open(script).read() if os.path.isfile(script) else ""
    runs = any(fnmatch.fnmatch(script, r) for r in run)
    unnamed = [w for w in names
               if not re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])", text, re.I)]
    n += 1
    why = ("no such script" if not text else "no suite runs it" if not runs
           else "it never names " + " ".join(unnamed) if unnamed else "")
    print(("not ok" if why else "ok") + f" {n} - {script} covers {' '.join(names)}"
          + (f": {why}" if why else ""))
    if text and runs:
        covered.update(w for w in names if w not in unnamed)
for k in keywords:
    n += 1
    print(("ok" if k in covered else "not ok") + f" {n} - keyword '{k}' has a test")
missing = [k for k in keywords if k not in covered]
print(f"# coverage: {len(keywords) - len(missing)}/{len(keywords)} keywords of docs/POLICY.md have a test")
if missing:
    print("# missing: " + " ".join(missing))
PY
