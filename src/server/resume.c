/* SPDX-License-Identifier: ISC */
/* resume: sessions that outlive a connection (see resume.h for the protocol). */
#define _GNU_SOURCE
#include "resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "server_state.h"

#define TOKEN_HEX (2 * RESUME_SECRET_LEN)

int resume_enabled(const struct server *s)
{
    return !s->opt->echo && s->opt->history_lines > 0;
}

static void evicted(void *ctx, const struct history_entry *e);

int resume_init(struct server *s)
{
    memset(&s->sessions, 0, sizeof s->sessions);
    s->sessions.next_sid = 1;
    size_t lines = resume_enabled(s) ? s->opt->history_lines : 0;
    if (history_init(&s->history, lines, s->opt->history_bytes, (uint64_t)s->opt->history_age * 1000) < 0)
        return -1;
    s->history.evicted = evicted;
    s->history.ctx = s;
    return 0;
}

static void session_free(struct server *s, struct rsession *r);

void resume_free(struct server *s)
{
    for (size_t i = 0; i < s->sessions.cap; i++)
        if (s->sessions.slots[i])
            session_free(s, s->sessions.slots[i]);
    free(s->sessions.slots);
    history_free(&s->history);
}

/* ---- the table and the away list ---- */

static void away_unlink(struct server *s, struct rsession *r)
{
    struct sessions *t = &s->sessions;
    if (r->away_prev)
        r->away_prev->away_next = r->away_next;
    else
        t->away_head = r->away_next;
    if (r->away_next)
        r->away_next->away_prev = r->away_prev;
    else
        t->away_tail = r->away_prev;
    r->away_prev = r->away_next = NULL;
    t->naway--;
    if (r->from) {
        r->from->sessions--;
        addr_table_release(&s->addrs, r->from);
        r->from = NULL;
    }
}

/* The table forgets r, and its secrets are wiped. */
static void forget(struct server *s, struct rsession *r)
{
    s->sessions.slots[r->slot] = NULL;
    s->sessions.used--;
    explicit_bzero(r, sizeof *r);
    free(r);
}

/* A session gone away ends (pushed out by newer ones from its address). */
static void away_free(struct server *s, struct rsession *r)
{
    away_unlink(s, r);
    forget(s, r);
}

/* The oldest session gone away ends (expired, or the server keeps too many). */
static void away_free_oldest(struct server *s)
{
    struct sessions *t = &s->sessions;
    struct rsession *r = t->away_head;
    t->away_head = r->away_next;
    if (t->away_head)
        t->away_head->away_prev = NULL;
    else
        t->away_tail = NULL;
    r->away_next = NULL;
    t->naway--;
    if (r->from) {
        r->from->sessions--;
        addr_table_release(&s->addrs, r->from);
    }
    forget(s, r);
}

static void session_free(struct server *s, struct rsession *r)
{
    if (r->client)
        r->client->sess = NULL;
    else
        away_unlink(s, r);
    forget(s, r);
}

static struct rsession *session_new(struct server *s, struct client *c)
{
    struct sessions *t = &s->sessions;
    if (t->used == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct rsession **slots = realloc(t->slots, cap * sizeof(struct rsession *));
        if (!slots)
            return NULL;
        memset(slots + t->cap, 0, (cap - t->cap) * sizeof(struct rsession *));
        t->slots = slots;
        t->cap = cap;
    }
    struct rsession *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t slot = 0;
    while (t->slots[slot])
        slot++;
    r->slot = slot;
    r->sid = t->next_sid++;
    r->start_seq = history_next_seq(&s->history) - 1;
    r->client = c;
    t->slots[slot] = r;
    t->used++;
    return r;
}

/* A new token for r, bound to c's TLS session: its text into out. */
static int issue_token(struct rsession *r, struct client *c, char *out, size_t outlen)
{
    if (getrandom(r->secret, sizeof r->secret, 0) != (ssize_t)sizeof r->secret)
        return -1;
    r->bound = conn_export_secret(c->conn, RESUME_LABEL, r->bind, sizeof r->bind) == 0;
    size_t at = (size_t)snprintf(out, outlen, "%zx.", r->slot);
    for (size_t i = 0; i < sizeof r->secret && at + 2 < outlen; i++, at += 2)
        snprintf(out + at, 3, "%02x", r->secret[i]);
    return 0;
}

