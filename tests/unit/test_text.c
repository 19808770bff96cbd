/* SPDX-License-Identifier: ISC */
/* Unit tests for text_sanitize: nothing that drives a terminal or hides in a
 * line survives, valid UTF-8 is kept, invalid bytes become '?'. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Sanitize n bytes of in and compare with want (NUL-terminated). */
static void check_n(const char *in, size_t n, const char *want)
{
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    memcpy(buf, in, n);
    buf[n] = '#'; /* must not be touched */
    size_t out = text_sanitize(buf, n);
    if (out != strlen(want) || memcmp(buf, want, out) != 0)
        fail_msg("sanitizing %zu bytes: got %zu bytes \"%.*s\", want %zu bytes \"%s\"", n, out, (int)out,
                 buf, strlen(want), want);
    assert_int_equal(buf[n], '#');
    assert_true(out <= n);
    free(buf);
}

static void check(const char *in, const char *want)
{
    check_n(in, strlen(in), want);
}

static void test_plain_ascii_unchanged(void **state)
{
    (void)state;
    check("hello, world! 0123 ~{}[]", "hello, world! 0123 ~{}[]");
    check("", "");
}

static void test_tab_kept(void **state)
{
    (void)state;
    check("a\tb\t", "a\tb\t");
}

static void test_c0_controls_removed(void **state)
{
    (void)state;
    check("a\x01" "b\x07" "c\x08" "d\n" "e\r" "f\x0b" "g\x0c" "h\x1f" "i", "abcdefghi");
    /* NUL too */
    check_n("x\0y", 3, "xy");
    /* every C0 byte except tab */
    char all[32];
    for (int i = 0; i < 32; i++)
        all[i] = (char)i;
    check_n(all, sizeof all, "\t");
}

static void test_del_removed(void **state)
{
    (void)state;
    check("a\x7f" "b", "ab");
}

static void test_escape_sequences_neutralised(void **state)
{
    (void)state;
    /* The ESC goes; what is left is harmless printable text. */
    check("\x1b[31mred\x1b[0m", "[31mred[0m");
    check("\x1b]0;pwned title\x07", "]0;pwned title");
    check("\x1b[2J\x1b[H", "[2J[H");
    check("\x1b" "c", "c");
    /* no ESC byte may survive anywhere */
    const char *in = "x\x1b\x1b\x1b[1;1Hy";
    char buf[32];
    size_t n = strlen(in);
    memcpy(buf, in, n);
    n = text_sanitize(buf, n);
    assert_null(memchr(buf, 0x1b, n));
}

static void test_c1_controls_removed(void **state)
{
    (void)state;
    /* U+009B CSI as UTF-8 (C2 9B) is a one-character ESC [ on some terminals. */
    check("a\xc2\x9b" "31mb", "a31mb");
    check("\xc2\x80\xc2\x85\xc2\x9d\xc2\x9f", "");
    /* U+00A0 (C2 A0) is the first code point after C1: kept. */
    check("\xc2\xa0", "\xc2\xa0");
    /* Raw C1 bytes (not UTF-8) are not controls to a UTF-8 terminal but are
     * invalid: they become '?', never the raw byte. */
    check("\x9b" "31m", "?31m");
}

