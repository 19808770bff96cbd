/* SPDX-License-Identifier: ISC */
/* linebuf: bytes in, whole lines out, with a maximum line length. */
#include "linebuf.h"

#include <string.h>

void linebuf_init(struct linebuf *lb, size_t max_line)
{
    bytebuf_init(&lb->bytes);
    lb->scanned = 0;
    lb->max_line = max_line;
}

void linebuf_free(struct linebuf *lb)
{
    bytebuf_free(&lb->bytes);
    lb->scanned = 0;
}

int linebuf_append(struct linebuf *lb, const void *data, size_t n)
{
    return bytebuf_append(&lb->bytes, data, n);
}

/* The next line: 1 with its length up to the '\n' in *span, 0, or TOO_LONG. */
static int find_line(struct linebuf *lb, size_t *span)
{
    size_t held = bytebuf_size(&lb->bytes);
    if (held == 0)
        return 0;
    const char *begin = bytebuf_head(&lb->bytes);
    const char *nl = held > lb->scanned ? memchr(begin + lb->scanned, '\n', held - lb->scanned) : NULL;
    if (!nl) {
        lb->scanned = held;
        /* A line may end in "\r\n": one byte more is not yet too long. */
        return held > lb->max_line + 1 ? LINEBUF_TOO_LONG : 0;
    }
    lb->scanned = (size_t)(nl - begin); /* known to hold no '\n' before it */
    *span = (size_t)(nl - begin);
    return 1;
}

int linebuf_peek(struct linebuf *lb, const char **line, size_t *len)
{
    size_t n;
    int r = find_line(lb, &n);
    if (r != 1)
        return r;
    char *begin = bytebuf_head(&lb->bytes);
    if (n > 0 && begin[n - 1] == '\r')
        n--;
    if (n > lb->max_line)
        return LINEBUF_TOO_LONG;
    *line = begin;
    *len = n;
    return 1;
}

int linebuf_next(struct linebuf *lb, const char **line, size_t *len)
{
    size_t n;
    int r = find_line(lb, &n);
    if (r != 1)
        return r;
    char *begin = bytebuf_head(&lb->bytes);
    /* Consumed, but still in place until the next append: the line stays valid. */
    bytebuf_consume(&lb->bytes, n + 1);
    lb->scanned = 0;
    if (n > 0 && begin[n - 1] == '\r')
        n--;
    if (n > lb->max_line)
        return LINEBUF_TOO_LONG;
    *line = begin;
    *len = n;
    return 1;
}

size_t linebuf_pending(const struct linebuf *lb)
{
    return bytebuf_size(&lb->bytes);
}
