/* SPDX-License-Identifier: ISC */
/* stats: clocks, latency percentiles, CPU use, and the common parts of the
 * summary line. */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

uint64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

double bench_seconds(uint64_t from_us, uint64_t to_us)
{
    return to_us > from_us ? (double)(to_us - from_us) / 1e6 : 0.0;
}

int latencies_add(struct latencies *l, uint64_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        uint32_t *p = realloc(l->us, cap * sizeof *p);
        if (!p)
            return -1;
        l->us = p;
        l->cap = cap;
    }
    l->us[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    l->sorted = 0;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least pct% of the samples at or below it. */
double latencies_ms(struct latencies *l, double pct)
{
    if (l->n == 0)
        return 0.0;
    if (!l->sorted) {
        qsort(l->us, l->n, sizeof *l->us, cmp_u32);
        l->sorted = 1;
    }
    size_t rank = (size_t)(pct / 100.0 * (double)l->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > l->n)
        rank = l->n;
    return l->us[rank - 1] / 1000.0;
}

void latencies_free(struct latencies *l)
{
    free(l->us);
    memset(l, 0, sizeof *l);
}

double bench_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

double bench_cpu_pct(const struct bench *b)
{
    double wall = bench_seconds(b->t_begin_us, b->t_end_us ? b->t_end_us : bench_now_us());
    return wall > 0 ? 100.0 * (bench_cpu_seconds() - b->cpu_begin_s) / wall : 0.0;
}

void bench_note_error(struct bench *b, const char *why)
{
    b->n.errors++;
    if (!b->first_error[0])
        snprintf(b->first_error, sizeof b->first_error, "%s", why);
}

void bench_print_head(const struct bench *b, unsigned concurrency)
{
    printf("mode=%s label=%s target=%s %s concurrency=%u", b->mode->name, b->opt.label, b->target,
           b->tls_desc[0] ? b->tls_desc : (b->opt.plain ? "proto=plaintext" : "proto=none"), concurrency);
}

/* Errors and how the run ended; the first error goes to stderr as a sentence. */
void bench_print_tail(const struct bench *b)
{
    printf(" errors=%llu peer_closed=%llu bench_cpu_pct=%.0f stopped_by=%s\n", (unsigned long long)b->n.errors,
           (unsigned long long)b->n.closed_by_peer, bench_cpu_pct(b), b->stopped_by ? b->stopped_by : "end");
    fflush(stdout);
    if (b->first_error[0])
        fprintf(stderr, "%s: %llu connection%s failed; the first: %s\n", BENCH_PROG,
                (unsigned long long)b->n.errors, b->n.errors == 1 ? "" : "s", b->first_error);
}
