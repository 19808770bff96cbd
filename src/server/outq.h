/* SPDX-License-Identifier: ISC */
/* outq: a client's queue of outgoing lines. A line said to everyone is stored
 * once and shared by reference, so a room of 10,000 costs one copy of it. */
#ifndef TLSCHAT_OUTQ_H
#define TLSCHAT_OUTQ_H

#include <stddef.h>

struct msg {
    unsigned long refs;
    size_t len;
    char data[]; /* the line with its "\n" */
};

struct outq {
    struct msg **items; /* a ring */
    size_t head, count, cap;
    size_t off;   /* bytes of items[head] already sent */
    size_t bytes; /* bytes not yet sent */
};

/* A new message holding line + "\n", with one reference. NULL when out of memory. */
struct msg *msg_new(const char *line, size_t len);
void msg_unref(struct msg *m);

void outq_init(struct outq *q);
void outq_free(struct outq *q);
/* Takes a new reference to m. Returns 0, or -1 when out of memory. */
int outq_push(struct outq *q, struct msg *m);
/* Copy up to cap unsent bytes, from the front, into buf; returns how many. */
size_t outq_gather(const struct outq *q, char *buf, size_t cap);
/* n bytes from the front were sent. */
void outq_consume(struct outq *q, size_t n);

#endif
