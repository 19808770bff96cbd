/* SPDX-License-Identifier: ISC */
/* tui_input: editing, history and completion of the line being typed. */
#include "tui_input.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

void tui_input_init(struct tui_input *in)
{
    memset(in, 0, sizeof *in);
}

void tui_input_free(struct tui_input *in)
{
    for (size_t i = 0; i < in->nhistory; i++)
        free(in->history[i]);
    memset(in, 0, sizeof *in);
}

/* An edit: the line is the user's own again (not a history line being
 * looked at), and a completion cycle ends. */
static void edited(struct tui_input *in)
{
    in->browsing = in->nhistory;
    in->completing = 0;
}

static void set_line(struct tui_input *in, const wchar_t *s)
{
    size_t n = wcslen(s);
    if (n > TUI_INPUT_MAX)
        n = TUI_INPUT_MAX;
    wmemcpy(in->buf, s, n);
    in->buf[n] = L'\0';
    in->len = in->cur = n;
}

/* Remove the characters [from, to). */
static void cut(struct tui_input *in, size_t from, size_t to)
{
    wmemmove(in->buf + from, in->buf + to, in->len - to + 1);
    in->len -= to - from;
    in->cur = from;
}

int tui_input_insert(struct tui_input *in, wchar_t c)
{
    if (in->len >= TUI_INPUT_MAX || c == L'\0')
        return 0;
    wmemmove(in->buf + in->cur + 1, in->buf + in->cur, in->len - in->cur + 1);
    in->buf[in->cur++] = c;
    in->len++;
    edited(in);
    return 1;
}

int tui_input_backspace(struct tui_input *in)
{
    if (in->cur == 0)
        return 0;
    cut(in, in->cur - 1, in->cur);
    edited(in);
    return 1;
}

int tui_input_delete(struct tui_input *in)
{
    if (in->cur >= in->len)
        return 0;
    cut(in, in->cur, in->cur + 1);
    edited(in);
    return 1;
}

static int move_to(struct tui_input *in, size_t at)
{
    in->completing = 0;
    if (at == in->cur)
        return 0;
    in->cur = at;
    return 1;
}

int tui_input_left(struct tui_input *in)
{
    return in->cur > 0 ? move_to(in, in->cur - 1) : 0;
}

int tui_input_right(struct tui_input *in)
{
    return in->cur < in->len ? move_to(in, in->cur + 1) : 0;
}

int tui_input_home(struct tui_input *in)
{
    return move_to(in, 0);
}

int tui_input_end(struct tui_input *in)
{
    return move_to(in, in->len);
}

int tui_input_kill_before(struct tui_input *in)
{
    if (in->cur == 0)
        return 0;
    cut(in, 0, in->cur);
    edited(in);
    return 1;
}

int tui_input_kill_word(struct tui_input *in)
{
    size_t at = in->cur;
    while (at > 0 && iswspace((wint_t)in->buf[at - 1]))
        at--;
    while (at > 0 && !iswspace((wint_t)in->buf[at - 1]))
        at--;
    if (at == in->cur)
        return 0;
    cut(in, at, in->cur);
    edited(in);
    return 1;
}

int tui_input_kill_after(struct tui_input *in)
{
    if (in->cur >= in->len)
        return 0;
    in->buf[in->cur] = L'\0';
    in->len = in->cur;
    edited(in);
    return 1;
}

/* ---- history ---- */

static void show_history(struct tui_input *in, size_t at)
{
    if (in->browsing == in->nhistory) /* leaving the draft: keep it */
        wmemcpy(in->draft, in->buf, in->len + 1);
    in->browsing = at;
    set_line(in, at == in->nhistory ? in->draft : in->history[at]);
    in->completing = 0;
}

int tui_input_older(struct tui_input *in)
{
    if (in->browsing == 0)
        return 0;
    show_history(in, in->browsing - 1);
    return 1;
}

int tui_input_newer(struct tui_input *in)
{
    if (in->browsing >= in->nhistory)
        return 0;
    size_t at = in->browsing + 1;
    in->browsing = at; /* not the draft's slot until it is shown */
    set_line(in, at == in->nhistory ? in->draft : in->history[at]);
    in->completing = 0;
    return 1;
}

static void remember(struct tui_input *in)
{
    if (in->len == 0)
        return;
    if (in->nhistory > 0 && wcscmp(in->history[in->nhistory - 1], in->buf) == 0)
        return;
    wchar_t *copy = malloc((in->len + 1) * sizeof *copy);
    if (!copy)
        return; /* out of memory: the line is sent, only not remembered */
    wmemcpy(copy, in->buf, in->len + 1);
    if (in->nhistory == TUI_HISTORY) {
        free(in->history[0]);
        memmove(in->history, in->history + 1, (TUI_HISTORY - 1) * sizeof in->history[0]);
        in->nhistory--;
    }
    in->history[in->nhistory++] = copy;
}

