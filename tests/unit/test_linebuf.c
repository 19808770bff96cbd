/* SPDX-License-Identifier: ISC */
/* Unit tests for linebuf: bytes in, whole lines out, with a maximum length. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

/* Take the next line and check it is exactly `want`. */
static void expect_line(struct linebuf *lb, const char *want)
{
    const char *line = NULL;
    size_t len = 12345;
    int r = linebuf_next(lb, &line, &len);
    if (r != 1)
        fail_msg("expected the line \"%s\", linebuf_next returned %d", want, r);
    assert_non_null(line);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(line, want, len);
}

static void expect_none(struct linebuf *lb)
{
    const char *line = NULL;
    size_t len = 0;
    assert_int_equal(linebuf_next(lb, &line, &len), 0);
}

static void expect_too_long(struct linebuf *lb)
{
    const char *line = NULL;
    size_t len = 0;
    assert_int_equal(linebuf_next(lb, &line, &len), LINEBUF_TOO_LONG);
}

static void append_str(struct linebuf *lb, const char *s)
{
    assert_int_equal(linebuf_append(lb, s, strlen(s)), 0);
}

static void test_empty_buffer_has_no_line(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 0);
    linebuf_free(&lb);
    linebuf_free(&lb); /* freeing twice after free is harmless (zeroed) */
}

static void test_line_split_across_appends(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    append_str(&lb, "hel");
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 3);
    append_str(&lb, "lo wo");
    expect_none(&lb);
    append_str(&lb, "rld");
    expect_none(&lb);
    append_str(&lb, "\nnext");
    expect_line(&lb, "hello world");
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 4);
    append_str(&lb, "\n");
    expect_line(&lb, "next");
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 0);
    linebuf_free(&lb);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    const char *in = "one\r\ntwo\nthree\n";
    int got = 0;
    const char *want[] = {"one", "two", "three"};
    for (const char *p = in; *p; p++) {
        assert_int_equal(linebuf_append(&lb, p, 1), 0);
        const char *line;
        size_t len;
        int r;
        while ((r = linebuf_next(&lb, &line, &len)) == 1) {
            assert_true(got < 3);
            assert_int_equal(len, strlen(want[got]));
            assert_memory_equal(line, want[got], len);
            got++;
        }
        assert_int_equal(r, 0);
    }
    assert_int_equal(got, 3);
    linebuf_free(&lb);
}

static void test_crlf_stripped(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    append_str(&lb, "dos line\r\nunix line\n");
    expect_line(&lb, "dos line");
    expect_line(&lb, "unix line");
    /* "\r" split from its "\n" */
    append_str(&lb, "split\r");
    expect_none(&lb);
    append_str(&lb, "\n");
    expect_line(&lb, "split");
    /* Only one trailing \r is removed; a \r inside stays. */
    append_str(&lb, "a\rb\r\r\n");
    expect_line(&lb, "a\rb\r");
    expect_none(&lb);
    linebuf_free(&lb);
}

static void test_several_lines_in_one_append(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    append_str(&lb, "alpha\nbeta\r\ngamma\ndel");
    expect_line(&lb, "alpha");
    expect_line(&lb, "beta");
    expect_line(&lb, "gamma");
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 3);
    append_str(&lb, "ta\n");
    expect_line(&lb, "delta");
    expect_none(&lb);
    linebuf_free(&lb);
}

static void test_empty_lines(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    append_str(&lb, "\n\r\n\nx\n\n");
    expect_line(&lb, "");
    expect_line(&lb, "");
    expect_line(&lb, "");
    expect_line(&lb, "x");
    expect_line(&lb, "");
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 0);
    linebuf_free(&lb);
}

static void test_binary_bytes_pass_through(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 100);
    const char in[] = {'a', '\0', 'b', (char)0xff, '\n'};
    assert_int_equal(linebuf_append(&lb, in, sizeof in), 0);
    const char *line;
    size_t len;
    assert_int_equal(linebuf_next(&lb, &line, &len), 1);
    assert_int_equal(len, 4);
    assert_memory_equal(line, in, 4);
    linebuf_free(&lb);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_exactly_max_is_ok(void **state)
{
    (void)state;
    enum { MAX = 4096 };
    struct linebuf lb;
    linebuf_init(&lb, MAX);
    char *s = repeat('a', MAX);
    append_str(&lb, s);
    expect_none(&lb); /* not yet known to be whole, and not too long */
    append_str(&lb, "\n");
    expect_line(&lb, s);
    /* The same with \r\n: the \r does not count. */
    append_str(&lb, s);
    append_str(&lb, "\r");
    expect_none(&lb);
    append_str(&lb, "\n");
    expect_line(&lb, s);
    /* And all in one append. */
    append_str(&lb, s);
    append_str(&lb, "\r\n");
    expect_line(&lb, s);
    expect_none(&lb);
    free(s);
    linebuf_free(&lb);
}

