/* SPDX-License-Identifier: ISC */
/* chat.c without sockets: who gets which line for each command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "chat.h"

#define MAX_SEEN 64

/* What each member was sent, in order: the last MAX_SEEN lines, and how many. */
struct box {
    char lines[MAX_SEEN][256];
    int n;
    int quit;
};

static void rec(struct chat_member *m, const char *line, size_t len)
{
    struct box *b = m->user;
    snprintf(b->lines[b->n++ % MAX_SEEN], sizeof b->lines[0], "%.*s", (int)len, line);
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

struct fixture {
    struct chat_room room;
    struct chat_member m[3];
    struct box box[3];
};

static int setup(void **state)
{
    static struct fixture f; /* test-only storage */
    memset(&f, 0, sizeof f);
    chat_room_init(&f.room, CHAT_MODE_CHAT, &ops, &f.room);
    char why[128];
    for (int i = 0; i < 3; i++) {
        f.m[i].user = &f.box[i];
        assert_int_equal(chat_join(&f.room, &f.m[i], NULL, why, sizeof why), 0);
    }
    for (int i = 0; i < 3; i++)
        f.box[i].n = 0;
    *state = &f;
    return 0;
}

static const char *last(const struct box *b)
{
    return b->n ? b->lines[(b->n - 1) % MAX_SEEN] : "";
}

static void say(struct fixture *f, int who, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    chat_line(&f->room, &f->m[who], buf, strlen(buf));
}

static void test_guest_nicks_and_welcome(void **state)
{
    (void)state;
    struct chat_room room;
    struct chat_member a = {0}, b = {0};
    struct box ba = {0}, bb = {0};
    char why[128];
    chat_room_init(&room, CHAT_MODE_CHAT, &ops, &room);
    a.user = &ba;
    b.user = &bb;
    assert_int_equal(chat_join(&room, &a, NULL, why, sizeof why), 0);
    assert_int_equal(chat_join(&room, &b, NULL, why, sizeof why), 0);
    assert_string_equal(a.nick, "guest1");
    assert_string_equal(b.nick, "guest2");
    assert_string_equal(ba.lines[0], "* welcome, guest1: 1 online, /help for commands");
    assert_string_equal(ba.lines[1], "* guest2 joined");
    assert_int_equal(bb.n, 1); /* a newcomer is not told of its own joining */
}

static void test_broadcast_skips_sender(void **state)
{
    struct fixture *f = *state;
    say(f, 0, "hello");
    assert_int_equal(f->box[0].n, 0);
    assert_string_equal(last(&f->box[1]), "<guest1> hello");
    assert_string_equal(last(&f->box[2]), "<guest1> hello");
}

static void test_nick_rules(void **state)
{
    struct fixture *f = *state;
    say(f, 0, "/nick alice");
    assert_string_equal(f->m[0].nick, "alice");
    assert_string_equal(last(&f->box[2]), "* guest1 is now alice");
    say(f, 1, "/nick ALICE"); /* unique regardless of case */
    assert_string_equal(last(&f->box[1]), "! the nick ALICE is taken");
    say(f, 1, "/nick bad nick!");
    assert_string_equal(last(&f->box[1]), "! 'bad nick!' is not a valid nick: use 1-32 of A-Z a-z 0-9 _ -");
    say(f, 1, "/nick 123456789012345678901234567890123");
    assert_non_null(strstr(last(&f->box[1]), "is not a valid nick"));
    say(f, 1, "/nick");
    assert_non_null(strstr(last(&f->box[1]), "is not a valid nick"));
    say(f, 0, "/nick alice");
    assert_string_equal(last(&f->box[0]), "! you are already alice");
    assert_true(chat_nick_valid("a-b_C9", 6));
    assert_false(chat_nick_valid("a.b", 3));
    assert_false(chat_nick_valid("", 0));
}

static void test_private_message(void **state)
{
    struct fixture *f = *state;
    say(f, 0, "/msg guest2 psst  there");
    assert_string_equal(last(&f->box[1]), "*private* <guest1> psst  there");
    assert_string_equal(last(&f->box[0]), "*private* to <guest2> psst  there");
    assert_int_equal(f->box[2].n, 0);
    say(f, 0, "/msg nobody hi");
    assert_string_equal(last(&f->box[0]), "! no one called nobody is here (/who lists who is)");
    say(f, 0, "/msg guest2");
    assert_string_equal(last(&f->box[0]), "! usage: /msg NAME TEXT");
}

static void test_who_lists_everyone(void **state)
{
    struct fixture *f = *state;
    say(f, 1, "/who");
    assert_int_equal(f->box[1].n, 4);
    assert_string_equal(f->box[1].lines[0], "* 3 online:");
    int you = 0;
    for (int i = 1; i < 4; i++)
        you += strstr(f->box[1].lines[i], "guest2 (you)") != NULL;
    assert_int_equal(you, 1);
}

static void test_quit_and_close(void **state)
{
    struct fixture *f = *state;
    say(f, 2, "CLOSE");
    assert_true(f->box[2].quit);
    assert_string_equal(last(&f->box[2]), "closed");
    assert_string_equal(last(&f->box[0]), "* guest3 left (quit)");
    assert_int_equal(f->room.count, 2);
    say(f, 1, "/quit bye now");
    assert_true(f->box[1].quit);
    assert_string_equal(last(&f->box[0]), "* guest2 left (quit)");
}

static void test_commands_help_unknown_slash(void **state)
{
    struct fixture *f = *state;
    say(f, 0, "/frobnicate now");
    assert_string_equal(last(&f->box[0]), "! unknown command /frobnicate (try /help)");
    say(f, 0, "/help");
    assert_true(f->box[0].n > 3);
    assert_string_equal(f->box[0].lines[1], "* commands:");
    say(f, 0, "//etc/passwd is a path");
    assert_string_equal(last(&f->box[1]), "<guest1> /etc/passwd is a path");
    int before = f->box[1].n;
    say(f, 0, "");
    assert_int_equal(f->box[1].n, before); /* empty lines are not said */
}

static void test_control_characters_stripped(void **state)
{
    struct fixture *f = *state;
    say(f, 0, "a\x1b[2Jb\x07" "c\td\xc2\x9b" "e");
    assert_string_equal(last(&f->box[1]), "<guest1> a[2Jbc\tde");
}

static void test_certificate_bound_nick(void **state)
{
    (void)state;
    struct chat_room room;
    struct chat_member a = {0}, b = {0}, c = {0};
    struct box ba = {0}, bb = {0}, bc = {0};
    char why[128];
    chat_room_init(&room, CHAT_MODE_CHAT, &ops, &room);
    a.user = &ba;
    b.user = &bb;
    c.user = &bc;
    assert_int_equal(chat_join(&room, &a, "alice", why, sizeof why), 0);
    assert_true(a.cert_bound);
    assert_string_equal(ba.lines[0], "* welcome, alice (certificate verified): 1 online, /help for commands");
    assert_int_equal(chat_join(&room, &b, "Alice", why, sizeof why), -1);
    assert_string_equal(why, "Alice is already connected");
    assert_int_equal(chat_join(&room, &c, "not valid", why, sizeof why), -1);
    assert_non_null(strstr(why, "not a valid nick"));
    char line[] = "/nick mallory";
    chat_line(&room, &a, line, strlen(line));
    assert_string_equal(last(&ba), "! your nick is bound to your certificate: you are alice");
    char who[] = "/who";
    chat_line(&room, &a, who, strlen(who));
    assert_string_equal(last(&ba), "*   alice [certificate] (you)");
}

static void test_echo_mode(void **state)
{
    (void)state;
    struct chat_room room;
    struct chat_member a = {0};
    struct box ba = {0};
    char why[128];
    chat_room_init(&room, CHAT_MODE_ECHO, &ops, &room);
    a.user = &ba;
    assert_int_equal(chat_join(&room, &a, NULL, why, sizeof why), 0);
    assert_int_equal(ba.n, 0); /* echo mode greets no one */
    char l1[] = "/who is there";
    chat_line(&room, &a, l1, strlen(l1));
    assert_string_equal(ba.lines[0], "/who is there");
    char l2[] = "close";
    chat_line(&room, &a, l2, strlen(l2));
    assert_string_equal(ba.lines[1], "closed");
    assert_true(ba.quit);
}

/* ---- look-alike nicks ---- */

static void skeleton_is(const char *nick, const char *want)
{
    char got[CHAT_NICK_MAX + 1];
    chat_nick_skeleton(nick, strlen(nick), got);
    assert_string_equal(got, want);
}

static void test_nick_skeletons(void **state)
{
    (void)state;
    skeleton_is("alice", "allce");
    skeleton_is("aIice", "allce"); /* capital i */
    skeleton_is("a1ice", "allce");
    skeleton_is("ALICE", "allce");
    skeleton_is("a|ice", "allce");
    skeleton_is("B0b_O-o", "bob_o-o");
    /* Left apart: a terminal shows rn wider than m, and draws 5 and S apart. */
    skeleton_is("rnary", "rnary");
    skeleton_is("vvS5", "vvs5");
}

static void test_look_alike_nick_refused(void **state)
{
    struct fixture *f = *state;
    say(f, 0, "/nick alice");
    assert_string_equal(f->m[0].nick, "alice");
    const char *const look_alikes[] = {"aIice", "a1ice", "AL1CE", "al1ce", "a|ice"};
    for (size_t i = 0; i < sizeof look_alikes / sizeof look_alikes[0]; i++) {
        char cmd[64];
        char want[128];
        snprintf(cmd, sizeof cmd, "/nick %s", look_alikes[i]);
        say(f, 1, cmd);
        if (strchr(look_alikes[i], '|'))
            snprintf(want, sizeof want, "! '%s' is not a valid nick: use 1-32 of A-Z a-z 0-9 _ -", look_alikes[i]);
        else
            snprintf(want, sizeof want, "! the nick %s is taken (too like alice)", look_alikes[i]);
        assert_string_equal(last(&f->box[1]), want);
        assert_string_equal(f->m[1].nick, "guest2");
    }
    say(f, 1, "/nick ALICE"); /* the same but for case: taken, as before */
    assert_string_equal(last(&f->box[1]), "! the nick ALICE is taken");
    assert_int_equal(f->box[2].n, 1); /* only alice's rename reached the third */
    say(f, 1, "/nick 0scar");
    say(f, 2, "/nick oscar");
    assert_string_equal(last(&f->box[2]), "! the nick oscar is taken (too like 0scar)");
    /* A look-alike of one's own nick is no one else's. */
    say(f, 0, "/nick aIice");
    assert_string_equal(last(&f->box[2]), "* alice is now aIice");
    /* Names are found by skeleton: /msg reaches the one it looks like. */
    say(f, 2, "/msg alice psst");
    assert_string_equal(last(&f->box[0]), "*private* <guest3> psst");
    /* Once the name is free, its look-alikes are too. */
    say(f, 0, "/nick zed");
    say(f, 2, "/nick alice");
    assert_string_equal(f->m[2].nick, "alice");
}

static void test_look_alike_certificate_refused(void **state)
{
    (void)state;
    struct chat_room room;
    struct chat_member a = {0}, b = {0}, c = {0};
    struct box ba = {0}, bb = {0}, bc = {0};
    char why[160];
    chat_room_init(&room, CHAT_MODE_CHAT, &ops, &room);
    a.user = &ba;
    b.user = &bb;
    c.user = &bc;
    assert_int_equal(chat_join(&room, &a, "alice", why, sizeof why), 0);
    assert_int_equal(chat_join(&room, &b, "aIice", why, sizeof why), -1);
    assert_string_equal(why, "aIice is too like alice, who is already connected: "
                             "ask for a certificate with another name");
    assert_false(b.joined);
    assert_int_equal(ba.n, 1); /* alice heard of no one */
    /* A guest that took a look-alike of a certificate's name keeps it out. */
    assert_int_equal(chat_join(&room, &c, NULL, why, sizeof why), 0);
    char line[] = "/nick B0B";
    chat_line(&room, &c, line, strlen(line));
    assert_int_equal(chat_join(&room, &b, "bob", why, sizeof why), -1);
    assert_string_equal(why, "bob is too like B0B, who is already connected: ask for a certificate with another name");
    chat_leave(&room, &c, "quit");
    assert_int_equal(chat_join(&room, &b, "bob", why, sizeof why), 0);
    assert_string_equal(last(&ba), "* bob joined");
}

static void test_guest_nick_skips_look_alikes(void **state)
{
    (void)state;
    struct chat_room room;
    struct chat_member a = {0}, b = {0};
    struct box ba = {0}, bb = {0};
    char why[128];
    chat_room_init(&room, CHAT_MODE_CHAT, &ops, &room);
    a.user = &ba;
    b.user = &bb;
    assert_int_equal(chat_join(&room, &a, NULL, why, sizeof why), 0);
    char line[] = "/nick GUESTl0";
    chat_line(&room, &a, line, strlen(line));
    assert_string_equal(a.nick, "GUESTl0");
    room.next_guest = 10;
    assert_int_equal(chat_join(&room, &b, NULL, why, sizeof why), 0);
    assert_string_equal(b.nick, "guest11"); /* guest10 would look like GUESTl0 */
}

/* ---- a crowd: joins and leaves told once a tick ---- */

struct crowd {
    struct chat_room room;
    struct chat_member *m;
    struct box *box;
    size_t n, cap;
};

static void crowd_join(struct crowd *c, size_t k)
{
    char why[128];
    for (size_t i = 0; i < k; i++) {
        assert_true(c->n < c->cap);
        c->m[c->n].user = &c->box[c->n];
        assert_int_equal(chat_join(&c->room, &c->m[c->n], NULL, why, sizeof why), 0);
        c->n++;
    }
}

static void crowd_forget(struct crowd *c)
{
    for (size_t i = 0; i < c->cap; i++)
        c->box[i].n = 0;
}

/* A quiet room of `members` (told of one another), room for cap, their boxes emptied. */
static struct crowd *crowd_new(size_t members, size_t cap)
{
    struct crowd *c = test_calloc(1, sizeof *c);
    assert_non_null(c);
    c->m = test_calloc(cap, sizeof *c->m);
    c->box = test_calloc(cap, sizeof *c->box);
    assert_true(c->m && c->box);
    c->cap = cap;
    chat_room_init(&c->room, CHAT_MODE_CHAT, &ops, &c->room);
    crowd_join(c, members);
    chat_tick(&c->room);
    crowd_forget(c);
    return c;
}

static void crowd_free(struct crowd *c)
{
    test_free(c->m);
    test_free(c->box);
    test_free(c);
}

static void say_as(struct crowd *c, size_t who, const char *text)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    chat_line(&c->room, &c->m[who], buf, strlen(buf));
}

