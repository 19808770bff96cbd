/* text: strip what could drive a terminal from text that others wrote. */
#include "text.h"

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one; its code
 * point in *out. */
static size_t utf8_len(const unsigned char *s, size_t left, unsigned *out)
{
    size_t n;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80) {
        *out = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, min = 0x80, cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, min = 0x800, cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, min = 0x10000, cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, out of range, or a surrogate */
    *out = cp;
    return n;
}

/* Characters that change how the rest of a line is shown: C1 controls, which
 * some terminals obey, and the bidirectional overrides and isolates, which can
 * make "<mallory> ..." read as something else. */
static int is_hidden_control(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t text_sanitize(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    size_t out = 0;
    for (size_t i = 0; i < len;) {
        if (p[i] >= 0x20 && p[i] < 0x7f) { /* printable ASCII: the common case */
            p[out++] = p[i++];
            continue;
        }
        unsigned cp = 0;
        size_t n = utf8_len(p + i, len - i, &cp);
        if (n == 0) {
            p[out++] = '?';
            i++;
        } else if (n == 1) {
            if (p[i] >= 0x20 ? p[i] != 0x7f : p[i] == '\t')
                p[out++] = p[i];
            i++;
        } else {
            for (size_t k = 0; k < n && !is_hidden_control(cp); k++)
                p[out++] = p[i + k];
            i += n;
        }
    }
    return out;
}
