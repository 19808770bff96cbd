/* SPDX-License-Identifier: ISC */
/* --chat: C clients join one room; once all are in (and the join notices have
 * passed), --senders of them send lines in turn and every client counts the
 * lines it receives. A line counts as delivered when it holds the bench's
 * marker, whatever prefix the server put before it ("<guest3> " for tlschatd,
 * "<user#3> " for ncat --chat). Flow control: the senders stop while the
 * receivers lag more than --window lines behind, so a server is measured at
 * the rate it can fan out, not at the rate it can drop slow clients.
 * With --rate R the senders instead say R lines a second between them, paced by
 * the clock whatever the receivers do, each line stamped with the time it was
 * sent: every receiver notes how long it took to arrive (latency under load). */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARKER "bench-chat "
#define STAMP_DIGITS 16 /* microseconds, right after the marker */
/* Before the clock starts: a room may hold a quiet newcomer for up to 2 s
 * before it joins (tlschatd does, to learn its nick), and the join notices
 * of a crowd are told once a second. */
#define SETTLE_MS 3000

static void on_duration(struct loop *loop, void *arg)
{
    (void)loop;
    struct bench *b = arg;
    b->mode->finish(b);
}

static int make_line(struct bench *b)
{
    size_t least = sizeof MARKER + STAMP_DIGITS + 2;
    size_t len = b->opt.line_bytes < least ? least : b->opt.line_bytes;
    b->line = malloc(len);
    if (!b->line) {
        fprintf(stderr, "%s: out of memory\n", BENCH_PROG);
        return -1;
    }
    memset(b->line, 'x', len);
    memcpy(b->line, MARKER, sizeof MARKER - 1);
    b->line[len - 1] = '\n';
    b->line_len = len;
    return 0;
}

/* Lines sent but not yet received by everyone, counted per receiver. */
static int may_send(const struct bench *b)
{
    int64_t receivers = (int64_t)b->alive - 1;
    int64_t owed = (int64_t)b->n.lines_out * receivers - (int64_t)b->n.lines_in;
    return receivers > 0 && owed < (int64_t)b->opt.window * receivers;
}

static void pump(struct bench *b)
{
    size_t tries = 0;
    while (b->phase == PHASE_MEASURE && may_send(b) && tries++ < b->nworkers) {
        struct worker *w = &b->workers[b->rr];
        b->rr = (b->rr + 1) % b->nworkers;
        if (!w->sender || w->state != W_READY)
            continue;
        tries = 0;
        b->n.lines_out++;
        worker_send(w, b->line, b->line_len);
    }
}

/* --rate: the next sender in turn says one stamped line. */
static void send_paced(struct bench *b)
{
    for (size_t tries = 0; tries < b->nworkers; tries++) {
        struct worker *w = &b->workers[b->rr];
        b->rr = (b->rr + 1) % b->nworkers;
        if (!w->sender || w->state != W_READY)
            continue;
        char stamp[STAMP_DIGITS + 1];
        snprintf(stamp, sizeof stamp, "%0*llu", STAMP_DIGITS, (unsigned long long)bench_now_us());
        memcpy(b->line + sizeof MARKER - 1, stamp, STAMP_DIGITS);
        b->n.lines_out++;
        worker_send(w, b->line, b->line_len);
        return;
    }
}

/* Every line that is due by now goes out, then sleep until the next is due. */
static void on_pace(struct loop *loop, void *arg)
{
    struct bench *b = arg;
    uint64_t elapsed = bench_now_us() - b->t_measure_us;
    uint64_t due = elapsed * b->opt.rate / 1000000u + 1;
    while (b->phase == PHASE_MEASURE && b->paced < due) {
        b->paced++;
        send_paced(b);
    }
    if (b->phase != PHASE_MEASURE)
        return;
    uint64_t next_us = b->paced * 1000000u / b->opt.rate;
    uint64_t ms = next_us > elapsed ? (next_us - elapsed + 999) / 1000 : 0;
    loop_timer_set(loop, &b->pace_timer, ms, on_pace, b);
}

static void on_settled(struct loop *loop, void *arg)
{
    struct bench *b = arg;
    b->phase = PHASE_MEASURE;
    b->t_measure_us = bench_now_us();
    b->n.lines_out = b->n.lines_in = b->n.bytes_in = b->n.other_lines = 0;
    loop_timer_set(loop, &b->phase_timer, (uint64_t)b->opt.duration_s * 1000, on_duration, b);
    if (b->opt.rate)
        on_pace(loop, b);
    else
        pump(b);
}