static void test_small_room_told_at_once(void **state)
{
    (void)state;
    struct crowd *c = crowd_new(CHAT_CROWD - 1, CHAT_CROWD + 1);
    crowd_join(c, 1); /* the room's last seat before a crowd */
    assert_string_equal(last(&c->box[0]), "* guest64 joined");
    chat_leave(&c->room, &c->m[5], "quit");
    assert_string_equal(last(&c->box[0]), "* guest6 left (quit)");
    crowd_free(c);
}

static void test_crowd_joins_told_together_at_the_tick(void **state)
{
    (void)state;
    struct crowd *c = crowd_new(CHAT_CROWD, CHAT_CROWD + 12);
    crowd_join(c, 12);
    for (size_t i = 0; i < CHAT_CROWD; i++)
        assert_int_equal(c->box[i].n, 0); /* nothing yet */
    for (size_t i = CHAT_CROWD; i < c->n; i++)
        assert_int_equal(c->box[i].n, 1); /* its welcome only */
    assert_string_equal(c->box[CHAT_CROWD].lines[0], "* welcome, guest65: 65 online, /help for commands");
    chat_tick(&c->room);
    for (size_t i = 0; i < c->n; i++) { /* one line each, newcomers too */
        assert_int_equal(c->box[i].n - (i >= CHAT_CROWD), 1);
        assert_string_equal(last(&c->box[i]), "* 12 joined: guest65, guest66, guest67, guest68, guest69 and 7 more");
    }
    crowd_forget(c);
    chat_tick(&c->room); /* nothing new: nothing said */
    for (size_t i = 0; i < c->n; i++)
        assert_int_equal(c->box[i].n, 0);
    crowd_free(c);
}

