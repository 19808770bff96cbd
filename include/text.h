/* SPDX-License-Identifier: ISC */
/* text: make received text safe to print on someone's terminal. */
#ifndef TLSCHAT_TEXT_H
#define TLSCHAT_TEXT_H

#include <stddef.h>

/* In place: drop control characters other than tab (C0, DEL, and the C1 range
 * U+0080..U+009F that some terminals obey); the bidirectional marks, overrides
 * and isolates (U+200E, U+200F, U+061C, U+202A..U+202E, U+2066..U+2069); the
 * line and paragraph separators U+2028 and U+2029; and what shows as nothing:
 * zero-width space, non-joiner and joiner (U+200B..U+200D; a joiner between
 * two emoji stays, it makes them one), word joiner and invisible operators
 * (U+2060..U+2064), U+FEFF (BOM), soft hyphen, fillers, tag characters
 * (U+E0000..U+E007F) and the other invisible format characters. Bytes that
 * are not UTF-8 become '?'. Returns the new length; s is not NUL-terminated by it. */
size_t text_sanitize(char *s, size_t len);

#endif
