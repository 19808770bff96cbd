/* server: one process, non-blocking everywhere, so no client (slow, stalled in
 * its handshake, or hostile) ever delays another. Each client moves from
 * handshaking to chatting to closing; what it is sent waits in a bounded
 * queue, and a client that lets the queue fill is dropped with a reason. */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "conn.h"
#include "linebuf.h"
#include "loop.h"
#include "net.h"
#include "outq.h"
#include "text.h"

#define MAX_LISTENERS  8
#define IO_CHUNK       16384            /* one TLS record's worth */
#define READ_BUDGET    ((size_t)4 * IO_CHUNK)   /* per client per round: fairness */
#define LINES_PER_ROUND 64
#define ACCEPT_BATCH   64
#define REFUSE_SLACK   64    /* connections past --max-clients that are told "full" */
#define CLOSE_GRACE_MS 5000  /* for a closing client to take its last lines */
#define STOP_GRACE_MS  3000  /* for all clients to go on SIGTERM */
#define PLAIN_SNIFF_MS 250   /* plaintext: wait this long for a stray ClientHello */
/* Kernel buffer per client: with autotuning a reader that stalls can hold
 * megabytes in the kernel before --max-queue even starts to count. */
#define CLIENT_SNDBUF  (256 * 1024)

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
    uint64_t last_active_ms;
    struct chat_member member;
    unsigned events;         /* interest now registered with the loop */
    int read_wants_write;    /* TLS: the last read needs the socket writable */
    int write_wants_read;
    int read_more;           /* stopped with lines or TLS data still held */
    int peer_eof;            /* it closed its side: no more reading */
    int refuse;              /* over --max-clients: tell it so and close */
    int drop;                /* its queue overflowed: close at the next tick */
    int dirty;               /* on srv->dirty: has work for the next tick */
    struct client *dirty_prev, *dirty_next;
    struct client *prev, *next;
    char reason[200];
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
    size_t nclosing; /* of those, leaving: they no longer hold a seat */
    struct client *dirty_head, *dirty_tail;
    size_t ndirty;
    unsigned long next_id;
    unsigned long trimmed_at; /* next_id when memory was last given back */
    int stopping;
    int accept_paused;
    struct loop_timer accept_timer, stop_timer, wake_timer;
    char scratch[IO_CHUNK];
};

enum { LOG_ERROR, LOG_INFO, LOG_DEBUG };

__attribute__((format(printf, 3, 4))) static void logf_(struct server *s, int level, const char *fmt, ...)
{
    if (level > s->opt->verbosity)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s tlschatd: %s\n", stamp, line);
}

/* ---- the dirty list: clients with work for the end of this round ---- */

static void mark_dirty(struct client *c)
{
    struct server *s = c->srv;
    if (c->dirty)
        return;
    c->dirty = 1;
    c->dirty_next = NULL;
    c->dirty_prev = s->dirty_tail;
    if (s->dirty_tail)
        s->dirty_tail->dirty_next = c;
    else
        s->dirty_head = c;
    s->dirty_tail = c;
    s->ndirty++;
}

static void unmark_dirty(struct client *c)
{
    struct server *s = c->srv;
    if (!c->dirty)
        return;
    if (c->dirty_prev)
        c->dirty_prev->dirty_next = c->dirty_next;
    else
        s->dirty_head = c->dirty_next;
    if (c->dirty_next)
        c->dirty_next->dirty_prev = c->dirty_prev;
    else
        s->dirty_tail = c->dirty_prev;
    c->dirty = 0;
    c->dirty_prev = c->dirty_next = NULL;
    s->ndirty--;
}

/* ---- life and death of a client ---- */

static void set_events(struct client *c, unsigned events)
{
    if (c->events != events && loop_set_events(c->srv->loop, c->fd, events) == 0)
        c->events = events;
}

