/* SPDX-License-Identifier: ISC */
/* tui: tlschat's terminal interface (ncursesw), used when standard input and
 * standard output are both terminals. Arriving lines scroll in a window of
 * their own above a status line and the input line, which they never touch.
 * The session's poll loop stays in client.c: standard input is one more fd
 * there (tui_keys when it is readable), arriving lines come in through
 * tui_server_line, and what the user enters goes out through the hooks.
 * What tlschat writes to standard error meanwhile is caught and shown as
 * system lines (tui_end prints what was not yet shown to the real one). */
#ifndef TLSCHAT_TUI_H
#define TLSCHAT_TUI_H

#include <stddef.h>

struct tui;

struct tui_hooks {
    void *ctx;
    /* A line the user entered (UTF-8, no newline): to be sent. */
    void (*line)(void *ctx, const char *line, size_t len);
    /* Ctrl-D on an empty line, or Ctrl-C: leave. */
    void (*quit)(void *ctx);
};

/* 1 when a terminal interface is wanted: standard input and output are terminals. */
int tui_wanted(void);

/* Take over the terminal. server names it in the status line; color 0 for
 * none (--no-color; NO_COLOR is checked here too). NULL, with a sentence in
 * err, when the terminal cannot be used: the caller then keeps line mode. */
struct tui *tui_start(const char *server, int color, const struct tui_hooks *hooks, char *err, size_t errlen);

/* Give the terminal back; print to standard error what was written there and
 * not yet shown. */
void tui_end(struct tui *t);

/* A line from the server (sanitized, no newline). */
void tui_server_line(struct tui *t, const char *line, size_t len);

/* A line of tlschat's own (a notice, a question's answer): shown marked as such. */
void tui_system_line(struct tui *t, const char *text);

/* Status fields: how the server was verified and with what ("TLSv1.3,
 * verified by CA certs/ca.crt"), and the connection's state ("connected",
 * "closing", "reconnecting"...). Copied. */
void tui_set_security(struct tui *t, const char *text);
void tui_set_state(struct tui *t, const char *state);

/* Standard input is readable: take the keys there are. */
void tui_keys(struct tui *t);

/* Before waiting: show what was written to standard error, draw what changed. */
void tui_flush(struct tui *t);

#endif
