/* SPDX-License-Identifier: ISC */
/* Unit tests for loop: timers (order, cancel, re-arm, many), fd handlers on a
 * socketpair, loop_stop. Every test arms a guard timer so a bug fails the test
 * instead of hanging it. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

#define GUARD_MS 20000 /* generous: a loaded machine under ASan */

struct guard {
    struct loop_timer t;
    int fired;
};

static void guard_fn(struct loop *l, void *arg)
{
    ((struct guard *)arg)->fired = 1;
    loop_stop(l);
}

static struct loop *new_loop(struct guard *g)
{
    char err[256] = "";
    struct loop *l = loop_new(err, sizeof err);
    if (!l)
        fail_msg("loop_new: %s", err);
    memset(g, 0, sizeof *g);
    assert_int_equal(loop_timer_set(l, &g->t, GUARD_MS, guard_fn, g), 0);
    return l;
}

static void run_loop(struct loop *l, struct guard *g)
{
    assert_int_equal(loop_run(l), 0);
    if (g->fired)
        fail_msg("the loop did not stop by itself within %d ms", GUARD_MS);
    loop_timer_cancel(l, &g->t);
}

/* ---- timers ---- */

struct rec {
    int order[2048];
    int n;
    int stop_after;
    uint64_t fired_at[2048];
};

struct tmr {
    struct loop_timer t;
    struct rec *rec;
    int id;
    uint64_t armed_at;
    uint64_t delay;
};

static void tmr_fn(struct loop *l, void *arg)
{
    struct tmr *x = arg;
    struct rec *r = x->rec;
    uint64_t now = loop_now_ms();
    if (r->n < (int)(sizeof r->order / sizeof r->order[0])) {
        r->order[r->n] = x->id;
        r->fired_at[r->n] = now;
    }
    r->n++;
    /* Never early. */
    if (now < x->armed_at + x->delay)
        r->order[r->n - 1] = -1000 - x->id;
    assert_int_equal(x->t.slot, 0); /* not armed while its callback runs */
    if (r->n == r->stop_after)
        loop_stop(l);
}

static void arm(struct loop *l, struct tmr *x, struct rec *r, int id, uint64_t ms)
{
    x->rec = r;
    x->id = id;
    x->delay = ms;
    x->armed_at = loop_now_ms();
    assert_int_equal(loop_timer_set(l, &x->t, ms, tmr_fn, x), 0);
    assert_int_not_equal(x->t.slot, 0);
}

static void test_timers_fire_in_order(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct tmr t[4];
    memset(t, 0, sizeof t);
    r.stop_after = 4;
    arm(l, &t[0], &r, 3, 60);
    arm(l, &t[1], &r, 1, 20);
    arm(l, &t[2], &r, 4, 80);
    arm(l, &t[3], &r, 2, 40);
    uint64_t start = loop_now_ms();
    run_loop(l, &g);
    assert_int_equal(r.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.order[i], i + 1); /* negative would mean it fired early */
    assert_true(loop_now_ms() - start >= 80);
    loop_free(l);
}

static void test_zero_delay_timer_fires(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct tmr t;
    memset(&t, 0, sizeof t);
    r.stop_after = 1;
    arm(l, &t, &r, 7, 0);
    run_loop(l, &g);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.order[0], 7);
    loop_free(l);
}

static void test_cancel(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct tmr t[3];
    memset(t, 0, sizeof t);
    r.stop_after = 2;
    arm(l, &t[0], &r, 1, 10);
    arm(l, &t[1], &r, 2, 20); /* cancelled: must never fire */
    arm(l, &t[2], &r, 3, 50);
    loop_timer_cancel(l, &t[1].t);
    assert_int_equal(t[1].t.slot, 0);
    loop_timer_cancel(l, &t[1].t); /* cancelling twice is harmless */
    /* A timer that was never armed can be cancelled too. */
    struct loop_timer never;
    memset(&never, 0, sizeof never);
    loop_timer_cancel(l, &never);
    run_loop(l, &g);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[0], 1);
    assert_int_equal(r.order[1], 3);
    loop_free(l);
}