static void destroy(struct client *c, const char *reason)
{
    struct server *s = c->srv;
    if (c->member.joined)
        chat_leave(&s->room, &c->member, s->stopping ? NULL : reason);
    if (c->state != HANDSHAKING || s->opt->verbosity >= LOG_DEBUG)
        logf_(s, LOG_INFO, "disconnect #%lu %s%s%s: %s", c->id, conn_peer(c->conn),
              c->member.nick[0] ? " " : "", c->member.nick, reason);
    unmark_dirty(c);
    loop_timer_cancel(s->loop, &c->timer);
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
    if (c->state == CLOSING)
        s->nclosing--;
    free(c);
    if (s->nclients == 0 && s->next_id - s->trimmed_at > 1000) {
        malloc_trim(0); /* a crowd has gone: give its memory back to the system */
        s->trimmed_at = s->next_id;
    }
    if (s->stopping && s->nclients == 0)
        loop_stop(s->loop);
}

static void destroy_all(struct server *s)
{
    for (struct client *c = s->clients, *next; c; c = next) {
        next = c->next;
        destroy(c, "server stopped");
    }
}

static void queue_msg(struct client *c, struct msg *m)
{
    if (c->drop)
        return;
    if (outq_push(&c->out, m) < 0) {
        c->drop = 1;
        snprintf(c->reason, sizeof c->reason, "out of memory");
    } else if (c->out.bytes + c->out.count * sizeof(struct msg *) > c->srv->opt->max_queue) {
        /* It stopped reading: drop it rather than let anyone miss a line. */
        c->drop = 1;
        snprintf(c->reason, sizeof c->reason, "too slow: %zu bytes waited unread", c->out.bytes);
    }
    mark_dirty(c);
}

static void queue_line(struct client *c, const char *line, size_t len)
{
    struct msg *m = msg_new(line, len);
    if (!m) {
        c->drop = 1;
        snprintf(c->reason, sizeof c->reason, "out of memory");
        mark_dirty(c);
        return;
    }
    queue_msg(c, m);
    msg_unref(m);
}

static void on_timer(struct loop *loop, void *arg);

/* Stop taking lines from c; send what is queued, then close_notify, then close. */
static void start_closing(struct client *c, const char *reason)
{
    if (c->state == CLOSING)
        return;
    c->state = CLOSING;
    c->srv->nclosing++;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    if (c->member.joined)
        chat_leave(&c->srv->room, &c->member, c->srv->stopping ? NULL : reason);
    loop_timer_set(c->srv->loop, &c->timer, CLOSE_GRACE_MS, on_timer, c);
    mark_dirty(c);
}

/* ---- chat callbacks ---- */

static void chat_send(void *ctx, struct chat_member *to, const char *line, size_t len)
{
    (void)ctx;
    queue_line(to->user, line, len);
}

static void chat_broadcast(void *ctx, const struct chat_member *except, const char *line, size_t len)
{
    struct server *s = ctx;
    struct msg *m = msg_new(line, len); /* one copy, shared by every queue */
    if (!m)
        return;
    for (struct chat_member *mem = s->room.head; mem; mem = mem->next)
        if (mem != except)
            queue_msg(mem->user, m);
    msg_unref(m);
}

static void chat_quit(void *ctx, struct chat_member *m)
{
    (void)ctx;
    start_closing(m->user, "quit");
}

static const struct chat_ops server_chat_ops = {chat_send, chat_broadcast, chat_quit};

/* ---- I/O ---- */

