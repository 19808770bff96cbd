/* SPDX-License-Identifier: ISC */
/* words: the digits of a key's SHA-256, against values computed apart (Python:
 * int.from_bytes(h[4g:4g+4], "big") % 100000 for g in 0..4), and the buffer
 * bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "words.h"

static void from_hex(const char *hex, unsigned char *out)
{
    for (size_t i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (unsigned char)v;
    }
}

static void test_known_values(void **state)
{
    (void)state;
    unsigned char h[32];
    char w[WORDS_TEXT_MAX];
    /* sha256("tlschat") */
    from_hex("6c9b3325fb081e5c3c4a3fa6275af75ef11bbc4e5d1898714e1e869d9171cd45", h);
    words_of_spki(h, w, sizeof w);
    assert_string_equal(w, "10501 13276 98918 72990 26734");
    memset(h, 0, sizeof h);
    words_of_spki(h, w, sizeof w);
    assert_string_equal(w, "00000 00000 00000 00000 00000");
    memset(h, 0xff, sizeof h);
    words_of_spki(h, w, sizeof w);
    assert_string_equal(w, "67295 67295 67295 67295 67295"); /* 2^32 - 1 mod 100000 */
    assert_int_equal(strlen(w) + 1, 30);
    assert_true(strlen(w) < WORDS_TEXT_MAX);
}

static void test_short_buffers_stay_terminated(void **state)
{
    (void)state;
    unsigned char h[32];
    memset(h, 0x42, sizeof h);
    char w[8];
    memset(w, 'x', sizeof w);
    words_of_spki(h, w, sizeof w);
    assert_true(memchr(w, '\0', sizeof w) != NULL);
    words_of_spki(h, w, 0); /* nothing written, no crash */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_short_buffers_stay_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
