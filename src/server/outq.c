/* SPDX-License-Identifier: ISC */
/* outq: a ring of shared, reference-counted messages. */
#include "outq.h"

#include <stdlib.h>
#include <string.h>

struct msg *msg_new(const char *line, size_t len)
{
    struct msg *m = malloc(sizeof *m + len + 1);
    if (!m)
        return NULL;
    m->refs = 1;
    m->len = len + 1;
    memcpy(m->data, line, len);
    m->data[len] = '\n';
    return m;
}

void msg_unref(struct msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

void outq_init(struct outq *q)
{
    memset(q, 0, sizeof *q);
}

void outq_free(struct outq *q)
{
    for (size_t i = 0; i < q->count; i++)
        msg_unref(q->items[(q->head + i) % q->cap]);
    free(q->items);
    memset(q, 0, sizeof *q);
}

int outq_push(struct outq *q, struct msg *m)
{
    if (q->count == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        struct msg **items = malloc(cap * sizeof(struct msg *));
        if (!items)
            return -1;
        for (size_t i = 0; i < q->count; i++)
            items[i] = q->items[(q->head + i) % q->cap];
        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
    }
    q->items[(q->head + q->count) % q->cap] = m;
    q->count++;
    q->bytes += m->len;
    m->refs++;
    return 0;
}

size_t outq_gather(const struct outq *q, char *buf, size_t cap)
{
    size_t n = 0, off = q->off;
    for (size_t i = 0; i < q->count && n < cap; i++) {
        const struct msg *m = q->items[(q->head + i) % q->cap];
        size_t take = m->len - off;
        if (take > cap - n)
            take = cap - n;
        memcpy(buf + n, m->data + off, take);
        n += take;
        off = 0;
    }
    return n;
}

void outq_consume(struct outq *q, size_t n)
{
    q->bytes -= n;
    while (n > 0 && q->count > 0) {
        struct msg *m = q->items[q->head];
        size_t left = m->len - q->off;
        if (n < left) {
            q->off += n;
            return;
        }
        n -= left;
        q->off = 0;
        q->head = (q->head + 1) % q->cap;
        q->count--;
        msg_unref(m);
    }
    if (q->count == 0 && q->cap > 64) { /* give back what a burst took */
        free(q->items);
        q->items = NULL;
        q->cap = q->head = 0;
    }
}
