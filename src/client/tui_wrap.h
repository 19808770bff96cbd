/* SPDX-License-Identifier: ISC */
/* tui_wrap: display widths of wide-character text, lines wrapped into rows
 * with the continuation indented, and the window of the input line that
 * holds the cursor. Pure logic (wcwidth of the current locale), unit-tested. */
#ifndef TLSCHAT_TUI_WRAP_H
#define TLSCHAT_TUI_WRAP_H

#include <stddef.h>
#include <wchar.h>

/* Columns c takes: 0 for a combining mark, 2 for a wide character, 1 for one
 * the terminal cannot show (it is drawn as '?'). */
int tui_char_width(wchar_t c);

/* Columns s[0..n) takes. */
size_t tui_width(const wchar_t *s, size_t n);

/* Wrap s (len characters) into rows of at most width columns; every row but
 * the first starts with indent columns of blanks (so a continuation never
 * looks like a line of its own, which starts with a time stamp). Breaks after
 * the last blank that fits, else anywhere; a wide character never straddles
 * two rows. Writes where each row starts into starts (up to max rows) and
 * returns the rows needed (which may be more than max). */
size_t tui_wrap(const wchar_t *s, size_t len, size_t width, size_t indent, size_t *starts, size_t max);

/* The first character of the input line to show, so that the cursor (at
 * cur) is within width columns; start is the one shown before, kept when it
 * still fits, so the line does not jump as one types. */
size_t tui_view_start(const wchar_t *s, size_t cur, size_t start, size_t width);

#endif
