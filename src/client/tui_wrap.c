/* SPDX-License-Identifier: ISC */
/* tui_wrap: widths, wrapping and the input line's window. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "tui_wrap.h"

#include <wctype.h>

int tui_char_width(wchar_t c)
{
    int w = wcwidth(c);
    return w < 0 ? 1 : w;
}

size_t tui_width(const wchar_t *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += (size_t)tui_char_width(s[i]);
    return w;
}

size_t tui_wrap(const wchar_t *s, size_t len, size_t width, size_t indent, size_t *starts, size_t max)
{
    if (width < 2)
        width = 2;
    if (indent + 2 > width)
        indent = 0; /* too narrow to indent: wrap flush */
    size_t rows = 0, at = 0;
    do {
        if (rows < max)
            starts[rows] = at;
        size_t room = rows == 0 ? width : width - indent;
        size_t used = 0, i = at, last_blank = 0;
        while (i < len) {
            size_t w = (size_t)tui_char_width(s[i]);
            if (used + w > room)
                break;
            used += w;
            i++;
            if (iswspace((wint_t)s[i - 1]))
                last_blank = i;
        }
        if (i < len && last_blank > at)
            i = last_blank; /* break after the blank */
        if (i == at)
            i++; /* a character wider than the row: it takes one alone */
        at = i;
        while (at < len && s[at] == L' ')
            at++; /* a continuation does not start with the blank it was broken at */
        rows++;
    } while (at < len);
    return rows;
}

size_t tui_view_start(const wchar_t *s, size_t cur, size_t start, size_t width)
{
    if (width < 2)
        width = 2;
    if (start > cur)
        start = cur;
    /* Leave a column for the cursor itself past the last character. */
    while (start < cur && tui_width(s + start, cur - start) + 1 > width)
        start++;
    return start;
}
