/* text: strip what could drive a terminal from text that others wrote. */
#include "text.h"

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    size_t n;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
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
    return n;
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
        size_t n = utf8_len(p + i, len - i);
        if (n == 0) {
            p[out++] = '?';
            i++;
        } else if (n == 1) {
            if (p[i] >= 0x20 ? p[i] != 0x7f : p[i] == '\t')
                p[out++] = p[i];
            i++;
        } else {
            int c1 = n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0; /* U+0080..U+009F */
            for (size_t k = 0; k < n && !c1; k++)
                p[out++] = p[i + k];
            i += n;
        }
    }
    return out;
}
