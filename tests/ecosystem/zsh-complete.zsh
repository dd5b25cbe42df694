#!/usr/bin/env zsh
# zsh-complete.zsh COMPDIR LINE: the words zsh's completion system offers for LINE
# (completing its last word), one a line, by running it for real in an
# interactive zsh on a pseudo-terminal (zsh/zpty).
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PS1=''; PROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null; fpath=($1 \$fpath)"
zpty -w z "autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
    local -a __hits; builtin compadd -A __hits "$@"
    local h; for h in $__hits; do print -r -- "<"hit">$h</"hit">"; done
}'
zpty -w z 'comppostfuncs=(exit)'
zpty -w z "$2"$'\t'
local line
while zpty -r z line; do
    [[ $line == *'<hit>'* ]] && print -r -- ${${line#*<hit>}%%</hit>*}
done
