/* SPDX-License-Identifier: ISC */
/* tlschat-bench: set up (limits, address, TLS context, loop, signals), let the
 * mode run its connections, print its summary line. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "proc.h"

#define FD_SPARE 32 /* stdin/out/err, epoll, signalfd, and some slack */

/* tlschat-bench's options, for the SSL layer's hints. */
static const struct tls_words bench_words = {.ca = "--ca", .servername = "--servername"};

void bench_stop(struct bench *b)
{
    if (!b->t_end_us)
        b->t_end_us = bench_now_us();
    b->phase = PHASE_DONE;
    loop_stop(b->loop);
}

/* Take every descriptor the hard limit allows; 1 if that is still too few. */
static int raise_fd_limit(const struct bench *b, size_t conns)
{
    char err[256];
    if (proc_raise_fd_limit(conns + FD_SPARE, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "%s: %s: %s\n", BENCH_PROG, b->mode->name, err);
    return 1;
}

static int resolve(struct bench *b)
{
    char err[256];
    if (net_resolve(b->opt.host, b->opt.port, &b->addr, &b->addrlen, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", BENCH_PROG, err);
        return -1;
    }
    net_addr_text((struct sockaddr *)&b->addr, b->target, sizeof b->target);
    if (b->opt.sources && b->addr.ss_family != AF_INET) {
        fprintf(stderr, "%s: --sources spreads connections over 127.0.0.x: give an IPv4 server address, e.g. 127.0.0.1\n",
                BENCH_PROG);
        return -1;
    }
    return 0;
}

static void on_deadline(struct loop *loop, void *arg)
{
    (void)loop;
    struct bench *b = arg;
    if (!b->stopped_by)
        b->stopped_by = "deadline";
    b->mode->finish(b);
    bench_stop(b); /* whatever the mode did, nothing runs past the deadline */
}

static void on_signal(struct loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)events;
    struct bench *b = arg;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (!b->stopped_by)
            b->stopped_by = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        b->mode->finish(b);
    }
}

static void on_stdin(struct loop *loop, int fd, unsigned events, void *arg)
{
    (void)events;
    struct bench *b = arg;
    ssize_t n = read(fd, b->scratch, sizeof b->scratch);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        loop_del(loop, fd);
        if (!b->stopped_by)
            b->stopped_by = "stdin-EOF";
        b->mode->finish(b);
    }
}

static int setup_signals(struct bench *b)
{
    static const int signals[] = {SIGINT, SIGTERM};
    char err[256];
    if ((b->sigfd = proc_signalfd(signals, 2, err, sizeof err)) < 0 ||
        loop_add(b->loop, b->sigfd, LOOP_READ, on_signal, b) < 0) {
        fprintf(stderr, "%s: %s\n", BENCH_PROG, b->sigfd < 0 ? err : "cannot watch signals");
        return -1;
    }
    return 0;
}

/* hold: end of input on a pipe or terminal stops it; /dev/null or a file does not
 * (a background job's stdin is /dev/null). */
static void watch_stdin(struct bench *b)
{
    struct stat st;
    if (fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(0)) &&
        loop_add(b->loop, 0, LOOP_READ, on_stdin, b) == 0)
        b->watch_stdin = 1;
}

static const struct mode_ops *mode_for(enum bench_mode m)
{
    switch (m) {
    case MODE_HANDSHAKES: return &mode_handshakes;
    case MODE_ECHO: return &mode_echo;
    case MODE_HOLD: return &mode_hold;
    case MODE_CHAT: return &mode_chat;
    case MODE_NONE: break;
    }
    return NULL;
}

static int make_tls(struct bench *b)
{
    if (b->opt.plain)
        return 0;
    struct tls_config cfg;
    char err[512];
    tls_config_init(&cfg);
    cfg.ca_file = b->opt.insecure ? NULL : b->opt.ca_file;
    cfg.insecure = b->opt.insecure;
    cfg.resume_sessions = b->opt.resume;
    cfg.words = &bench_words;
    cfg.ignore_env = 1; /* a stray SSLKEYLOGFILE would slow every handshake */
    b->tls = tls_client_new(&cfg, err, sizeof err);
    if (!b->tls) {
        fprintf(stderr, "%s: %s\n", BENCH_PROG, err);
        return -1;
    }
    return 0;
}

