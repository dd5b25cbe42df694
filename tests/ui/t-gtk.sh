#!/bin/bash
# ward-gtk under Xvfb against the real wardd: a program in the test netns
# connects, the prompt window shows it, the test answers "allow, this host,
# forever" through the widget tree (AT-SPI, as a screen reader would), wardd
# applies it (the connection goes through, the rule is listed and learned),
# and a screenshot of the prompt and of each main view is saved to
# $WK_BUILD/test-logs/ui/. All of it as a non-root member of group `ward`;
# wardd restarting is survived ("reconnected"); an unrelated user is told
# it is refused.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

GTK=$WK_BUILD/bin/ward-gtk
UI_DIR=$(cd "$(dirname "$0")" && pwd)
DRV="/usr/bin/python3 $UI_DIR/atspi.py"
SHOTS=$WK_BUILD/test-logs/ui
if [ ! -x "$GTK" ]; then
    # Built wherever pkg-config finds GTK 4: missing then is a failure.
    pkg-config --exists gtk4 || wk_skip_all "no GTK 4 (scripts/deps installs it)"
    wk_notok "ward-gtk is built"
    exit 1
fi
for t in Xvfb import dbus-run-session /usr/libexec/at-spi-bus-launcher; do
    command -v "$t" >/dev/null || wk_skip_all "no $t (scripts/deps installs it)"
done
/usr/bin/python3 -c 'import pyatspi' 2>/dev/null || wk_skip_all "no python3-pyatspi"
mkdir -p "$SHOTS"

# Two users of our own: a member of group `ward` and an unrelated one. The
# group is made only if the machine has none (and then removed).
MEMBER=wgm$WK_ID
OTHER=wgo$WK_ID
MADE_GROUP=""
XPID=""
ui_cleanup() {
    local rc=$?
    cp "$WK_TMP"/gtk*.log "$WK_TMP"/a11y.err "$SHOTS/" 2>/dev/null # the app's own account, for the report
    cp "$WK_TMP/notify$MEMBER.log" "$SHOTS/notifications.log" 2>/dev/null
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null
    pkill -9 -u "$MEMBER" 2>/dev/null
    pkill -9 -u "$OTHER" 2>/dev/null
    [ -n "$ETC_OVERLAY" ] && umount /etc
    userdel "$MEMBER" 2>/dev/null
    userdel "$OTHER" 2>/dev/null
    [ -n "$MADE_GROUP" ] && groupdel ward 2>/dev/null
    (exit $rc)
    wk_cleanup
}
trap ui_cleanup EXIT
getent group ward >/dev/null || { groupadd --system ward && MADE_GROUP=1; }
useradd -M -N -g nogroup -G ward -d "$WK_TMP/home-$MEMBER" -s /bin/sh "$MEMBER" || exit 1
useradd -M -N -g nogroup -d "$WK_TMP/home-$OTHER" -s /bin/sh "$OTHER" || exit 1

# Where /etc is closed to other users (some sandboxes make it 0700), the
# sessions could not even look up their own names: in this test's private
# mount namespace only, an overlay opens the directory itself (the files
# keep their modes). Removed before the users are.
ETC_OVERLAY=""
if ! setpriv --reuid nobody --regid nogroup --clear-groups test -r /etc/passwd; then
    wk_private_mounts || wk_skip_all "/etc is closed to users and no private mount namespace"
    mkdir -p "$WK_TMP/etc-up" "$WK_TMP/etc-work"
    chmod 755 "$WK_TMP/etc-up"
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$WK_TMP/etc-up,workdir=$WK_TMP/etc-work" \
        /etc && ETC_OVERLAY=1
fi

# The display: Xvfb picks a free number; local clients only (-nolisten tcp),
# any local user (-ac: the test's users have no cookie).
exec 3>"$WK_TMP/display"
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp -ac >"$WK_TMP/xvfb.log" 2>&1 &
XPID=$!
exec 3>&-
for _ in $(seq 200); do [ -s "$WK_TMP/display" ] && break; sleep 0.1; done
export DISPLAY=:$(cat "$WK_TMP/display")

