/* linebuf: bytes in, whole lines out, with a maximum line length. */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

void linebuf_init(struct linebuf *lb, size_t max_line)
{
    memset(lb, 0, sizeof *lb);
    lb->max_line = max_line;
}

void linebuf_free(struct linebuf *lb)
{
    free(lb->buf);
    memset(lb, 0, sizeof *lb);
}

int linebuf_append(struct linebuf *lb, const void *data, size_t n)
{
    if (lb->start > 0 && lb->start == lb->len) {
        lb->start = lb->len = lb->scanned = 0; /* everything taken: start over */
    }
    if (lb->len + n > lb->cap) {
        if (lb->start > 0) { /* drop what was taken before growing */
            memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
            lb->len -= lb->start;
            lb->start = 0;
        }
        if (lb->len + n > lb->cap) {
            size_t cap = lb->cap ? lb->cap : 256;
            while (cap < lb->len + n)
                cap *= 2;
            char *p = realloc(lb->buf, cap);
            if (!p)
                return -1;
            lb->buf = p;
            lb->cap = cap;
        }
    }
    memcpy(lb->buf + lb->len, data, n);
    lb->len += n;
    return 0;
}

int linebuf_next(struct linebuf *lb, const char **line, size_t *len)
{
    size_t held = lb->len - lb->start;
    if (held == 0)
        return 0;
    char *begin = lb->buf + lb->start;
    char *nl = held > lb->scanned ? memchr(begin + lb->scanned, '\n', held - lb->scanned) : NULL;
    if (!nl) {
        lb->scanned = held;
        /* A line may end in "\r\n": one byte more is not yet too long. */
        return held > lb->max_line + 1 ? LINEBUF_TOO_LONG : 0;
    }
    size_t n = (size_t)(nl - begin);
    lb->start += n + 1;
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
    return lb->len - lb->start;
}