/* Returns 0, or -1 when c was destroyed. */
static int flush(struct client *c)
{
    struct server *s = c->srv;
    c->write_wants_read = 0;
    while (c->out.bytes > 0) {
        size_t n = outq_gather(&c->out, s->scratch, IO_CHUNK);
        ssize_t r = conn_send(c->conn, s->scratch, n);
        if (r > 0) {
            outq_consume(&c->out, (size_t)r);
            continue;
        }
        if (r == CONN_WANT_WRITE) {
            set_events(c, c->events | LOOP_WRITE);
            return 0;
        }
        if (r == CONN_WANT_READ) {
            c->write_wants_read = 1;
            set_events(c, LOOP_READ);
            return 0;
        }
        destroy(c, r == CONN_EOF ? "disconnected" : conn_error(c->conn));
        return -1;
    }
    if (c->state == CLOSING) {
        int r = conn_shutdown(c->conn);
        if (r == CONN_WANT_WRITE || (r == CONN_WANT_READ && !c->peer_eof)) {
            set_events(c, r == CONN_WANT_READ ? LOOP_READ : LOOP_WRITE);
            return 0;
        }
        if (c->peer_eof) {
            destroy(c, c->reason);
            return -1;
        }
        /* Linger: our close_notify and FIN are out. Wait (within the grace)
         * for the peer's, so they do not meet a closed socket and come back
         * as a reset that could cost the peer our last lines. */
        set_events(c, LOOP_READ);
        return 0;
    }
    set_events(c, c->read_wants_write ? LOOP_WRITE : c->peer_eof ? 0 : LOOP_READ);
    return 0;
}

