/* SPDX-License-Identifier: ISC */
/* What tlschat learns from tlschatd's lines (tui_room.c: our nick, the head
 * count, nicks for completion) and the first lines of a session (nick.c: the
 * choices asked for and what the answer means). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "nick.h"
#include "tui_room.h"

static struct tui_room room; /* test-only storage */

static void hear(const char *line)
{
    tui_room_heard(&room, line, strlen(line));
}

static void test_room_from_lines(void **state)
{
    (void)state;
    tui_room_init(&room);
    assert_int_equal(room.online, -1);
    hear("* welcome, bob: 3 online, /help for commands");
    assert_string_equal(room.me, "bob");
    assert_int_equal(room.online, 3);
    hear("* 3 online:");
    hear("*   alice [certificate]");
    hear("*   bob (you)");
    hear("*   carol");
    assert_int_equal(room.count, 2);
    assert_string_equal(room.list[0], "carol"); /* most recently seen first */
    hear("* dave joined");
    assert_int_equal(room.online, 4);
    hear("<alice> hi");
    assert_string_equal(room.list[0], "alice");
    hear("* carol left (quit)");
    assert_int_equal(room.online, 3);
    assert_int_equal(room.count, 2);
    hear("* bob is now robert"); /* our own rename */
    assert_string_equal(room.me, "robert");
    hear("* dave is now david");
    assert_string_equal(room.list[0], "david");
    hear("* 12 joined: a, b, c, d, e and 7 more");
    assert_int_equal(room.online, 15);
    hear("* 5 left: a, b, c, d, e");
    assert_int_equal(room.online, 10);
    hear("<mallory> * eve is now me"); /* what someone says is not news */
    assert_string_equal(room.me, "robert");
}

static void test_speaker(void **state)
{
    (void)state;
    size_t at;
    assert_int_equal(tui_room_speaker("<alice> hi", 10, &at), 5);
    assert_int_equal(at, 1);
    assert_int_equal(tui_room_speaker("*private* <bob> psst", 20, &at), 3);
    assert_int_equal(at, 11);
    assert_int_equal(tui_room_speaker("*private* to <bob> psst", 23, &at), 3);
    assert_int_equal(at, 14);
    assert_int_equal(tui_room_speaker("<not a nick> x", 14, &at), 0);
    assert_int_equal(tui_room_speaker("* alice joined", 14, &at), 0);
    assert_int_equal(tui_room_speaker("<alice", 6, &at), 0);
}

static void test_nick_choices(void **state)
{
    (void)state;
    struct nick_choice n;
    nick_choice_init(&n, "bob");
    assert_int_equal(nick_choice_next(&n), 1);
    assert_string_equal(n.current, "bob");
    assert_int_equal(nick_choice_next(&n), 1);
    assert_string_equal(n.current, "bob_");
    assert_int_equal(nick_choice_next(&n), 1);
    assert_string_equal(n.current, "bob__");
    assert_int_equal(nick_choice_next(&n), 0); /* bounded */
    nick_choice_init(&n, "abcdefghijklmnopqrstuvwxyz012345"); /* 32: cannot grow */
    assert_int_equal(nick_choice_next(&n), 1);
    assert_int_equal(nick_choice_next(&n), 0);
}

static void test_nick_verdicts(void **state)
{
    (void)state;
    const char *w = "* welcome, bob: 2 online, /help for commands";
    assert_int_equal(nick_verdict_of(w, strlen(w)), NICK_ACCEPTED);
    const char *t = "! the nick bob is taken";
    assert_int_equal(nick_verdict_of(t, strlen(t)), NICK_TAKEN);
    const char *l = "! the nick b0b is taken (too like bob)";
    assert_int_equal(nick_verdict_of(l, strlen(l)), NICK_TAKEN);
    const char *v = "! 'x y' is not a valid nick: use 1-32 of A-Z a-z 0-9 _ -";
    assert_int_equal(nick_verdict_of(v, strlen(v)), NICK_REFUSED);
    const char *e = "echo: /nick bob"; /* a server that is not tlschatd */
    assert_int_equal(nick_verdict_of(e, strlen(e)), NICK_ACCEPTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_from_lines),
        cmocka_unit_test(test_speaker),
        cmocka_unit_test(test_nick_choices),
        cmocka_unit_test(test_nick_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