ward_policy <<CONF
set mode ask
set prompt-timeout 120s default deny
set no-prompter block
set unattributed block
set alert portscan 10/30s
app "$D" {
    deny out any
}
app "$A" {
    allow out tcp port 8080
}
app "/usr/bin/dig" {
    allow out udp port 53
}
CONF
serve_b 100
# A DNS server on B: every name is B. wardd learns names from the answers.
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
wk_wait_for "$WK_TMP/dns.log" listening
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }

# session USER: a desktop session of USER in netns A (so the app's network
# view shows A's sockets): a D-Bus session bus with the accessibility bus,
# whose address goes to $WK_TMP/USER.bus. as USER CMD...: a command in it.
session() {
    local u=$1 home=$WK_TMP/home-$1
    mkdir -p "$home" "$WK_TMP/xdg-$u"
    chown "$u" "$home" "$WK_TMP/xdg-$u"
    chmod 700 "$WK_TMP/xdg-$u"
    wk_bg "sess$u" wk_in_a setpriv --reuid "$u" --regid nogroup --init-groups \
        env -i HOME="$home" XDG_RUNTIME_DIR="$WK_TMP/xdg-$u" PATH=/usr/bin:/bin \
        DISPLAY="$DISPLAY" dbus-run-session -- sh -c \
        "echo \"BUS=\$DBUS_SESSION_BUS_ADDRESS\"; exec sleep 3600"
    wk_wait_for "$WK_TMP/sess$u.log" "^BUS=" 20 &&
        sed -n 's/^BUS=//p' "$WK_TMP/sess$u.log" >"$WK_TMP/$u.bus" || return 1
    a11y_ready "$u" || return 1
    # The desktop's notification server (GNotification's, without a portal).
    wk_bg "notify$u" as "$u" /usr/bin/python3 "$UI_DIR/notifications.py"
    wk_wait_for "$WK_TMP/notify$u.log" "^ready" 20
}
# a11y_ready USER: the accessibility bus and its registry answer before any
# application starts. Both are started by D-Bus activation, here and once:
# an application that came up first, or a second launcher racing the
# activated one, would leave the app outside the tree the test reads.
a11y_ready() {
    local u=$1 addr="" i
    for i in $(seq 200); do
        addr=$(as "$u" dbus-send --session --print-reply=literal --dest=org.a11y.Bus \
            /org/a11y/bus org.a11y.Bus.GetAddress 2>>"$WK_TMP/a11y.err" | tr -d ' ') && [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || return 1
    for i in $(seq 200); do
        as "$u" dbus-send --bus="$addr" --print-reply --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus org.freedesktop.DBus.StartServiceByName \
            string:org.a11y.atspi.Registry uint32:0 >/dev/null 2>>"$WK_TMP/a11y.err" &&
            return 0
        sleep 0.1
    done
    return 1
}
as() {
    local u=$1
    shift
    wk_in_a setpriv --reuid "$u" --regid nogroup --init-groups \
        env -i HOME="$WK_TMP/home-$u" XDG_RUNTIME_DIR="$WK_TMP/xdg-$u" PATH=/usr/bin:/bin \
        DISPLAY="$DISPLAY" DBUS_SESSION_BUS_ADDRESS="$(cat "$WK_TMP/$u.bus")" \
        WARD_SOCKET="$WARD_SOCKET" GTK_A11Y=atspi GSK_RENDERER=cairo NO_AT_BRIDGE=0 \
        ASAN_OPTIONS=detect_leaks=0 "$@"
}
# shot NAME [TITLE]: the screen (or the window of that title) as NAME.png.
shot() {
    local win=root
    [ -n "${2:-}" ] && win=$(xdotool search --name "^$2\$" | head -1)
    import -window "$win" "$SHOTS/$1.png" && wk_ok "screenshot $1.png"
}
# keys TITLE KEY...: real key presses (XTEST) into the window of that title.
keys() {
    local wid
    wid=$(xdotool search --name "^$1\$" | head -1)
    [ -n "$wid" ] || return 1
    shift
    xdotool windowfocus --sync "$wid" && sleep 0.3 && xdotool key --delay 150 "$@"
}
PROMPT="Ward: a program wants to connect"

# ---- a member of group `ward` runs it -----------------------------------
session "$MEMBER" || { wk_notok "a desktop session of the member starts"; exit 1; }
chmod 755 "$WK_TMP/home-$MEMBER"
wk_bg gtk as "$MEMBER" "$GTK"
wk_check "member of ward: ward-gtk connects and registers as a prompter" \
    wk_wait_for "$WK_TMP/gtk.log" "registered as a prompter" 60
# A listener of the member's own in A, for the network view.
wk_bg lsn wk_in_a setpriv --reuid "$MEMBER" --regid nogroup --clear-groups "$WK_CLIENT" listen-tcp 9099 100

# The main window is read through the tree before any prompt, as a screen
# reader started with the session would: the prompt window then comes while
# an accessibility client listens (GTK 4.8 once gave such a window a role
# nobody could find it by).
wk_check "the main window appears in the accessibility tree" \
    as "$MEMBER" $DRV wait-window Ward 60
wk_bg c1 conn "$Q" 90
if as "$MEMBER" $DRV wait-window "$PROMPT" 30; then
    wk_ok "the prompt window appears in the accessibility tree"
else
    wk_notok "the prompt window appears in the accessibility tree"
    shot prompt-unlisted
    as "$MEMBER" $DRV dump >"$SHOTS/tree.txt" 2>&1
    exit 1
fi
# UI_DUMP=1: save the widget tree as AT-SPI shows it, and stop (to write checks).
if [ -n "${UI_DUMP:-}" ]; then as "$MEMBER" $DRV dump >"$SHOTS/tree.txt" 2>&1; exit 0; fi
wk_check "it shows the program's path" as "$MEMBER" $DRV wait-label "$Q" 20
wk_check "it shows the destination" as "$MEMBER" $DRV wait-label "10.77.0.2 port 8080 tcp" 20
# The program was started by the test's shell (wk_client's sh exec'd it).
wk_check "it shows the parent chain" as "$MEMBER" $DRV wait-label "$Q ← /usr/bin/bash" 20
wk_check "it counts down to the timeout default" as "$MEMBER" $DRV wait-label "Answer within" 20
sleep 1
shot prompt "$PROMPT"
wk_check "the safe choices come first: once" as "$MEMBER" $DRV checked "check box" "Once" 5
keys "$PROMPT" alt+h
wk_check "choose this host, by its key (Alt+H)" as "$MEMBER" $DRV checked "check box" "This host"
keys "$PROMPT" alt+f
wk_check "choose forever, by its key (Alt+F)" as "$MEMBER" $DRV checked "check box" "Forever"
wk_check "press Allow" as "$MEMBER" $DRV click "push button" "Allow"
wait "$WK_PID_c1"
wk_check "wardd applied the answer: the held connection went through" \
    grep -qx ok "$WK_TMP/c1.log"
wk_check "ward rules list shows the rule: this host, learned" \
    bash -c "'$WARD' rules list --program '$Q' | grep -q 'allow out tcp to 10.77.0.2 .*learned'"
wk_check "the rule was written to the learned rules" \
    grep -q "app \"$Q\"" "$WK_TMP/state/learned.rules"
wk_check "the next connection of the program needs no prompt" [ "$(conn "$Q" 5)" = ok ]
wk_check "the prompt window is gone once answered" \
    as "$MEMBER" $DRV wait-gone "$PROMPT" 10

# Two programs ask at once: one window, a queue; Enter on the first (the
# focus starts on Deny, "once") leaves the second open.
mkdir -p "$WK_TMP/two/a" "$WK_TMP/two/b"
cp "$WK_CLIENT" "$WK_TMP/two/a/wk-client"
cp "$WK_CLIENT" "$WK_TMP/two/b/wk-client"
wk_bg ca conn "$WK_TMP/two/a/wk-client" 60
wk_bg cb conn "$WK_TMP/two/b/wk-client" 60
wk_check "two prompts queue in one window" as "$MEMBER" $DRV wait-label "Request 1 of 2" 30
keys "$PROMPT" Return
wk_check "answering one leaves the other open" as "$MEMBER" $DRV wait-label "Request 1 of 1" 20
keys "$PROMPT" Return
wait "$WK_PID_ca" "$WK_PID_cb"
wk_check "Enter answers deny, once: both connections were refused" \
    bash -c "! grep -qx ok '$WK_TMP/ca.log' && ! grep -qx ok '$WK_TMP/cb.log'"
wk_check "... and nothing was learned from them" \
    bash -c "! grep -q '/two/' '$WK_TMP/state/learned.rules'"

# A destination with a name: "this domain" becomes a rule on the name.
N=$WK_TMP/named/wk-client
mkdir -p "$(dirname "$N")" && cp "$WK_CLIENT" "$N"
wk_client /usr/bin/dig +short +time=8 +tries=1 @$IP_B shop.example.test >/dev/null
wk_bg cn conn "$N" 60
wk_check "the prompt names the destination by its DNS name" \
    as "$MEMBER" $DRV wait-label "shop.example.test (10.77.0.2) port 8080 tcp" 30
keys "$PROMPT" alt+m alt+r
wk_check "choose this domain (Alt+M), until wardd restarts (Alt+R)" \
    as "$MEMBER" $DRV checked "check box" "This domain"
as "$MEMBER" $DRV click "push button" "Allow"
wait "$WK_PID_cn"
wk_check "this domain: the connection went through" grep -qx ok "$WK_TMP/cn.log"
wk_check "this domain: wardd has the rule on the name, until restart" \
    bash -c "'$WARD' rules list --program '$N' | grep 'shop.example.test' | grep -q 'until-restart'"

# Desktop notifications: every alert; blocks once "Notify blocks" is checked.
NOTES=$WK_TMP/notify$MEMBER.log
wk_check "without Notify blocks, the blocks so far were not notified" \
    bash -c "! grep -q 'summary=Ward blocked' '$NOTES'"
for port in $(seq 7001 7015); do
    wk_in_b "$WK_CLIENT" tcp4 $IP_A "$port" 2 >/dev/null
done
wk_check "a port scan: a desktop notification names the alert" \
    wk_wait_for "$NOTES" "summary=Ward alert: portscan body=$IP_B: count" 20
keys Ward alt+n
wk_check "Notify blocks is checked, through the widget tree" \
    as "$MEMBER" $DRV checked "check box" "Notify blocks"
conn "$D" 5 >/dev/null
wk_check "a block: a desktop notification names the program and where to" \
    wk_wait_for "$NOTES" "summary=Ward blocked wk-client body=$D, to 10.77.0.2 port 8080 tcp" 20
wk_check "the notifications come from ward-gtk" \
    bash -c "grep -q '^notify' '$NOTES' && ! grep '^notify' '$NOTES' | grep -qv '^notify app=ward-gtk '"

# Some activity of a second program for the views (allowed by its rule).
for _ in 1 2 3; do conn "$A" 5 >/dev/null; done
i=0
for v in Activity Rules Log Network Processes Alerts; do
    i=$((i + 1))
    keys Ward alt+$i # the views' keys: Alt+1 .. Alt+6
    case $v in
    Activity)
        wk_check "activity view lists the program" as "$MEMBER" $DRV wait-label "$Q" 20
        wk_check "activity view: ... with its parent chain" \
            as "$MEMBER" $DRV wait-label "chain: $Q ← /usr/bin/bash" 20
        # Its bytes from wardd's accounting: a size, not "—" (g_format_size).
        wk_check "activity view shows the traffic of a program that moved bytes" \
            as "$MEMBER" $DRV wait-label-re "^[^\n]*\n$A\n.* in [0-9][0-9.]* (bytes|[kMG]B), out [0-9][0-9.]* (bytes|[kMG]B)" 20
        ;;
    Rules) wk_check "rules view lists the learned rule" as "$MEMBER" $DRV wait-label "to 10.77.0.2" 20 ;;
    Log) wk_check "log view shows the decisions" as "$MEMBER" $DRV wait-label "permit" 20 ;;
    Network) wk_check "network view shows the member's listener" as "$MEMBER" $DRV wait-label ":9099" 20 ;;
    Processes) wk_check "processes view shows the program" as "$MEMBER" $DRV wait-label "$Q" 20 ;;
    Alerts) wk_check "alerts view lists the port scan" as "$MEMBER" $DRV wait-label "portscan  from $IP_B" 20 ;;
    esac
    sleep 1
    shot "main-$(echo "$v" | tr A-Z a-z)"
