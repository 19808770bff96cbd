/* SPDX-License-Identifier: ISC */
#ifndef TLSCHAT_TUI_SIGNALS_H
#define TLSCHAT_TUI_SIGNALS_H

/* Before curses takes the terminal: note how it is now. */
void tui_signals_save_terminal(void);
/* Once curses has it: a SIGTERM, SIGHUP, SIGINT or SIGQUIT from outside gives
 * the terminal back as it was found before it ends tlschat. */
void tui_signals_arm(void);
/* The screen is given back: those signals act as before. */
void tui_signals_disarm(void);

#endif