size_t tui_input_take(struct tui_input *in, char *out, size_t cap)
{
    size_t n = tui_wide_to_utf8(in->buf, in->len, out, cap);
    remember(in);
    in->buf[0] = L'\0';
    in->len = in->cur = 0;
    in->draft[0] = L'\0';
    edited(in);
    return n;
}

/* ---- completion ---- */

/* 1 when word (ASCII, as nicks and commands are) starts with prefix, in any case. */
static int matches(const char *word, const char *prefix)
{
    return strncasecmp(word, prefix, strlen(prefix)) == 0;
}

int tui_input_complete(struct tui_input *in, const char *const *nicks, size_t nnicks, const char *const *commands,
                       size_t ncommands)
{
    if (!in->completing) {
        size_t start = in->cur;
        while (start > 0 && !iswspace((wint_t)in->buf[start - 1]))
            start--;
        size_t plen = in->cur - start;
        if (plen >= sizeof in->comp_prefix)
            return 0;
        for (size_t i = 0; i < plen; i++) {
            if (in->buf[start + i] > 0x7e || in->buf[start + i] < 0x20)
                return 0; /* nicks and commands are ASCII */
            in->comp_prefix[i] = (char)in->buf[start + i];
        }
        in->comp_prefix[plen] = '\0';
        in->comp_start = start;
        in->comp_next = 0;
    }
    int command = in->comp_start == 0 && in->comp_prefix[0] == '/';
    const char *const *words = command ? commands : nicks;
    size_t nwords = command ? ncommands : nnicks;
    size_t nmatch = 0;
    for (size_t i = 0; i < nwords; i++)
        nmatch += matches(words[i], in->comp_prefix);
    if (nmatch == 0)
        return 0;
    size_t want = in->comp_next % nmatch, k = 0;
    const char *pick = NULL;
    for (size_t i = 0; i < nwords && !pick; i++)
        if (matches(words[i], in->comp_prefix) && k++ == want)
            pick = words[i];
    if (!pick)
        return 0;
    /* Replace the word (and what an earlier Tab added) with the pick. */
    wchar_t repl[96];
    size_t n = 0;
    for (const char *c = pick; *c && n < 90; c++)
        repl[n++] = (wchar_t)(unsigned char)*c;
    if (!command && in->comp_start == 0)
        repl[n++] = L':';
    repl[n++] = L' ';
    if (in->len - (in->cur - in->comp_start) + n > TUI_INPUT_MAX)
        return 0;
    cut(in, in->comp_start, in->cur);
    wmemmove(in->buf + in->cur + n, in->buf + in->cur, in->len - in->cur + 1);
    wmemcpy(in->buf + in->cur, repl, n);
    in->len += n;
    in->cur += n;
    in->browsing = in->nhistory;
    in->completing = 1;
    in->comp_next = want + 1;
    return 1;
}

/* ---- UTF-8 ---- */

size_t tui_utf8_to_wide(const char *s, size_t len, wchar_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t n = 0;
    while (p < end && n + 1 < cap) {
        unsigned c = *p;
        size_t extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
        if (extra == 4 || (size_t)(end - p) <= extra) {
            out[n++] = 0xfffd;
            p++;
            continue;
        }
        unsigned cp = extra == 0 ? c : c & (0x3fu >> extra);
        size_t i;
        for (i = 1; i <= extra && (p[i] & 0xc0) == 0x80; i++)
            cp = (cp << 6) | (p[i] & 0x3fu);
        if (i <= extra) { /* a sequence cut short */
            out[n++] = 0xfffd;
            p++;
            continue;
        }
        out[n++] = (wchar_t)cp;
        p += extra + 1;
    }
    out[n] = L'\0';
    return n;
}

size_t tui_wide_to_utf8(const wchar_t *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned long c = (unsigned long)s[i];
        unsigned char b[4];
        size_t k;
        if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            c = 0xfffd;
        if (c < 0x80) {
            b[0] = (unsigned char)c;
            k = 1;
        } else if (c < 0x800) {
            b[0] = (unsigned char)(0xc0 | (c >> 6));
            b[1] = (unsigned char)(0x80 | (c & 0x3f));
            k = 2;
        } else if (c < 0x10000) {
            b[0] = (unsigned char)(0xe0 | (c >> 12));
            b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
            b[2] = (unsigned char)(0x80 | (c & 0x3f));
            k = 3;
        } else {
            b[0] = (unsigned char)(0xf0 | (c >> 18));
            b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
            b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
            b[3] = (unsigned char)(0x80 | (c & 0x3f));
            k = 4;
        }
        if (n + k + 1 > cap)
            break;
        memcpy(out + n, b, k);
        n += k;
    }
    if (cap > 0)
        out[n] = '\0';
    return n;
}