static void test_crowd_one_join_one_leave(void **state)
{
    (void)state;
    struct crowd *c = crowd_new(CHAT_CROWD + 1, CHAT_CROWD + 2);
    crowd_join(c, 1);
    chat_tick(&c->room);
    assert_string_equal(last(&c->box[0]), "* guest66 joined");
    assert_int_equal(c->box[CHAT_CROWD + 1].n, 1); /* not told of its own joining */
    crowd_forget(c);
    chat_leave(&c->room, &c->m[3], "too slow: 70000 bytes waited unread");
    assert_int_equal(c->box[0].n, 0);
    chat_tick(&c->room);
    assert_string_equal(last(&c->box[0]), "* guest4 left (too slow: 70000 bytes waited unread)");
    crowd_free(c);
}

static void test_crowd_leaves_told_together(void **state)
{
    (void)state;
    struct crowd *c = crowd_new(CHAT_CROWD + 10, CHAT_CROWD + 10);
    for (size_t i = 1; i <= 3; i++)
        say_as(c, i, "/quit");
    chat_leave(&c->room, &c->m[4], NULL); /* quietly: the server is stopping */
    assert_int_equal(c->box[0].n, 0);
    chat_tick(&c->room);
    assert_int_equal(c->box[0].n, 1);
    assert_string_equal(last(&c->box[0]), "* 3 left: guest2, guest3, guest4");
    crowd_forget(c);
    for (size_t i = 10; i < 17; i++)
        chat_leave(&c->room, &c->m[i], "disconnected");
    chat_tick(&c->room);
    assert_string_equal(last(&c->box[0]), "* 7 left: guest11, guest12, guest13, guest14, guest15 and 2 more");
    /* The room is small again: told at once. */
    chat_leave(&c->room, &c->m[20], "quit");
    assert_string_equal(last(&c->box[0]), "* guest21 left (quit)");
    crowd_free(c);
}