static int make_workers(struct bench *b)
{
    b->nworkers = b->opt.mode == MODE_HOLD ? b->opt.count : b->opt.concurrency;
    b->workers = calloc(b->nworkers, sizeof *b->workers);
    if (!b->workers) {
        fprintf(stderr, "%s: out of memory for %zu connections\n", BENCH_PROG, b->nworkers);
        return -1;
    }
    for (size_t i = 0; i < b->nworkers; i++) {
        struct worker *w = &b->workers[i];
        w->b = b;
        w->idx = (unsigned)i;
        w->fd = -1;
        linebuf_init(&w->in, 65536);
    }
    return 0;
}

static void free_workers(struct bench *b)
{
    for (size_t i = 0; i < b->nworkers; i++) {
        worker_close(&b->workers[i]);
        bytebuf_free(&b->workers[i].out);
        linebuf_free(&b->workers[i].in);
    }
    free(b->workers);
}

/* Nothing runs past this: setup, the measurement, and slack to wind down. */
static uint64_t hard_deadline_ms(const struct bench_options *o)
{
    uint64_t s = (uint64_t)o->duration_s + o->timeout_s + 10;
    if (o->mode == MODE_HOLD || o->mode == MODE_CHAT || o->mode == MODE_ECHO)
        s += o->timeout_s; /* all connections are made before the clock starts */
    if (o->mode == MODE_HOLD)
        s += o->count / 100; /* and there may be many of them */
    return s * 1000;
}

int main(int argc, char **argv)
{
    struct bench *b = calloc(1, sizeof *b);
    char err[256];
    int rc = 1;
    if (!b) {
        fprintf(stderr, "%s: out of memory\n", BENCH_PROG);
        return 1;
    }
    b->sigfd = -1;
    int prc = bench_options_parse(&b->opt, argc, argv);
    if (prc != 0) {
        free(b);
        return prc == 1 ? 0 : 2;
    }
    b->mode = mode_for(b->opt.mode);
    if (raise_fd_limit(b, b->opt.mode == MODE_HOLD ? b->opt.count : b->opt.concurrency) ||
        resolve(b) < 0 || make_tls(b) < 0)
        goto out;
    if (!(b->loop = loop_new(err, sizeof err))) {
        fprintf(stderr, "%s: %s\n", BENCH_PROG, err);
        goto out;
    }
    if (setup_signals(b) < 0 || make_workers(b) < 0)
        goto out;
    if (b->opt.mode == MODE_HOLD)
        watch_stdin(b);
    b->t_begin_us = bench_now_us();
    b->cpu_begin_s = bench_cpu_seconds();
    loop_timer_set(b->loop, &b->deadline, hard_deadline_ms(&b->opt), on_deadline, b);
    if (b->mode->start(b) < 0)
        goto out;
    if (b->phase != PHASE_DONE && loop_run(b->loop) < 0) {
        fprintf(stderr, "%s: the event loop failed: %s\n", BENCH_PROG, strerror(errno));
        goto out;
    }
    if (!b->t_end_us)
        b->t_end_us = bench_now_us();
    b->mode->report(b);
    rc = 0;
    uint64_t got = b->n.completed + b->n.lines_in + (b->opt.mode == MODE_HOLD ? b->lost : 0);
    if (got == 0) {
        fprintf(stderr, "%s: nothing got through to %s, so nothing was measured%s\n", BENCH_PROG, b->target,
                b->first_error[0] ? " (see the first error above)" : "");
        rc = 1;
    }
out:
    if (b->workers)
        free_workers(b);
    if (b->sigfd >= 0)
        close(b->sigfd);
    latencies_free(&b->lat);
    tls_free(b->tls);
    loop_free(b->loop);
    free(b);
    return rc;
}