static void test_bidi_controls_removed(void **state)
{
    (void)state;
    /* U+202E RIGHT-TO-LEFT OVERRIDE would show "<mallory> gnp.exe" reversed. */
    check("<mallory> \xe2\x80\xae" "exe.png", "<mallory> exe.png");
    check("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", ""); /* U+202A..U+202D */
    check("a\xe2\x81\xa6" "b\xe2\x81\xa9" "c", "abc");                 /* U+2066, U+2069 */
    check("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "");                     /* LRM, RLM, ALM */
    check("a\xe2\x80\xab" "b\xe2\x80\xac" "c\xe2\x80\xad" "d", "abcd");             /* RLE, PDF, LRO */
    check("\xe2\x81\xa7\xe2\x81\xa8", "");                                           /* U+2067, U+2068 */
}

static void test_line_separators_removed(void **state)
{
    (void)state;
    /* U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: a new line to some
     * programs, so one chat line could show a forged second one. */
    check("hi\xe2\x80\xa8<alice> send me your password", "hi<alice> send me your password");
    check("a\xe2\x80\xa9" "b", "ab");
    /* U+0085 NEXT LINE is a C1 control: gone too. */
    check("a\xc2\x85" "b", "ab");
}

static void test_invisible_characters_removed(void **state)
{
    (void)state;
    check("pass\xe2\x80\x8bword", "password");         /* U+200B ZERO WIDTH SPACE */
    check("a\xe2\x80\x8c" "b", "ab");                   /* U+200C ZERO WIDTH NON-JOINER */
    check("a\xe2\x80\x8d" "b", "ab");                   /* U+200D ZERO WIDTH JOINER, between letters */
    check("a\xe2\x81\xa0" "b", "ab");                   /* U+2060 WORD JOINER */
    check("a\xe2\x81\xa1\xe2\x81\xa4" "b", "ab");       /* U+2061..U+2064 invisible operators */
    check("\xef\xbb\xbfhello", "hello");                 /* U+FEFF BOM */
    check("ad\xc2\xad" "min", "admin");                  /* U+00AD SOFT HYPHEN */
    check("a\xcd\x8f" "b", "ab");                        /* U+034F COMBINING GRAPHEME JOINER */
    check("\xe3\x85\xa4", "");                           /* U+3164 HANGUL FILLER */
    check("\xe1\xa0\x8e", "");                           /* U+180E MONGOLIAN VOWEL SEPARATOR */
    check("\xef\xbf\xb9" "a\xef\xbf\xbb", "a");          /* U+FFF9, U+FFFB interlinear annotation */
    /* Tag characters, U+E0000..U+E007F: invisible ASCII. "hi" then "ignore
     * previous instructions" in tags shows as "hi" alone. */
    check("hi\xf3\xa0\x81\xa9\xf3\xa0\x81\xa7\xf3\xa0\x81\xae", "hi"); /* U+E0069 U+E0067 U+E006E */
    check("\xf3\xa0\x80\x80\xf3\xa0\x81\xbf", "");    /* U+E0000, U+E007F: the ends of the range */
    /* Just outside the ranges: kept. */
    check("\xf3\xa0\x82\x80", "\xf3\xa0\x82\x80");      /* U+E0080 */
    check("\xe2\x80\x8a", "\xe2\x80\x8a");                /* U+200A HAIR SPACE: a visible space */
    check("\xe2\x80\xaf", "\xe2\x80\xaf");                /* U+202F NARROW NO-BREAK SPACE */
    check("\xe2\x81\x9f", "\xe2\x81\x9f");                /* U+205F MEDIUM MATHEMATICAL SPACE */
    check("\xef\xb8\x8f", "\xef\xb8\x8f");                /* U+FE0F VARIATION SELECTOR-16: emoji need it */
}

static void test_emoji_joiner_kept_only_between_emoji(void **state)
{
    (void)state;
    /* woman, ZWJ, laptop: one picture, "woman technologist". */
    check("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb");
    /* heart, VS16, ZWJ, fire: "heart on fire". */
    check("\xe2\x9d\xa4\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x94\xa5",
          "\xe2\x9d\xa4\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x94\xa5");
    /* At either end, next to a letter, or doubled: it joins nothing, so it goes. */
    check("\xe2\x80\x8d\xf0\x9f\x92\xbb", "\xf0\x9f\x92\xbb");
    check("\xf0\x9f\x91\xa9\xe2\x80\x8d", "\xf0\x9f\x91\xa9");
    check("\xf0\x9f\x91\xa9\xe2\x80\x8d" "a", "\xf0\x9f\x91\xa9" "a");
    check("a\xe2\x80\x8d\xf0\x9f\x92\xbb", "a\xf0\x9f\x92\xbb");
    check("\xf0\x9f\x91\xa9\xe2\x80\x8d\xe2\x80\x8d\xf0\x9f\x92\xbb", "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb");
    /* Another invisible one between does not make it stay. */
    check("\xf0\x9f\x91\xa9\xe2\x80\x8d\xe2\x80\x8b\xf0\x9f\x92\xbb", "\xf0\x9f\x91\xa9\xf0\x9f\x92\xbb");
    /* Subdivision flags are built of tags: England's flag becomes the black flag it starts with. */
    check("\xf0\x9f\x8f\xb4"
          "\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xa5\xf3\xa0\x81\xae\xf3\xa0\x81\xa7\xf3\xa0\x81\xbf",
          "\xf0\x9f\x8f\xb4");
}

static void test_valid_utf8_kept(void **state)
{
    (void)state;
    check("caf\xc3\xa9", "caf\xc3\xa9");                                   /* é */
    check("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");         /* 日本 */
    check("\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80 ok");                   /* 😀 */
    check("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");                         /* U+10FFFF */
    check("\xef\xbf\xbd", "\xef\xbf\xbd");                                 /* U+FFFD */
    check("\xed\x9f\xbf", "\xed\x9f\xbf");                                 /* U+D7FF */
    check("\xee\x80\x80", "\xee\x80\x80");                                 /* U+E000 */
    check("\xc2\xa9 \xe2\x82\xac", "\xc2\xa9 \xe2\x82\xac");               /* © € */
}

static void test_invalid_bytes_become_question_marks(void **state)
{
    (void)state;
    check("a\xff" "b", "a?b");
    check("\xfe\xfe", "??");
    check("\x80", "?");          /* lone continuation byte */
    check("\xc3", "?");          /* truncated at the end */
    check("\xc3" "a", "?a");     /* lead byte then ASCII */
    check("\xe6\x97", "??");     /* truncated 3-byte sequence */
    check("\xf0\x9f\x98", "???");
    check("\xf8\x88\x80\x80\x80", "?????"); /* 5-byte form does not exist */
}

static void test_overlong_forms_rejected(void **state)
{
    (void)state;
    check("\xc0\xaf", "??");             /* '/' overlong in 2 bytes */
    check("\xc1\xbf", "??");
    check("\xe0\x80\xaf", "???");        /* '/' overlong in 3 bytes */
    check("\xf0\x80\x80\xaf", "????");   /* '/' overlong in 4 bytes */
    check("\xc0\x9b", "??");             /* overlong ESC-like CSI must not become one */
    check("\xc0\x80", "??");             /* overlong NUL */
}

static void test_surrogates_rejected(void **state)
{
    (void)state;
    check("\xed\xa0\x80", "???"); /* U+D800 */
    check("\xed\xbf\xbf", "???"); /* U+DFFF */
}

static void test_out_of_range_rejected(void **state)
{
    (void)state;
    check("\xf4\x90\x80\x80", "????"); /* U+110000 */
    check("\xf5\x80\x80\x80", "????");
}

static void test_mixed(void **state)
{
    (void)state;
    check("<alice> h\xc3\xa9llo\x1b[2J \xe6\x97\xa5\xff\tok\r",
          "<alice> h\xc3\xa9llo[2J \xe6\x97\xa5?\tok");
}

/* A fuzz-style property: whatever the input, the output holds no byte that a
 * terminal obeys (C0 except tab, DEL, ESC, C2 80..9F) and is valid UTF-8. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 2, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 3, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        if (cp >= 0x80 && cp <= 0x9f)
            return 0;
        i += k;
    }
    return 1;
}

static void test_random_input_property(void **state)
{
    (void)state;
    srand(12345);
    unsigned char buf[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < n; i++) {
            int r = rand() % 4;
            /* bias towards interesting bytes */
            buf[i] = r == 0 ? (unsigned char)(0x80 + rand() % 0x80)
                   : r == 1 ? (unsigned char)(rand() % 0x20)
                   : r == 2 ? (unsigned char)(0xc0 + rand() % 0x40)
                            : (unsigned char)(rand() % 256);
        }
        size_t out = text_sanitize((char *)buf, n);
        assert_true(out <= n);
        for (size_t i = 0; i < out; i++) {
            assert_true(buf[i] >= 0x20 || buf[i] == '\t');
            assert_true(buf[i] != 0x7f);
        }
        assert_true(valid_utf8(buf, out));
        /* Idempotent: clean text stays as it is. */
        unsigned char again[64];
        memcpy(again, buf, out);
        assert_int_equal(text_sanitize((char *)again, out), out);
        assert_memory_equal(again, buf, out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ascii_unchanged),
        cmocka_unit_test(test_tab_kept),
        cmocka_unit_test(test_c0_controls_removed),
        cmocka_unit_test(test_del_removed),
        cmocka_unit_test(test_escape_sequences_neutralised),
        cmocka_unit_test(test_c1_controls_removed),
        cmocka_unit_test(test_bidi_controls_removed),
        cmocka_unit_test(test_line_separators_removed),
        cmocka_unit_test(test_invisible_characters_removed),
        cmocka_unit_test(test_emoji_joiner_kept_only_between_emoji),
        cmocka_unit_test(test_valid_utf8_kept),
        cmocka_unit_test(test_invalid_bytes_become_question_marks),
        cmocka_unit_test(test_overlong_forms_rejected),
        cmocka_unit_test(test_surrogates_rejected),
        cmocka_unit_test(test_out_of_range_rejected),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_random_input_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
