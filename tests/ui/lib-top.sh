# tests/ui/lib-top.sh — `ward top` in tmux against the real wardd (sourced
# after tests/kernel/lib.sh, wk_setup and tests/kernel/wardd.sh).
#
# Each UI runs in a tmux session of its own on a tmux server private to the
# test; the test types keys with send-keys and reads the screen with
# capture-pane. ui_cleanup (chained before wk_cleanup on EXIT) removes the
# server, the test users and, when the test made it, the group `ward`.
TOP=$WK_BUILD/bin/ward-top
[ -x "$TOP" ] || { wk_notok "ward-top is built ($TOP)"; exit 1; }
command -v tmux >/dev/null || wk_skip_all "no tmux"
UI_TMUX=$WK_TMP/tmux.sock # the server's socket goes with the test's files
UI_LOGS=$WK_BUILD/test-logs/ui
UI_USERS=()
UI_MADE_GROUP=""
mkdir -p "$UI_LOGS" "$WK_TMP/asan"
chmod 1777 "$WK_TMP/asan"

tmx() { tmux -S "$UI_TMUX" "$@"; }

ui_cleanup() {
    tmx kill-server 2>/dev/null
    for u in "${UI_USERS[@]}"; do
        pkill -9 -u "$u" 2>/dev/null
        userdel "$u" 2>/dev/null
    done
    if [ -n "$UI_MADE_GROUP" ] && [ -z "$(getent group ward | cut -d: -f4)" ]; then
        groupdel ward 2>/dev/null
    fi
}
trap 'ui_rc=$?; ui_cleanup; (exit $ui_rc); wk_cleanup' EXIT

# ui_group: the group `ward` (made here when the machine has none).
ui_group() {
    getent group ward >/dev/null && return 0
    groupadd ward && UI_MADE_GROUP=1
}
# ui_user NAME [GROUPS]: a test user (no home, no login), removed at exit.
ui_user() {
    useradd -M -N -g nogroup ${2:+-G "$2"} -s /usr/sbin/nologin "$1" || return 1
    UI_USERS+=("$1")
}

# top_start NAME [USER]: `ward top` (which runs ward-top from beside `ward`)
# in tmux session NAME (200x50), as root or
# USER (with that user's groups), on host A (its network namespace: the
# listening view reads A's sockets); waits for its first screen.
top_start() {
    local name=$1 user=${2:-} as=""
    [ -n "$user" ] && as="setpriv --reuid $user --regid nogroup --init-groups"
    tmx new-session -d -s "$name" -x 200 -y 50 \
        "nsenter --net=/run/netns/$NS_A env WARD_SOCKET=$WARD_SOCKET \
         ASAN_OPTIONS=log_path=$WK_TMP/asan/$name:detect_leaks=1 $as $WARD top"
    screen_wait "$name" "ward top"
}
screen() { tmx capture-pane -p -t "$1"; }
# screen_wait NAME PATTERN [SECONDS]: until the screen shows PATTERN (grep -E).
screen_wait() {
    local i
    for ((i = 0; i < ${3:-20} * 10; i++)); do
        screen "$1" | grep -qE -- "$2" && return 0
        sleep 0.1
    done
    echo "# screen $1 never showed '$2'; it shows:" >&2
    screen "$1" | sed 's/^/#   /' >&2
    return 1
}
# screen_lacks NAME PATTERN: the screen does not show PATTERN (or no longer:
# what a key or an answer removes goes at the UI's next redraw, which a
# loaded machine delays; waited for up to 20 s).
screen_lacks() {
    local i
    for ((i = 0; i < 200; i++)); do
        screen "$1" | grep -qE -- "$2" || return 0
        sleep 0.1
    done
    return 1
}
# keys NAME KEY...: tmux send-keys (names like Enter, Escape, Down work).
keys() {
    local name=$1
    shift
    tmx send-keys -t "$name" "$@"
    sleep 0.3 # let the UI draw before the next look
}
# save NAME FILE: the screen, kept for the report.
save() { screen "$1" >"$UI_LOGS/$2.txt"; }
# top_quit NAME: q, and the session ends.
top_quit() {
    tmx send-keys -t "$1" q
    local i
    for ((i = 0; i < 200; i++)); do
        tmx has-session -t "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}
