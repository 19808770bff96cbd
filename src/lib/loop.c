/* SPDX-License-Identifier: ISC */
/* loop: epoll, a table of fd handlers, and a binary heap of timers. */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct handler {
    loop_fd_fn fn;
    void *arg;
    unsigned events;
};

struct loop {
    int epfd;
    int stop;
    struct handler *handlers; /* indexed by fd */
    size_t nhandlers;
    struct loop_timer **heap;
    size_t nheap, capheap;
    loop_timer_fn tick;
    void *tick_arg;
};

uint64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(char *err, size_t errlen)
{
    struct loop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        snprintf(err, errlen, "cannot make an event loop: %s", strerror(errno));
        free(l);
        return NULL;
    }
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    close(l->epfd);
    free(l->handlers);
    free(l->heap);
    free(l);
}

static uint32_t to_epoll(unsigned events)
{
    return ((events & LOOP_READ) ? EPOLLIN | EPOLLRDHUP : 0) | ((events & LOOP_WRITE) ? EPOLLOUT : 0);
}

int loop_add(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg)
{
    if (fd < 0)
        return -1;
    if ((size_t)fd >= l->nhandlers) {
        size_t n = l->nhandlers ? l->nhandlers : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct handler *h = realloc(l->handlers, n * sizeof *h);
        if (!h)
            return -1;
        memset(h + l->nhandlers, 0, (n - l->nhandlers) * sizeof *h);
        l->handlers = h;
        l->nhandlers = n;
    }
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -1;
    l->handlers[fd] = (struct handler){fn, arg, events};
    return 0;
}

int loop_set_events(struct loop *l, int fd, unsigned events)
{
    if (fd < 0 || (size_t)fd >= l->nhandlers || !l->handlers[fd].fn)
        return -1;
    if (l->handlers[fd].events == events)
        return 0;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return -1;
    l->handlers[fd].events = events;
    return 0;
}

void loop_del(struct loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->nhandlers || !l->handlers[fd].fn)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->handlers[fd] = (struct handler){0};
}

/* ---- timers: a min-heap on when_ms; slot is the index + 1 ---- */

static void heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
    l->heap[i] = t;
    t->slot = i + 1;
}

static void heap_up(struct loop *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    while (i > 0 && l->heap[(i - 1) / 2]->when_ms > t->when_ms) {
        heap_place(l, i, l->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_place(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && l->heap[c + 1]->when_ms < l->heap[c]->when_ms)
            c++;
        if (l->heap[c]->when_ms >= t->when_ms)
            break;
        heap_place(l, i, l->heap[c]);
        i = c;
    }
    heap_place(l, i, t);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    if (!t->slot)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    struct loop_timer *last = l->heap[--l->nheap];
    if (i == l->nheap)
        return;
    heap_place(l, i, last);
    heap_up(l, i);
    heap_down(l, last->slot - 1);
}

int loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms, loop_timer_fn fn, void *arg)
{
    loop_timer_cancel(l, t);
    if (l->nheap == l->capheap) {
        size_t n = l->capheap ? l->capheap * 2 : 64;
        struct loop_timer **h = realloc(l->heap, n * sizeof(struct loop_timer *));
        if (!h)
            return -1;
        l->heap = h;
        l->capheap = n;
    }
    t->when_ms = loop_now_ms() + ms;
    t->fn = fn;
    t->arg = arg;
    heap_place(l, l->nheap++, t);
    heap_up(l, l->nheap - 1);
    return 0;
}

static int next_timeout(const struct loop *l)
{
    if (l->nheap == 0)
        return -1;
    uint64_t now = loop_now_ms(), when = l->heap[0]->when_ms;
    return when <= now ? 0 : (int)(when - now > 60000 ? 60000 : when - now);
}

static void run_timers(struct loop *l)
{
    uint64_t now = loop_now_ms();
    while (l->nheap > 0 && l->heap[0]->when_ms <= now && !l->stop) {
        struct loop_timer *t = l->heap[0];
        loop_timer_cancel(l, t);
        t->fn(l, t->arg); /* may free t's owner, or re-arm t */
    }
}

int loop_run(struct loop *l)
{
    struct epoll_event evs[MAX_EVENTS];
    l->stop = 0;
    while (!l->stop) {
        int n = epoll_wait(l->epfd, evs, MAX_EVENTS, next_timeout(l));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int i = 0; i < n && !l->stop; i++) {
            int fd = evs[i].data.fd;
            /* A handler run earlier in this batch may have removed this one. */
            if ((size_t)fd >= l->nhandlers || !l->handlers[fd].fn)
                continue;
            uint32_t e = evs[i].events;
            unsigned events = ((e & (EPOLLIN | EPOLLRDHUP)) ? LOOP_READ : 0) |
                              ((e & EPOLLOUT) ? LOOP_WRITE : 0) |
                              ((e & (EPOLLERR | EPOLLHUP)) ? LOOP_ERROR | LOOP_READ : 0);
            l->handlers[fd].fn(l, fd, events, l->handlers[fd].arg);
        }
        run_timers(l);
        if (l->tick && !l->stop)
            l->tick(l, l->tick_arg);
    }
    return 0;
}

void loop_set_tick(struct loop *l, loop_timer_fn fn, void *arg)
{
    l->tick = fn;
    l->tick_arg = arg;
}

void loop_stop(struct loop *l)
{
    l->stop = 1;
}
