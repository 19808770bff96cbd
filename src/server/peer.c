/* SPDX-License-Identifier: ISC */
/* peer: one connected client of tlschatd, non-blocking, so no client (slow,
 * stalled in its handshake, or hostile) ever delays another. Each client moves
 * from handshaking to chatting to closing; what it is sent waits in a bounded
 * queue, and a client that lets the queue fill is dropped with a reason.
 * Which socket events to wait for is conn's answer (conn_events, conn_ready). */
#define _GNU_SOURCE
#include "server_state.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "text.h"

#define READ_BUDGET     ((size_t)4 * IO_CHUNK) /* per client per round: fairness */
#define LINES_PER_ROUND 64
#define CLOSE_GRACE_MS  5000 /* for a closing client to take its last lines */
#define PLAIN_SNIFF_MS  250  /* plaintext: wait this long for a stray ClientHello */
#define TURN_AWAY_MS    2000 /* for a refused connection to read why */

_Static_assert(CONN_READ == LOOP_READ && CONN_WRITE == LOOP_WRITE && CONN_HANGUP == LOOP_ERROR,
               "conn's and loop's event bits are the same");

/* ---- life and death of a client ---- */

/* Reading goes on unless the peer is done or over its rate. */
static int reading_on(const struct client *c)
{
    return !c->peer_eof && !c->paused;
}

/* Wait for what conn says this client's next calls need. */
static void watch(struct client *c, int want_read, int have_output)
{
    unsigned events = conn_events(c->conn, want_read, have_output);
    if (c->events != events && loop_set_events(c->srv->loop, c->fd, events) == 0)
        c->events = events;
}

void peer_destroy(struct client *c, const char *reason)
{
    struct server *s = c->srv;
    resume_detach(c, !c->quitting);
    chat_leave(&s->room, &c->member, s->stopping ? NULL : reason); /* nothing unless in the room or held */
    if (c->state != HANDSHAKING || s->opt->verbosity >= LOG_DEBUG)
        server_log(s, LOG_INFO, "disconnect #%lu %s%s%s: %s", c->id, conn_peer(c->conn),
                   c->member.nick[0] ? " " : "", c->member.nick, reason);
    unmark_dirty(c);
    handshake_ends(c);
    c->from->conns--;
    addr_table_release(&s->addrs, c->from);
    loop_timer_cancel(s->loop, &c->timer);
    loop_timer_cancel(s->loop, &c->resume);
    loop_del(s->loop, c->fd);
    conn_close(c->conn);
    linebuf_free(&c->in);
    outq_free(&c->out);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nclients--;
    free(c);
    if (s->nclients == 0 && s->next_id - s->trimmed_at > 1000) {
        malloc_trim(0); /* a crowd has gone: give its memory back to the system */
        s->trimmed_at = s->next_id;
    }
    if (s->stopping && s->nclients == 0)
        loop_stop(s->loop);
}

static void drop_later(struct client *c, const char *reason)
{
    c->drop = 1;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    mark_dirty(c);
}

void peer_queue_msg(struct client *c, struct msg *m)
{
    if (c->drop)
        return;
    if (outq_push(&c->out, m) < 0) {
        drop_later(c, "out of memory");
        return;
    }
    if (c->out.bytes + c->out.count * sizeof(struct msg *) > c->srv->opt->max_queue) {
        /* It stopped reading: drop it rather than let anyone miss a line. */
        char why[80];
        snprintf(why, sizeof why, "too slow: %zu bytes waited unread", c->out.bytes);
        drop_later(c, why);
        return;
    }
    mark_dirty(c);
}

void peer_queue_line(struct client *c, const char *line, size_t len)
{
    struct msg *m = msg_new(line, len);
    if (!m) {
        drop_later(c, "out of memory");
        return;
    }
    peer_queue_msg(c, m);
    msg_unref(m);
}

static void on_timer(struct loop *loop, void *arg);

void peer_start_closing(struct client *c, const char *reason)
{
    if (c->state == CLOSING)
        return;
    c->state = CLOSING;
    c->paused = 0; /* read on, to see the peer go */
    loop_timer_cancel(c->srv->loop, &c->resume);
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    resume_detach(c, !c->quitting);
    chat_leave(&c->srv->room, &c->member, c->srv->stopping ? NULL : reason);
    loop_timer_set(c->srv->loop, &c->timer, CLOSE_GRACE_MS, on_timer, c);
    mark_dirty(c);
}

/* ---- chat callbacks ---- */

static void chat_send(void *ctx, struct chat_member *to, const char *line, size_t len)
{
    (void)ctx;
    peer_queue_line(to->user, line, len);
}