/* Handle whole lines already received, at most *quota of them. */
static void handle_lines(struct client *c, int *quota)
{
    const char *line;
    size_t len;
    int r;
    while (*quota > 0 && c->state == CHATTING && !c->drop && (r = linebuf_next(&c->in, &line, &len)) != 0) {
        if (r == LINEBUF_TOO_LONG) {
            char msg[96];
            int n = snprintf(msg, sizeof msg, "! line too long (the limit is %zu bytes)", c->srv->opt->max_line);
            queue_line(c, msg, (size_t)n);
            start_closing(c, "line too long");
            return;
        }
        chat_line(&c->srv->room, &c->member, (char *)line, len);
        (*quota)--;
    }
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
    c->read_wants_write = 0;
    handle_lines(c, &quota); /* what an earlier round left */
    while (quota > 0 && budget > 0 && !c->peer_eof) {
        ssize_t n = conn_recv(c->conn, s->scratch, IO_CHUNK);
        if (n > 0) {
            budget -= (size_t)n < budget ? (size_t)n : budget;
            c->last_active_ms = loop_now_ms();
            if (c->state != CHATTING || c->drop)
                continue; /* leaving: what it says now is not read */
            if (linebuf_append(&c->in, s->scratch, (size_t)n) < 0) {
                destroy(c, "out of memory");
                return -1;
            }
            handle_lines(c, &quota);
            continue;
        }
        if (n == CONN_WANT_READ)
            return 0;
        if (n == CONN_WANT_WRITE) {
            c->read_wants_write = 1;
            set_events(c, c->events | LOOP_WRITE);
            return 0;
        }
        if (n == CONN_EOF) {
            /* It is done talking (maybe half-closed): what is queued for it,
             * down to "closed", still goes out before we close. */
            c->peer_eof = 1;
            set_events(c, c->events & ~LOOP_READ);
            start_closing(c, "disconnected");
            mark_dirty(c);
            return 0;
        }
        /* Leaving already: a peer that hangs up without close_notify after our
         * goodbye is no news; the reason it was leaving stays the reason. */
        destroy(c, c->state == CLOSING ? c->reason : conn_error(c->conn));
        return -1;
    }
    /* Out of share with more waiting: epoll says when the socket has more, but
     * not when lines or decrypted TLS bytes are held here; the tick sees to them. */
    if (!c->peer_eof && (quota == 0 || conn_pending(c->conn) > 0)) {
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
    c->state = CHATTING;
    c->last_active_ms = loop_now_ms();
    loop_timer_cancel(s->loop, &c->timer);
    /* The CN is the client's own text: clean it before it reaches the log. */
    char shown_cn[sizeof sum.cn];
    size_t cnlen = text_sanitize(memcpy(shown_cn, sum.cn, sizeof shown_cn), strlen(sum.cn));
    shown_cn[cnlen] = '\0';
    if (tls)
        logf_(s, LOG_INFO, "connect #%lu %s %s %s %s%s%s", c->id, conn_peer(c->conn), sum.version, sum.cipher,
              sum.group, shown_cn[0] ? " cn=" : "", shown_cn);
    else
        logf_(s, LOG_INFO, "connect #%lu %s plaintext", c->id, conn_peer(c->conn));
    if (c->refuse) {
        char msg[128];
        int n = snprintf(msg, sizeof msg, "! the server is full (%zu users): try again later", s->opt->max_clients);
        queue_line(c, msg, (size_t)n);
        start_closing(c, "server full");
        return;
    }
    char why[160];
    const char *cn = s->tls && tls_requires_client_cert(s->tls) ? sum.cn : NULL; /* --plain: no tls */
    if (chat_join(&s->room, &c->member, cn, why, sizeof why) < 0) {
        char msg[200];
        int n = snprintf(msg, sizeof msg, "! %s", why);
        queue_line(c, msg, (size_t)n);
        start_closing(c, why);
        return;
    }
    if (s->opt->idle_timeout)
        loop_timer_set(s->loop, &c->timer, (uint64_t)s->opt->idle_timeout * 1000, on_timer, c);
    set_events(c, LOOP_READ);
    do_read(c); /* the client may have sent lines right behind its handshake */
}

static void do_handshake(struct client *c)
{
    int rc = conn_handshake(c->conn);
    if (rc == CONN_DONE) {
        established(c);
    } else if (rc == CONN_WANT_READ || rc == CONN_WANT_WRITE) {
        set_events(c, rc == CONN_WANT_READ ? LOOP_READ : LOOP_WRITE);
    } else {
        logf_(c->srv, LOG_INFO, "handshake failed #%lu %s: %s", c->id, conn_peer(c->conn), conn_error(c->conn));
        destroy(c, conn_error(c->conn));
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
    int readable = (events & LOOP_READ) || (c->read_wants_write && (events & LOOP_WRITE));
    int writable = (events & LOOP_WRITE) || (c->write_wants_read && (events & LOOP_READ));
    if (readable && do_read(c) < 0)
        return;
    if (writable || c->out.bytes > 0)
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
        logf_(s, LOG_INFO, "handshake timeout #%lu %s: no TLS handshake within %u s%s", c->id, conn_peer(c->conn),
              s->opt->handshake_timeout, told ? " (it sent nothing: told it this port speaks TLS)" : "");
        destroy(c, "handshake timeout");
    } else if (c->state == CLOSING) {
        destroy(c, c->reason);
    } else {
        uint64_t idle_ms = (uint64_t)s->opt->idle_timeout * 1000;
        uint64_t quiet = loop_now_ms() - c->last_active_ms;
        if (quiet < idle_ms) {
            loop_timer_set(loop, &c->timer, idle_ms - quiet, on_timer, c);
            return;
        }
        char msg[96];
        int n = snprintf(msg, sizeof msg, "! disconnected: silent for %u s", s->opt->idle_timeout);
        queue_line(c, msg, (size_t)n);
        start_closing(c, "idle timeout");
    }
}

static void wake(struct loop *loop, void *arg)
{
    (void)loop;
    (void)arg; /* nothing: the tick after it does the work */
}

/* Everything queued this round leaves now, in one write per client. */
static void on_tick(struct loop *loop, void *arg)
{
    struct server *s = arg;
    for (int pass = 0; pass < 4 && s->dirty_head; pass++) {
        /* Work added while a pass runs waits for the next pass. */
        for (size_t n = s->ndirty; n > 0 && s->dirty_head; n--) {
            struct client *c = s->dirty_head;
            unmark_dirty(c);
            if (c->drop)
                destroy(c, c->reason);
            else if (!(c->read_more && c->state == CHATTING && do_read(c) < 0))
                flush(c);
        }
    }
    if (s->dirty_head) /* do not sleep in epoll_wait with work left */
        loop_timer_set(loop, &s->wake_timer, 0, wake, s);
}

/* ---- accepting ---- */

static void on_accept_resume(struct loop *loop, void *arg);

static void on_listener(struct loop *loop, int lfd, unsigned events, void *arg)
{
    (void)events;
    struct server *s = arg;
    for (int i = 0; i < ACCEPT_BATCH && !s->stopping; i++) {
        char err[256];
        int fd = net_accept(lfd, err, sizeof err);
        if (fd == NET_WOULDBLOCK)
            return;
        if (fd < 0) {
            /* Out of fds: wait a little rather than spin on a full backlog. */
            logf_(s, LOG_ERROR, "%s", err);
            for (int k = 0; k < s->nlfd; k++)
                loop_set_events(loop, s->lfds[k], 0);
            s->accept_paused = 1;
            loop_timer_set(loop, &s->accept_timer, 100, on_accept_resume, s);
            return;
        }
        if (s->nclients >= s->opt->max_clients + REFUSE_SLACK) {
            char peer[NET_ADDRSTRLEN];
            net_peer_text(fd, peer, sizeof peer);
            logf_(s, LOG_INFO, "refused %s: %zu connections already", peer, s->nclients);
            close(fd);
            continue;
        }
        int sndbuf = CLIENT_SNDBUF;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        struct client *c = calloc(1, sizeof *c);
        struct conn *conn = c ? conn_new(fd, s->tls, CONN_SERVER, NULL, err, sizeof err) : NULL;
        if (!conn) {
            logf_(s, LOG_ERROR, "cannot take a connection: %s", c ? err : "out of memory");
            if (!c)
                close(fd);
            free(c);
            continue;
        }
        c->srv = s;
        c->conn = conn;
        c->fd = fd;
        c->id = ++s->next_id;
        c->member.user = c;
        c->refuse = s->nclients - s->nclosing >= s->opt->max_clients;
        linebuf_init(&c->in, s->opt->max_line);
        outq_init(&c->out);
        c->next = s->clients;
        if (s->clients)
            s->clients->prev = c;
        s->clients = c;
        s->nclients++;
        if (loop_add(loop, fd, LOOP_READ, on_client, c) < 0) {
            destroy(c, "cannot watch the connection");
            continue;
        }
        c->events = LOOP_READ;
        logf_(s, LOG_DEBUG, "accept #%lu %s", c->id, conn_peer(conn));
        /* Plaintext: greet at the first bytes (unless they are a ClientHello)
         * or after a moment of silence, whichever comes first. */
        loop_timer_set(loop, &c->timer, s->tls ? (uint64_t)s->opt->handshake_timeout * 1000 : PLAIN_SNIFF_MS,
                       on_timer, c);
    }
}

static void on_accept_resume(struct loop *loop, void *arg)
{
    struct server *s = arg;
    s->accept_paused = 0;
    for (int k = 0; k < s->nlfd; k++)
        loop_set_events(loop, s->lfds[k], LOOP_READ);
}

/* ---- signals ---- */

static void on_stop_timer(struct loop *loop, void *arg)
{
    destroy_all(arg);
    loop_stop(loop);
}

static void begin_stop(struct server *s, const char *why)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    logf_(s, LOG_INFO, "%s: stopping; telling %zu clients", why, s->nclients);
    for (int k = 0; k < s->nlfd; k++) {
        loop_del(s->loop, s->lfds[k]);
        close(s->lfds[k]);
    }
    s->nlfd = 0;
    static const char bye[] = "* the server is shutting down";
    for (struct client *c = s->clients, *n; c; c = n) {
        n = c->next;
        if (c->state == HANDSHAKING) {
            destroy(c, "server stopping");
            continue;
        }
        if (c->state == CHATTING)
            queue_line(c, bye, sizeof bye - 1);
        start_closing(c, "server stopping");
    }
    if (s->nclients == 0)
        loop_stop(s->loop);
    else
        loop_timer_set(s->loop, &s->stop_timer, STOP_GRACE_MS, on_stop_timer, s);
}

