/* SPDX-License-Identifier: ISC */
/* tui_room: our nick, the head count and the nicks seen, from the server's lines. */
#include "tui_room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void tui_room_init(struct tui_room *r)
{
    memset(r, 0, sizeof *r);
    r->online = -1;
}

static int is_nick_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The length of the nick at s (at most len bytes), 0 when there is none. */
static size_t nick_len(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && n <= TUI_ROOM_NICK_MAX && is_nick_char(s[n]))
        n++;
    return n > TUI_ROOM_NICK_MAX ? 0 : n;
}

static void relist(struct tui_room *r)
{
    for (size_t i = 0; i < r->count; i++)
        r->list[i] = r->nicks[i];
}

static void forget(struct tui_room *r, const char *nick, size_t len)
{
    for (size_t i = 0; i < r->count; i++) {
        if (strlen(r->nicks[i]) == len && strncasecmp(r->nicks[i], nick, len) == 0) {
            memmove(r->nicks[i], r->nicks[i + 1], (r->count - i - 1) * sizeof r->nicks[0]);
            r->count--;
            break;
        }
    }
    relist(r);
}

/* Seen now: to the front (the most recently seen complete first). */
static void seen(struct tui_room *r, const char *nick, size_t len)
{
    if (len == 0 || len > TUI_ROOM_NICK_MAX)
        return;
    forget(r, nick, len);
    if (r->count == TUI_ROOM_NICKS)
        r->count--;
    memmove(r->nicks[1], r->nicks[0], r->count * sizeof r->nicks[0]);
    memcpy(r->nicks[0], nick, len);
    r->nicks[0][len] = '\0';
    r->count++;
    relist(r);
}

static int starts(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

static int ends(const char *line, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(line + len - n, suffix, n) == 0;
}

size_t tui_room_speaker(const char *line, size_t len, size_t *at)
{
    size_t from = starts(line, len, "*private* <") ? 11 : starts(line, len, "*private* to <") ? 14
                  : starts(line, len, "<") ? 1 : 0;
    if (from == 0)
        return 0;
    size_t n = nick_len(line + from, len - from);
    if (n == 0 || from + n >= len || line[from + n] != '>')
        return 0;
    *at = from;
    return n;
}

/* "N" at s as a count, or -1. */
static long count_at(const char *s, size_t len)
{
    long n = 0;
    size_t i = 0;
    while (i < len && i < 9 && s[i] >= '0' && s[i] <= '9')
        n = n * 10 + (s[i++] - '0');
    return i == 0 ? -1 : n;
}

void tui_room_heard(struct tui_room *r, const char *line, size_t len)
{
    size_t at, n;
    if ((n = tui_room_speaker(line, len, &at)) > 0) {
        seen(r, line + at, n);
    } else if (starts(line, len, "* welcome, ")) {
        n = nick_len(line + 11, len - 11);
        if (n > 0) {
            memcpy(r->me, line + 11, n);
            r->me[n] = '\0';
        }
        const char *on = memchr(line, ':', len);
        if (on && (size_t)(on - line) + 2 < len)
            r->online = count_at(on + 2, len - (size_t)(on - line) - 2);
    } else if (starts(line, len, "*   ")) { /* a /who entry */
        n = nick_len(line + 4, len - 4);
        if (n > 0 && !ends(line, len, "(you)"))
            seen(r, line + 4, n);
    } else if (starts(line, len, "* ") && len > 2) {
        long k = count_at(line + 2, len - 2);
        n = nick_len(line + 2, len - 2);
        const char *rest = line + 2 + n;
        size_t rlen = len - 2 - n;
        if (k >= 0 && ends(line, len, " online:")) {
            r->online = k;
        } else if (k > 0 && starts(rest, rlen, " joined: ")) {
            r->online += r->online >= 0 ? k : 0;
        } else if (k > 0 && starts(rest, rlen, " left: ")) {
            r->online -= r->online >= k ? k : 0;
        } else if (n > 0 && rlen == 7 && starts(rest, rlen, " joined")) {
            seen(r, line + 2, n);
            r->online += r->online >= 0 ? 1 : 0;
        } else if (n > 0 && starts(rest, rlen, " left (")) {
            forget(r, line + 2, n);
            r->online -= r->online > 0 ? 1 : 0;
        } else if (n > 0 && starts(rest, rlen, " is now ")) {
            size_t m = nick_len(rest + 8, rlen - 8);
            if (m > 0 && m == rlen - 8) {
                if (strlen(r->me) == n && memcmp(r->me, line + 2, n) == 0) {
                    memcpy(r->me, rest + 8, m);
                    r->me[m] = '\0';
                }
                forget(r, line + 2, n);
                seen(r, rest + 8, m);
            }
        }
    }
}
