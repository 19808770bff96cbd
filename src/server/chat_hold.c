/* SPDX-License-Identifier: ISC */
/* chat_hold: newcomers waiting for their first line before they join.
 *
 * A client that wants a nick sends "/nick NAME" as its first line. Were it
 * joined at once, the room would hear "* guest7 joined", then "* guest7 is
 * now bob", and the guest name would be the one everyone saw first. So a
 * newcomer without a certificate name is held: taken in (it holds a seat) but
 * not in the room, until its first line says who it is (chat_line, cmd_nick
 * in chat.c) or CHAT_HOLD_TICKS ticks of the room's timer pass. No timer of
 * its own: the held wait on a list in the order they came, and the room's
 * once-a-second tick admits those whose time is up. */
#include "chat.h"

#include <stddef.h>

void chat_hold(struct chat_room *r, struct chat_member *m)
{
    m->held = 1;
    m->held_ticks = 0;
    m->held_next = NULL;
    m->held_prev = r->last_held;
    if (r->last_held)
        r->last_held->held_next = m;
    else
        r->first_held = m;
    r->last_held = m;
    r->held++;
}

void chat_unhold(struct chat_room *r, struct chat_member *m)
{
    if (!m->held)
        return;
    if (m->held_prev)
        m->held_prev->held_next = m->held_next;
    else
        r->first_held = m->held_next;
    if (m->held_next)
        m->held_next->held_prev = m->held_prev;
    else
        r->last_held = m->held_prev;
    m->held_prev = m->held_next = NULL;
    m->held = 0;
    r->held--;
}

void chat_hold_tick(struct chat_room *r)
{
    /* The list is in the order they came: the oldest are first, and are
     * admitted (as guests) in that order. */
    struct chat_member *m = r->first_held;
    while (m) {
        struct chat_member *next = m->held_next;
        if (++m->held_ticks >= CHAT_HOLD_TICKS)
            chat_admit(r, m); /* takes it off the list */
        m = next;
    }
}
