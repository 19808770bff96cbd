/* SPDX-License-Identifier: ISC */
/* bytebuf: a growable run of bytes, appended at the back and taken from the
 * front. What was taken is reused before the buffer grows. No I/O. */
#ifndef TLSCHAT_BYTEBUF_H
#define TLSCHAT_BYTEBUF_H

#include <stddef.h>

struct bytebuf {
    char *data;
    size_t start; /* bytes before start were taken */
    size_t len;   /* bytes [start, len) are held */
    size_t cap;
};

void bytebuf_init(struct bytebuf *b);
void bytebuf_free(struct bytebuf *b);

/* Returns 0, or -1 when out of memory (b unchanged). */
int bytebuf_append(struct bytebuf *b, const void *p, size_t n);

/* n bytes from the front are done with. */
void bytebuf_consume(struct bytebuf *b, size_t n);

/* The bytes held: bytebuf_size of them from bytebuf_head. */
static inline size_t bytebuf_size(const struct bytebuf *b)
{
    return b->len - b->start;
}

static inline char *bytebuf_head(const struct bytebuf *b)
{
    return b->data ? b->data + b->start : NULL;
}

#endif
