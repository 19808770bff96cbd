/* SPDX-License-Identifier: ISC */
/* seterr: an error sentence into a caller's buffer, for the library units that
 * report through (err, errlen) arguments (conn keeps its own in struct conn).
 * Internal to src/lib. */
#ifndef TLSCHAT_SETERR_H
#define TLSCHAT_SETERR_H

#include <stddef.h>

/* vsnprintf into err (nothing when err is NULL or errlen 0). */
__attribute__((format(printf, 3, 4))) void set_err(char *err, size_t errlen, const char *fmt, ...);

#endif
