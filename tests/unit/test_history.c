/* SPDX-License-Identifier: ISC */
/* history: the resume ring's bounds (count, bytes, age), numbering, lookup
 * and who may see what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "history.h"

static uint64_t add(struct history *h, const char *text, uint64_t now, uint64_t except, uint64_t only)
{
    char line[128];
    uint64_t seq = history_next_seq(h);
    int n = snprintf(line, sizeof line, "#%llu %s", (unsigned long long)seq, text);
    assert_true(n > 0 && (size_t)n < sizeof line);
    struct msg *m = msg_new(line, (size_t)n);
    assert_non_null(m);
    history_add(h, seq, m, now, except, only);
    msg_unref(m);
    return seq;
}

static int evictions;
static void count_evicted(void *ctx, const struct history_entry *e)
{
    (void)ctx;
    assert_non_null(e->line);
    evictions++;
}

static void test_numbers_rise_from_one(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 8, 4096, 60000), 0);
    assert_int_equal(history_oldest(&h), 1);
    assert_int_equal(add(&h, "a", 0, 0, 0), 1);
    assert_int_equal(add(&h, "b", 0, 0, 0), 2);
    assert_int_equal(history_oldest(&h), 1);
    assert_int_equal(history_next_seq(&h), 3);
    assert_memory_equal(history_at(&h, 1)->line->data, "#2 b\n", 5);
    history_free(&h);
}

static void test_count_bound_drops_the_oldest(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 3, 4096, 60000), 0);
    evictions = 0;
    h.evicted = count_evicted;
    for (int i = 0; i < 10; i++)
        add(&h, "line", 0, 0, 0);
    assert_int_equal(h.count, 3);
    assert_int_equal(evictions, 7);
    assert_int_equal(history_oldest(&h), 8);
    assert_int_equal(history_at(&h, 2)->seq, 10);
    history_free(&h);
}

static void test_byte_bound_drops_the_oldest(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 100, 20, 60000), 0); /* "#N line\n" is 8 or 9 bytes */
    for (int i = 0; i < 5; i++)
        add(&h, "line", 0, 0, 0);
    assert_true(h.bytes <= 20);
    assert_int_equal(h.count, 2);
    assert_int_equal(history_oldest(&h), 4);
    /* A line larger than the whole bound is numbered, never kept, and let go
     * as it comes (so that sessions away count it as missed): the kept ones stay. */
    char big[64];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    evictions = 0;
    h.evicted = count_evicted;
    assert_int_equal(add(&h, big, 0, 0, 0), 6);
    assert_int_equal(evictions, 1);
    assert_int_equal(h.count, 2);
    assert_int_equal(history_next_seq(&h), 7);
    history_free(&h);
}

static void test_age_bound(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 100, 4096, 1000), 0);
    add(&h, "old", 0, 0, 0);
    add(&h, "newer", 600, 0, 0);
    add(&h, "newest", 1200, 0, 0);
    history_expire(&h, 1500); /* "old" is 1500 ms old */
    assert_int_equal(h.count, 2);
    assert_int_equal(history_oldest(&h), 2);
    history_expire(&h, 5000);
    assert_int_equal(h.count, 0);
    assert_int_equal(h.bytes, 0);
    assert_int_equal(history_oldest(&h), 4); /* none held: the next number */
    history_free(&h);
}

static void test_find_after_across_the_wrap(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 4, 4096, 60000), 0);
    for (int i = 0; i < 6; i++) /* holds 3..6, wrapped around the ring */
        add(&h, "x", 0, 0, 0);
    assert_int_equal(history_find_after(&h, 0), 0);
    assert_int_equal(history_find_after(&h, 3), 1);
    assert_int_equal(history_find_after(&h, 5), 3);
    assert_int_equal(history_find_after(&h, 6), 4);
    assert_int_equal(history_find_after(&h, 99), 4);
    history_free(&h);
}

static void test_who_may_see_what(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 8, 4096, 60000), 0);
    add(&h, "to the room, from 7", 0, 7, 0);
    add(&h, "private to 9", 0, 0, 9);
    const struct history_entry *room = history_at(&h, 0), *priv = history_at(&h, 1);
    assert_false(history_visible(room, 7)); /* its sender had it already */
    assert_true(history_visible(room, 9));
    assert_true(history_visible(priv, 9));
    assert_false(history_visible(priv, 7));
    history_free(&h);
}

static void test_no_history_still_numbers(void **state)
{
    (void)state;
    struct history h;
    assert_int_equal(history_init(&h, 0, 4096, 60000), 0);
    assert_int_equal(add(&h, "a", 0, 0, 0), 1);
    assert_int_equal(add(&h, "b", 0, 0, 0), 2);
    assert_int_equal(h.count, 0);
    history_expire(&h, 99999);
    history_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_rise_from_one),   cmocka_unit_test(test_count_bound_drops_the_oldest),
        cmocka_unit_test(test_byte_bound_drops_the_oldest), cmocka_unit_test(test_age_bound),
        cmocka_unit_test(test_find_after_across_the_wrap), cmocka_unit_test(test_who_may_see_what),
        cmocka_unit_test(test_no_history_still_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