static void test_max_plus_one_with_newline_is_too_long(void **state)
{
    (void)state;
    enum { MAX = 16 };
    struct linebuf lb;
    linebuf_init(&lb, MAX);
    char *s = repeat('b', MAX + 1);
    append_str(&lb, s);
    append_str(&lb, "\n");
    expect_too_long(&lb);
    free(s);
    linebuf_free(&lb);

    /* max+1 ending in \r\n: still too long (the \r is not the extra byte). */
    linebuf_init(&lb, MAX);
    s = repeat('c', MAX + 1);
    append_str(&lb, s);
    append_str(&lb, "\r\n");
    expect_too_long(&lb);
    free(s);
    linebuf_free(&lb);
}

static void test_max_plus_one_without_newline_is_too_long(void **state)
{
    (void)state;
    enum { MAX = 16 };
    struct linebuf lb;
    linebuf_init(&lb, MAX);
    char *s = repeat('d', MAX + 2);
    /* MAX+1 bytes: never a line (it may be refused now, or once one more
     * byte shows it was not MAX and a "\r"). */
    assert_int_equal(linebuf_append(&lb, s, MAX + 1), 0);
    {
        const char *line;
        size_t len;
        int r = linebuf_next(&lb, &line, &len);
        assert_true(r == 0 || r == LINEBUF_TOO_LONG);
    }
    /* One more byte that is not "\n": the line cannot fit any more. */
    assert_int_equal(linebuf_append(&lb, s + MAX + 1, 1), 0);
    expect_too_long(&lb);
    expect_too_long(&lb); /* and it stays too long */
    free(s);
    linebuf_free(&lb);

    /* A large blob with no newline at all is refused as soon as it is seen. */
    linebuf_init(&lb, MAX);
    s = repeat('e', 100000);
    append_str(&lb, s);
    expect_too_long(&lb);
    free(s);
    linebuf_free(&lb);
}

static void test_max_plus_one_ending_in_cr_is_undecided(void **state)
{
    (void)state;
    enum { MAX = 8 };
    struct linebuf lb;
    linebuf_init(&lb, MAX);
    char *s = repeat('f', MAX);
    append_str(&lb, s);
    append_str(&lb, "\r");
    expect_none(&lb);
    append_str(&lb, "\n");
    expect_line(&lb, s);
    free(s);
    linebuf_free(&lb);
}

static void test_data_after_long_line(void **state)
{
    (void)state;
    enum { MAX = 10 };
    struct linebuf lb;
    linebuf_init(&lb, MAX);
    append_str(&lb, "short\nthis line is far too long\nafter\n");
    expect_line(&lb, "short");
    expect_too_long(&lb);
    /* The long line is dropped whole; what follows it is intact. */
    expect_line(&lb, "after");
    expect_none(&lb);
    assert_int_equal(linebuf_pending(&lb), 0);

    /* The long line arrives in pieces and its end comes later. */
    append_str(&lb, "0123456789ABC");
    expect_too_long(&lb);
    append_str(&lb, "DEF\nok\n");
    expect_too_long(&lb);
    expect_line(&lb, "ok");
    expect_none(&lb);
    linebuf_free(&lb);
}

static void test_pointer_valid_until_next_append(void **state)
{
    (void)state;
    struct linebuf lb;
    linebuf_init(&lb, 1000);
    append_str(&lb, "first\nsecond\n");
    const char *a, *b;
    size_t alen, blen;
    assert_int_equal(linebuf_next(&lb, &a, &alen), 1);
    assert_int_equal(linebuf_next(&lb, &b, &blen), 1);
    /* Both lines stay readable until the next append. */
    assert_int_equal(alen, 5);
    assert_memory_equal(a, "first", 5);
    assert_int_equal(blen, 6);
    assert_memory_equal(b, "second", 6);
    linebuf_free(&lb);
}

