/* SPDX-License-Identifier: ISC */
/* libFuzzer: text_sanitize's output is valid UTF-8 with no control characters
 * and none of the invisible or line-breaking ones, never longer than its
 * input, and sanitizing it again changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The code point of the valid UTF-8 sequence at s (the output is valid: the
 * check below that it is idempotent would fail otherwise) and its length. */
static size_t decode(const unsigned char *s, size_t left, unsigned *cp)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    if (n > left)
        abort(); /* a truncated sequence survived */
    *cp = n == 1 ? s[0] : s[0] & (0xff >> (n + 1));
    for (size_t i = 1; i < n; i++)
        *cp = (*cp << 6) | (s[i] & 0x3f);
    return n;
}

/* What must never reach a terminal, listed here apart from text.c: C1
 * controls, bidirectional controls, line and paragraph separators, zero-width
 * characters, word joiner, BOM, tags. */
static int forbidden(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
           (cp >= 0xe0000 && cp <= 0xe007f);
}

static void check_code_points(const unsigned char *s, size_t n)
{
    unsigned before = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = decode(s + i, n - i, &cp);
        if (cp == 0x200d) { /* a joiner stays only inside an emoji sequence */
            unsigned next = 0;
            if (i + k == n || before < 0x2300)
                abort();
            decode(s + i + k, n - i - k, &next);
            if (next < 0x2300)
                abort();
        } else if (forbidden(cp)) {
            abort();
        }
        before = cp;
        i += k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a = malloc(size + 1);
    char *b = malloc(size + 1);
    if (!a || !b)
        abort();
    memcpy(a, data, size);
    size_t n = text_sanitize(a, size);
    if (n > size)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)a[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            abort();
    }
    memcpy(b, a, n);
    if (text_sanitize(b, n) != n || memcmp(a, b, n) != 0)
        abort(); /* not idempotent: the first pass left something invalid */
    check_code_points((const unsigned char *)a, n);
    free(a);
    free(b);
    return 0;
}
