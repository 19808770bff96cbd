/* SPDX-License-Identifier: ISC */
/* peer_lists: the two lists the server keeps of its clients besides the list of
 * all of them: those with work for the end of this round (the dirty list), and
 * those still handshaking, oldest first (the first to give way). */
#include "server_state.h"

/* ---- the dirty list: clients with work for the end of this round ---- */

void mark_dirty(struct client *c)
{
    struct server *s = c->srv;
    if (c->dirty)
        return;
    c->dirty = 1;
    c->dirty_next = NULL;
    c->dirty_prev = s->dirty_tail;
    if (s->dirty_tail)
        s->dirty_tail->dirty_next = c;
    else
        s->dirty_head = c;
    s->dirty_tail = c;
    s->ndirty++;
}

void unmark_dirty_in(struct server *s, struct client *c)
{
    if (!c->dirty)
        return;
    if (c->dirty_prev)
        c->dirty_prev->dirty_next = c->dirty_next;
    else
        s->dirty_head = c->dirty_next;
    if (c->dirty_next)
        c->dirty_next->dirty_prev = c->dirty_prev;
    else
        s->dirty_tail = c->dirty_prev;
    c->dirty = 0;
    c->dirty_prev = c->dirty_next = NULL;
    s->ndirty--;
}

void unmark_dirty(struct client *c)
{
    unmark_dirty_in(c->srv, c);
}

/* ---- handshakes in progress, oldest first ---- */

void handshake_begins(struct client *c)
{
    struct server *s = c->srv;
    c->hs_next = NULL;
    c->hs_prev = s->hs_tail;
    if (s->hs_tail)
        s->hs_tail->hs_next = c;
    else
        s->hs_head = c;
    s->hs_tail = c;
    s->nhandshaking++;
    c->from->handshakes++;
}

void handshake_ends(struct client *c)
{
    struct server *s = c->srv;
    if (c->state != HANDSHAKING)
        return;
    if (c->hs_prev)
        c->hs_prev->hs_next = c->hs_next;
    else
        s->hs_head = c->hs_next;
    if (c->hs_next)
        c->hs_next->hs_prev = c->hs_prev;
    else
        s->hs_tail = c->hs_prev;
    c->hs_prev = c->hs_next = NULL;
    s->nhandshaking--;
    c->from->handshakes--;
}