static void test_memory_bounded_when_lines_consumed(void **state)
{
    (void)state;
    enum { MAX = 200 };
    struct linebuf lb;
    linebuf_init(&lb, MAX);
    /* 2 MB of lines fed in chunks that do not line up with line ends. */
    char stream[1000];
    size_t slen = 0;
    int nline = 0;
    while (slen + 40 < sizeof stream)
        slen += (size_t)snprintf(stream + slen, sizeof stream - slen, "line number %d here\n", nline++);
    size_t chunk = 37;
    long lines = 0;
    size_t max_pending = 0, off = 0;
    for (long fed = 0; fed < 2000000; fed += (long)chunk) {
        char piece[64];
        for (size_t i = 0; i < chunk; i++) {
            piece[i] = stream[off];
            off = (off + 1) % slen;
        }
        assert_int_equal(linebuf_append(&lb, piece, chunk), 0);
        const char *line;
        size_t len;
        int r;
        while ((r = linebuf_next(&lb, &line, &len)) == 1) {
            assert_true(len > 0 && len < 40);
            assert_memory_equal(line, "line number ", 12);
            lines++;
        }
        assert_int_equal(r, 0);
        if (linebuf_pending(&lb) > max_pending)
            max_pending = linebuf_pending(&lb);
    }
    assert_true(lines > 50000);
    assert_true(max_pending < 40); /* never more than one partial line */
    /* The buffer did not grow with the total: a small multiple of a line. */
    assert_true(lb.bytes.cap <= 1024);
    linebuf_free(&lb);
}

static void test_memory_bounded_with_full_chunks(void **state)
{
    (void)state;
    /* Chunks of many whole lines plus a partial one, consumed each time. */
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    char chunk[4000];
    memset(chunk, 'x', sizeof chunk);
    for (size_t i = 99; i < sizeof chunk; i += 100)
        chunk[i] = '\n';
    chunk[sizeof chunk - 1] = 'y'; /* last line continues into the next chunk */
    size_t cap_after_first = 0;
    for (int round = 0; round < 2000; round++) {
        assert_int_equal(linebuf_append(&lb, chunk, sizeof chunk), 0);
        const char *line;
        size_t len;
        while (linebuf_next(&lb, &line, &len) == 1)
            assert_true(len <= 199);
        assert_true(linebuf_pending(&lb) < 200);
        if (round == 0)
            cap_after_first = lb.bytes.cap;
    }
    assert_true(lb.bytes.cap <= 2 * cap_after_first);
    assert_true(lb.bytes.cap <= 16384);
    linebuf_free(&lb);
}

/* peek shows the next line without taking it; next then takes that line. */
static void test_peek_leaves_the_line(void **state)
{
    (void)state;
    struct linebuf lb;
    const char *line;
    size_t len;
    linebuf_init(&lb, 16);
    assert_int_equal(linebuf_peek(&lb, &line, &len), 0);
    assert_int_equal(linebuf_append(&lb, "one\r\ntw", 7), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(linebuf_peek(&lb, &line, &len), 1);
        assert_int_equal(len, 3);
        assert_memory_equal(line, "one", 3);
    }
    assert_int_equal(linebuf_next(&lb, &line, &len), 1);
    assert_memory_equal(line, "one", 3);
    assert_int_equal(linebuf_peek(&lb, &line, &len), 0);
    assert_int_equal(linebuf_append(&lb, "o\n", 2), 0);
    assert_int_equal(linebuf_peek(&lb, &line, &len), 1);
    assert_memory_equal(line, "two", 3);
    assert_int_equal(linebuf_next(&lb, &line, &len), 1);
    assert_memory_equal(line, "two", 3);
    assert_int_equal(linebuf_append(&lb, "0123456789abcdefXYZ\n", 20), 0);
    assert_int_equal(linebuf_peek(&lb, &line, &len), LINEBUF_TOO_LONG);
    assert_int_equal(linebuf_next(&lb, &line, &len), LINEBUF_TOO_LONG);
    linebuf_free(&lb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peek_leaves_the_line),
        cmocka_unit_test(test_empty_buffer_has_no_line),
        cmocka_unit_test(test_line_split_across_appends),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_crlf_stripped),
        cmocka_unit_test(test_several_lines_in_one_append),
        cmocka_unit_test(test_empty_lines),
        cmocka_unit_test(test_binary_bytes_pass_through),
        cmocka_unit_test(test_exactly_max_is_ok),
        cmocka_unit_test(test_max_plus_one_with_newline_is_too_long),
        cmocka_unit_test(test_max_plus_one_without_newline_is_too_long),
        cmocka_unit_test(test_max_plus_one_ending_in_cr_is_undecided),
        cmocka_unit_test(test_data_after_long_line),
        cmocka_unit_test(test_pointer_valid_until_next_append),
        cmocka_unit_test(test_memory_bounded_when_lines_consumed),
        cmocka_unit_test(test_memory_bounded_with_full_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