static void chat_broadcast(void *ctx, const struct chat_member *except, const char *line, size_t len)
{
    struct server *s = ctx;
    struct msg *m = msg_new(line, len); /* one copy, shared by every queue */
    uint64_t seq = 0;
    struct msg *num = resume_number(s, line, len, except, NULL, &seq); /* "#SEQ line", for sessions */
    if (!m) {
        msg_unref(num);
        return;
    }
    for (struct chat_member *mem = s->room.head; mem; mem = mem->next) {
        struct client *c = mem->user;
        if (mem == except)
            continue;
        if (c->sess && num) {
            c->sess->last_queued = seq;
            peer_queue_msg(c, num);
        } else {
            peer_queue_msg(c, m);
        }
    }
    msg_unref(m);
    msg_unref(num);
}

static void chat_private(void *ctx, struct chat_member *to, const char *line, size_t len)
{
    struct client *c = to->user;
    uint64_t seq = 0;
    struct msg *num = c->sess ? resume_number(ctx, line, len, NULL, to, &seq) : NULL;
    if (num) {
        c->sess->last_queued = seq;
        peer_queue_msg(c, num);
    }
    else
        peer_queue_line(c, line, len);
    msg_unref(num);
}

static void chat_quit(void *ctx, struct chat_member *m)
{
    (void)ctx;
    struct client *c = m->user;
    c->quitting = 1; /* no coming back from a goodbye */
    peer_start_closing(c, "quit");
}

const struct chat_ops peer_chat_ops = {chat_send, chat_broadcast, chat_quit, chat_private};

/* ---- I/O ---- */

/* Send what is queued; when closing and all is out, close_notify, then linger.
 * Returns 0, or -1 when c was destroyed. */
static int flush(struct client *c)
{
    struct server *s = c->srv;
    while (c->out.bytes > 0) {
        size_t n = outq_gather(&c->out, s->scratch, IO_CHUNK);
        ssize_t r = conn_send(c->conn, s->scratch, n);
        if (r > 0) {
            outq_consume(&c->out, (size_t)r);
            continue;
        }
        if (conn_again(r)) {
            watch(c, reading_on(c), 1);
            return 0;
        }
        peer_destroy(c, r == CONN_EOF ? "disconnected" : conn_error(c->conn));
        return -1;
    }
    if (c->state == CLOSING) {
        int r = conn_shutdown(c->conn);
        if (conn_again(r)) {
            watch(c, reading_on(c), 0); /* conn adds what the shutdown waits on */
            return 0;
        }
        if (c->peer_eof) {
            peer_destroy(c, c->reason);
            return -1;
        }
        /* Linger: our close_notify and FIN are out. Wait (within the grace)
         * for the peer's, so they do not meet a closed socket and come back
         * as a reset that could cost the peer our last lines. */
        watch(c, 1, 0);
        return 0;
    }
    watch(c, reading_on(c), 0);
    return 0;
}

static void on_resume(struct loop *loop, void *arg);

/* A sender's bytes at once: 4 s' worth, but never more than a quarter of what
 * a reader may have waiting (--max-queue), so that one sender's burst cannot
 * get a reader that keeps up with the rate dropped. */
static double byte_burst_of(const struct server_options *o)
{
    double b = (double)o->byte_rate * 4, q = (double)o->max_queue / 4;
    return b < q ? b : q;
}

/* May c say line now? 0 when its rates allow it (the tokens are spent); else
 * the milliseconds until they will. Lines, bytes and nick changes each have
 * their bucket; a line waits for all it needs, and takes from none until then. */
static uint64_t rate_wait(struct client *c, const char *line, size_t len)
{
    const struct server_options *o = c->srv->opt;
    if (o->echo)
        return 0; /* each line goes back to its sender alone: nobody else to protect */
    uint64_t now = loop_now_ms();
    double line_burst = 5.0 * o->line_rate, byte_burst = byte_burst_of(o), nick_burst = 3;
    double nick_rate = o->nick_rate / 60.0;
    int rename = chat_is_rename(line, len);
    struct bucket lines = c->lines, bytes = c->bytes, nicks = c->nicks; /* tried on copies */
    uint64_t wait = bucket_take(&lines, 1, o->line_rate, line_burst, now);
    uint64_t w2 = bucket_take(&bytes, (double)len + 1, (double)o->byte_rate, byte_burst, now);
    uint64_t w3 = rename ? bucket_take(&nicks, 1, nick_rate, nick_burst, now) : 0;
    wait = wait > w2 ? wait : w2;
    wait = wait > w3 ? wait : w3;
    if (wait == 0) {
        c->lines = lines;
        c->bytes = bytes;
        c->nicks = nicks;
    }
    return wait;
}

