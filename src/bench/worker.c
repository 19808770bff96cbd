/* SPDX-License-Identifier: ISC */
/* worker: one client connection driven by the event loop. Non-blocking connect
 * (net_connect_start/finish), then conn_handshake, then conn_send / conn_recv
 * with the mode's callbacks. A callback that closed or restarted its worker
 * says so by returning -1. Which events to wait for is conn's answer. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "net.h"

#define READ_BUDGET (1u << 20) /* per event: then let the others run */

_Static_assert(CONN_READ == LOOP_READ && CONN_WRITE == LOOP_WRITE, "conn's and loop's event bits are the same");

static void on_event(struct loop *loop, int fd, unsigned events, void *arg);

static void set_events(struct worker *w, unsigned events)
{
    if (w->events != events && loop_set_events(w->b->loop, w->fd, events) == 0)
        w->events = events;
}

/* Wait for what conn says the next calls need. */
static void watch(struct worker *w)
{
    set_events(w, conn_events(w->conn, 1, bytebuf_size(&w->out) > 0));
}

void worker_close(struct worker *w)
{
    struct bench *b = w->b;
    loop_timer_cancel(b->loop, &w->timeout);
    loop_timer_cancel(b->loop, &w->kick);
    if (w->state != W_IDLE) {
        loop_del(b->loop, w->fd);
        if (w->conn)
            conn_close(w->conn); /* close_notify, best effort, and the fd */
        else if (w->fd >= 0)
            close(w->fd);
    }
    w->conn = NULL;
    w->fd = -1;
    w->state = W_IDLE;
    w->events = 0;
    bytebuf_consume(&w->out, bytebuf_size(&w->out)); /* what was queued is void */
}

void worker_fail(struct worker *w, const char *why)
{
    char msg[sizeof w->b->first_error];
    snprintf(msg, sizeof msg, "%s", why); /* why may live in the conn we close */
    bench_note_error(w->b, msg);
    worker_close(w);
    w->b->mode->closed(w, msg);
}

/* A connect that failed at once: counted, but the mode is not called back
 * (it is the caller), so a mode that restarts on failure cannot recurse. */
static int connect_failed(struct worker *w, const char *why)
{
    bench_note_error(w->b, why);
    worker_close(w);
    return -1;
}

void worker_keep_socket_only(struct worker *w)
{
    if (w->state != W_READY)
        return;
    w->fd = conn_detach(w->conn);
    w->conn = NULL;
    w->state = W_HELD;
    bytebuf_free(&w->out);
    linebuf_free(&w->in);
    set_events(w, LOOP_READ);
}

/* Read and drop what the server sends a held socket; its end is a loss. */
static void drain(struct worker *w)
{
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(w->fd, w->b->scratch, sizeof w->b->scratch);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n == 0)
            w->b->n.closed_by_peer++;
        worker_fail(w, n == 0 ? "the server closed a held connection" : strerror(errno));
        return;
    }
}

void worker_settle(struct worker *w)
{
    loop_timer_cancel(w->b->loop, &w->timeout);
}

static void on_timeout(struct loop *loop, void *arg)
{
    (void)loop;
    struct worker *w = arg;
    char why[160];
    snprintf(why, sizeof why, "no %s from %s within %u s",
             w->state == W_CONNECTING    ? "connection"
             : w->state == W_HANDSHAKING ? "TLS handshake"
                                         : "reply",
             w->b->target, w->b->opt.timeout_s);
    worker_fail(w, why);
}

static void service(struct worker *w);

static void on_kick(struct loop *loop, void *arg)
{
    (void)loop;
    service(arg);
}

int worker_connect(struct worker *w)
{
    struct bench *b = w->b;
    char why[200];
    if (w->state != W_IDLE)
        worker_close(w);
    w->started_us = bench_now_us();
    b->n.started++;
    struct sockaddr_in src = {.sin_family = AF_INET};
    if (b->opt.sources) /* 127.0.0.1, .2, ... in turn: ports to the server per address */
        src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)(w->idx % b->opt.sources));
    int fd = net_connect_start_from((struct sockaddr *)&b->addr, b->addrlen,
                                    b->opt.sources ? (struct sockaddr *)&src : NULL, sizeof src, why, sizeof why);
    if (fd < 0)
        return connect_failed(w, why);
    w->fd = fd;
    w->state = W_CONNECTING;
    const char *name = b->opt.servername ? b->opt.servername : b->opt.host;
    w->conn = conn_new(fd, b->tls, CONN_CLIENT, name, why, sizeof why);
    if (!w->conn) {
        w->fd = -1; /* conn_new closed it */
        w->state = W_IDLE;
        return connect_failed(w, why);
    }
    if (loop_add(b->loop, fd, LOOP_WRITE, on_event, w) < 0) {
        snprintf(why, sizeof why, "cannot watch a connection: %s", strerror(errno));
        return connect_failed(w, why);
    }
    w->events = LOOP_WRITE;
    loop_timer_set(b->loop, &w->timeout, (uint64_t)b->opt.timeout_s * 1000, on_timeout, w);
    return 0;
}

