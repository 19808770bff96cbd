/* SPDX-License-Identifier: ISC */
/* ratelimit: token buckets, refilled lazily on use. */
#include "ratelimit.h"

void bucket_init(struct bucket *b, double burst, uint64_t now_ms)
{
    b->tokens = burst;
    b->at_ms = now_ms;
}

uint64_t bucket_take(struct bucket *b, double n, double rate, double burst, uint64_t now_ms)
{
    if (now_ms > b->at_ms) {
        b->tokens += (double)(now_ms - b->at_ms) * rate / 1000.0;
        if (b->tokens > burst)
            b->tokens = burst;
        b->at_ms = now_ms;
    }
    if (n > burst)
        n = burst;
    if (b->tokens >= n) {
        b->tokens -= n;
        return 0;
    }
    uint64_t ms = (uint64_t)((n - b->tokens) * 1000.0 / rate) + 1;
    return ms;
}