/* Over a rate: stop reading c (TCP holds what it sends) until ms from now. */
static void pause_reading(struct client *c, uint64_t ms)
{
    c->paused = 1;
    watch(c, 0, c->out.bytes > 0);
    loop_timer_set(c->srv->loop, &c->resume, ms, on_resume, c);
}

static void on_resume(struct loop *loop, void *arg)
{
    (void)loop;
    struct client *c = arg;
    c->paused = 0;
    c->read_more = 1; /* lines held here first, then the socket */
    mark_dirty(c);
}

/* Handle whole lines already received, at most *quota of them, as fast as the
 * sender's rates allow. */
static void handle_lines(struct client *c, int *quota)
{
    const char *line;
    size_t len;
    int r;
    while (*quota > 0 && c->state == CHATTING && !c->drop && !c->paused &&
           (r = linebuf_peek(&c->in, &line, &len)) != 0) {
        uint64_t num = 0;
        const char *text = line;
        size_t tlen = len;
        int numbered = r == 1 && c->sess && resume_parse_number(line, len, &num, &text, &tlen);
        uint64_t wait = r == 1 ? rate_wait(c, text, tlen) : 0;
        if (wait > 0) {
            pause_reading(c, wait);
            return;
        }
        r = linebuf_next(&c->in, &line, &len);
        if (r == LINEBUF_TOO_LONG) {
            char msg[96];
            int n = snprintf(msg, sizeof msg, "! line too long (the limit is %zu bytes)", c->srv->opt->max_line);
            peer_queue_line(c, msg, (size_t)n);
            peer_start_closing(c, "line too long");
            return;
        }
        (*quota)--;
        if (numbered) {
            if (num <= c->sess->in_seq)
                continue; /* sent again after a cut, and taken before it */
            c->sess->in_seq = num;
            line = text;
            len = tlen;
        }
        int first = !c->said_a_line;
        c->said_a_line = 1;
        if (!resume_command(c, line, len, first))
            chat_line(&c->srv->room, &c->member, (char *)line, len);
    }
    resume_ack(c);
}

/* Read and handle what c sent, within this round's share: LINES_PER_ROUND
 * lines and READ_BUDGET bytes. A paste of thousands of short lines is thus
 * spread over rounds, with everyone's queues flushed in between, instead of
 * filling every queue at once. Returns 0, or -1 when c was destroyed. */
static int do_read(struct client *c)
{
    struct server *s = c->srv;
    size_t budget = READ_BUDGET;
    int quota = LINES_PER_ROUND;
    c->read_more = 0;
    handle_lines(c, &quota); /* what an earlier round left */
    while (quota > 0 && budget > 0 && !c->peer_eof && !c->paused) {
        ssize_t n = conn_recv(c->conn, s->scratch, IO_CHUNK);
        if (n > 0) {
            budget -= (size_t)n < budget ? (size_t)n : budget;
            c->last_active_ms = loop_now_ms();
            if (c->state != CHATTING || c->drop)
                continue; /* leaving: what it says now is not read */
            if (linebuf_append(&c->in, s->scratch, (size_t)n) < 0) {
                peer_destroy(c, "out of memory");
                return -1;
            }
            handle_lines(c, &quota);
            continue;
        }
        if (conn_again(n)) {
            watch(c, reading_on(c), c->out.bytes > 0);
            return 0;
        }
        if (n == CONN_EOF) {
            /* It is done talking (maybe half-closed): what is queued for it,
             * down to "closed", still goes out before we close. */
            c->peer_eof = 1;
            watch(c, 0, c->out.bytes > 0);
            peer_start_closing(c, "disconnected");
            mark_dirty(c);
            return 0;
        }
        /* Leaving already: a peer that hangs up without close_notify after our
         * goodbye is no news; the reason it was leaving stays the reason. */
        peer_destroy(c, c->state == CLOSING ? c->reason : conn_error(c->conn));
        return -1;
    }
    /* Out of share with more waiting: epoll says when the socket has more, but
     * not when lines or decrypted TLS bytes are held here; the tick sees to them. */
    if (!c->peer_eof && !c->paused && (quota == 0 || conn_pending(c->conn) > 0)) {
        c->read_more = 1;
        mark_dirty(c);
    }
    return 0;
}

