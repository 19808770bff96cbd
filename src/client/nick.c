/* SPDX-License-Identifier: ISC */
/* nick: the name tlschat asks for first, and what the answer means. */
#define _GNU_SOURCE /* memmem */
#include "nick.h"

#include <stdio.h>
#include <string.h>

void nick_choice_init(struct nick_choice *n, const char *base)
{
    memset(n, 0, sizeof *n);
    snprintf(n->base, sizeof n->base, "%s", base);
}

int nick_choice_next(struct nick_choice *n)
{
    size_t len = strlen(n->base);
    size_t extra = (size_t)n->tries; /* "_" after the name, one more each try */
    if (n->tries >= NICK_TRIES || len + extra > NICK_MAX)
        return 0;
    memcpy(n->current, n->base, len);
    memset(n->current + len, '_', extra);
    n->current[len + extra] = '\0';
    n->tries++;
    return 1;
}

static int starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

enum nick_verdict nick_verdict_of(const char *line, size_t len)
{
    if (starts_with(line, len, "! the nick ") && (memmem(line, len, " is taken", 9) != NULL))
        return NICK_TAKEN;
    if (starts_with(line, len, "! "))
        return NICK_REFUSED;
    return NICK_ACCEPTED;
}
