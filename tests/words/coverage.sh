#!/bin/bash
# Every keyword of docs/POLICY.md has a test: the words shown in the
# language's sections (from "Settings" to "Lifetimes", and "Includes": their
# code blocks and `quoted` parts) that the parser knows (a string literal of
# src/policy/parser.c) must each appear on a "# words:" line of a
# tests/words/t-*.sh. Prints TAP: one line per keyword, then the total.
cd "$(dirname "$0")/../.."
python3 - <<'PY'
import glob, re
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
n = 0
for k in keywords:
    n += 1
    print(("ok" if k in covered else "not ok") + f" {n} - keyword '{k}' has a test")
missing = [k for k in keywords if k not in covered]
print(f"# coverage: {len(keywords) - len(missing)}/{len(keywords)} keywords of docs/POLICY.md have a test")
if missing:
    print("# missing: " + " ".join(missing))
PY
