/* SPDX-License-Identifier: ISC */
/* loop: an epoll event loop with fd handlers, read/write interest and monotonic
 * timers. Knows nothing of TLS or the protocol. */
#ifndef TLSCHAT_LOOP_H
#define TLSCHAT_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define LOOP_READ  1u
#define LOOP_WRITE 2u
#define LOOP_ERROR 4u /* hang-up or error: read to learn what happened */

struct loop;
typedef void (*loop_fd_fn)(struct loop *loop, int fd, unsigned events, void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);

/* A timer lives in the caller's memory (e.g. inside a client struct): no
 * allocation per timer. Zero it before first use. */
struct loop_timer {
    uint64_t when_ms;
    size_t slot; /* index in the heap + 1; 0 when not armed */
    loop_timer_fn fn;
    void *arg;
};

struct loop *loop_new(char *err, size_t errlen);
void loop_free(struct loop *loop);

int loop_add(struct loop *loop, int fd, unsigned events, loop_fd_fn fn, void *arg);
int loop_set_events(struct loop *loop, int fd, unsigned events);
void loop_del(struct loop *loop, int fd);

/* Arm (or re-arm) a timer to fire once after ms milliseconds. */
int loop_timer_set(struct loop *loop, struct loop_timer *t, uint64_t ms, loop_timer_fn fn, void *arg);
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);

uint64_t loop_now_ms(void);

/* fn runs once after every round of events and timers: a place to flush what
 * the round queued, so that many queued lines leave in one write. */
void loop_set_tick(struct loop *loop, loop_timer_fn fn, void *arg);

/* Run until loop_stop. Returns 0, or -1 if epoll fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

#endif
