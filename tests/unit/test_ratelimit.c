/* SPDX-License-Identifier: ISC */
/* ratelimit: token buckets with a virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelimit.h"

static void test_burst_then_rate(void **state)
{
    (void)state;
    struct bucket b;
    bucket_init(&b, 5, 1000);
    for (int i = 0; i < 5; i++)
        assert_int_equal(bucket_take(&b, 1, 10, 5, 1000), 0); /* the burst */
    uint64_t wait = bucket_take(&b, 1, 10, 5, 1000);
    assert_true(wait >= 100 && wait <= 101); /* 10 a second: one every 100 ms */
    assert_true(bucket_take(&b, 1, 10, 5, 1050) > 0); /* half way: not yet */
    assert_int_equal(bucket_take(&b, 1, 10, 5, 1101), 0);
    /* a long silence refills to the burst, no more */
    assert_int_equal(bucket_take(&b, 5, 10, 5, 60000), 0);
    assert_true(bucket_take(&b, 1, 10, 5, 60000) > 0);
}

static void test_more_than_the_burst_still_passes(void **state)
{
    (void)state;
    struct bucket b;
    bucket_init(&b, 100, 0);
    assert_int_equal(bucket_take(&b, 4000, 1000, 100, 0), 0); /* counts as the whole burst */
    uint64_t wait = bucket_take(&b, 4000, 1000, 100, 0);
    assert_true(wait >= 100 && wait <= 101);
    assert_int_equal(bucket_take(&b, 4000, 1000, 100, wait), 0);
}

static void test_clock_going_nowhere(void **state)
{
    (void)state;
    struct bucket b;
    bucket_init(&b, 1, 500);
    assert_int_equal(bucket_take(&b, 1, 1, 1, 400), 0); /* an earlier time refills nothing */
    assert_true(bucket_take(&b, 1, 1, 1, 400) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_more_than_the_burst_still_passes),
        cmocka_unit_test(test_clock_going_nowhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
