/* SPDX-License-Identifier: ISC */
/* outq: shared messages, partial sends, reference counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "outq.h"

static void test_shared_message_in_two_queues(void **state)
{
    (void)state;
    struct outq a, b;
    outq_init(&a);
    outq_init(&b);
    struct msg *m = msg_new("hello", 5);
    assert_int_equal(outq_push(&a, m), 0);
    assert_int_equal(outq_push(&b, m), 0);
    assert_int_equal(m->refs, 3);
    msg_unref(m);
    char buf[64];
    assert_int_equal(outq_gather(&a, buf, sizeof buf), 6);
    assert_memory_equal(buf, "hello\n", 6);
    outq_consume(&a, 6);
    assert_int_equal(a.bytes, 0);
    assert_int_equal(m->refs, 1); /* b still holds it */
    outq_free(&a);
    outq_free(&b);                /* ASan reports a leak or double free here if refs are wrong */
}

static void test_partial_sends_resume_mid_message(void **state)
{
    (void)state;
    struct outq q;
    outq_init(&q);
    const char *words[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        struct msg *m = msg_new(words[i], strlen(words[i]));
        outq_push(&q, m);
        msg_unref(m);
    }
    assert_int_equal(q.bytes, 14);
    char buf[64];
    outq_consume(&q, 2); /* "on" went out */
    size_t n = outq_gather(&q, buf, 5);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "e\ntwo", 5);
    outq_consume(&q, 5);
    n = outq_gather(&q, buf, sizeof buf);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "\nthree\n", 7);
    outq_consume(&q, 7);
    assert_int_equal(q.count, 0);
    outq_free(&q);
}

static void test_ring_grows_and_wraps(void **state)
{
    (void)state;
    struct outq q;
    outq_init(&q);
    char expect[8192];
    size_t elen = 0;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 7; i++) {
            char line[16];
            int len = snprintf(line, sizeof line, "%d-%d", round, i);
            struct msg *m = msg_new(line, (size_t)len);
            outq_push(&q, m);
            msg_unref(m);
            memcpy(expect + elen, line, (size_t)len);
            elen += (size_t)len;
            expect[elen++] = '\n';
        }
        char buf[8192];
        size_t n = outq_gather(&q, buf, sizeof buf);
        assert_int_equal(n, q.bytes);
        assert_memory_equal(buf, expect, n);
        size_t take = n / 2 + 1; /* leave part behind so the ring wraps */
        outq_consume(&q, take);
        memmove(expect, expect + take, elen - take);
        elen -= take;
    }
    outq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_message_in_two_queues),
        cmocka_unit_test(test_partial_sends_resume_mid_message),
        cmocka_unit_test(test_ring_grows_and_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
