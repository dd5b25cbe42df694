#!/bin/bash
# Man pages and shell completion agree with the programs: every subcommand
# of `ward --help` and every option of each `ward CMD --help` and of
# `wardd --help` is in ward(8)/wardd(8) and in the bash and zsh completion;
# every keyword of docs/POLICY.md is in ward.conf(5). bash completion is run
# for real: subcommands, options, program paths and the ids of the rules a
# running wardd holds; zsh's too, on a pseudo-terminal.
. "$(dirname "$0")/../daemon/nokernel.sh"
cd "$(dirname "$0")/../.."
command -v scdoc >/dev/null || { echo "1..0 # SKIP no scdoc (scripts/deps installs it)"; exit 0; }
nk_setup docs
check "make man builds the four pages" bash -c \
    "make -s man >/dev/null && ls build/man/ward.8 build/man/wardd.8 build/man/ward.conf.5 build/man/ward-gtk.1 >/dev/null"
render() { MANWIDTH=200 man -l "build/man/$1" 2>/dev/null | col -b; }
render ward.8 >"$T/ward.8.txt"
render wardd.8 >"$T/wardd.8.txt"
render ward.conf.5 >"$T/ward.conf.5.txt"
check "the pages render" [ -s "$T/ward.8.txt" -a -s "$T/wardd.8.txt" -a -s "$T/ward.conf.5.txt" ]

