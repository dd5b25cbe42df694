#!/bin/bash
# `ward top` against the real wardd, in tmux: prompts appear inline as they
# come and are answered by keys (allow, this host, forever, pinned); wardd
# applies the answer and the pin, the connection goes through, and the rule
# shows in the rules view; a second prompt stays answerable while the first
# is open; rules are added, edited and deleted; the log is searched; each
# view is drawn (a text capture of each is saved under test-logs/ui); the
# screen follows a resize; wardd restarts and ward top says it reconnected.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/lib-top.sh"

ward_policy <<CONF
set mode ask
set prompt-timeout 60s default deny
set no-prompter block
app "$A" {
    allow out tcp port 8080
}
CONF
serve_b 100
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }

wk_check "ward top runs ward-top (its usage for a bad option)" \
    bash -c "'$WARD' top --bogus 2>&1 | grep -q 'usage: ward top'"
top_start main || { wk_notok "ward top starts"; exit 1; }
wk_check "ward top connects to wardd as an admin, with the live event ring" \
    screen_wait main "connected \(admin\).*events: live"
wk_check "wardd answers the traffic messages: ward top says its figures are live" \
    screen_wait main "traffic: live"

# An allowed program's decision arrives on the ring and its program shows.
conn "$A" >/dev/null
wk_check "programs: a decision of an allowed program shows up live" screen_wait main "allowed/wk-client"

# Two programs wait on prompts at once; both show inline, with a countdown.
wk_bg cq wk_client "$Q" tcp4 $IP_B 8080 50
wk_check "prompt: the first prompt appears inline with its countdown" \
    screen_wait main "prompt [0-9]+ +$Q .*port 8080 tcp +[0-9]+s left"
wk_bg co wk_client "$O" tcp4 $IP_B 8080 50
wk_check "prompt: a second prompt appears while the first is pending" \
    screen_wait main "prompt [0-9]+ +$O "
save main top-programs

# Open an answer to the first, leave it, answer the second: the first stays
# pending and answerable.
keys main 2
keys main a
wk_check "prompts view: the answer form opens for the first prompt" \
    screen_wait main "answer prompt [0-9]+: ALLOW, this host, once"
save main top-prompts
keys main Escape
keys main Down
keys main d o Enter
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
wk_check "two prompts: answering the second (deny once) leaves the first pending" \
    [ "$(status prompts_pending)" = 1 ]
wait "$WK_PID_co" 2>/dev/null
wk_check "two prompts: the denied program did not connect" bash -c "! grep -qx ok '$WK_TMP/co.log'"
wk_check "two prompts: the first is still on the screen" screen_wait main "prompt [0-9]+ +$Q "

# The first: allow, this host, forever, pinned to the binary's digest.
keys main Up
keys main a h f i
wk_check "answer form: allow, this host, forever, pinned" \
    screen_wait main "answer prompt [0-9]+: ALLOW, this host, forever, pinned to this binary's digest"
keys main Enter
wait "$WK_PID_cq" 2>/dev/null
wk_check "answer: the held connection went through" grep -qx ok "$WK_TMP/cq.log"
wk_check "answer: wardd learned it (learned rules file)" \
    grep -q "app \"$Q\"" "$WK_TMP/state/learned.rules"
wk_check "answer: the program is pinned to its binary's digest (learned rules file)" \
    grep -q "app \"$Q\" sha256 $(sha256sum "$Q" | cut -c1-64)" "$WK_TMP/state/learned.rules"
wk_check "answer: the next connection passes without a prompt" [ "$(conn "$Q" 5)" = ok ]
wk_check "answer: the prompt is gone from the screen" screen_lacks main "prompt [0-9]+ +$Q "

keys main 3
wk_check "rules view: the learned rule is listed (allow to the host, port 8080)" \
    screen_wait main "$Q +allow out tcp port 8080 to $IP_B.*learned"
counted() {
    local i
    for ((i = 0; i < 30; i++)); do
        keys main r
        screen main | grep -qE "^[0-9]+ +[1-9][0-9]* +$Q +allow out tcp port 8080" && return 0
    done
    return 1
}
wk_check "rules view: it shows how often it decided (the connection after the answer)" counted
save main top-rules

# Rules: add one by text, then delete it (root is an admin).
keys main n
tmx send-keys -t main -l "$O deny out udp port 9999 until-restart"
keys main Enter
wk_check "rules view: a rule added by text is listed" screen_wait main "$O +deny out udp port 9999"
wk_check "rules view: ... and wardd holds it" bash -c "'$WARD' rules list | grep -q 'port 9999'"
# Edit it: the form holds the rule's text; the edited rule replaces it.
rid=$("$WARD" rules list | awk '/port 9999/ {print $1; exit}')
idx=$("$WARD" rules list | awk '{print $1}' | grep -n "^$rid$" | cut -d: -f1)
keys main g
for ((i = 1; i < idx; i++)); do keys main Down; done
keys main e
wk_check "rules view: edit shows the rule as text" \
    screen_wait main "edit rule: $O deny out udp port 9999 until-restart_"
