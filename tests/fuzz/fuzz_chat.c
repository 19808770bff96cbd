/* SPDX-License-Identifier: ISC */
/* libFuzzer: arbitrary bytes from a client, through line framing and the chat
 * room, must never crash, and what others receive must be safe to print. An
 * input starting with 'C' is said in a crowd (joins and leaves wait for
 * chat_tick, which comes every few pieces). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "linebuf.h"

static void check_printable(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f || ch == '\n')
            abort(); /* a control character reached another user's terminal */
    }
}

static void f_send(void *ctx, struct chat_member *to, const char *line, size_t len)
{
    (void)ctx;
    (void)to;
    check_printable(line, len);
}

static void f_broadcast(void *ctx, const struct chat_member *except, const char *line, size_t len)
{
    (void)ctx;
    (void)except;
    check_printable(line, len);
}

static void f_quit(void *ctx, struct chat_member *m)
{
    chat_leave(ctx, m, "quit");
}

static const struct chat_ops ops = {f_send, f_broadcast, f_quit, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chat_room room;
    struct chat_member a, b, crowd[CHAT_CROWD];
    char why[160];
    int big = size > 0 && data[0] == 'C';
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(crowd, 0, sizeof crowd);
    chat_room_init(&room, size > 0 && data[0] == 'E' ? CHAT_MODE_ECHO : CHAT_MODE_CHAT, &ops, &room);
    for (size_t i = 0; big && i < CHAT_CROWD; i++)
        chat_join(&room, &crowd[i], NULL, why, sizeof why);
    chat_join(&room, &a, NULL, why, sizeof why);
    chat_join(&room, &b, "bob", why, sizeof why);
    struct linebuf lb;
    linebuf_init(&lb, 256);
    /* Feed in uneven pieces, as TCP would. */
    for (size_t off = 0; off < size;) {
        size_t n = 1 + data[off] % 37;
        if (n > size - off)
            n = size - off;
        linebuf_append(&lb, data + off, n);
        off += n;
        const char *line;
        size_t len;
        int r;
        while ((r = linebuf_next(&lb, &line, &len)) == 1 && a.joined) {
            char copy[300];
            memcpy(copy, line, len);
            chat_line(&room, &a, copy, len);
        }
        if (r == LINEBUF_TOO_LONG || !a.joined)
            break;
        if (big && off % 4 == 0)
            chat_tick(&room);
    }
    linebuf_free(&lb);
    chat_leave(&room, &a, "done");
    chat_leave(&room, &b, "done");
    for (size_t i = 0; big && i < CHAT_CROWD; i++)
        chat_leave(&room, &crowd[i], i % 2 ? "done" : NULL);
    chat_tick(&room);
    return 0;
}
