/* SPDX-License-Identifier: ISC */
/* tui_wrap.c: widths of wide characters, lines wrapped with the continuation
 * indented, and the input line's window around the cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "tui_wrap.h"

static void test_widths(void **state)
{
    (void)state;
    assert_int_equal(tui_char_width(L'a'), 1);
    assert_int_equal(tui_char_width(0x6f22), 2);  /* CJK: two columns */
    assert_int_equal(tui_char_width(0x0301), 0);  /* a combining accent */
    assert_int_equal(tui_char_width(0x0007), 1);  /* unprintable: drawn as '?' */
    assert_int_equal(tui_width(L"a\u6f22\u5b57e\u0301", 5), 6);
}

/* Every row fits; rows after the first leave the indent free. */
static void check_rows(const wchar_t *s, size_t width, size_t indent, size_t want_rows)
{
    size_t starts[64], len = wcslen(s);
    size_t rows = tui_wrap(s, len, width, indent, starts, 64);
    assert_int_equal(rows, want_rows);
    assert_int_equal(starts[0], 0);
    for (size_t r = 0; r < rows; r++) {
        size_t end = r + 1 < rows ? starts[r + 1] : len;
        assert_true(end > starts[r]);
        size_t w = tui_width(s + starts[r], end - starts[r]);
        /* the blanks a row was broken at are not drawn past the edge */
        while (end > starts[r] && s[end - 1] == L' ' && w + (r ? indent : 0) > width)
            w -= 1, end--;
        assert_true(w + (r ? indent : 0) <= width);
        if (r > 0)
            assert_true(s[starts[r]] != L' '); /* a continuation starts with a word */
    }
}

static void test_wrap_at_blanks_with_indent(void **state)
{
    (void)state;
    check_rows(L"short", 20, 8, 1);
    check_rows(L"12:00 <alice> the quick brown fox jumps over the lazy dog", 20, 8, 5);
    size_t starts[8];
    const wchar_t *s = L"12:00 <a> aaaa bbbb cccc";
    assert_int_equal(tui_wrap(s, wcslen(s), 16, 8, starts, 8), 3);
    assert_int_equal(starts[1], 15); /* after "aaaa " */
    assert_int_equal(starts[2], 20); /* "cccc" */
}

static void test_wrap_a_word_longer_than_the_row(void **state)
{
    (void)state;
    check_rows(L"sha256:0123456789abcdef0123456789abcdef", 16, 8, 4); /* 16, then 8 a row */
}

static void test_wide_characters_never_straddle(void **state)
{
    (void)state;
    /* 9 columns of CJK in rows of 5: 2+2, then rows of (5-1)=4: 2+2 ... */
    const wchar_t *s = L"\u6f22\u5b57\u6f22\u5b57\u6f22";
    size_t starts[8];
    assert_int_equal(tui_wrap(s, wcslen(s), 5, 1, starts, 8), 3);
    assert_int_equal(starts[1], 2);
    assert_int_equal(starts[2], 4);
    check_rows(L"ab\u6f22\u5b57 \u6f22\u5b57\u6f22\u5b57\u6f22\u5b57x", 7, 2, 4);
}

static void test_narrow_screens(void **state)
{
    (void)state;
    size_t starts[64];
    /* Too narrow for the indent: wrapped flush, never an endless loop. */
    assert_int_equal(tui_wrap(L"abcdefgh", 8, 4, 8, starts, 64), 2);
    /* A wide character in a one-column row still takes a row of its own. */
    assert_int_equal(tui_wrap(L"\u6f22\u5b57", 2, 1, 0, starts, 64), 2);
    /* More rows than asked for: counted, not written. */
    assert_int_equal(tui_wrap(L"abcdefghij", 10, 2, 0, starts, 2), 5);
}

static void test_view_follows_the_cursor(void **state)
{
    (void)state;
    const wchar_t *s = L"0123456789abcdefghij";
    assert_int_equal(tui_view_start(s, 5, 0, 10), 0);
    assert_int_equal(tui_view_start(s, 20, 0, 10), 11); /* the end, and a column for the cursor */
    assert_int_equal(tui_view_start(s, 15, 11, 10), 11); /* kept while the cursor is within */
    assert_int_equal(tui_view_start(s, 3, 11, 10), 3);  /* moved left past it: follows */
    const wchar_t *w = L"\u6f22\u5b57\u6f22\u5b57\u6f22";
    assert_int_equal(tui_view_start(w, 5, 0, 6), 3); /* 2 wide characters and the cursor */
}

int main(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        print_message("no C.UTF-8 locale: wcwidth cannot be tested\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_widths),
        cmocka_unit_test(test_wrap_at_blanks_with_indent),
        cmocka_unit_test(test_wrap_a_word_longer_than_the_row),
        cmocka_unit_test(test_wide_characters_never_straddle),
        cmocka_unit_test(test_narrow_screens),
        cmocka_unit_test(test_view_follows_the_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
