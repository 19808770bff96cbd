/* SPDX-License-Identifier: ISC */
/* words: five groups of five decimal digits from the first 20 bytes of the
 * public key's SHA-256, each group a 32-bit big-endian number modulo 100000
 * (the bias is below 1 in 40,000 per group). Digits rather than a word list:
 * they need no licence, read alike in any language, and are easy to compare on
 * a phone. Strength: 5 x log2(100000), about 83 bits: to be taken for a server,
 * an attacker must find a key whose hash matches in those digits (a second
 * preimage), about 2^83 key generations, out of reach. As Signal's safety
 * numbers, which are digits in groups of five. */
#include "words.h"

#include <stdint.h>
#include <stdio.h>

void words_of_spki(const unsigned char *sha256, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t g = 0; g < WORDS_GROUPS; g++) {
        const unsigned char *b = sha256 + 4 * g;
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
        int n = snprintf(buf + at, len - at, "%s%05u", g ? " " : "", (unsigned)(v % 100000u));
        if (n < 0 || (size_t)n >= len - at)
            return;
        at += (size_t)n;
    }
}