static void on_signal(struct loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)events;
    struct server *s = arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            char err[512];
            if (!s->tls)
                logf_(s, LOG_INFO, "SIGHUP: nothing to reload (--plain)");
            else if (tls_reload(s->tls, err, sizeof err) == 0)
                logf_(s, LOG_INFO, "SIGHUP: reloaded %s and %s; new connections get them", s->opt->tls.cert_file,
                      s->opt->tls.key_file);
            else
                logf_(s, LOG_ERROR, "SIGHUP: kept the old certificate: %s", err);
        } else {
            begin_stop(s, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        }
    }
}

static int setup_signals(struct server *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
        (s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
        loop_add(s->loop, s->sigfd, LOOP_READ, on_signal, s) < 0) {
        logf_(s, LOG_ERROR, "cannot set up signal handling: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* 10,000 clients need 10,000 descriptors: take all the kernel allows us. */
static void raise_fd_limit(struct server *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < s->opt->max_clients + REFUSE_SLACK + 32)
        logf_(s, LOG_ERROR, "warning: the open-file limit (%lu) is below --max-clients %zu: raise it with ulimit -n",
              (unsigned long)rl.rlim_cur, s->opt->max_clients);
}

int server_run(struct server_options *opt)
{
    struct server *s = calloc(1, sizeof *s);
    char err[512];
    int rc = 1;
    if (!s) {
        fprintf(stderr, "tlschatd: out of memory\n");
        return 1;
    }
    s->opt = opt;
    s->sigfd = -1;
    if (!(s->loop = loop_new(err, sizeof err))) {
        logf_(s, LOG_ERROR, "%s", err);
        goto out;
    }
    raise_fd_limit(s);
    /* Before "listening" is logged: whoever waits for that line may signal at once. */
    if (setup_signals(s) < 0)
        goto out;
    if (opt->plain) {
        logf_(s, LOG_ERROR, "WARNING: --plain: no encryption. Anyone on the network can read every message "
                            "and pose as this server. Use it only to compare with TLS.");
    } else if (!(s->tls = tls_server_new(&opt->tls, err, sizeof err))) {
        logf_(s, LOG_ERROR, "%s", err);
        goto out;
    }
    chat_room_init(&s->room, opt->mode, &server_chat_ops, s);
    s->nlfd = net_listen_all(opt->listen, opt->port, 511, s->lfds, MAX_LISTENERS, err, sizeof err);
    if (s->nlfd < 0) {
        s->nlfd = 0;
        logf_(s, LOG_ERROR, "%s", err);
        goto out;
    }
    for (int k = 0; k < s->nlfd; k++) {
        char where[NET_ADDRSTRLEN];
        net_set_nonblocking(s->lfds[k], 1);
        net_local_text(s->lfds[k], where, sizeof where);
        if (loop_add(s->loop, s->lfds[k], LOOP_READ, on_listener, s) < 0) {
            logf_(s, LOG_ERROR, "cannot watch %s: %s", where, strerror(errno));
            goto out;
        }
        logf_(s, LOG_ERROR, "listening on %s (%s, %s mode%s)", where,
              s->tls ? "TLS" : "PLAINTEXT", opt->mode == CHAT_MODE_ECHO ? "echo" : "chat",
              opt->tls.client_ca_file && s->tls ? ", client certificates required" : "");
    }
    loop_set_tick(s->loop, on_tick, s);
    if (loop_run(s->loop) < 0) {
        logf_(s, LOG_ERROR, "event loop failed: %s", strerror(errno));
        goto out;
    }
    logf_(s, LOG_INFO, "stopped");
    rc = 0;
out:
    destroy_all(s);
    for (int k = 0; k < s->nlfd; k++)
        close(s->lfds[k]);
    if (s->sigfd >= 0)
        close(s->sigfd);
    tls_free(s->tls);
    loop_free(s->loop);
    free(s);
    return rc;
}
