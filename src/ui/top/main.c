/*
 * ward-top — Ward's terminal UI (`ward top`): programs with their
 * connections, traffic and verdicts, prompts answered inline, rules, the
 * log, alerts and listening sockets. docs/UI.md tells the keys.
 *
 *   ward-top [--socket PATH]     ($WARD_SOCKET, else /run/ward/control.sock)
 *
 * One poll loop over the control socket, the event ring's eventfd, the
 * traffic connection and the terminal; a second's timeout ticks the
 * countdowns, sparklines and status.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/top/top.h"

static struct top *the_top;

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: ward top [--socket PATH]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct top t = {.efd = -1, .tfd = -1};
    the_top = &t;
    t.sock = getenv("WARD_SOCKET");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            t.sock = argv[++i];
        else
            return usage();
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "ward top: needs a terminal\n");
        return 1;
    }
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    nodelay(stdscr, TRUE);
    t.dirty = true;
    int64_t last_tick = 0, last_draw = 0;
    while (!t.quit && !stop) {
        link_poll(&t);
        traffic_poll(&t);
        int64_t now = top_now_ms();
        if (now - last_tick >= 1000) {
            last_tick = now;
            model_tick(&t);
            t.dirty = true; /* countdowns */
        }
        /* At most 20 screens a second, however fast events come. */
        if (t.dirty && now - last_draw >= 50) {
            t.dirty = false;
            last_draw = now;
            draw(&t);
        }
        struct pollfd p[4] = {{STDIN_FILENO, POLLIN, 0},
                              {link_fd(&t), POLLIN, 0},
                              {t.rd ? t.efd : -1, POLLIN, 0},
                              {t.tfd, POLLIN, 0}};
        int wait = (int)(1000 - (top_now_ms() - last_tick));
        if (t.state != LINK_UP && t.retry_at_ms - now < wait)
            wait = (int)(t.retry_at_ms - now);
        if (t.dirty && wait > 50)
            wait = 50;
        if (poll(p, 4, wait < 0 ? 0 : wait) < 0)
            continue;
        if (p[0].revents & POLLIN) {
            int ch;
            while ((ch = getch()) != ERR)
                keys(&t, ch);
            last_draw = 0; /* a key is answered at once */
        }
        if (p[0].revents & (POLLHUP | POLLERR))
            break; /* the terminal went away */
        if (p[1].revents)
            link_readable(&t);
        if (p[2].revents && t.rd)
            link_ring_readable(&t);
        if (p[3].revents && t.tfd >= 0)
            traffic_readable(&t);
    }
    endwin();
    link_close(&t);
    free(t.tbuf);
    model_free(&t);
    return 0;
}
