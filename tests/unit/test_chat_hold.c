/* SPDX-License-Identifier: ISC */
/* chat_hold.c: a newcomer's join waits for its first line, so one that asks
 * for a nick joins under it and the room never hears a guest name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "chat.h"

#define MAX_SEEN 16

struct box {
    char lines[MAX_SEEN][256];
    int n;
    int quit;
};

static void rec(struct chat_member *m, const char *line, size_t len)
{
    struct box *b = m->user;
    if (b->n < MAX_SEEN)
        snprintf(b->lines[b->n], sizeof b->lines[0], "%.*s", (int)len, line);
    b->n++;
}

static void t_send(void *ctx, struct chat_member *to, const char *line, size_t len)
{
    (void)ctx;
    rec(to, line, len);
}

static void t_broadcast(void *ctx, const struct chat_member *except, const char *line, size_t len)
{
    struct chat_room *r = ctx;
    for (struct chat_member *m = r->head; m; m = m->next)
        if (m != except)
            rec(m, line, len);
}

static void t_quit(void *ctx, struct chat_member *m)
{
    struct box *b = m->user;
    b->quit = 1;
    chat_leave(ctx, m, "quit");
}

static const struct chat_ops ops = {t_send, t_broadcast, t_quit, NULL};

/* alice in the room (joined at once, as with a certificate), the rest arriving. */
struct fixture {
    struct chat_room room;
    struct chat_member m[4];
    struct box box[4];
};

static struct fixture f; /* test-only storage */

static int setup(void **state)
{
    memset(&f, 0, sizeof f);
    chat_room_init(&f.room, CHAT_MODE_CHAT, &ops, &f.room);
    char why[128];
    for (int i = 0; i < 4; i++)
        f.m[i].user = &f.box[i];
    assert_int_equal(chat_arrive(&f.room, &f.m[0], "alice", why, sizeof why), 0);
    assert_int_equal(f.m[0].held, 0);
    f.box[0].n = 0;
    *state = &f;
    return 0;
}

static void say(int who, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    chat_line(&f.room, &f.m[who], buf, strlen(buf));
}

static void arrive(int who)
{
    char why[128];
    assert_int_equal(chat_arrive(&f.room, &f.m[who], NULL, why, sizeof why), 0);
}

static void test_nick_first_joins_under_it(void **state)
{
    (void)state;
    arrive(1);
    assert_int_equal(f.m[1].held, 1);
    assert_int_equal(f.box[1].n, 0); /* no welcome yet */
    assert_int_equal(f.box[0].n, 0); /* no one told */
    assert_int_equal(f.room.count, 1);
    assert_int_equal(chat_seats_taken(&f.room), 2); /* a held newcomer holds a seat */
    say(1, "/nick bob");
    assert_int_equal(f.m[1].held, 0);
    assert_string_equal(f.m[1].nick, "bob");
    assert_int_equal(f.box[1].n, 1);
    assert_string_equal(f.box[1].lines[0], "* welcome, bob: 2 online, /help for commands");
    assert_int_equal(f.box[0].n, 1);
    assert_string_equal(f.box[0].lines[0], "* bob joined");
    assert_int_equal(chat_seats_taken(&f.room), 2);
    assert_int_equal(f.room.next_guest, 1); /* no guest name was made */
}

static void test_taken_nick_keeps_the_hold(void **state)
{
    (void)state;
    arrive(1);
    say(1, "/nick ALICE");
    assert_string_equal(f.box[1].lines[0], "! the nick ALICE is taken");
    say(1, "/nick a1ice");
    assert_string_equal(f.box[1].lines[1], "! the nick a1ice is taken (too like alice)");
    say(1, "/nick not valid");
    assert_string_equal(f.box[1].lines[2], "! 'not valid' is not a valid nick: use 1-32 of A-Z a-z 0-9 _ -");
    assert_int_equal(f.m[1].held, 1);
    assert_int_equal(f.box[0].n, 0);
    chat_tick(&f.room); /* one tick: still held */
    assert_int_equal(f.m[1].held, 1);
    say(1, "/nick alice_");
    assert_string_equal(f.box[1].lines[3], "* welcome, alice_: 2 online, /help for commands");
    assert_int_equal(f.box[0].n, 1);
    assert_string_equal(f.box[0].lines[0], "* alice_ joined");
}

