/* SPDX-License-Identifier: ISC */
/* --hold N: open N connections, C handshakes at a time. Each sends one empty
 * line and counts as established when a line comes back (then the server, not
 * only the client, has finished the handshake): an echo server echoes it, a
 * chat room ignores it and greets the newcomer, so a crowd held in a chat room
 * only joins it and says nothing. When every one has been tried, print a line;
 * then hold them until a signal, end of input, or --duration. With --lean an
 * established connection keeps only its socket, so 100,000 fit in the bench. */
#include "bench.h"

#include <stdio.h>
#include <string.h>

static const char hello[] = "\n";

static void on_duration(struct loop *loop, void *arg)
{
    (void)loop;
    struct bench *b = arg;
    b->mode->finish(b);
}

static void announce(struct bench *b)
{
    double secs = bench_seconds(b->t_begin_us, b->t_measure_us);
    bench_print_head(b, b->opt.concurrency);
    printf(" event=established wanted=%lu established=%llu failed=%zu setup_s=%.3f all=%s\n", b->opt.count,
           (unsigned long long)b->n.completed, b->setup_failed, secs,
           b->n.completed == b->opt.count ? "yes" : "no");
    fflush(stdout);
}

static void launch(struct bench *b)
{
    while (b->phase == PHASE_SETUP && b->in_progress < b->opt.concurrency && b->next_worker < b->nworkers) {
        struct worker *w = &b->workers[b->next_worker++];
        if (worker_connect(w) == 0)
            b->in_progress++;
        else
            b->setup_failed++;
    }
    if (b->phase == PHASE_SETUP && b->in_progress == 0 && b->next_worker == b->nworkers) {
        b->phase = PHASE_MEASURE;
        b->t_measure_us = bench_now_us();
        announce(b);
        loop_timer_set(b->loop, &b->phase_timer, (uint64_t)b->opt.duration_s * 1000, on_duration, b);
    }
}

static int start(struct bench *b)
{
    b->phase = PHASE_SETUP;
    launch(b);
    return 0;
}

static int ready(struct worker *w)
{
    return worker_send(w, hello, sizeof hello - 1);
}

static int data(struct worker *w, const char *buf, size_t n)
{
    struct bench *b = w->b;
    if (w->settled || !memchr(buf, '\n', n))
        return 0;
    w->settled = 1;
    worker_settle(w);
    b->n.completed++;
    b->in_progress--;
    launch(b); /* connects others; w is held as it is */
    if (!b->opt.lean)
        return 0;
    worker_keep_socket_only(w); /* its TLS state goes: the bench stays small */
    return -1;                  /* no more conn_recv on it */
}

static void closed(struct worker *w, const char *error)
{
    (void)error;
    struct bench *b = w->b;
    if (w->settled) {
        w->settled = 0;
        b->lost++;
        b->n.completed--;
        return;
    }
    b->setup_failed++;
    b->in_progress--;
    launch(b);
}

static void finish(struct bench *b)
{
    if (b->phase == PHASE_SETUP && !b->t_measure_us) {
        b->t_measure_us = bench_now_us();
        announce(b); /* stopped before all were tried: say how far it got */
    }
    loop_timer_cancel(b->loop, &b->phase_timer);
    bench_stop(b);
}

static void report(struct bench *b)
{
    bench_print_head(b, b->opt.concurrency);
    printf(" event=done wanted=%lu established=%llu still_open=%llu lost=%llu held_s=%.3f",
           b->opt.count, (unsigned long long)b->n.completed + b->lost, (unsigned long long)b->n.completed,
           (unsigned long long)b->lost, bench_seconds(b->t_measure_us, b->t_end_us));
    bench_print_tail(b);
}

const struct mode_ops mode_hold = {"hold", start, ready, data, closed, finish, report};
