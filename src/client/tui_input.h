/* SPDX-License-Identifier: ISC */
/* tui_input: the line being typed in tlschat's terminal interface: editing,
 * history and completion, as wide characters. Pure logic: no terminal, so it
 * is unit-tested (tests/unit/test_tui_input.c). */
#ifndef TLSCHAT_TUI_INPUT_H
#define TLSCHAT_TUI_INPUT_H

#include <stddef.h>
#include <wchar.h>

#define TUI_INPUT_MAX 4000 /* characters in one line (tlschatd's default --max-line is 4096 bytes) */
#define TUI_HISTORY   200  /* lines kept for up/down */

struct tui_input {
    wchar_t buf[TUI_INPUT_MAX + 1]; /* always 0-terminated */
    size_t len, cur;                /* characters, and the cursor (0..len) */
    wchar_t *history[TUI_HISTORY];  /* oldest first */
    size_t nhistory;
    size_t browsing;                /* history line shown; nhistory: the draft */
    wchar_t draft[TUI_INPUT_MAX + 1]; /* what was typed before browsing */
    /* Tab completion: repeated Tabs cycle through the matches of one prefix. */
    int completing;
    size_t comp_start;              /* where the completed word starts */
    char comp_prefix[64];           /* what was typed of it */
    size_t comp_next;               /* the match the next Tab takes */
};

void tui_input_init(struct tui_input *in);
void tui_input_free(struct tui_input *in);

/* Editing. Each returns 1 when the line changed (or the cursor moved), else 0. */
int tui_input_insert(struct tui_input *in, wchar_t c);
int tui_input_backspace(struct tui_input *in);
int tui_input_delete(struct tui_input *in);
int tui_input_left(struct tui_input *in);
int tui_input_right(struct tui_input *in);
int tui_input_home(struct tui_input *in);
int tui_input_end(struct tui_input *in);
int tui_input_kill_before(struct tui_input *in); /* Ctrl-U */
int tui_input_kill_word(struct tui_input *in);   /* Ctrl-W: the word before the cursor */
int tui_input_kill_after(struct tui_input *in);  /* Ctrl-K */

/* History: the line before (up) or after (down) the one shown; down past the
 * newest gives back what was being typed. */
int tui_input_older(struct tui_input *in);
int tui_input_newer(struct tui_input *in);

/* Enter: the line as UTF-8 (0-terminated, at most cap - 1 bytes) into out;
 * it goes into the history (unless empty or the same as the last) and the
 * input is cleared. Returns its length in bytes. */
size_t tui_input_take(struct tui_input *in, char *out, size_t cap);

/* Tab: complete the word before the cursor. A word starting with "/" at the
 * start of the line is completed from commands, any other from nicks (a
 * nick at the start of the line gets ": " after it, elsewhere " "). Matching
 * ignores case; repeated Tabs cycle through the matches in the order given.
 * Returns 1 when something was completed. Any other edit ends the cycle. */
int tui_input_complete(struct tui_input *in, const char *const *nicks, size_t nnicks, const char *const *commands,
                       size_t ncommands);

/* UTF-8 <-> wide characters (valid UTF-8 in, as text.c leaves it; anything
 * else becomes U+FFFD). Returns the characters (bytes) written, out always
 * 0-terminated. */
size_t tui_utf8_to_wide(const char *s, size_t len, wchar_t *out, size_t cap);
size_t tui_wide_to_utf8(const wchar_t *s, size_t len, char *out, size_t cap);

#endif