static void test_crowd_newcomer_heard_of_before_it_speaks(void **state)
{
    (void)state;
    struct crowd *c = crowd_new(CHAT_CROWD, CHAT_CROWD + 3);
    crowd_join(c, 2);
    size_t zed = CHAT_CROWD, other = CHAT_CROWD + 1;
    /* Renamed before anyone heard of it: told to itself only... */
    say_as(c, zed, "/nick zed");
    assert_string_equal(last(&c->box[zed]), "* guest65 is now zed");
    assert_int_equal(c->box[0].n, 0);
    /* ...and when it speaks, the news comes first, by its new name. */
    say_as(c, zed, "hello all");
    assert_int_equal(c->box[0].n, 2);
    assert_string_equal(c->box[0].lines[0], "* 2 joined: zed, guest66");
    assert_string_equal(c->box[0].lines[1], "<zed> hello all");
    assert_string_equal(last(&c->box[other]), "<zed> hello all");
    crowd_forget(c);
    chat_tick(&c->room); /* told already */
    assert_int_equal(c->box[0].n, 0);
    /* A rename of someone the room knows comes after the news too. */
    crowd_join(c, 1);
    say_as(c, 0, "/nick first");
    assert_int_equal(c->box[1].n, 2);
    assert_string_equal(c->box[1].lines[0], "* guest67 joined");
    assert_string_equal(c->box[1].lines[1], "* guest1 is now first");
    crowd_free(c);
}