static void test_silence_joins_as_a_guest_at_the_second_tick(void **state)
{
    (void)state;
    arrive(1);
    arrive(2);
    chat_tick(&f.room);
    assert_int_equal(f.m[1].held, 1);
    assert_int_equal(f.box[0].n, 0);
    chat_tick(&f.room);
    assert_int_equal(f.m[1].held, 0);
    assert_int_equal(f.m[2].held, 0);
    assert_string_equal(f.m[1].nick, "guest1"); /* in the order they came */
    assert_string_equal(f.m[2].nick, "guest2");
    assert_string_equal(f.box[1].lines[0], "* welcome, guest1: 2 online, /help for commands");
    assert_string_equal(f.box[2].lines[0], "* welcome, guest2: 3 online, /help for commands");
    assert_int_equal(f.box[0].n, 2);
    assert_string_equal(f.box[0].lines[0], "* guest1 joined");
    assert_string_equal(f.box[0].lines[1], "* guest2 joined");
    assert_int_equal(f.room.held, 0);
}

static void test_any_other_first_line_joins_as_a_guest_then_is_said(void **state)
{
    (void)state;
    arrive(1);
    say(1, "hello");
    assert_string_equal(f.box[1].lines[0], "* welcome, guest1: 2 online, /help for commands");
    assert_string_equal(f.box[0].lines[0], "* guest1 joined");
    assert_string_equal(f.box[0].lines[1], "<guest1> hello");
    arrive(2);
    say(2, ""); /* an empty line too: it is how a client asks to be greeted at once */
    assert_string_equal(f.box[2].lines[0], "* welcome, guest2: 3 online, /help for commands");
    arrive(3);
    say(3, "/who"); /* held newcomers are not listed */
    assert_string_equal(f.box[3].lines[1], "* 4 online:");
}

static void test_held_newcomer_hears_nothing_of_the_room(void **state)
{
    (void)state;
    arrive(1);
    say(0, "before you came");
    assert_int_equal(f.box[1].n, 0);
    say(0, "/who");
    assert_string_equal(f.box[0].lines[0], "* 1 online:");
    say(1, "/nick bob");
    say(0, "after");
    assert_string_equal(f.box[1].lines[0], "* welcome, bob: 2 online, /help for commands");
    assert_string_equal(f.box[1].lines[1], "<alice> after");
}

static void test_leaving_while_held_tells_no_one(void **state)
{
    (void)state;
    arrive(1);
    arrive(2);
    arrive(3);
    say(1, "close");
    assert_int_equal(f.box[1].quit, 1);
    assert_string_equal(f.box[1].lines[0], "closed");
    say(2, "/quit");
    assert_int_equal(f.box[2].quit, 1);
    chat_leave(&f.room, &f.m[3], "disconnected"); /* the server lost it */
    assert_int_equal(f.box[0].n, 0);
    assert_int_equal(f.room.held, 0);
    assert_null(f.room.first_held);
    assert_null(f.room.last_held);
    chat_tick(&f.room);
    chat_tick(&f.room);
    assert_int_equal(f.box[0].n, 0);
    assert_int_equal(chat_seats_taken(&f.room), 1);
}

static void test_echo_mode_never_holds(void **state)
{
    (void)state;
    struct chat_room room;
    struct chat_member a = {0};
    struct box ba = {0};
    char why[64];
    chat_room_init(&room, CHAT_MODE_ECHO, &ops, &room);
    a.user = &ba;
    assert_int_equal(chat_arrive(&room, &a, NULL, why, sizeof why), 0);
    assert_int_equal(a.held, 0);
    char line[] = "/nick x";
    chat_line(&room, &a, line, strlen(line));
    assert_string_equal(ba.lines[0], "/nick x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nick_first_joins_under_it, setup),
        cmocka_unit_test_setup(test_taken_nick_keeps_the_hold, setup),
        cmocka_unit_test_setup(test_silence_joins_as_a_guest_at_the_second_tick, setup),
        cmocka_unit_test_setup(test_any_other_first_line_joins_as_a_guest_then_is_said, setup),
        cmocka_unit_test_setup(test_held_newcomer_hears_nothing_of_the_room, setup),
        cmocka_unit_test_setup(test_leaving_while_held_tells_no_one, setup),
        cmocka_unit_test(test_echo_mode_never_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
