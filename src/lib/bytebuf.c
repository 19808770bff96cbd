/* SPDX-License-Identifier: ISC */
/* bytebuf: append at the back, consume from the front, slide before growing. */
#include "bytebuf.h"

#include <stdlib.h>
#include <string.h>

#define BYTEBUF_FIRST 256

void bytebuf_init(struct bytebuf *b)
{
    memset(b, 0, sizeof *b);
}

void bytebuf_free(struct bytebuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int bytebuf_append(struct bytebuf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (b->len + n > b->cap && b->start > 0) { /* reuse what was taken */
        memmove(b->data, b->data + b->start, bytebuf_size(b));
        b->len -= b->start;
        b->start = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : BYTEBUF_FIRST;
        while (cap < b->len + n)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
            return -1;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
    b->start += n < bytebuf_size(b) ? n : bytebuf_size(b);
    if (b->start == b->len)
        b->start = b->len = 0; /* all taken: start over at the front */
}
