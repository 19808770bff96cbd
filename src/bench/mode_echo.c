/* SPDX-License-Identifier: ISC */
/* --echo: C persistent connections; once all are up, each keeps --window lines
 * of --size bytes in flight: one more goes out for every echoed line. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_duration(struct loop *loop, void *arg)
{
    (void)loop;
    struct bench *b = arg;
    b->mode->finish(b);
}

/* window lines of line_bytes each: x...x\n */
static int make_lines(struct bench *b)
{
    size_t one = b->opt.line_bytes;
    b->line_len = one * b->opt.window;
    b->line = malloc(b->line_len);
    if (!b->line) {
        fprintf(stderr, "%s: out of memory\n", BENCH_PROG);
        return -1;
    }
    memset(b->line, 'x', b->line_len);
    for (size_t i = 1; i <= b->opt.window; i++)
        b->line[i * one - 1] = '\n';
    return 0;
}

/* 0, or -1 when w failed and was closed. */
static int send_lines(struct worker *w, size_t k)
{
    struct bench *b = w->b;
    if (b->opt.count && b->n.lines_out + k > b->opt.count)
        k = b->n.lines_out < b->opt.count ? b->opt.count - b->n.lines_out : 0;
    if (k > b->opt.window)
        k = b->opt.window;
    if (k == 0)
        return 0;
    b->n.lines_out += k;
    return worker_send(w, b->line, k * b->opt.line_bytes);
}

static void begin_measure(struct bench *b)
{
    if (b->alive == 0) {
        bench_stop(b);
        return;
    }
    b->phase = PHASE_MEASURE;
    b->t_measure_us = bench_now_us();
    loop_timer_set(b->loop, &b->phase_timer, (uint64_t)b->opt.duration_s * 1000, on_duration, b);
    for (size_t i = 0; i < b->nworkers && b->phase == PHASE_MEASURE; i++)
        if (b->workers[i].state == W_READY)
            send_lines(&b->workers[i], b->opt.window);
}

/* Every connection has either finished its handshake or failed. */
static void setup_check(struct bench *b)
{
    if (b->phase == PHASE_SETUP && b->in_progress == 0)
        begin_measure(b);
}

static int start(struct bench *b)
{
    if (make_lines(b) < 0)
        return -1;
    b->phase = PHASE_SETUP;
    for (size_t i = 0; i < b->nworkers; i++) {
        if (worker_connect(&b->workers[i]) == 0)
            b->in_progress++;
        else
            b->setup_failed++;
    }
    setup_check(b);
    return 0;
}

static int ready(struct worker *w)
{
    worker_settle(w);
    w->settled = 1;
    w->b->alive++;
    w->b->in_progress--;
    setup_check(w->b); /* measuring may begin, and a send to w fail */
    return w->state == W_READY ? 0 : -1;
}

static int data(struct worker *w, const char *buf, size_t n)
{
    struct bench *b = w->b;
    if (b->phase != PHASE_MEASURE)
        return 0;
    size_t k = 0;
    for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        k++;
    b->n.bytes_in += n;
    b->n.lines_in += k;
    if (b->opt.count && b->n.lines_in >= b->opt.count) {
        b->mode->finish(b);
        return -1; /* the run is over */
    }
    return send_lines(w, k);
}

static void closed(struct worker *w, const char *error)
{
    (void)error;
    struct bench *b = w->b;
    if (!w->settled) { /* it never got ready */
        b->setup_failed++;
        b->in_progress--;
        setup_check(b);
        return;
    }
    w->settled = 0;
    b->lost++;
    b->alive--;
    if (b->phase == PHASE_SETUP)
        setup_check(b);
    else if (b->alive < 1)
        b->mode->finish(b);
}

static void finish(struct bench *b)
{
    loop_timer_cancel(b->loop, &b->phase_timer);
    bench_stop(b);
}

static void report(struct bench *b)
{
    double secs = b->t_measure_us ? bench_seconds(b->t_measure_us, b->t_end_us) : 0.0;
    bench_print_head(b, b->opt.concurrency);
    printf(" connected=%llu size=%zu window=%u lines=%llu bytes=%llu elapsed_s=%.3f lines_per_s=%.1f MB_per_s=%.2f lost=%llu",
           (unsigned long long)b->n.ready, b->opt.line_bytes, b->opt.window, (unsigned long long)b->n.lines_in,
           (unsigned long long)b->n.bytes_in, secs, secs > 0 ? (double)b->n.lines_in / secs : 0.0,
           secs > 0 ? (double)b->n.bytes_in / 1e6 / secs : 0.0, (unsigned long long)b->lost);
    bench_print_tail(b);
    free(b->line);
    b->line = NULL;
}

const struct mode_ops mode_echo = {"echo", start, ready, data, closed, finish, report};