static void test_crowd_came_and_went_between_ticks(void **state)
{
    (void)state;
    struct crowd *c = crowd_new(CHAT_CROWD + 2, CHAT_CROWD + 4);
    crowd_join(c, 2);
    chat_leave(&c->room, &c->m[CHAT_CROWD + 2], "quit"); /* came and went: told as neither */
    chat_leave(&c->room, &c->m[7], "quit");              /* left and came back: left, then joined */
    c->m[7].user = &c->box[7];
    char why[128];
    assert_int_equal(chat_join(&c->room, &c->m[7], NULL, why, sizeof why), 0);
    chat_tick(&c->room);
    assert_int_equal(c->box[0].n, 2);
    assert_string_equal(c->box[0].lines[0], "* guest8 left (quit)");
    assert_string_equal(c->box[0].lines[1], "* 2 joined: guest68, guest69");
    crowd_free(c);
}

/* Every member learns of every join, whatever the ticks cut them into. */
static size_t joins_told(const struct box *b)
{
    size_t total = 0;
    assert_true(b->n <= MAX_SEEN);
    for (int i = 0; i < b->n; i++) {
        unsigned long k;
        char word[CHAT_NICK_MAX + 8];
        if (sscanf(b->lines[i], "* %lu joined: ", &k) == 1)
            total += k;
        else if (sscanf(b->lines[i], "* %39s joined", word) == 1 && strstr(b->lines[i], " joined"))
            total += 1;
    }
    return total;
}

