/* SPDX-License-Identifier: ISC */
/* words: a short authentication string to read aloud, derived from the SHA-256
 * of a server's public key (SPKI): the same key always gives the same words.
 * The one implementation: tlschatd prints it at start, tlschat on first use and
 * on /whois-server, show-cert.sh through tlschat --show-cert. */
#ifndef TLSCHAT_WORDS_H
#define TLSCHAT_WORDS_H

#include <stddef.h>

#define WORDS_GROUPS 5       /* groups of five decimal digits */
#define WORDS_TEXT_MAX 32    /* "12345 67890 13579 24680 11223" and the NUL */

/* The words of a public key's SHA-256 (32 bytes) into buf (WORDS_TEXT_MAX). */
void words_of_spki(const unsigned char *sha256, char *buf, size_t len);

#endif
