/* SPDX-License-Identifier: ISC */
/* history: a ring of numbered lines bounded by count, bytes and age. */
#include "history.h"

#include <stdlib.h>
#include <string.h>

int history_init(struct history *h, size_t max_lines, size_t max_bytes, uint64_t max_age_ms)
{
    memset(h, 0, sizeof *h);
    h->next_seq = 1;
    h->max_bytes = max_bytes;
    h->max_age_ms = max_age_ms;
    if (max_lines == 0)
        return 0;
    h->ring = calloc(max_lines, sizeof *h->ring);
    if (!h->ring)
        return -1;
    h->cap = max_lines;
    return 0;
}

/* The oldest entry goes. */
static void evict(struct history *h)
{
    struct history_entry *e = &h->ring[h->head];
    if (h->evicted)
        h->evicted(h->ctx, e);
    h->bytes -= e->line->len;
    msg_unref(e->line);
    memset(e, 0, sizeof *e);
    h->head = (h->head + 1) % h->cap;
    h->count--;
}

void history_free(struct history *h)
{
    while (h->count > 0) {
        struct history_entry *e = &h->ring[h->head];
        msg_unref(e->line);
        h->head = (h->head + 1) % h->cap;
        h->count--;
    }
    free(h->ring);
    memset(h, 0, sizeof *h);
}

uint64_t history_next_seq(const struct history *h)
{
    return h->next_seq;
}

void history_add(struct history *h, uint64_t seq, struct msg *line, uint64_t now_ms, uint64_t except,
                 uint64_t only)
{
    h->next_seq = seq + 1;
    if (h->cap == 0)
        return;
    if (line->len > h->max_bytes) {
        /* Too large to keep: let go at once, and told like any line let go,
         * so that the sessions away count it as missed. */
        struct history_entry gone = {.seq = seq, .at_ms = now_ms, .except = except, .only = only, .line = line};
        if (h->evicted)
            h->evicted(h->ctx, &gone);
        return;
    }
    while (h->count > 0 && (h->count == h->cap || h->bytes + line->len > h->max_bytes))
        evict(h);
    struct history_entry *e = &h->ring[(h->head + h->count) % h->cap];
    e->seq = seq;
    e->at_ms = now_ms;
    e->except = except;
    e->only = only;
    e->line = line;
    line->refs++;
    h->bytes += line->len;
    h->count++;
}

void history_expire(struct history *h, uint64_t now_ms)
{
    while (h->count > 0 && now_ms - h->ring[h->head].at_ms > h->max_age_ms)
        evict(h);
}

uint64_t history_oldest(const struct history *h)
{
    return h->count > 0 ? h->ring[h->head].seq : h->next_seq;
}

const struct history_entry *history_at(const struct history *h, size_t i)
{
    return &h->ring[(h->head + i) % h->cap];
}

size_t history_find_after(const struct history *h, uint64_t after)
{
    /* Numbers rise along the ring (with gaps for lines not kept): bisect. */
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (history_at(h, mid)->seq <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int history_visible(const struct history_entry *e, uint64_t sid)
{
    return e->except != sid && (e->only == 0 || e->only == sid);
}