for ((i = 0; i < 18; i++)); do tmx send-keys -t main BSpace; done
tmx send-keys -t main -l "9997 until-restart"
keys main Enter
edited() { "$WARD" rules list | grep -q 'port 9997' && ! "$WARD" rules list | grep -q 'port 9999'; }
for _ in $(seq 200); do edited && break; sleep 0.1; done
wk_check "rules view: the edited rule replaced the old one" edited
wk_check "rules view: ... and is listed" screen_wait main "$O +deny out udp port 9997"
# Delete it (selected in wardd's order).
rid=$("$WARD" rules list | awk '/port 9997/ {print $1; exit}')
idx=$("$WARD" rules list | awk '{print $1}' | grep -n "^$rid$" | cut -d: -f1)
keys main g
for ((i = 1; i < idx; i++)); do keys main Down; done
keys main x
wk_check "rules view: delete asks first" screen_wait main "delete rule $rid\? y/n"
keys main y
for _ in $(seq 200); do "$WARD" rules list | grep -q 'port 9997' || break; sleep 0.1; done
wk_check "rules view: the rule is deleted" bash -c "! '$WARD' rules list | grep -q 'port 9997'"

keys main 4
wk_check "log view: the decisions are listed with what decided them" \
    screen_wait main "permit .*$Q .*by app-rule"
keys main /
tmx send-keys -t main -l "verdict=block"
keys main Enter
wk_check "log view: a search narrows the rows (verdict=block)" screen_wait main "search: verdict=block"
wk_check "log view: ... to blocks only" screen_lacks main "^[0-9:]+ permit"
save main top-log
keys main 5
wk_check "alerts view is drawn" screen_wait main "-- Alerts --"
save main top-alerts
wk_bg lis nsenter --net=/run/netns/$NS_A "$WK_CLIENT" listen-tcp 9090
wk_wait_for "$WK_TMP/lis.log" listening
keys main 6
wk_check "listening view: a program listening on host A is listed with its port" \
    screen_wait main "wk-client +[0-9]+ root +tcp6? +[0-9a-f:.]+:9090"
save main top-listening
keys main 1
keys main s
sorted_by_name() {
    local s
    s=$(screen main)
    grep -q "sort:name" <<<"$s" &&
        [ "$(grep -v ' chain: ' <<<"$s" | grep -o '/allowed/\|/asked/\|/other/' | head -3 | tr '\n' ' ')" = \
            "/allowed/ /asked/ /other/ " ]
}
wk_check "programs view: s sorts (by name: allowed, asked, other)" sorted_by_name
keys main /
tmx send-keys -t main -l "asked"
keys main Enter
wk_check "programs view: the filter keeps matching programs" screen_lacks main "allowed/wk-client"
# The program runs (as a server on host A): its process tree shows.
wk_bg lisq nsenter --net=/run/netns/$NS_A "$Q" listen-tcp 9091
wk_wait_for "$WK_TMP/lisq.log" listening
keys main Enter
drilled() {
    screen_wait main "PROCESS TREE" && screen_wait main "^RULES" &&
        screen_wait main "allow out tcp port 8080 to $IP_B" &&
        screen_wait main "^RECENT LOG" && screen_wait main "[0-9]+ wk-client +<- $Q"
}
wk_check "drill-in: the program's connections, rules, log and process tree" drilled
save main top-program
keys main Escape
keys main /
keys main BSpace BSpace BSpace BSpace BSpace Enter
tmx resize-window -t main -x 120 -y 30
sleep 0.5
resized() {
    local s i
    for ((i = 0; i < 200; i++)); do
        s=$(screen main)
        [ "$(wc -l <<<"$s")" = 30 ] && sed -n 30p <<<"$s" | grep -q "q quit" &&
            head -1 <<<"$s" | grep -q "ward top" && return 0
        sleep 0.1
    done
    sed 's/^/#   /' <<<"$s" >&2
    return 1
}
wk_check "resize: ward top redraws to the new size (status line on row 30)" resized

# wardd restarts: ward top says it reconnected and takes prompts again.
stop_wardd wardd1
wk_check "restart: ward top says wardd went away" screen_wait main "not connected|went away"
start_wardd wardd2 || wk_notok "wardd restarts"
wk_check "restart: ward top says it reconnected" screen_wait main "wardd restarted: reconnected" 20
wk_bg cr wk_client "$O" tcp4 $IP_B 8080 50
wk_check "restart: prompts of the new wardd appear" screen_wait main "prompt [0-9]+ +$O "
keys main 2 a p x Enter
wait "$WK_PID_cr" 2>/dev/null
wk_check "restart: answered (allow, this port, until exit) and the connection went through" \
    grep -qx ok "$WK_TMP/cr.log"
wk_check "ward top quits on q" top_quit main
stop_wardd wardd2
no_sanitizer "ward top and wardd ran without a sanitizer report" "$WK_TMP"/wardd1.log \
    "$WK_TMP"/wardd2.log $(ls "$WK_TMP"/asan/* 2>/dev/null) /dev/null
exit 0