/* Send what is queued. 0, or -1 when the worker failed (and was closed). */
static int flush(struct worker *w)
{
    while (bytebuf_size(&w->out) > 0) {
        ssize_t r = conn_send(w->conn, bytebuf_head(&w->out), bytebuf_size(&w->out));
        if (r > 0) {
            bytebuf_consume(&w->out, (size_t)r);
        } else if (conn_again(r)) {
            return 0; /* conn remembers which; watch() asks it */
        } else {
            worker_fail(w, r == CONN_EOF ? "the server closed the connection" : conn_error(w->conn));
            return -1;
        }
    }
    return 0;
}

int worker_send(struct worker *w, const void *buf, size_t len)
{
    if (w->state != W_READY)
        return -1;
    if (bytebuf_append(&w->out, buf, len) < 0) {
        worker_fail(w, "out of memory");
        return -1;
    }
    if (flush(w) < 0)
        return -1;
    watch(w);
    return 0;
}

static void remember_session(struct worker *w)
{
    struct bench *b = w->b;
    if (b->tls_desc[0])
        return;
    struct tls_summary s;
    if (conn_summary(w->conn, &s) == 0)
        snprintf(b->tls_desc, sizeof b->tls_desc, "proto=%s cipher=%s group=%s verified=%s", s.version, s.cipher,
                 s.group, b->opt.insecure ? "no" : "yes");
    else
        snprintf(b->tls_desc, sizeof b->tls_desc, "proto=plaintext");
}

/* Read everything there is (up to a budget), then send what the mode queued. */
static void service(struct worker *w)
{
    struct bench *b = w->b;
    if (bytebuf_size(&w->out) > 0 && flush(w) < 0)
        return;
    size_t got = 0;
    for (;;) {
        ssize_t n = conn_recv(w->conn, b->scratch, sizeof b->scratch);
        if (n > 0) {
            if (b->mode->data(w, b->scratch, (size_t)n) < 0)
                return;
            got += (size_t)n;
            if (got >= READ_BUDGET) { /* more may wait inside TLS: come back soon */
                loop_timer_set(b->loop, &w->kick, 0, on_kick, w);
                break;
            }
            /* Nothing left inside TLS: the loop is level-triggered, so what is
             * still in the socket wakes us again. Not asking once more saves a
             * read(2) that would say EAGAIN, per line received. */
            if (conn_pending(w->conn) == 0)
                break;
            continue;
        }
        if (conn_again(n))
            break;
        if (n == CONN_EOF) {
            b->n.closed_by_peer++;
            worker_fail(w, "the server closed the connection");
        } else {
            worker_fail(w, conn_error(w->conn));
        }
        return;
    }
    watch(w);
}

static void handshake(struct worker *w)
{
    int rc = conn_handshake(w->conn);
    if (conn_again(rc)) {
        watch(w);
        return;
    }
    if (rc != CONN_DONE) {
        worker_fail(w, conn_error(w->conn));
        return;
    }
    w->state = W_READY;
    w->b->n.ready++;
    remember_session(w);
    watch(w);
    if (w->b->mode->ready(w) == 0)
        service(w); /* the server may have spoken right behind its Finished */
}

/* A stale event (from a batch in which this fd number was closed and reused)
 * must not be taken for a finished connect: net_connect_finish asks the socket. */
static int connect_done(struct worker *w)
{
    char why[200];
    int rc = net_connect_finish(w->fd, why, sizeof why);
    if (rc < 0)
        worker_fail(w, why);
    return rc;
}

static void on_event(struct loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct worker *w = arg;
    switch (w->state) {
    case W_CONNECTING:
        if (connect_done(w) != 1)
            return;
        w->state = W_HANDSHAKING;
        /* fall through */
    case W_HANDSHAKING:
        handshake(w);
        return;
    case W_READY:
        service(w);
        return;
    case W_HELD:
        drain(w);
        return;
    case W_IDLE:
        return;
    }
}