static void established(struct client *c)
{
    struct server *s = c->srv;
    struct tls_summary sum;
    int tls = conn_summary(c->conn, &sum) == 0;
    handshake_ends(c);
    c->state = CHATTING;
    c->last_active_ms = loop_now_ms();
    loop_timer_cancel(s->loop, &c->timer);
    /* The CN is the client's own text: clean it before it reaches the log. */
    char shown_cn[sizeof sum.cn];
    size_t cnlen = text_sanitize(memcpy(shown_cn, sum.cn, sizeof shown_cn), strlen(sum.cn));
    shown_cn[cnlen] = '\0';
    if (tls)
        server_log(s, LOG_INFO, "connect #%lu %s %s %s %s%s%s", c->id, conn_peer(c->conn), sum.version, sum.cipher,
                   sum.group, shown_cn[0] ? " cn=" : "", shown_cn);
    else
        server_log(s, LOG_INFO, "connect #%lu %s plaintext", c->id, conn_peer(c->conn));
    c->cert_required = s->tls && tls_requires_client_cert(s->tls); /* --plain: no tls */
    if (c->cert_required)
        snprintf(c->cert_cn, sizeof c->cert_cn, "%s", sum.cn);
    uint64_t now = loop_now_ms();
    bucket_init(&c->lines, 5.0 * s->opt->line_rate, now);
    bucket_init(&c->bytes, byte_burst_of(s->opt), now);
    bucket_init(&c->nicks, 3, now);
    if (peer_join(c) < 0) /* without a certificate name: held until its first line (chat_hold.c) */
        return;
    watch(c, 1, 0);
    do_read(c); /* the client may have sent lines right behind its handshake */
}

static const char nick_taken[] = "! your nick was taken while you were away: you have a new one (/nick to choose)";

/* The member whose place c's certificate takes: the same name, certified. */
static struct client *same_certificate(struct client *c)
{
    size_t len = strlen(c->cert_cn);
    struct chat_member *m = c->cert_required && len ? chat_find(&c->srv->room, c->cert_cn, len) : NULL;
    return m && m->cert_bound && strcmp(m->nick, c->cert_cn) == 0 ? m->user : NULL;
}

void peer_take_over(struct client *old, struct client *fresh)
{
    struct server *s = fresh->srv;
    server_log(s, LOG_INFO, "#%lu %s takes the place of #%lu as %s", fresh->id, conn_peer(fresh->conn), old->id,
               old->member.nick);
    chat_replace(&s->room, &old->member, &fresh->member);
    static const char gone[] = "! you connected again from elsewhere: this connection is closed";
    peer_queue_line(old, gone, sizeof gone - 1);
    peer_start_closing(old, "connected again from elsewhere");
    if (s->opt->idle_timeout)
        loop_timer_set(s->loop, &fresh->timer, (uint64_t)s->opt->idle_timeout * 1000, on_timer, fresh);
    else
        loop_timer_cancel(s->loop, &fresh->timer);
}

int peer_join(struct client *c)
{
    return peer_join_as(c, NULL);
}

int peer_join_as(struct client *c, const char *nick)
{
    struct server *s = c->srv;
    loop_timer_cancel(s->loop, &c->timer);
    struct client *old = same_certificate(c);
    if (old) { /* a new connection of the same person: the stale one gives way */
        peer_take_over(old, c);
        return 0;
    }
    if (!nick && chat_seats_taken(&s->room) >= s->opt->max_clients) { /* seats are for members (and the held) only */
        char msg[128];
        int n = snprintf(msg, sizeof msg, "! the server is full (%zu users): try again later", s->opt->max_clients);
        peer_queue_line(c, msg, (size_t)n);
        peer_start_closing(c, "server full");
        return -1;
    }
    char why[160];
    if (nick && !c->cert_required) {
        if (!chat_join_as(&s->room, &c->member, nick))
            peer_queue_line(c, nick_taken, sizeof nick_taken - 1);
    } else if (chat_arrive(&s->room, &c->member, c->cert_required ? c->cert_cn : NULL, why, sizeof why) < 0) {
        char msg[200];
        int n = snprintf(msg, sizeof msg, "! %s", why);
        peer_queue_line(c, msg, (size_t)n);
        peer_start_closing(c, why);
        return -1;
    }
    if (s->opt->idle_timeout)
        loop_timer_set(s->loop, &c->timer, (uint64_t)s->opt->idle_timeout * 1000, on_timer, c);
    return 0;
}

static void do_handshake(struct client *c)
{
    int rc = conn_handshake(c->conn);
    if (rc == CONN_DONE) {
        established(c);
    } else if (conn_again(rc)) {
        watch(c, 1, 0);
    } else {
        server_log(c->srv, LOG_INFO, "handshake failed #%lu %s: %s", c->id, conn_peer(c->conn), conn_error(c->conn));
        peer_destroy(c, conn_error(c->conn));
    }
}

