/* SPDX-License-Identifier: ISC */
/* tui_room: what the terminal interface learns from tlschatd's lines: our
 * own nick, how many are online, and the nicks seen (for Tab completion).
 * Pure logic: it only reads the lines it is given. */
#ifndef TLSCHAT_TUI_ROOM_H
#define TLSCHAT_TUI_ROOM_H

#include <stddef.h>

#define TUI_ROOM_NICK_MAX 32
#define TUI_ROOM_NICKS    512 /* nicks remembered for completion */

struct tui_room {
    char me[TUI_ROOM_NICK_MAX + 1];          /* "" until the welcome */
    long online;                             /* -1: not known */
    char nicks[TUI_ROOM_NICKS][TUI_ROOM_NICK_MAX + 1]; /* most recently seen first */
    const char *list[TUI_ROOM_NICKS];        /* pointers into nicks, for tui_input_complete */
    size_t count;
};

void tui_room_init(struct tui_room *r);

/* One line from the server (sanitized, without its newline). */
void tui_room_heard(struct tui_room *r, const char *line, size_t len);

/* The nick that said line ("<bob> hi", "*private* <bob> hi"): its offset and
 * length in line, or 0 when the line is not someone's message. */
size_t tui_room_speaker(const char *line, size_t len, size_t *at);

#endif
