/* SPDX-License-Identifier: ISC */
/* bytebuf: append, consume, reuse before growing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bytebuf.h"

static void test_append_and_consume(void **state)
{
    (void)state;
    struct bytebuf b;
    bytebuf_init(&b);
    assert_int_equal(bytebuf_size(&b), 0);
    assert_null(bytebuf_head(&b));
    assert_int_equal(bytebuf_append(&b, "hello ", 6), 0);
    assert_int_equal(bytebuf_append(&b, "world", 5), 0);
    assert_int_equal(bytebuf_size(&b), 11);
    assert_memory_equal(bytebuf_head(&b), "hello world", 11);
    bytebuf_consume(&b, 6);
    assert_int_equal(bytebuf_size(&b), 5);
    assert_memory_equal(bytebuf_head(&b), "world", 5);
    bytebuf_consume(&b, 100); /* more than held: all of it */
    assert_int_equal(bytebuf_size(&b), 0);
    assert_int_equal(b.start, 0); /* empty starts over at the front */
    assert_int_equal(bytebuf_append(&b, "", 0), 0);
    bytebuf_free(&b);
    assert_null(b.data);
}

static void test_taken_space_is_reused_before_growing(void **state)
{
    (void)state;
    struct bytebuf b;
    bytebuf_init(&b);
    char chunk[100];
    memset(chunk, 'a', sizeof chunk);
    assert_int_equal(bytebuf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(bytebuf_append(&b, chunk, sizeof chunk), 0); /* 200 held */
    size_t cap = b.cap;
    /* A steady stream: take what came, append as much again, many times. The
     * buffer never needs to grow past what one round holds. */
    for (int i = 0; i < 10000; i++) {
        bytebuf_consume(&b, 60);
        char c = (char)('0' + i % 10);
        memset(chunk, c, 60);
        assert_int_equal(bytebuf_append(&b, chunk, 60), 0);
        assert_int_equal(bytebuf_head(&b)[bytebuf_size(&b) - 1], c);
    }
    assert_int_equal(bytebuf_size(&b), 200);
    assert_int_equal(b.cap, cap);
    bytebuf_free(&b);
}

static void test_grows_for_large_appends(void **state)
{
    (void)state;
    struct bytebuf b;
    bytebuf_init(&b);
    static char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    assert_int_equal(bytebuf_append(&b, "x", 1), 0);
    bytebuf_consume(&b, 1);
    assert_int_equal(bytebuf_append(&b, big, sizeof big), 0);
    assert_int_equal(bytebuf_size(&b), sizeof big);
    assert_memory_equal(bytebuf_head(&b), big, sizeof big);
    bytebuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_consume),
        cmocka_unit_test(test_taken_space_is_reused_before_growing),
        cmocka_unit_test(test_grows_for_large_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