static void on_client(struct loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    struct client *c = arg;
    if (c->state == HANDSHAKING) {
        do_handshake(c);
        return;
    }
    unsigned ready = conn_ready(c->conn, events);
    if ((ready & CONN_READ) && do_read(c) < 0)
        return;
    if ((ready & CONN_WRITE) || c->out.bytes > 0)
        mark_dirty(c);
}

static void on_timer(struct loop *loop, void *arg)
{
    struct client *c = arg;
    struct server *s = c->srv;
    if (c->state == HANDSHAKING && !s->tls) {
        established(c); /* a quiet plaintext client: not a TLS one, greet it */
    } else if (c->state == HANDSHAKING) {
        int told = conn_tell_plaintext_peer(c->conn);
        server_log(s, LOG_INFO, "handshake timeout #%lu %s: no TLS handshake within %u s%s", c->id, conn_peer(c->conn),
                   s->opt->handshake_timeout, told ? " (it sent nothing: told it this port speaks TLS)" : "");
        peer_destroy(c, "handshake timeout");
    } else if (c->state == CLOSING) {
        peer_destroy(c, c->reason);
    } else {
        uint64_t idle_ms = (uint64_t)s->opt->idle_timeout * 1000;
        uint64_t quiet = loop_now_ms() - c->last_active_ms;
        if (quiet < idle_ms) {
            loop_timer_set(loop, &c->timer, idle_ms - quiet, on_timer, c);
            return;
        }
        char msg[96];
        int n = snprintf(msg, sizeof msg, "! disconnected: silent for %u s", s->opt->idle_timeout);
        peer_queue_line(c, msg, (size_t)n);
        peer_start_closing(c, "idle timeout");
    }
}

static void wake(struct loop *loop, void *arg)
{
    (void)loop;
    (void)arg; /* nothing: the tick after it does the work */
}

void peer_tick(struct loop *loop, void *arg)
{
    struct server *s = arg;
    for (int pass = 0; pass < 4 && s->dirty_head; pass++) {
        /* Work added while a pass runs waits for the next pass. */
        for (size_t n = s->ndirty; n > 0 && s->dirty_head; n--) {
            struct client *c = s->dirty_head;
            unmark_dirty_in(s, c);
            if (c->drop)
                peer_destroy(c, c->reason);
            else if (!(c->read_more && c->state == CHATTING && do_read(c) < 0))
                flush(c);
        }
    }
    if (s->dirty_head) /* do not sleep in epoll_wait with work left */
        loop_timer_set(loop, &s->wake_timer, 0, wake, s);
}

struct client *peer_new(struct server *s, int fd, const struct sockaddr *addr, struct addr_count *a,
                        const char *refusal, char *err, size_t errlen)
{
    /* Socket options (send buffer, keepalive, no Nagle) came from the listener. */
    struct client *c = calloc(1, sizeof *c);
    struct conn *conn = c ? conn_new_accepted(fd, s->tls, addr, err, errlen) : NULL;
    if (!conn) {
        if (!c) {
            snprintf(err, errlen, "out of memory");
            close(fd);
        }
        free(c);
        a->conns--; /* the reservation made by the caller */
        addr_table_release(&s->addrs, a);
        return NULL;
    }
    c->srv = s;
    c->conn = conn;
    c->fd = fd;
    c->id = ++s->next_id;
    c->member.user = c;
    c->from = a; /* the caller counted it in a->conns: released in peer_destroy */
    linebuf_init(&c->in, s->opt->max_line);
    outq_init(&c->out);
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    if (refusal) {
        /* Told at once, before any handshake: a refusal costs no crypto. */
        conn_refuse(conn, refusal);
        c->state = CLOSING;
        snprintf(c->reason, sizeof c->reason, "%s", refusal + 2); /* without "! " */
    } else {
        handshake_begins(c);
    }
    c->events = refusal ? CONN_READ : conn_events(conn, 1, 0);
    if (loop_add(s->loop, fd, c->events, on_client, c) < 0) {
        snprintf(err, errlen, "cannot watch the connection");
        peer_destroy(c, err);
        return NULL;
    }
    /* Plaintext: greet at the first bytes (unless they are a ClientHello)
     * or after a moment of silence, whichever comes first. */
    uint64_t ms = refusal ? TURN_AWAY_MS : s->tls ? (uint64_t)s->opt->handshake_timeout * 1000 : PLAIN_SNIFF_MS;
    loop_timer_set(s->loop, &c->timer, ms, on_timer, c);
    return c;
}
