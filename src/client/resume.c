/* SPDX-License-Identifier: ISC */
/* resume: numbered lines both ways, kept until acknowledged, printed once. */
#define _GNU_SOURCE
#include "resume.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_LABEL "EXPORTER-tlschat-resume" /* the server's RESUME_LABEL */

void resume_init(struct resume *r)
{
    memset(r, 0, sizeof *r);
    bytebuf_init(&r->unacked);
}

void resume_free(struct resume *r)
{
    bytebuf_free(&r->unacked);
    memset(r->token, 0, sizeof r->token);
    memset(r->proof, 0, sizeof r->proof);
}

size_t resume_hello(struct resume *r, char *out, size_t outlen)
{
    int n;
    r->asked_resume = r->have_token;
    if (r->have_token)
        n = snprintf(out, outlen, "/session resume %s %s %" PRIu64 "\n", r->token, r->proof, r->last_seq);
    else
        n = snprintf(out, outlen, "/session new\n");
    r->state = RESUME_ASKED;
    r->asked_ms = 0; /* set by the caller, who knows the time */
    return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

int resume_may_send(struct resume *r, uint64_t now_ms)
{
    if (r->state == RESUME_ASKED && !r->asked_resume && now_ms - r->asked_ms >= RESUME_ANSWER_MS)
        r->state = RESUME_OFF; /* not a tlschatd that keeps sessions: talk without them */
    return r->state != RESUME_ASKED;
}

int resume_outgoing(struct resume *r, const char *line, size_t len, struct bytebuf *wire)
{
    if (r->state != RESUME_ON)
        return bytebuf_append(wire, line, len) < 0 || bytebuf_append(wire, "\n", 1) < 0 ? -1 : 0;
    char prefix[32];
    int p = snprintf(prefix, sizeof prefix, "#%" PRIu64 " ", r->next_out + 1);
    size_t at = bytebuf_size(&r->unacked);
    if (bytebuf_append(&r->unacked, prefix, (size_t)p) < 0 || bytebuf_append(&r->unacked, line, len) < 0 ||
        bytebuf_append(&r->unacked, "\n", 1) < 0)
        return -1;
    r->next_out++;
    r->nunacked++;
    return bytebuf_append(wire, bytebuf_head(&r->unacked) + at, (size_t)p + len + 1);
}

/* The number of the first kept line (0: none kept). */
static uint64_t first_kept(const struct resume *r)
{
    const char *p = bytebuf_head(&r->unacked);
    return bytebuf_size(&r->unacked) > 1 ? strtoull(p + 1, NULL, 10) : 0;
}

/* Lines up to n were taken: forget them. */
static void taken(struct resume *r, uint64_t n)
{
    if (n > r->acked)
        r->acked = n;
    uint64_t k;
    while ((k = first_kept(r)) != 0 && k <= n) {
        const char *p = bytebuf_head(&r->unacked);
        const char *nl = memchr(p, '\n', bytebuf_size(&r->unacked));
        bytebuf_consume(&r->unacked, nl ? (size_t)(nl - p) + 1 : bytebuf_size(&r->unacked));
        r->nunacked--;
    }
}

static void new_token(struct resume *r, struct conn *c, const char *token, size_t len)
{
    unsigned char bind[32];
    snprintf(r->token, sizeof r->token, "%.*s", (int)len, token);
    r->have_token = len > 0 && len < sizeof r->token;
    if (conn_export_secret(c, EXPORT_LABEL, bind, sizeof bind) < 0) {
        snprintf(r->proof, sizeof r->proof, "-"); /* plaintext: nothing to prove with */
        return;
    }
    for (size_t i = 0; i < sizeof bind; i++)
        snprintf(r->proof + 2 * i, 3, "%02x", bind[i]);
}

/* ":session new|resumed TOKEN N" */
static void answered(struct resume *r, struct conn *c, const char *rest, size_t len, struct bytebuf *wire,
                     char *note, size_t notelen)
{
    int resumed = len > 8 && strncmp(rest, "resumed ", 8) == 0;
    const char *tok = rest + (resumed ? 8 : 4);
    const char *end = rest + len;
    const char *sp = memchr(tok, ' ', (size_t)(end - tok));
    if ((!resumed && (len < 4 || strncmp(rest, "new ", 4) != 0)) || !sp) {
        r->state = RESUME_OFF;
        return;
    }
    uint64_t n = strtoull(sp + 1, NULL, 10);
    new_token(r, c, tok, (size_t)(sp - tok));
    int was_asked_resume = r->asked_resume && r->state == RESUME_ASKED;
    r->state = RESUME_ON;
    if (resumed) {
        taken(r, n);
        snprintf(note, notelen, "resumed the session%s", r->nunacked ? ": sending again what the server did not get"
                                                                    : "");
    } else {
        r->last_seq = n;
        r->acked = 0;
        if (was_asked_resume)
            snprintf(note, notelen, "the server could not resume the session: this is a new one%s",
                     r->nunacked ? " (lines sent just before the cut may arrive twice)" : "");
    }
    /* What the server has not taken goes first, in order, before anything new. */
    if (bytebuf_size(&r->unacked) > 0)
        bytebuf_append(wire, bytebuf_head(&r->unacked), bytebuf_size(&r->unacked));
}

enum resume_verdict resume_incoming(struct resume *r, struct conn *c, const char **line, size_t *len,
                                    struct bytebuf *wire, char *note, size_t notelen)
{
    const char *l = *line;
    size_t n = *len;
    note[0] = '\0';
    if (r->state == RESUME_OFF)
        return RESUME_PRINT;
    if (n > 9 && strncmp(l, ":session ", 9) == 0) {
        answered(r, c, l + 9, n - 9, wire, note, notelen);
        return RESUME_DROP;
    }
    if (r->state == RESUME_ASKED && n > 2 && l[0] == '!' && memmem(l, n, "/session", 8)) {
        r->state = RESUME_OFF; /* an older tlschatd: "! unknown command /session" */
        return RESUME_DROP;
    }
    if (r->state == RESUME_ASKED && n >= 9 && memmem(l, n, "keeps no history", 16)) {
        r->state = RESUME_OFF;
        snprintf(note, notelen, "this server keeps no history: a dropped connection will start afresh");
        return RESUME_DROP;
    }
    if (r->state != RESUME_ON)
        return RESUME_PRINT;
    if (n > 5 && strncmp(l, ":ack ", 5) == 0) {
        taken(r, strtoull(l + 5, NULL, 10));
        return RESUME_DROP;
    }
    if (n > 1 && l[0] == '#') {
        char *end;
        uint64_t seq = strtoull(l + 1, &end, 10);
        if (end > l + 1 && end < l + n && *end == ' ') {
            if (seq <= r->last_seq)
                return RESUME_DROP; /* had it already */
            r->last_seq = seq;
            *line = end + 1;
            *len = n - (size_t)(end + 1 - l);
        }
    }
    return RESUME_PRINT;
}