static void test_rearm_moves_timer(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct tmr a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    r.stop_after = 2;
    arm(l, &a, &r, 1, 10000); /* far away ... */
    arm(l, &b, &r, 2, 30);
    arm(l, &a, &r, 1, 5); /* ... re-armed sooner: fires once, first */
    run_loop(l, &g);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[0], 1);
    assert_int_equal(r.order[1], 2);

    /* Re-armed later: pushed behind the other one. */
    memset(&r, 0, sizeof r);
    r.stop_after = 2;
    arm(l, &a, &r, 1, 5);
    arm(l, &b, &r, 2, 30);
    arm(l, &a, &r, 1, 60);
    run_loop(l, &g);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[0], 2);
    assert_int_equal(r.order[1], 1);
    loop_free(l);
}

struct repeater {
    struct loop_timer t;
    int count;
    int limit;
};

static void repeat_fn(struct loop *l, void *arg)
{
    struct repeater *r = arg;
    r->count++;
    if (r->count < r->limit)
        loop_timer_set(l, &r->t, 1, repeat_fn, r); /* re-arm from its own callback */
    else
        loop_stop(l);
}

static void test_rearm_from_callback(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    struct repeater rp;
    memset(&rp, 0, sizeof rp);
    rp.limit = 25;
    assert_int_equal(loop_timer_set(l, &rp.t, 1, repeat_fn, &rp), 0);
    run_loop(l, &g);
    assert_int_equal(rp.count, 25);
    assert_int_equal(rp.t.slot, 0);
    loop_free(l);
}

