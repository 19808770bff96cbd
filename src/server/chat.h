/* SPDX-License-Identifier: ISC */
/* chat: the room and its commands. Pure logic: no sockets, no TLS. The server
 * hands it whole lines and it answers through the two callbacks in chat_ops. */
#ifndef TLSCHAT_CHAT_H
#define TLSCHAT_CHAT_H

#include <stddef.h>

#define CHAT_NICK_MAX 32
#define CHAT_LINE_MAX 16384 /* the largest --max-line */

#define CHAT_INDEX_SIZE 4096 /* buckets of the nick index (a power of two) */

/* In a room of more than CHAT_CROWD members, joins and leaves are told
 * together, once a tick ("* 37 joined: a, b, c, d, e and 32 more"), so that a
 * crowd arriving costs each member one line a tick, not one line a newcomer. */
#define CHAT_CROWD       64
#define CHAT_NAMES_SHOWN 5   /* names such a line spells out */
#define CHAT_REASON_MAX  200 /* of a leave told on its own */

/* A newcomer without a certificate name is held out of the room until its
 * first line, or until CHAT_HOLD_TICKS ticks have passed (1 to 2 s: the
 * server ticks once a second), so that one asking for a nick joins under it
 * (chat_hold.c). */
#define CHAT_HOLD_TICKS 2

struct chat_member {
    char nick[CHAT_NICK_MAX + 1];
    char skeleton[CHAT_NICK_MAX + 1]; /* chat_nick_skeleton(nick): what must be unique */
    int cert_bound; /* the nick is the CN of a verified client certificate */
    int joined;
    int unannounced; /* joined a crowd: the others learn of it at the next tick */
    void *user;     /* the server's own per-client data */
    struct chat_member *prev, *next;
    struct chat_member *earlier, *later; /* the unannounced, in the order they came */
    struct chat_member *same_bucket;     /* the nick index's chain */
    int held;            /* taken in, not yet in the room: its first line decides its nick */
    unsigned held_ticks; /* ticks it has waited */
    struct chat_member *held_prev, *held_next; /* the held, in the order they came */
};

struct chat_ops {
    /* One line (no "\n") to one member. */
    void (*send)(void *ctx, struct chat_member *to, const char *line, size_t len);
    /* One line to every joined member but except (NULL: to all). */
    void (*broadcast)(void *ctx, const struct chat_member *except, const char *line, size_t len);
    /* The member asked to leave; "closed" has already been sent to it. */
    void (*quit)(void *ctx, struct chat_member *m);
    /* A private line to one member (/msg, and its copy to the sender): kept for
     * it to resume (resume.c). NULL: sent as send does. */
    void (*private_line)(void *ctx, struct chat_member *to, const char *line, size_t len);
};

enum chat_mode { CHAT_MODE_CHAT, CHAT_MODE_ECHO };

/* Who left a crowd since the last tick. */
struct chat_leaves {
    size_t count;
    char names[CHAT_NAMES_SHOWN][CHAT_NICK_MAX + 1];
    char reason[CHAT_REASON_MAX]; /* the first one's, told when it is the only one */
};

struct chat_room {
    struct chat_member *head;
    size_t count;
    unsigned long next_guest;
    enum chat_mode mode;
    const struct chat_ops *ops;
    void *ctx;
    struct chat_member *first_unannounced, *last_unannounced;
    size_t unannounced;
    struct chat_leaves leaves;
    struct chat_member *index[CHAT_INDEX_SIZE]; /* members by the hash of their skeleton */
    struct chat_member *first_held, *last_held;
    size_t held;
};

void chat_room_init(struct chat_room *r, enum chat_mode mode, const struct chat_ops *ops, void *ctx);

/* 1 when line asks for a nick change. */
int chat_is_rename(const char *line, size_t len);

/* 1 when s (len bytes) is a nick: 1-32 of A-Z a-z 0-9 _ -. */
int chat_nick_valid(const char *s, size_t len);

/* The look-alike skeleton of a nick (len at most CHAT_NICK_MAX) into out
 * (CHAT_NICK_MAX + 1 bytes): two nicks with one skeleton cannot be told apart
 * at a glance ("alice", "aIice", "ALICE", "a1ice"), so only one of them may
 * be in the room. */
void chat_nick_skeleton(const char *nick, size_t len, char *out);

/* The member whose nick has nick's skeleton, or NULL. */
struct chat_member *chat_find(const struct chat_room *r, const char *nick, size_t len);

/* Join the room: with cert_cn (mutual TLS) that is the nick, for good; without,
 * a guest nick. Returns 0, or -1 with a sentence in why (the server tells the
 * client and closes). */
int chat_join(struct chat_room *r, struct chat_member *m, const char *cert_cn, char *why, size_t whylen);

/* Join wanting nick (a session come back, resume.c), at once even when held: a
 * guest nick when nick is taken. Returns 1 when m got nick, 0 when a guest nick. */
int chat_join_as(struct chat_room *r, struct chat_member *m, const char *nick);

/* fresh takes old's place in the room (a session resumed, or a certificate
 * connected again, from another connection): the same nick, and no one is told
 * of anyone leaving or joining (fresh may be held: it is not after). old is out
 * of the room after it. */
void chat_replace(struct chat_room *r, struct chat_member *old, struct chat_member *fresh);

/* Take a newcomer in (what the server calls). With cert_cn, or in echo mode,
 * it joins at once, as chat_join. Without, it is held (chat_hold.c): not yet
 * in the room, sent nothing, told of to no one. Its first line decides: a
 * /nick NAME that succeeds joins it as NAME (a refused one is answered and
 * the hold goes on, so the next choice can still be the first name the room
 * hears); "close" or /quit leaves without a word to the room; any other line
 * joins it under a guest nick, then is handled. CHAT_HOLD_TICKS ticks without
 * a line join it under a guest nick too. Room lines reach it from its
 * welcome on. Returns as chat_join. */
int chat_arrive(struct chat_room *r, struct chat_member *m, const char *cert_cn, char *why, size_t whylen);

/* Seats taken: members and the held. */
size_t chat_seats_taken(const struct chat_room *r);

/* ---- chat_hold.c: the held, for chat.c ---- */

/* Into the room now: a guest nick unless m has one, the welcome, the news. */
void chat_admit(struct chat_room *r, struct chat_member *m);
void chat_hold(struct chat_room *r, struct chat_member *m);
void chat_unhold(struct chat_room *r, struct chat_member *m);
/* Admit those who have waited CHAT_HOLD_TICKS ticks (from chat_tick). */
void chat_hold_tick(struct chat_room *r);

/* Leave with a reason shown to the others: "* alice left (reason)"; with reason
 * NULL, quietly (the server is stopping and tells everyone once). */
void chat_leave(struct chat_room *r, struct chat_member *m, const char *reason);

/* One line from a member, without its newline. The text is sanitized in place. */
void chat_line(struct chat_room *r, struct chat_member *m, char *line, size_t len);

/* Admit the held whose time is up, then tell the room who joined and left a
 * crowd since the last tick. The server calls it once a second. */
void chat_tick(struct chat_room *r);

#endif
