/* SPDX-License-Identifier: ISC */
/* text: strip what could drive a terminal, or hide in a line, from text that
 * others wrote. */
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

struct range {
    unsigned lo, hi;
};

/* Characters that change how the rest of a line is shown, or that show as
 * nothing at all: C1 controls, which some terminals obey; the bidirectional
 * marks, embeddings, overrides and isolates, which can make "<mallory> ..."
 * read as something else; line and paragraph separators, which some programs
 * show as a new line; and the invisible ones (zero-width spaces and joiners,
 * word joiner, BOM, fillers, tags), with which two different texts look the
 * same, or text hides in a line. Variation selectors stay: emoji need them. */
static const struct range hidden[] = {
    {0x0080, 0x009f},   /* C1 controls */
    {0x00ad, 0x00ad},   /* soft hyphen */
    {0x034f, 0x034f},   /* combining grapheme joiner */
    {0x061c, 0x061c},   /* Arabic letter mark */
    {0x115f, 0x1160},   /* Hangul choseong and jungseong fillers */
    {0x17b4, 0x17b5},   /* Khmer inherent vowels */
    {0x180e, 0x180e},   /* Mongolian vowel separator */
    {0x200b, 0x200f},   /* zero-width space, non-joiner, joiner; LRM, RLM */
    {0x2028, 0x202e},   /* line and paragraph separators; embeddings, overrides */
    {0x2060, 0x206f},   /* word joiner, invisible operators, isolates, deprecated format */
    {0x3164, 0x3164},   /* Hangul filler */
    {0xfeff, 0xfeff},   /* zero-width no-break space (byte order mark) */
    {0xffa0, 0xffa0},   /* halfwidth Hangul filler */
    {0xfff9, 0xfffb},   /* interlinear annotation */
    {0x1bca0, 0x1bca3}, /* shorthand format controls */
    {0x1d173, 0x1d17a}, /* musical symbol format controls */
    {0xe0000, 0xe007f}, /* tags */
};

static int in_ranges(unsigned cp, const struct range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return 1;
    return 0;
}

static int is_hidden(unsigned cp)
{
    return in_ranges(cp, hidden, sizeof hidden / sizeof hidden[0]);
}

/* Symbols that emoji sequences join: a zero-width joiner between two of them
 * makes one picture of two (woman + laptop: woman technologist). */
static const struct range pictographs[] = {
    {0x2300, 0x23ff},   /* miscellaneous technical */
    {0x2600, 0x27bf},   /* miscellaneous symbols, dingbats */
    {0x2b00, 0x2bff},   /* miscellaneous symbols and arrows */
    {0x1f000, 0x1faff}, /* emoji blocks, skin tones among them */
};

static int is_pictograph(unsigned cp)
{
    return in_ranges(cp, pictographs, sizeof pictographs / sizeof pictographs[0]);
}

#define ZWJ 0x200d
#define VS16 0xfe0f /* emoji presentation selector */

/* The one invisible character kept: a zero-width joiner inside an emoji
 * sequence, after a kept pictograph (or its presentation selector) and before
 * another. Anywhere else it is as invisible as the rest. */
static int is_emoji_joiner(unsigned cp, unsigned before, const unsigned char *after, size_t left)
{
    unsigned next = 0;
    return cp == ZWJ && (is_pictograph(before) || before == VS16) && left > 0 &&
           utf8_len(after, left, &next) > 0 && is_pictograph(next);
}

size_t text_sanitize(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    size_t out = 0;
    unsigned before = 0; /* the last code point kept */
    for (size_t i = 0; i < len;) {
        if (p[i] >= 0x20 && p[i] < 0x7f) { /* printable ASCII: the common case */
            before = p[i];
            p[out++] = p[i++];
            continue;
        }
        unsigned cp = 0;
        size_t n = utf8_len(p + i, len - i, &cp);
        if (n == 0) {
            p[out++] = '?';
            before = '?';
            i++;
        } else if (n == 1) {
            if (p[i] == '\t') {
                p[out++] = p[i];
                before = cp;
            }
            i++;
        } else {
            int keep = !is_hidden(cp) || is_emoji_joiner(cp, before, p + i + n, len - i - n);
            for (size_t k = 0; k < n && keep; k++)
                p[out++] = p[i + k];
            if (keep)
                before = cp;
            i += n;
        }
    }
    return out;
}
