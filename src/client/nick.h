/* SPDX-License-Identifier: ISC */
/* nick: the first lines of a session. With --nick, tlschat's first line is
 * "/nick NAME"; tlschatd holds a newcomer out of the room until that line
 * (src/server/chat_hold.c), so the room hears "* NAME joined" and never a
 * guest name. The server's first answer is the verdict: its welcome (the nick
 * is ours), or a "! " line (taken, or not a nick: the hold goes on, and on a
 * terminal the next choice, NAME_, then NAME__, is tried). A server that is
 * not tlschatd answers something else, or nothing: that is taken as yes.
 * Pure logic: no I/O. */
#ifndef TLSCHAT_CLIENT_NICK_H
#define TLSCHAT_CLIENT_NICK_H

#include <stddef.h>

#define NICK_MAX   32 /* tlschatd's CHAT_NICK_MAX */
#define NICK_TRIES 3  /* NAME, NAME_, NAME__: within the server's burst of nick changes */

enum nick_verdict {
    NICK_ACCEPTED, /* the welcome, or a server that does not hold nicks */
    NICK_TAKEN,    /* "! the nick NAME is taken": another may do */
    NICK_REFUSED,  /* any other "! " line: another try would fare no better */
};

struct nick_choice {
    char base[NICK_MAX + 1];
    char current[NICK_MAX + 1]; /* the name asked for last */
    int tries;                  /* names asked for so far */
};

void nick_choice_init(struct nick_choice *n, const char *base);

/* The next name to ask for into n->current: 1, or 0 when NICK_TRIES were
 * asked for (or the name cannot grow). */
int nick_choice_next(struct nick_choice *n);

/* What the server's first line after "/nick NAME" says. */
enum nick_verdict nick_verdict_of(const char *line, size_t len);

#endif
