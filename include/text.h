/* text: make received text safe to print on someone's terminal. */
#ifndef TLSCHAT_TEXT_H
#define TLSCHAT_TEXT_H

#include <stddef.h>

/* In place: drop control characters other than tab (C0, DEL, and the C1 range
 * U+0080..U+009F that some terminals obey) and the bidirectional overrides and
 * isolates (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C); replace
 * bytes that are not UTF-8 with '?'. Returns the new length; s is not NUL-terminated by it. */
size_t text_sanitize(char *s, size_t len);

#endif
