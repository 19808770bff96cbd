/* libFuzzer: text_sanitize's output is valid UTF-8 with no control characters,
 * never longer than its input, and sanitizing it again changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

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
        if (ch == 0xc2 && i + 1 < n && (unsigned char)a[i + 1] < 0xa0)
            abort(); /* C1 control */
    }
    memcpy(b, a, n);
    if (text_sanitize(b, n) != n || memcmp(a, b, n) != 0)
        abort(); /* not idempotent: the first pass left something invalid */
    free(a);
    free(b);
    return 0;
}