/* --rate: how long the line took from its sender's stamp to here. */
static void note_latency(struct bench *b, const char *marker, const char *end)
{
    const char *p = marker + sizeof MARKER - 1;
    if (end - p < STAMP_DIGITS)
        return;
    uint64_t sent = 0;
    for (int i = 0; i < STAMP_DIGITS; i++) {
        if (p[i] < '0' || p[i] > '9')
            return;
        sent = sent * 10 + (uint64_t)(p[i] - '0');
    }
    uint64_t now = bench_now_us();
    if (now >= sent && latencies_add(&b->lat, now - sent) < 0)
        bench_note_error(b, "out of memory for latencies");
}

static void setup_check(struct bench *b)
{
    if (b->phase != PHASE_SETUP || b->in_progress != 0) /* some are still connecting */
        return;
    if (b->alive < 2) {
        bench_stop(b);
        return;
    }
    loop_timer_set(b->loop, &b->phase_timer, SETTLE_MS, on_settled, b);
}

static int start(struct bench *b)
{
    if (make_line(b) < 0)
        return -1;
    b->phase = PHASE_SETUP;
    for (size_t i = 0; i < b->nworkers; i++) {
        b->workers[i].sender = i < b->opt.senders;
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
    setup_check(w->b);
    return 0;
}

static int data(struct worker *w, const char *buf, size_t n)
{
    struct bench *b = w->b;
    const char *line;
    size_t len;
    int r;
    if (linebuf_append(&w->in, buf, n) < 0) {
        worker_fail(w, "out of memory");
        return -1;
    }
    while ((r = linebuf_next(&w->in, &line, &len)) != 0) {
        if (r == LINEBUF_TOO_LONG) {
            worker_fail(w, "the server sent a line longer than 64 KiB");
            return -1;
        }
        if (b->phase != PHASE_MEASURE)
            continue;
        const char *marker = memmem(line, len, MARKER, sizeof MARKER - 1);
        if (marker) {
            b->n.lines_in++;
            b->n.bytes_in += len + 1;
            if (b->opt.rate)
                note_latency(b, marker, line + len);
        } else {
            b->n.other_lines++;
        }
    }
    if (!b->opt.rate)
        pump(b); /* sends from any sender, w among them, and a send may fail */
    return w->state == W_READY ? 0 : -1;
}

static void closed(struct worker *w, const char *error)
{
    (void)error;
    struct bench *b = w->b;
    linebuf_free(&w->in);
    linebuf_init(&w->in, 65536);
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
    else if (b->alive < 2)
        b->mode->finish(b);
}

static void finish(struct bench *b)
{
    loop_timer_cancel(b->loop, &b->phase_timer);
    loop_timer_cancel(b->loop, &b->pace_timer);
    bench_stop(b);
}

static void report(struct bench *b)
{
    double secs = b->t_measure_us ? bench_seconds(b->t_measure_us, b->t_end_us) : 0.0;
    bench_print_head(b, b->opt.concurrency);
    printf(" connected=%llu senders=%u size=%zu window=%u sent=%llu delivered=%llu elapsed_s=%.3f delivered_per_s=%.1f sent_per_s=%.1f fanout=%.2f other_lines=%llu lost=%llu",
           (unsigned long long)b->n.ready, b->opt.senders, b->line_len, b->opt.window,
           (unsigned long long)b->n.lines_out, (unsigned long long)b->n.lines_in, secs,
           secs > 0 ? (double)b->n.lines_in / secs : 0.0, secs > 0 ? (double)b->n.lines_out / secs : 0.0,
           b->n.lines_out ? (double)b->n.lines_in / (double)b->n.lines_out : 0.0,
           (unsigned long long)b->n.other_lines, (unsigned long long)b->lost);
    if (b->opt.rate)
        printf(" rate=%u latency_samples=%zu p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f", b->opt.rate,
               b->lat.n, latencies_ms(&b->lat, 50), latencies_ms(&b->lat, 90), latencies_ms(&b->lat, 99),
               latencies_ms(&b->lat, 99.9), latencies_ms(&b->lat, 100));
    bench_print_tail(b);
    free(b->line);
    b->line = NULL;
}

const struct mode_ops mode_chat = {"chat", start, ready, data, closed, finish, report};