/* ---- what an away session misses ---- */

static void evicted(void *ctx, const struct history_entry *e)
{
    struct server *s = ctx;
    for (struct rsession *r = s->sessions.away_head; r; r = r->away_next)
        if (e->seq > r->floor && history_visible(e, r->sid))
            r->missed++;
}

void resume_tick(struct server *s)
{
    uint64_t now = loop_now_ms();
    history_expire(&s->history, now);
    while (s->sessions.away_head && s->sessions.away_head->away_until_ms <= now)
        away_free_oldest(s);
}

void resume_detach(struct client *c, int keep)
{
    struct rsession *r = c->sess;
    struct server *s = c->srv;
    if (!r)
        return;
    c->sess = NULL;
    r->client = NULL;
    if (!keep || s->stopping) {
        forget(s, r); /* it said goodbye, or the server stops */
        return;
    }
    /* Kept for the history's age, counted against the address it was at: one
     * host cannot make the server keep more than its share of seats. */
    struct sessions *t = &s->sessions;
    if (c->member.nick[0])
        snprintf(r->nick, sizeof r->nick, "%s", c->member.nick); /* as it was last called */
    r->floor = r->last_queued;
    r->missed = 0;
    r->away_until_ms = loop_now_ms() + (uint64_t)s->opt->history_age * 1000;
    r->from = c->from;
    r->from->sessions++;
    r->away_prev = t->away_tail;
    r->away_next = NULL;
    if (t->away_tail)
        t->away_tail->away_next = r;
    else
        t->away_head = r;
    t->away_tail = r;
    t->naway++;
    if (r->from->sessions > s->per_address) { /* its address's oldest goes */
        for (struct rsession *o = t->away_head; o; o = o->away_next)
            if (o->from == r->from) {
                away_free(s, o);
                break;
            }
    }
    while (t->naway > s->opt->max_clients && t->away_head)
        away_free_oldest(s);
}

/* ---- numbered lines ---- */

static struct msg *numbered(uint64_t seq, const char *line, size_t len)
{
    char prefix[32];
    int p = snprintf(prefix, sizeof prefix, "#%llu ", (unsigned long long)seq);
    struct msg *m = malloc(sizeof *m + (size_t)p + len + 1);
    if (!m)
        return NULL;
    m->refs = 1;
    m->len = (size_t)p + len + 1;
    memcpy(m->data, prefix, (size_t)p);
    memcpy(m->data + p, line, len);
    m->data[p + len] = '\n';
    return m;
}

static uint64_t sid_of(const struct chat_member *m)
{
    const struct client *c = m ? m->user : NULL;
    return c && c->sess ? c->sess->sid : 0;
}

struct msg *resume_number(struct server *s, const char *line, size_t len, const struct chat_member *except,
                          const struct chat_member *only, uint64_t *seqp)
{
    if (s->sessions.used == 0 || !resume_enabled(s))
        return NULL;
    uint64_t seq = history_next_seq(&s->history);
    *seqp = seq;
    struct msg *m = numbered(seq, line, len);
    if (!m)
        return NULL;
    history_add(&s->history, seq, m, loop_now_ms(), sid_of(except), only ? sid_of(only) : 0);
    return m;
}

int resume_parse_number(const char *line, size_t len, uint64_t *n, const char **text, size_t *tlen)
{
    size_t i = 1;
    uint64_t v = 0;
    if (len < 3 || line[0] != '#')
        return 0;
    while (i < len && i < 21 && line[i] >= '0' && line[i] <= '9')
        v = v * 10 + (uint64_t)(line[i++] - '0');
    if (i == 1 || i >= len || line[i] != ' ')
        return 0;
    *n = v;
    *text = line + i + 1;
    *tlen = len - i - 1;
    return 1;
}

void resume_ack(struct client *c)
{
    struct rsession *r = c->sess;
    if (!r || r->in_seq == r->acked)
        return;
    char line[40];
    int n = snprintf(line, sizeof line, ":ack %llu", (unsigned long long)r->in_seq);
    peer_queue_line(c, line, (size_t)n);
    r->acked = r->in_seq;
}

