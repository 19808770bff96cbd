/* SPDX-License-Identifier: ISC */
/* reconnect: after a lost connection, try again with exponential backoff and
 * jitter (about 1 s, doubling, up to 30 s), verifying the server exactly as the
 * first time and refusing one that shows another certificate. */
#ifndef TLSCHAT_RECONNECT_H
#define TLSCHAT_RECONNECT_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "options.h"

#define RECONNECT_GIVE_UP_MS ((uint64_t)10 * 60 * 1000) /* the server keeps a session 10 minutes by default */

struct reconnect {
    unsigned attempt;
    uint64_t lost_ms;      /* when the connection was lost */
    char spki[80];         /* the server key (SPKI) of the first connection ("" in plaintext) */
};

/* The first connection is up: remember whose certificate it showed. */
void reconnect_first(struct reconnect *r, const struct conn *c);

/* The connection was lost now. */
void reconnect_lost(struct reconnect *r, uint64_t now_ms);

/* How long to wait before the next attempt, in ms (and counts it). */
uint64_t reconnect_delay_ms(struct reconnect *r);

/* 1 when err (a connection's failure) is about verification: the server's
 * certificate, or ours refused by the server. Trying again cannot mend it. */
int reconnect_cannot_help(const char *err);

/* One attempt: the connection, or NULL with a sentence in err; *fatal is then
 * set when trying again cannot help (the server failed verification, showed
 * another certificate, or refused our certificate). */
struct conn *reconnect_connect(struct reconnect *r, const struct client_options *o, struct tls *tls, char *err,
                               size_t errlen, int *fatal);

#endif
