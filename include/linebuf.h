/* SPDX-License-Identifier: ISC */
/* linebuf: bytes in, whole lines out. No I/O. */
#ifndef TLSCHAT_LINEBUF_H
#define TLSCHAT_LINEBUF_H

#include <stddef.h>

#include "bytebuf.h"

struct linebuf {
    struct bytebuf bytes; /* what is not yet returned as a line */
    size_t scanned;       /* bytes at the front already known to hold no '\n' */
    size_t max_line;      /* longest line accepted, without its "\n" or "\r\n" */
};

#define LINEBUF_TOO_LONG (-1)

void linebuf_init(struct linebuf *lb, size_t max_line);
void linebuf_free(struct linebuf *lb);

/* Append bytes. Returns 0, or -1 when out of memory. */
int linebuf_append(struct linebuf *lb, const void *data, size_t n);

/* Take the next whole line: 1 with line and len set (no "\n", no trailing "\r"; the
 * pointer lives until the next append), 0 when no whole line is held yet, or
 * LINEBUF_TOO_LONG when a line passes max_line (with or without its newline). */
int linebuf_next(struct linebuf *lb, const char **line, size_t *len);

/* The same as linebuf_next, but the line stays: the next call returns it again. */
int linebuf_peek(struct linebuf *lb, const char **line, size_t *len);

/* Bytes held that are not yet part of a returned line. */
size_t linebuf_pending(const struct linebuf *lb);

#endif
