/* SPDX-License-Identifier: ISC */
/* resume: sessions that outlive a connection, for clients that opt in (tlschat
 * does; the tutorials' clients and old ones never see any of it).
 *
 * A client opts in with its first line, "/session new", or comes back with
 * "/session resume TOKEN PROOF LAST". From then on it is sent the room's and
 * its private lines numbered, "#SEQ text", and a ":ack N" after the lines of
 * its own the server has taken (its lines go "#N text"), so that after a cut
 * each side knows what the other has: the server replays what the client
 * missed (history.c), the client resends what the server did not take, and
 * neither twice. The token is random (128 bits), single use, expires with the
 * history, and is bound to the TLS session it was given on (its exporter: only
 * the two ends of that session can prove it) and to the client certificate. */
#ifndef TLSCHAT_RESUME_H
#define TLSCHAT_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "chat.h"
#include "outq.h"

#define RESUME_SECRET_LEN 16 /* the token's random part: 128 bits */
#define RESUME_BIND_LEN   32 /* the exporter value of the session it was given on */
#define RESUME_LABEL      "EXPORTER-tlschat-resume"

struct server;
struct client;
struct addr_count;

struct rsession {
    uint64_t sid;  /* never reused; what history entries name */
    size_t slot;   /* in the table: the token's first part */
    unsigned char secret[RESUME_SECRET_LEN];
    unsigned char bind[RESUME_BIND_LEN];
    int bound;     /* bind holds the TLS exporter (not in plaintext) */
    int cert;      /* the nick is a certificate's name: only that name may resume */
    char nick[CHAT_NICK_MAX + 1];
    uint64_t start_seq; /* lines up to this one were said before it existed */
    uint64_t in_seq;    /* the last of its own numbered lines the server took */
    uint64_t acked;     /* the last in_seq it was told (":ack") */
    uint64_t last_queued; /* the last numbered line queued to it */
    uint64_t floor;     /* away: last_queued at the cut */
    uint64_t missed;    /* away: lines for it that the history let go */
    uint64_t away_until_ms;
    struct client *client;  /* NULL: away */
    struct addr_count *from; /* away: where it was, counted in from->sessions */
    struct rsession *away_prev, *away_next;
};

struct sessions {
    struct rsession **slots;
    size_t cap, used;
    struct rsession *away_head, *away_tail; /* oldest first */
    size_t naway;
    uint64_t next_sid;
};

/* 1 when this server resumes sessions (chat mode with a history). */
int resume_enabled(const struct server *s);

/* 0, or -1 when out of memory. */
int resume_init(struct server *s);
void resume_free(struct server *s);

/* A "/session ..." line from c (1: handled here, 0: not such a line). first:
 * it is c's first line, as "/session resume" must be: c is then still held
 * (chat_hold.c), or, with a certificate name, in the room already. */
int resume_command(struct client *c, const char *line, size_t len, int first);

/* "#N text" from an opted-in client: 1 with *n, *text, *tlen set; 0 when the
 * line carries no number. */
int resume_parse_number(const char *line, size_t len, uint64_t *n, const char **text, size_t *tlen);

/* After a round of c's lines: ":ack N" when it took new ones. */
void resume_ack(struct client *c);

/* c's connection ends: its session goes away (kept to be resumed), or ends
 * with it (keep 0: it quit, or the server stops). */
void resume_detach(struct client *c, int keep);

/* The numbered copy of a line to the room (except: its sender) or to one
 * member (only), kept in the history, its number in *seq; NULL when no client
 * has a session (no one could ask for it again) or out of memory. The caller
 * unrefs it, and notes *seq in the last_queued of each session it queues it to. */
struct msg *resume_number(struct server *s, const char *line, size_t len, const struct chat_member *except,
                          const struct chat_member *only, uint64_t *seq);

/* Once a second: old lines and sessions expire. */
void resume_tick(struct server *s);

#endif