done

# The rules editor: wardd's parse error shows inline, with its column.
keys Ward alt+2
as "$MEMBER" $DRV type text Program "$O"
as "$MEMBER" $DRV type text When "someday 08:00"
as "$MEMBER" $DRV click "push button" "Add rule"
wk_check "rules editor: wardd's error is shown inline with its column" \
    as "$MEMBER" $DRV wait-label "rule:1:" 20
shot rules-error
as "$MEMBER" $DRV type text When "daily"
as "$MEMBER" $DRV type text Ports "8080"
as "$MEMBER" $DRV click "push button" "Add rule"
wk_check "rules editor: a valid rule is added" as "$MEMBER" $DRV wait-label "added as rule" 20
wk_check "rules editor: wardd has it" \
    wk_eventually 20 bash -c "'$WARD' rules list --program '$O' | grep -q 'allow out port 8080'"

# wardd goes away and comes back: the app says so and registers again.
stop_wardd wardd1
wk_check "wardd stopped: the app says it is not connected" \
    wk_wait_for "$WK_TMP/gtk.log" "not connected" 20
start_wardd wardd2 || wk_notok "wardd starts again"
wk_check "wardd restarted: the app reconnected" \
    wk_wait_for "$WK_TMP/gtk.log" "wardd restarted: reconnected" 30