/* ---- "/session ..." ---- */

static void tell(struct client *c, const char *line)
{
    peer_queue_line(c, line, strlen(line));
}

/* A fresh session for c, told ":session new TOKEN LAST". */
static void start_session(struct client *c)
{
    struct server *s = c->srv;
    char token[64], line[128];
    struct rsession *r = session_new(s, c);
    if (!r || issue_token(r, c, token, sizeof token) < 0) {
        if (r)
            session_free(s, r);
        tell(c, "! the server cannot keep a session now (out of memory): you will not be able to resume");
        return;
    }
    c->sess = r;
    r->cert = c->member.cert_bound;
    snprintf(r->nick, sizeof r->nick, "%s", c->member.nick);
    snprintf(line, sizeof line, ":session new %s %llu", token, (unsigned long long)r->start_seq);
    tell(c, line);
    server_log(s, LOG_DEBUG, "session #%lu %s: new", c->id, conn_peer(c->conn));
}

static int hex_value(const char *hex, size_t hexlen, unsigned char *out, size_t outlen)
{
    if (hexlen != 2 * outlen)
        return -1;
    for (size_t i = 0; i < outlen; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char h = hex[2 * i + (size_t)k];
            v <<= 4;
            if (h >= '0' && h <= '9')
                v |= (unsigned)(h - '0');
            else if (h >= 'a' && h <= 'f')
                v |= (unsigned)(h - 'a' + 10);
            else
                return -1;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

/* Compare without telling by the time taken how much matched. */
static int same_secret(const unsigned char *a, const unsigned char *b, size_t len)
{
    unsigned char d = 0;
    for (size_t i = 0; i < len; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* The session "TOKEN PROOF" names, or NULL with the reason in why. */
static struct rsession *find_session(struct client *c, const char *token, const char *proof, const char **why)
{
    struct server *s = c->srv;
    const char *dot = strchr(token, '.');
    unsigned char secret[RESUME_SECRET_LEN];
    char *end;
    *why = "the token is malformed";
    if (!dot || dot == token || dot - token > 8)
        return NULL;
    unsigned long slot = strtoul(token, &end, 16);
    if (end != dot || hex_value(dot + 1, strlen(dot + 1), secret, sizeof secret) < 0)
        return NULL;
    struct rsession *r = slot < s->sessions.cap ? s->sessions.slots[slot] : NULL;
    *why = "it is unknown, used already, or expired";
    if (!r || !same_secret(r->secret, secret, sizeof secret))
        return NULL;
    int cert = c->cert_required;
    if (r->cert != cert || (cert && strcmp(r->nick, c->cert_cn) != 0)) {
        *why = "it was given to another client certificate";
        return NULL;
    }
    if (r->bound) {
        unsigned char bind[RESUME_BIND_LEN];
        *why = "this connection cannot prove it is the one the token was given to";
        if (hex_value(proof, strlen(proof), bind, sizeof bind) < 0 || !same_secret(r->bind, bind, sizeof bind))
            return NULL;
    }
    return r;
}

/* What r missed and can no longer have, and the lines it can (referenced, in
 * order): taken before it rejoins, whose own announcement goes into the history. */
struct replay {
    uint64_t missed;
    struct msg **lines;
    size_t n;
};

static int collect(struct server *s, struct rsession *r, uint64_t last, struct replay *out)
{
    struct history *h = &s->history;
    uint64_t newest = history_next_seq(h) - 1;
    memset(out, 0, sizeof *out);
    if (last < r->start_seq)
        last = r->start_seq; /* nothing from before it came */
    if (last > newest)
        last = newest;
    /* Gone: those the history let go while it was away, and those in flight
     * at the cut that went since. */
    uint64_t gone_before = history_oldest(h) - 1, floor = r->client ? r->last_queued : r->floor;
    uint64_t in_flight_end = gone_before < floor ? gone_before : floor;
    out->missed = (r->client ? 0 : r->missed) + (in_flight_end > last ? in_flight_end - last : 0);
    size_t first = history_find_after(h, last);
    if (first == h->count)
        return 0;
    out->lines = malloc((h->count - first) * sizeof(struct msg *));
    if (!out->lines)
        return -1;
    for (size_t i = first; i < h->count; i++) {
        const struct history_entry *e = history_at(h, i);
        if (history_visible(e, r->sid)) {
            out->lines[out->n++] = e->line;
            e->line->refs++;
        }
    }
    return 0;
}

/* c is r's connection now: in the room as r was, told what it missed. */
static void resume_session(struct client *c, struct rsession *r, uint64_t last)
{
    struct server *s = c->srv;
    struct client *old = r->client;
    struct replay rp;
    if (collect(s, r, last, &rp) < 0) {
        tell(c, "! the server is out of memory: try again later");
        peer_start_closing(c, "out of memory");
        return;
    }
    if (old) { /* its old connection has not noticed the cut yet */
        old->sess = NULL;
        r->client = NULL;
        peer_take_over(old, c);
    } else {
        away_unlink(s, r);
        if (!c->member.joined) /* held (a certificate's name joined at once, taking any stale seat) */
            peer_join_as(c, r->nick);
    }
    if (c->member.joined) {
        r->client = c;
        c->sess = r;
        r->missed = 0;
        snprintf(r->nick, sizeof r->nick, "%s", c->member.nick);
        char token[64] = "", line[160];
        if (issue_token(r, c, token, sizeof token) < 0) {
            tell(c, "! the server cannot make a new session token: you will not be able to resume again");
            memset(r->secret, 0, sizeof r->secret);
        }
        snprintf(line, sizeof line, ":session resumed %s %llu", token, (unsigned long long)r->in_seq);
        tell(c, line);
        r->acked = r->in_seq;
        if (rp.missed > 0) {
            snprintf(line, sizeof line, "* %llu line%s missed while you were away", (unsigned long long)rp.missed,
                     rp.missed == 1 ? " was" : "s were");
            tell(c, line);
        }
        for (size_t i = 0; i < rp.n; i++)
            peer_queue_msg(c, rp.lines[i]);
    } else if (!old) {
        session_free(s, r); /* refused (the room is full): told, and closing */
    }
    for (size_t i = 0; i < rp.n; i++)
        msg_unref(rp.lines[i]);
    free(rp.lines);
}

int resume_command(struct client *c, const char *line, size_t len, int first)
{
    static const char cmd[] = "/session";
    if (len < sizeof cmd - 1 || strncmp(line, cmd, sizeof cmd - 1) != 0 ||
        (len > sizeof cmd - 1 && line[sizeof cmd - 1] != ' '))
        return 0;
    struct server *s = c->srv;
    char buf[256], *words[5] = {0};
    int nw = 0;
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && nw < 5; w = strtok_r(NULL, " ", &save))
        words[nw++] = w;
    int resuming = nw == 5 && strcmp(words[1], "resume") == 0;
    int fresh = nw == 2 && strcmp(words[1], "new") == 0;
    if (!resume_enabled(s)) {
        tell(c, "! this server keeps no history: a dropped connection cannot be resumed here");
        return 1;
    }
    if (!resuming && !fresh) {
        tell(c, "! usage: /session new, or /session resume TOKEN PROOF LAST");
        return 1;
    }
    if (c->sess) {
        tell(c, "! this connection has a session already");
        return 1;
    }
    if (resuming && !first) {
        tell(c, "! /session resume must be the first line of a connection: this one goes on as it is");
        return 1;
    }
    if (resuming) {
        const char *why;
        char *end;
        unsigned long long last = strtoull(words[4], &end, 10);
        struct rsession *r = *end ? NULL : find_session(c, words[2], words[3], &why);
        if (*end)
            why = "LAST is not a number";
        if (r) {
            server_log(s, LOG_INFO, "resume #%lu %s: session of %s", c->id, conn_peer(c->conn), r->nick);
            resume_session(c, r, last);
            return 1;
        }
        server_log(s, LOG_INFO, "resume refused #%lu %s: %s", c->id, conn_peer(c->conn), why);
        snprintf(buf, sizeof buf, "! that session cannot be resumed (%s): this is a new one", why);
        tell(c, buf);
    }
    if (c->member.joined || c->member.held)
        start_session(c);
    return 1;
}
