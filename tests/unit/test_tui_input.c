/* SPDX-License-Identifier: ISC */
/* tui_input.c: the editing buffer, history, completion and UTF-8 of the line
 * being typed in tlschat's terminal interface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "tui_input.h"

static struct tui_input in; /* test-only storage: it is large */

static int setup(void **state)
{
    (void)state;
    tui_input_init(&in);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tui_input_free(&in);
    return 0;
}

static void type(const wchar_t *s)
{
    for (; *s; s++)
        tui_input_insert(&in, *s);
}

static void assert_line(const wchar_t *want, size_t cursor)
{
    if (wcscmp(in.buf, want) != 0)
        fail_msg("line is '%ls', expected '%ls'", in.buf, want);
    assert_int_equal(in.len, wcslen(want));
    assert_int_equal(in.cur, cursor);
}

static void enter(char *out, size_t cap)
{
    tui_input_take(&in, out, cap);
}

static void test_insert_and_move(void **state)
{
    (void)state;
    type(L"helo");
    tui_input_left(&in);
    type(L"l");
    assert_line(L"hello", 4);
    tui_input_home(&in);
    assert_int_equal(tui_input_left(&in), 0); /* nothing before the start */
    type(L"oh ");
    assert_line(L"oh hello", 3);
    tui_input_end(&in);
    assert_int_equal(tui_input_right(&in), 0);
    assert_line(L"oh hello", 8);
}

static void test_delete_and_kill(void **state)
{
    (void)state;
    type(L"one two  three");
    tui_input_backspace(&in);
    assert_line(L"one two  thre", 13);
    tui_input_kill_word(&in); /* the word before the cursor */
    assert_line(L"one two  ", 9);
    tui_input_kill_word(&in); /* blanks, then the word */
    assert_line(L"one ", 4);
    type(L"2 3");
    tui_input_home(&in);
    tui_input_delete(&in);
    assert_line(L"ne 2 3", 0);
    tui_input_right(&in);
    tui_input_right(&in);
    tui_input_kill_after(&in);
    assert_line(L"ne", 2);
    tui_input_kill_before(&in);
    assert_line(L"", 0);
    assert_int_equal(tui_input_backspace(&in), 0);
    assert_int_equal(tui_input_delete(&in), 0);
    assert_int_equal(tui_input_kill_word(&in), 0);
}

static void test_take_gives_utf8_and_clears(void **state)
{
    (void)state;
    char out[64];
    type(L"na\u00efve \u6f22\u5b57 \U0001F600");
    assert_int_equal(tui_input_take(&in, out, sizeof out), strlen("na\xc3\xafve \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80"));
    assert_string_equal(out, "na\xc3\xafve \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80");
    assert_line(L"", 0);
    /* Too little room: whole characters only. */
    char small[5];
    type(L"a\u6f22\u5b57");
    tui_input_take(&in, small, sizeof small);
    assert_string_equal(small, "a\xe6\xbc\xa2");
}

static void test_history_up_down_keeps_the_draft(void **state)
{
    (void)state;
    char out[64];
    type(L"first");
    enter(out, sizeof out);
    type(L"second");
    enter(out, sizeof out);
    type(L"second"); /* the same twice: remembered once */
    enter(out, sizeof out);
    enter(out, sizeof out); /* empty: not remembered */
    assert_int_equal(in.nhistory, 2);
    type(L"draft");
    assert_int_equal(tui_input_older(&in), 1);
    assert_line(L"second", 6);
    tui_input_older(&in);
    assert_line(L"first", 5);
    assert_int_equal(tui_input_older(&in), 0);
    tui_input_newer(&in);
    assert_line(L"second", 6);
    tui_input_newer(&in);
    assert_line(L"draft", 5);
    assert_int_equal(tui_input_newer(&in), 0);
    /* Editing a history line and sending it adds it as new. */
    tui_input_older(&in);
    type(L" again");
    enter(out, sizeof out);
    assert_string_equal(out, "second again");
    assert_int_equal(in.nhistory, 3);
}

static void test_history_is_bounded(void **state)
{
    (void)state;
    char out[32];
    for (int i = 0; i < TUI_HISTORY + 10; i++) {
        wchar_t line[16];
        swprintf(line, 16, L"line %d", i);
        type(line);
        enter(out, sizeof out);
    }
    assert_int_equal(in.nhistory, TUI_HISTORY);
    assert_true(wcscmp(in.history[0], L"line 10") == 0);
}

static void test_line_is_bounded(void **state)
{
    (void)state;
    for (int i = 0; i < TUI_INPUT_MAX + 5; i++)
        tui_input_insert(&in, L'x');
    assert_int_equal(in.len, TUI_INPUT_MAX);
    assert_int_equal(tui_input_insert(&in, L'y'), 0);
}

static const char *const nicks[] = {"alice", "Albert", "bob"};
static const char *const commands[] = {"/nick", "/who", "/msg", "/quit", "/help"};

static int tab(void)
{
    return tui_input_complete(&in, nicks, 3, commands, 5);
}

static void test_complete_nicks_and_cycle(void **state)
{
    (void)state;
    type(L"al");
    assert_int_equal(tab(), 1);
    assert_line(L"alice: ", 7); /* at the start of the line: "nick: " */
    tab();
    assert_line(L"Albert: ", 8); /* any case; Tab again: the next match */
    tab();
    assert_line(L"alice: ", 7);
    type(L"ask B");
    assert_int_equal(tab(), 1);
    assert_line(L"alice: ask bob ", 15); /* elsewhere: "nick " */
    type(L"x");
    assert_int_equal(tab(), 0); /* no match: nothing changes */
    assert_line(L"alice: ask bob x", 16);
}

static void test_complete_commands_only_at_the_start(void **state)
{
    (void)state;
    type(L"/w");
    assert_int_equal(tab(), 1);
    assert_line(L"/who ", 5);
    tui_input_kill_before(&in);
    type(L"say /w");
    assert_int_equal(tab(), 0); /* not a command there, and no nick starts with /w */
    tui_input_kill_before(&in);
    type(L"/m");
    tab();
    type(L"b");
    tab();
    assert_line(L"/msg bob ", 9);
    tui_input_kill_before(&in);
    type(L"\u6f22");
    assert_int_equal(tab(), 0); /* nicks are ASCII */
}

static void test_utf8_conversions(void **state)
{
    (void)state;
    wchar_t w[16];
    assert_int_equal(tui_utf8_to_wide("a\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x98\x80", 10, w, 16), 4);
    assert_true(w[0] == L'a' && w[1] == 0xe9 && w[2] == 0x6f22 && w[3] == 0x1f600 && w[4] == 0);
    /* Broken or cut sequences become U+FFFD, one per byte that starts nothing. */
    assert_int_equal(tui_utf8_to_wide("\xff" "a\xe6\xbc", 4, w, 16), 4);
    assert_true(w[0] == 0xfffd && w[1] == L'a' && w[2] == 0xfffd && w[3] == 0xfffd);
    /* Bounded by the room given. */
    assert_int_equal(tui_utf8_to_wide("abcdef", 6, w, 3), 2);
    char out[8];
    wchar_t bad[] = {0xd800, 0x110000};
    assert_int_equal(tui_wide_to_utf8(bad, 2, out, sizeof out), 6);
    assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_and_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_gives_utf8_and_clears, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_up_down_keeps_the_draft, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_nicks_and_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_commands_only_at_the_start, setup, teardown),
        cmocka_unit_test(test_utf8_conversions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
