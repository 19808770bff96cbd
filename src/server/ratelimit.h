/* SPDX-License-Identifier: ISC */
/* ratelimit: a token bucket. A sender spends tokens for what it says; when
 * they run out, tlschatd stops reading from it until enough have come back, so
 * TCP holds the rest: a flooder is slowed, never cut off, and no line is lost. */
#ifndef TLSCHAT_RATELIMIT_H
#define TLSCHAT_RATELIMIT_H

#include <stdint.h>

struct bucket {
    double tokens;
    uint64_t at_ms; /* when tokens was last brought up to date */
};

/* A full bucket. */
void bucket_init(struct bucket *b, double burst, uint64_t now_ms);

/* Refill at rate per second up to burst, then take n (at most burst, so that
 * anything can pass eventually). 0 when taken; else the milliseconds until n
 * will be there, and nothing is taken. */
uint64_t bucket_take(struct bucket *b, double n, double rate, double burst, uint64_t now_ms);

#endif