static void test_crowd_every_join_told_eventually(void **state)
{
    (void)state;
    const size_t rounds[] = {1, 30, 2, 0, 57, 1, 9};
    size_t joined = 0;
    for (size_t i = 0; i < sizeof rounds / sizeof rounds[0]; i++)
        joined += rounds[i];
    struct crowd *c = crowd_new(CHAT_CROWD - 10, CHAT_CROWD - 10 + joined);
    for (size_t i = 0; i < sizeof rounds / sizeof rounds[0]; i++) {
        crowd_join(c, rounds[i]);
        chat_tick(&c->room);
    }
    assert_int_equal(joins_told(&c->box[0]), joined);
    assert_int_equal(joins_told(&c->box[CHAT_CROWD - 11]), joined);
    assert_int_equal(c->room.count, CHAT_CROWD - 10 + joined);
    crowd_free(c);
}

/* A session come back (resume.c): its own nick when free, a guest when not. */
static void test_join_as(void **state)
{
    struct fixture *f = *state;
    struct chat_member back = {0}, again = {0};
    struct box bb = {0}, ba = {0};
    back.user = &bb;
    again.user = &ba;
    assert_int_equal(chat_join_as(&f->room, &back, "bob"), 1);
    assert_string_equal(back.nick, "bob");
    assert_string_equal(bb.lines[0], "* welcome back, bob: 4 online, /help for commands");
    assert_string_equal(last(&f->box[0]), "* bob joined");
    /* Taken (by look-alike too) while it was away: a guest nick. */
    assert_int_equal(chat_join_as(&f->room, &again, "B0B"), 0);
    assert_string_equal(again.nick, "guest4");
    assert_string_equal(last(&f->box[0]), "* guest4 joined");
}

/* A new connection takes an old one's place: same nick, and no one hears of
 * anyone leaving or joining. */
static void test_replace_is_quiet(void **state)
{
    struct fixture *f = *state;
    struct chat_member fresh = {0};
    struct box bf = {0};
    fresh.user = &bf;
    chat_replace(&f->room, &f->m[1], &fresh);
    assert_string_equal(fresh.nick, "guest2");
    assert_true(fresh.joined);
    assert_false(f->m[1].joined);
    assert_int_equal(f->room.count, 3);
    assert_string_equal(bf.lines[0], "* welcome, guest2: 3 online, /help for commands");
    assert_int_equal(f->box[0].n, 0);
    assert_int_equal(f->box[2].n, 0);
    assert_ptr_equal(chat_find(&f->room, "guest2", 6), &fresh);
    say(f, 0, "still there?");
    assert_string_equal(last(&bf), "<guest1> still there?");
    assert_int_equal(f->box[1].n, 0); /* the old one hears nothing more */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guest_nicks_and_welcome),
        cmocka_unit_test_setup(test_broadcast_skips_sender, setup),
        cmocka_unit_test_setup(test_nick_rules, setup),
        cmocka_unit_test_setup(test_private_message, setup),
        cmocka_unit_test_setup(test_who_lists_everyone, setup),
        cmocka_unit_test_setup(test_quit_and_close, setup),
        cmocka_unit_test_setup(test_commands_help_unknown_slash, setup),
        cmocka_unit_test_setup(test_control_characters_stripped, setup),
        cmocka_unit_test(test_certificate_bound_nick),
        cmocka_unit_test(test_echo_mode),
        cmocka_unit_test(test_nick_skeletons),
        cmocka_unit_test_setup(test_look_alike_nick_refused, setup),
        cmocka_unit_test(test_look_alike_certificate_refused),
        cmocka_unit_test(test_guest_nick_skips_look_alikes),
        cmocka_unit_test(test_small_room_told_at_once),
        cmocka_unit_test(test_crowd_joins_told_together_at_the_tick),
        cmocka_unit_test(test_crowd_one_join_one_leave),
        cmocka_unit_test(test_crowd_leaves_told_together),
        cmocka_unit_test(test_crowd_newcomer_heard_of_before_it_speaks),
        cmocka_unit_test(test_crowd_came_and_went_between_ticks),
        cmocka_unit_test(test_crowd_every_join_told_eventually),
        cmocka_unit_test_setup(test_join_as, setup),
        cmocka_unit_test_setup(test_replace_is_quiet, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