# The subcommands: main.c's table, as `ward --help` prints it.
cmds=$("$B/ward" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
check "ward --help lists subcommands ($(wc -w <<<"$cmds"))" [ "$(wc -w <<<"$cmds")" -ge 12 ]
# opts CMD: the options its --help shows.
opts() { "$B/ward" "$1" --help 2>&1 | grep -o -- '\(^\|[[ |]\)--\?[a-z][a-z0-9-]*' | grep -o -- '--\?[a-z][a-z0-9-]*$' | grep '^-' | sort -u; }
missing=""
for c in $cmds; do
    grep -q "^ *$c\b" "$T/ward.8.txt" || missing="$missing $c"
    for o in $(opts "$c"); do
        grep -q -- "$o\b" "$T/ward.8.txt" || missing="$missing $c:$o"
    done
done
check "ward(8) has every subcommand and option of --help${missing:+ (missing:$missing)}" [ -z "$missing" ]
missing=""
for o in $("$B/wardd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "$o\b" "$T/wardd.8.txt" || missing="$missing $o"
done
check "wardd(8) has every option of wardd --help${missing:+ (missing:$missing)}" [ -z "$missing" ]

# The policy keywords, chosen as the words suite's coverage check does.
keywords=$(python3 - <<'PY'
import re
doc = open("docs/POLICY.md").read()
text = doc[doc.index("## Settings"):doc.index("## Rules added at run time")]
text += doc[doc.index("## Includes"):doc.index("## Loading")]
parser = set(re.findall(r'"([a-z][a-z0-9-]*)"', open("src/policy/parser.c").read()))
prose = {"answer", "verdict", "s", "protocol", "interface"}
word = r'(?<![\w"$/.-])([a-z][a-z0-9-]*)(?![\w"/.-])'
words = set()
for blk in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
    words.update(re.findall(word, blk))
for q in re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
    words.update(re.findall(word, q))
print(" ".join(sorted((words & parser) - prose)))
PY
)
missing=""
for k in $keywords; do
    grep -q -- "\(^\|[^a-z0-9-]\)$k\([^a-z0-9-]\|$\)" "$T/ward.conf.5.txt" || missing="$missing $k"
done
check "ward.conf(5) has every keyword of docs/POLICY.md ($(wc -w <<<"$keywords"))${missing:+ (missing:$missing)}" \
    [ -z "$missing" ]

# bash: the real completion function over simulated command lines.
BC=/usr/share/bash-completion/bash_completion
if [ -f "$BC" ]; then
    # complete WORDS...: what the completion offers for the last word.
    complete_line() {
        PATH="$B:$PATH" bash -c '
            . "$1"; . dist/completion/ward.bash; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _ward ward "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf "%s\n" "${COMPREPLY[@]}"' sh "$BC" "$@"
    }
    got=$(complete_line ward "")
    missing=""
    for c in $cmds; do grep -qx "$c" <<<"$got" || missing="$missing $c"; done
    check "bash: every subcommand${missing:+ (missing:$missing)}" [ -z "$missing" ]
    missing=""
    for c in $cmds; do
        [ "$c" = rules ] || [ "$c" = import ] && continue
        got=$(complete_line ward "$c" -)
        for o in $(opts "$c" | grep '^--'); do grep -qx -- "$o" <<<"$got" || missing="$missing $c:$o"; done
    done
    check "bash: every option of every subcommand${missing:+ (missing:$missing)}" [ -z "$missing" ]
    got=$(complete_line ward rules "" | sort | paste -sd' ')
    check "bash: rules subcommands ($got)" [ "$got" = "add delete list" ]
    got=$(complete_line ward log --program /usr/bi)
    check "bash: program paths" grep -qx /usr/bin <<<"$got"
    got=$(complete_line ward rules add /usr/bi)
    check "bash: the program of rules add" grep -qx /usr/bin <<<"$got"
    got=$(complete_line ward mode a)
    check "bash: mode words" grep -qx allow-all <<<"$got"
    printf 'set mode ask\napp "/usr/bin/curl" {\n    allow out tcp port 443\n}\n' | nk_policy
    nk_start
    "$B/ward" rules add /usr/bin/dig allow out udp port 53 >/dev/null
    ids=$("$B/ward" rules list | awk '$1 ~ /^[0-9]+$/ { print $1 }' | sort | paste -sd' ')
    got=$(complete_line ward rules delete "" | sort | paste -sd' ')
    check "bash: rule ids from the running wardd ($ids)" [ -n "$ids" -a "$got" = "$ids" ]
    nk_stop
else
    echo "ok $((n + 1)) - bash completion run # SKIP no bash-completion"
    n=$((n + 1))
fi

# zsh: the file's syntax and content, then its completion system run for
# real on a pseudo-terminal (tests/ecosystem/zsh-complete.zsh).
if command -v zsh >/dev/null; then
    check "zsh: the completion parses" zsh -n dist/completion/_ward
    missing=""
    for c in $cmds; do
        grep -q "'$c:" dist/completion/_ward || missing="$missing $c"
        for o in $(opts "$c" | grep '^--'); do
            grep -q -- "$o\b" dist/completion/_ward || missing="$missing $c:$o"
        done
    done
    check "zsh: every subcommand and option${missing:+ (missing:$missing)}" [ -z "$missing" ]
    # The completion system run for real, in an interactive zsh on a pty.
    zcomplete() { timeout 20 zsh -f tests/ecosystem/zsh-complete.zsh dist/completion "$*" | sort; }
    got=$(zcomplete "ward ")
    missing=""
    for c in $cmds; do grep -qx "$c" <<<"$got" || missing="$missing $c"; done
    check "zsh (run): every subcommand${missing:+ (missing:$missing)}" [ -n "$got" -a -z "$missing" ]
    got=$(zcomplete "ward bundle " | paste -sd' ')
    check "zsh (run): bundle subcommands ($got)" [ "$got" = "apply create keygen rollback status verify" ]
    got=$(zcomplete "ward bundle apply --" | paste -sd' ')
    check "zsh (run): bundle apply options ($got)" [ "$got" = "--keys --poll" ]
    got=$(zcomplete "ward rules " | paste -sd' ')
    check "zsh (run): rules subcommands ($got)" [ "$got" = "add delete list" ]
    check "zsh (run): mode words" grep -qx allow-all <<<"$(zcomplete "ward mode a")"
    check "zsh (run): program paths" grep -qx bin <<<"$(zcomplete "ward log --program /usr/bi")"
fi
exit 0
