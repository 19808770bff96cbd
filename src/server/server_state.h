/* SPDX-License-Identifier: ISC */
/* server_state: tlschatd's state, shared by server.c (listening, accepting,
 * signals, start and stop) and peer.c (each client's I/O state machine). */
#ifndef TLSCHAT_SERVER_STATE_H
#define TLSCHAT_SERVER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "addrs.h"
#include "chat.h"
#include "history.h"
#include "conn.h"
#include "linebuf.h"
#include "loop.h"
#include "options.h"
#include "outq.h"
#include "ratelimit.h"
#include "resume.h"

#define MAX_LISTENERS 8
#define IO_CHUNK      16384 /* one TLS record's worth */
#define REFUSE_SLACK  64    /* connections past the seats and handshakes, being told why not */
#define TELL_SLACK    8     /* connections past an address's share that are told so */

enum client_state { HANDSHAKING, CHATTING, CLOSING };

struct server;

struct client {
    struct server *srv;
    struct conn *conn;
    int fd;
    unsigned long id;
    enum client_state state;
    struct linebuf in;
    struct outq out;
    struct loop_timer timer; /* handshake, idle or closing deadline */
    struct loop_timer resume; /* paused by the rate limits: read again then */
    struct bucket lines, bytes, nicks;
    int paused;              /* over a rate limit: not reading */
    uint64_t last_active_ms;
    struct chat_member member;
    struct addr_count *from; /* its address's share */
    struct client *hs_prev, *hs_next; /* while handshaking: oldest first */
    unsigned events;         /* interest now registered with the loop */
    int read_more;           /* stopped with lines or TLS data still held */
    int peer_eof;            /* it closed its side: no more reading */
    int drop;                /* its queue overflowed: close at the next tick */
    int dirty;               /* on srv->dirty: has work for the next tick */
    struct client *dirty_prev, *dirty_next;
    struct client *prev, *next;
    char reason[200];
    /* resume.c */
    struct rsession *sess; /* opted in: its session */
    int said_a_line;       /* a "/session resume" must be its first line: it comes back held */
    int quitting;          /* it said /quit or close: its session ends with it */
    int cert_required;     /* --client-ca: the nick is cert_cn (refused when not a valid nick) */
    char cert_cn[128];     /* the client certificate's one CN ("" when it has none, or several) */
};

struct server {
    struct server_options *opt;
    struct loop *loop;
    struct tls *tls;
    int lfds[MAX_LISTENERS];
    int nlfd;
    int sigfd;
    struct chat_room room;
    struct client *clients;
    size_t nclients;
    struct addr_table addrs;
    size_t per_address;            /* connections one address may hold */
    size_t per_address_handshakes; /* handshakes one address may have in progress */
    struct client *hs_head, *hs_tail; /* handshaking clients, oldest first */
    size_t nhandshaking;
    struct client *dirty_head, *dirty_tail;
    size_t ndirty;
    unsigned long next_id;
    unsigned long trimmed_at; /* next_id when memory was last given back */
    int stopping;
    struct loop_timer accept_timer, stop_timer, wake_timer;
    struct loop_timer chat_timer; /* chat_tick, once a second (server.c) */
    struct history history;   /* resume.c: the recent lines, for sessions that come back */
    struct sessions sessions;
    char scratch[IO_CHUNK];
};

enum { LOG_ERROR, LOG_INFO, LOG_DEBUG };

__attribute__((format(printf, 3, 4))) void server_log(const struct server *s, int level, const char *fmt, ...);

/* ---- peer_lists.c ---- */

/* The dirty list: clients with work for the end of this round. */
void mark_dirty(struct client *c);
void unmark_dirty(struct client *c);
void unmark_dirty_in(struct server *s, struct client *c);

/* Handshakes in progress, oldest first; counted per address too. */
void handshake_begins(struct client *c);
void handshake_ends(struct client *c); /* nothing unless c is handshaking */

/* ---- peer.c ---- */

/* Take a new connection from addr (its address's share a, already counted in a->conns: the
 * client owns that count from now on, and on failure it is given back): a
 * client in its handshake, watched by the loop. With refusal set, turn it away instead: it is told refusal (a TLS
 * alert, or the line in plaintext) and closed once it has read that. NULL (the
 * fd closed) with a sentence in err. */
struct client *peer_new(struct server *s, int fd, const struct sockaddr *addr, struct addr_count *a,
                        const char *refusal, char *err, size_t errlen);

/* Close c now, with the reason for the log and the room. */
void peer_destroy(struct client *c, const char *reason);

/* Stop taking lines from c; send what is queued, then close_notify, then close. */
void peer_start_closing(struct client *c, const char *reason);

void peer_queue_line(struct client *c, const char *line, size_t len);
void peer_queue_msg(struct client *c, struct msg *m);

/* Put c (its first line came, or its wait ran out) into the room: 0, or -1
 * when it was refused (told why, and closing). */
int peer_join(struct client *c);
/* The same, wanting nick (a session come back): a guest nick when it is taken. */
int peer_join_as(struct client *c, const char *nick);

/* fresh takes old's place in the room (the same certificate, or the same
 * session, from a new connection); old is told and closed. */
void peer_take_over(struct client *old, struct client *fresh);

/* The loop's tick: everything queued this round leaves, one write per client. */
void peer_tick(struct loop *loop, void *arg);

/* How the chat room reaches the clients. */
extern const struct chat_ops peer_chat_ops;

#endif
