/* SPDX-License-Identifier: ISC */
/* history: the room's recent lines, in memory only (never on disk), for the
 * clients that opted in to resume (resume.c). One ring for the whole server,
 * bounded by count, bytes and age: what anyone can make it keep is bounded
 * globally, whoever says it. Each entry is a numbered line ("#SEQ text\n",
 * shared with the queues that carry it) and who may see it again: everyone
 * but its sender (a line to the room), or one session (a private line). */
#ifndef TLSCHAT_HISTORY_H
#define TLSCHAT_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "outq.h"

struct history_entry {
    uint64_t seq;
    uint64_t at_ms;   /* when it was said */
    uint64_t except;  /* session id that must not see it again (its sender), or 0 */
    uint64_t only;    /* session id that alone may see it (a private line), or 0: everyone */
    struct msg *line; /* "#SEQ text\n", one reference held here */
};

struct history {
    struct history_entry *ring;
    size_t cap;         /* max_lines slots */
    size_t head, count; /* oldest entry, number held */
    size_t bytes;       /* of the lines held */
    size_t max_bytes;
    uint64_t max_age_ms;
    uint64_t next_seq;  /* the number the next line gets (the first is 1) */
    /* Called for each entry as it is evicted (too many, too large, too old),
     * before its line is released: resume.c counts what away sessions miss. */
    void (*evicted)(void *ctx, const struct history_entry *e);
    void *ctx;
};

/* max_lines 0: no history (history_add numbers lines and keeps none).
 * Returns 0, or -1 when out of memory. */
int history_init(struct history *h, size_t max_lines, size_t max_bytes, uint64_t max_age_ms);
void history_free(struct history *h);

/* The number the next line will get. */
uint64_t history_next_seq(const struct history *h);

/* Keep line (its reference is taken: the caller keeps its own) under seq, which
 * must be history_next_seq(h) (the caller built "#SEQ ..." with it). Older
 * entries go when a bound is passed; a line larger than max_bytes alone is
 * numbered but not kept. */
void history_add(struct history *h, uint64_t seq, struct msg *line, uint64_t now_ms, uint64_t except,
                 uint64_t only);

/* Drop what is older than the age bound. */
void history_expire(struct history *h, uint64_t now_ms);

/* The oldest seq still held (history_next_seq when none is). */
uint64_t history_oldest(const struct history *h);

/* The i-th entry from the oldest (i < h->count). */
const struct history_entry *history_at(const struct history *h, size_t i);

/* Index of the first entry with seq > after (h->count when none). */
size_t history_find_after(const struct history *h, uint64_t after);

/* 1 when session sid may see e again. */
int history_visible(const struct history_entry *e, uint64_t sid);

#endif
