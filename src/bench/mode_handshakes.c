/* SPDX-License-Identifier: ISC */
/* --handshakes N: C workers, each in turn: connect, TLS handshake, send one line,
 * read the echo, close. Latency is from connect() to the echo's newline. */
#include "bench.h"

#include <stdio.h>
#include <string.h>

static const char probe[] = "tlschat-bench handshake probe\n";

static int time_left(const struct bench *b)
{
    return bench_now_us() - b->t_measure_us < (uint64_t)b->opt.duration_s * 1000000u;
}

static void maybe_done(struct bench *b)
{
    for (size_t i = 0; i < b->nworkers; i++)
        if (b->workers[i].state != W_IDLE)
            return;
    bench_stop(b);
}

/* Start this worker's next connection, or let it rest when the run is over.
 * Bounded: every try counts toward N, also one that fails at once. */
static void next(struct worker *w)
{
    struct bench *b = w->b;
    linebuf_free(&w->in);
    linebuf_init(&w->in, 4096);
    while (b->phase == PHASE_MEASURE && b->n.started < b->opt.count && time_left(b))
        if (worker_connect(w) == 0)
            return;
    maybe_done(b);
}

static int start(struct bench *b)
{
    b->phase = PHASE_MEASURE;
    b->t_measure_us = bench_now_us();
    for (size_t i = 0; i < b->nworkers && b->phase == PHASE_MEASURE; i++)
        next(&b->workers[i]);
    return 0;
}

/* Counted here with --handshake-only (for servers that echo nothing, such as
 * openssl s_server); else the probe goes out and the echo completes it. */
static int ready(struct worker *w)
{
    struct bench *b = w->b;
    if (!b->opt.handshake_only)
        return worker_send(w, probe, sizeof probe - 1);
    b->n.completed++;
    if (latencies_add(&b->lat, bench_now_us() - w->started_us) < 0)
        bench_note_error(b, "out of memory for latencies");
    worker_close(w);
    next(w);
    return -1;
}

/* The first whole line back must be the probe: a server that answers
 * something else (an error, a greeting) has not echoed it. */
static int data(struct worker *w, const char *buf, size_t n)
{
    struct bench *b = w->b;
    const char *line;
    size_t len;
    if (linebuf_append(&w->in, buf, n) < 0) {
        worker_fail(w, "out of memory");
        return -1;
    }
    int r = linebuf_next(&w->in, &line, &len);
    if (r == 0)
        return 0;
    if (r == LINEBUF_TOO_LONG) {
        worker_fail(w, "the server answered a line longer than 4096 bytes instead of echoing the line");
        return -1;
    }
    if (len != sizeof probe - 2 || memcmp(line, probe, len) != 0) {
        char why[200];
        snprintf(why, sizeof why, "the server answered '%.*s' instead of echoing the line",
                 (int)(len > 80 ? 80 : len), line);
        worker_fail(w, why);
        return -1;
    }
    uint64_t now = bench_now_us();
    b->n.completed++;
    struct tls_summary sum;
    if (b->opt.resume && conn_summary(w->conn, &sum) == 0 && sum.resumed)
        b->n.resumed++;
    if (latencies_add(&b->lat, now - w->started_us) < 0)
        bench_note_error(b, "out of memory for latencies");
    worker_close(w);
    next(w);
    return -1; /* this connection is over; the worker may be on its next */
}

static void closed(struct worker *w, const char *error)
{
    (void)error;
    next(w);
}

static void finish(struct bench *b)
{
    bench_stop(b);
}

static void report(struct bench *b)
{
    double secs = bench_seconds(b->t_measure_us, b->t_end_us);
    bench_print_head(b, b->opt.concurrency);
    printf(" handshakes=%llu elapsed_s=%.3f handshakes_per_s=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f",
           (unsigned long long)b->n.completed, secs, secs > 0 ? (double)b->n.completed / secs : 0.0,
           latencies_ms(&b->lat, 50), latencies_ms(&b->lat, 99), latencies_ms(&b->lat, 100));
    if (b->opt.resume)
        printf(" resumed=%llu", (unsigned long long)b->n.resumed);
    bench_print_tail(b);
}

const struct mode_ops mode_handshakes = {"handshakes", start, ready, data, closed, finish, report};
