/* SPDX-License-Identifier: ISC */
/* tui_signals: a signal that ends tlschat while the screen is up (kill, a
 * closed terminal window) must not leave the terminal raw, with no echo, on
 * the alternate screen. endwin() may not be called from a signal handler, so
 * the handler does only what is async-signal-safe: tcsetattr back to the
 * settings found at start, write(2) of terminfo's strings that leave the
 * alternate screen and show the cursor (looked up while curses was up), and
 * the signal raised again, to end the process as it would have (SA_RESETHAND).
 * The state is file-static because a signal handler can reach nothing else;
 * it is the program's, not the library's. */
#define _GNU_SOURCE
#include "tui_signals.h"

#include <curses.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

static const int ending[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
#define NENDING (sizeof ending / sizeof ending[0])

static struct termios found;
static int have_found;
static char leave[128]; /* rmcup, cnorm and sgr0, as this terminal spells them */
static size_t leave_len;
static struct sigaction before[NENDING];
static int armed;

static void give_back(int sig)
{
    if (have_found)
        tcsetattr(STDIN_FILENO, TCSANOW, &found);
    if (leave_len) {
        ssize_t n = write(STDOUT_FILENO, leave, leave_len);
        (void)n;
    }
    raise(sig); /* the handler was reset (and the signal not blocked): its default action ends us here */
}

void tui_signals_save_terminal(void)
{
    have_found = tcgetattr(STDIN_FILENO, &found) == 0;
}

static void add_cap(const char *name)
{
    const char *s = tigetstr(name);
    if (!s || (intptr_t)s == -1) /* absent, or not a string capability */
        return;
    size_t n = strlen(s);
    if (n + 1 <= sizeof leave - leave_len) {
        memcpy(leave + leave_len, s, n + 1);
        leave_len += n;
    }
}

void tui_signals_arm(void)
{
    leave_len = 0;
    add_cap("sgr0");
    add_cap("cnorm");
    add_cap("rmcup");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = give_back;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NENDING; i++)
        sigaction(ending[i], &sa, &before[i]);
    armed = 1;
}

void tui_signals_disarm(void)
{
    if (!armed)
        return;
    for (size_t i = 0; i < NENDING; i++)
        sigaction(ending[i], &before[i], NULL);
    armed = 0;
}
