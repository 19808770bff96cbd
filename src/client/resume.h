/* SPDX-License-Identifier: ISC */
/* resume: tlschat's side of tlschatd's sessions (src/server/resume.h has the
 * protocol). The first line of each connection opts in ("/session new"), or
 * asks to come back ("/session resume TOKEN PROOF LAST"); from then on lines
 * go out numbered and are kept until the server acknowledges them, and the
 * server's numbered lines are printed once each, without their numbers. */
#ifndef TLSCHAT_CLIENT_RESUME_H
#define TLSCHAT_CLIENT_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "conn.h"

#define RESUME_ANSWER_MS 2000 /* a server that does not answer the opt-in in this long has no sessions */

enum resume_state { RESUME_OFF, RESUME_ASKED, RESUME_ON };

struct resume {
    enum resume_state state;
    int asked_resume;   /* what was asked was to come back, not a new session */
    int have_token;
    char token[80];
    char proof[2 * 32 + 1]; /* hex of the TLS exporter of the connection the token came on, or "-" */
    uint64_t last_seq;  /* the last numbered line printed */
    uint64_t next_out;  /* the number of the last line numbered */
    uint64_t acked;     /* the last of ours the server took */
    uint64_t asked_ms;
    struct bytebuf unacked; /* "#N text\n" lines sent or waiting, not yet taken */
    size_t nunacked;
};

void resume_init(struct resume *r);
void resume_free(struct resume *r);

/* The opt-in for a new connection into out (with its "\n"): its length. */
size_t resume_hello(struct resume *r, char *out, size_t outlen);

/* 1 when lines may go out (the opt-in was answered, or never made). */
int resume_may_send(struct resume *r, uint64_t now_ms);

/* One line to send: numbered and kept when sessions are on. Appended to wire. 0, or -1 out of memory. */
int resume_outgoing(struct resume *r, const char *line, size_t len, struct bytebuf *wire);

enum resume_verdict { RESUME_PRINT, RESUME_DROP };

/* A line from the server (*line, *len: without the number when printed).
 * Control lines are taken here; after ":session resumed" the lines the
 * server did not take go into wire again. note gets a sentence for the user
 * (stderr) when there is one, else "". */
enum resume_verdict resume_incoming(struct resume *r, struct conn *c, const char **line, size_t *len,
                                    struct bytebuf *wire, char *note, size_t notelen);

#endif