static void test_many_random_timers_fire_sorted(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct guard g;
    struct loop *l = new_loop(&g);
    static struct rec r;
    memset(&r, 0, sizeof r);
    static struct tmr t[N];
    memset(t, 0, sizeof t);
    srand(4242);
    int cancelled[N] = {0};
    int ncancelled = 0;
    for (int i = 0; i < N; i++)
        arm(l, &t[i], &r, i, (uint64_t)(rand() % 200));
    /* Cancel a random tenth, from anywhere in the heap, and re-arm another tenth. */
    for (int k = 0; k < N / 10; k++) {
        int i = rand() % N;
        if (!cancelled[i]) {
            loop_timer_cancel(l, &t[i].t);
            cancelled[i] = 1;
            ncancelled++;
        }
        int j = rand() % N;
        if (!cancelled[j])
            arm(l, &t[j], &r, j, (uint64_t)(rand() % 200));
    }
    r.stop_after = N - ncancelled;
    run_loop(l, &g);
    assert_int_equal(r.n, N - ncancelled);
    int seen[N] = {0};
    for (int k = 0; k < r.n; k++) {
        int id = r.order[k];
        if (id < 0)
            fail_msg("timer %d fired before its time", -1000 - id);
        assert_true(id < N);
        assert_false(cancelled[id]);
        assert_int_equal(seen[id], 0); /* once each */
        seen[id] = 1;
        if (k > 0) {
            /* Sorted by due time: each fires no earlier than the previous. */
            int prev = r.order[k - 1];
            assert_true(t[prev].t.when_ms <= t[id].t.when_ms);
        }
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(t[i].t.slot, 0);
    loop_free(l);
}

/* ---- fd handlers ---- */

struct fdrec {
    int calls;
    unsigned events;
    char data[64];
    ssize_t got;
    int stop;
    int other_fd;
    int *counter;
};

static void read_handler(struct loop *l, int fd, unsigned events, void *arg)
{
    struct fdrec *r = arg;
    r->calls++;
    r->events |= events;
    if (events & LOOP_READ) {
        r->got = read(fd, r->data, sizeof r->data);
        if (r->stop)
            loop_stop(l);
    }
}

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_fd_handler_gets_read(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    int sv[2];
    pair(sv);
    struct fdrec r;
    memset(&r, 0, sizeof r);
    r.stop = 1;
    assert_int_equal(loop_add(l, sv[0], LOOP_READ, read_handler, &r), 0);
    assert_int_equal(write(sv[1], "ping", 4), 4);
    run_loop(l, &g);
    assert_int_equal(r.calls, 1);
    assert_true(r.events & LOOP_READ);
    assert_false(r.events & LOOP_WRITE); /* not asked for */
    assert_int_equal(r.got, 4);
    assert_memory_equal(r.data, "ping", 4);
    loop_del(l, sv[0]);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

static void test_fd_handler_sees_hangup_as_read(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    int sv[2];
    pair(sv);
    struct fdrec r;
    memset(&r, 0, sizeof r);
    r.stop = 1;
    r.got = -5;
    assert_int_equal(loop_add(l, sv[0], LOOP_READ, read_handler, &r), 0);
    close(sv[1]);
    run_loop(l, &g);
    assert_true(r.calls >= 1);
    assert_true(r.events & LOOP_READ); /* so the handler reads and learns of the EOF */
    assert_int_equal(r.got, 0);
    loop_del(l, sv[0]);
    close(sv[0]);
    loop_free(l);
}

static void write_handler(struct loop *l, int fd, unsigned events, void *arg)
{
    struct fdrec *r = arg;
    (void)fd;
    r->calls++;
    r->events |= events;
    loop_stop(l);
}

static void test_write_interest_and_set_events(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    int sv[2];
    pair(sv);
    struct fdrec r;
    memset(&r, 0, sizeof r);
    /* Nothing to read, but writable: once write interest is added, a call with
     * LOOP_WRITE and without LOOP_READ. */
    assert_int_equal(loop_add(l, sv[0], LOOP_READ, write_handler, &r), 0);
    assert_int_equal(loop_set_events(l, sv[0], LOOP_READ | LOOP_WRITE), 0);
    assert_int_equal(loop_set_events(l, sv[0], LOOP_READ | LOOP_WRITE), 0); /* same again */
    run_loop(l, &g);
    assert_int_equal(r.calls, 1);
    assert_true(r.events & LOOP_WRITE);
    assert_false(r.events & LOOP_READ);
    /* Unknown fds are refused. */
    assert_int_equal(loop_set_events(l, sv[1], LOOP_READ), -1);
    assert_int_equal(loop_set_events(l, -1, LOOP_READ), -1);
    assert_int_equal(loop_add(l, -1, LOOP_READ, write_handler, &r), -1);
    loop_del(l, sv[1]); /* not registered: harmless */
    loop_del(l, sv[0]);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

static void stop_fn(struct loop *l, void *arg)
{
    (void)arg;
    loop_stop(l);
}

static void test_del_stops_calls(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    int sv[2];
    pair(sv);
    struct fdrec r;
    memset(&r, 0, sizeof r);
    assert_int_equal(loop_add(l, sv[0], LOOP_READ, read_handler, &r), 0);
    loop_del(l, sv[0]);
    assert_int_equal(write(sv[1], "x", 1), 1);
    struct loop_timer t;
    memset(&t, 0, sizeof t);
    /* Due at once: one pass of epoll (the fd is readable already), then stop. */
    assert_int_equal(loop_timer_set(l, &t, 0, stop_fn, NULL), 0);
    run_loop(l, &g);
    assert_int_equal(r.calls, 0);
    /* Added again after the delete: called again. */
    r.stop = 1;
    assert_int_equal(loop_add(l, sv[0], LOOP_READ, read_handler, &r), 0);
    run_loop(l, &g);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.got, 1);
    loop_del(l, sv[0]);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

/* Two ready fds: whichever handler runs first removes the other; the loop must
 * not call the removed one later in the same batch. */
static void remove_other_handler(struct loop *l, int fd, unsigned events, void *arg)
{
    struct fdrec *r = arg;
    (void)events;
    (*r->counter)++;
    r->calls++;
    loop_del(l, fd);
    loop_del(l, r->other_fd);
}

static void test_handler_removed_in_same_batch_not_called(void **state)
{
    (void)state;
    struct guard g;
    struct loop *l = new_loop(&g);
    int a[2], b[2];
    pair(a);
    pair(b);
    int counter = 0;
    struct fdrec ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    ra.other_fd = b[0];
    rb.other_fd = a[0];
    ra.counter = rb.counter = &counter;
    assert_int_equal(write(a[1], "a", 1), 1);
    assert_int_equal(write(b[1], "b", 1), 1);
    assert_int_equal(loop_add(l, a[0], LOOP_READ, remove_other_handler, &ra), 0);
    assert_int_equal(loop_add(l, b[0], LOOP_READ, remove_other_handler, &rb), 0);
    struct loop_timer t;
    memset(&t, 0, sizeof t);
    /* Due at once: runs after the first batch of fd events. */
    assert_int_equal(loop_timer_set(l, &t, 0, stop_fn, NULL), 0);
    run_loop(l, &g);
    assert_int_equal(counter, 1);
    assert_int_equal(ra.calls + rb.calls, 1);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    loop_free(l);
}

/* Many fds with handlers at large fd numbers (the handler table grows). */
static void count_and_drain(struct loop *l, int fd, unsigned events, void *arg)
{
    int *left = arg;
    if (events & LOOP_READ) {
        char buf[8];
        assert_int_equal(read(fd, buf, sizeof buf), 1);
        loop_del(l, fd);
        if (--*left == 0)
            loop_stop(l);
    }
}

static void test_many_fds(void **state)
{
    (void)state;
    enum { N = 100 };
    struct guard g;
    struct loop *l = new_loop(&g);
    int sv[N][2];
    int left = N;
    for (int i = 0; i < N; i++) {
        pair(sv[i]);
        assert_int_equal(loop_add(l, sv[i][0], LOOP_READ, count_and_drain, &left), 0);
    }
    for (int i = N - 1; i >= 0; i--)
        assert_int_equal(write(sv[i][1], "z", 1), 1);
    run_loop(l, &g);
    assert_int_equal(left, 0);
    for (int i = 0; i < N; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
    loop_free(l);
}

static void test_loop_stop_from_handler_returns(void **state)
{
    (void)state;
    /* loop_stop ends loop_run with 0, and the loop can be run again. */
    struct guard g;
    struct loop *l = new_loop(&g);
    struct loop_timer t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(loop_timer_set(l, &t, 1, stop_fn, NULL), 0);
        run_loop(l, &g);
        assert_int_equal(t.slot, 0);
    }
    loop_free(l);
}

static void test_now_is_monotonic(void **state)
{
    (void)state;
    uint64_t a = loop_now_ms();
    for (int i = 0; i < 100000; i++) {
        uint64_t b = loop_now_ms();
        assert_true(b >= a);
        a = b;
    }
    assert_true(a > 0);
    loop_free(NULL); /* NULL is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_order),
        cmocka_unit_test(test_zero_delay_timer_fires),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_rearm_moves_timer),
        cmocka_unit_test(test_rearm_from_callback),
        cmocka_unit_test(test_many_random_timers_fire_sorted),
        cmocka_unit_test(test_fd_handler_gets_read),
        cmocka_unit_test(test_fd_handler_sees_hangup_as_read),
        cmocka_unit_test(test_write_interest_and_set_events),
        cmocka_unit_test(test_del_stops_calls),
        cmocka_unit_test(test_handler_removed_in_same_batch_not_called),
        cmocka_unit_test(test_many_fds),
        cmocka_unit_test(test_loop_stop_from_handler_returns),
        cmocka_unit_test(test_now_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