registered_twice() {
    for _ in $(seq 100); do
        [ "$(grep -c 'registered as a prompter' "$WK_TMP/gtk.log")" -ge 2 ] && return 0
        sleep 0.2
    done
    return 1
}
wk_check "... and registered again as a prompter" registered_twice
wk_check "the main window says it reconnected" as "$MEMBER" $DRV wait-label "reconnected" 20
wk_signal TERM gtk
no_sanitizer "ward-gtk: no sanitizer report" "$WK_TMP/gtk.log"

# ---- an unrelated user is refused ----------------------------------------
session "$OTHER" || { wk_notok "a desktop session of the unrelated user starts"; exit 1; }
wk_bg gtko as "$OTHER" "$GTK"
wk_check "unrelated user: wardd's refusal is shown in the window" \
    as "$OTHER" $DRV wait-label "Refused:" 60
sleep 1
shot main-refused
wk_check "unrelated user: the app says it is read only" \
    wk_wait_for "$WK_TMP/gtko.log" "Refused: wardd lets only root" 20
wk_check "unrelated user: what wardd said about prompts is shown" \
    as "$OTHER" $DRV wait-label "Prompts" 20
wk_check "unrelated user: no live events (subscribe is not even tried)" \
    bash -c "! grep -q 'live events' '$WK_TMP/gtko.log'"
wk_signal TERM gtko
no_sanitizer "ward-gtk (unrelated user): no sanitizer report" "$WK_TMP/gtko.log"
exit $((WK_FAILED > 0))
