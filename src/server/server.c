/* SPDX-License-Identifier: ISC */
/* server: tlschatd's lifecycle: listen on every address, accept into peers
 * (peer.c runs each one), signals via signalfd (SIGHUP reloads the
 * certificate, SIGINT/SIGTERM tell everyone and stop), and the log. */
#define _GNU_SOURCE
#include "server.h"
#include "identity.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "proc.h"
#include "server_state.h"
#include "identity.h"

#define ACCEPT_BATCH  64
#define KEEPALIVE_IDLE_S 60 /* then probes: a peer gone without a word frees its seat */
/* Kernel buffer per client: with autotuning a reader that stalls can hold
 * megabytes in the kernel before --max-queue even starts to count. */
#define CLIENT_SNDBUF (256 * 1024)
#define STOP_GRACE_MS 3000 /* for all clients to go on SIGTERM */

void server_log(const struct server *s, int level, const char *fmt, ...)
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

static void destroy_all(struct server *s)
{
    for (struct client *c = s->clients, *next; c; c = next) {
        next = c->next;
        peer_destroy(c, "server stopped");
    }
}

/* ---- accepting ---- */

/* The oldest handshake in progress gives way to a new connection: a stalled
 * one is the least valuable connection there is. */
static void oldest_handshake_gives_way(struct server *s)
{
    struct client *old = s->hs_head;
    server_log(s, LOG_INFO, "handshake #%lu %s gave way to a newer one (%zu in progress: --max-handshakes)", old->id,
               conn_peer(old->conn), s->nhandshaking);
    peer_destroy(old, "gave way to a newer handshake");
}

/* A new connection: served, turned away with a reason, or (past every share
 * and the slack for telling) closed at once. */
static void take(struct server *s, int fd, const struct sockaddr_storage *ss)
{
    char peer[NET_ADDRSTRLEN], err[256];
    net_addr_text((const struct sockaddr *)ss, peer, sizeof peer);
    struct addr_count *a = addr_table_get(&s->addrs, (const struct sockaddr *)ss);
    if (!a) {
        server_log(s, LOG_ERROR, "cannot take %s: out of memory, or not an IP address", peer);
        close(fd);
        return;
    }
    const char *refusal = NULL, *limit = NULL;
    if (a->conns >= s->per_address)
        limit = "connections";
    else if (a->handshakes >= s->per_address_handshakes)
        limit = "handshakes in progress";
    if (limit)
        refusal = "! too many connections from your address: close some, or try again later";
    if (s->nclients >= s->opt->max_clients + s->opt->max_handshakes + REFUSE_SLACK ||
        (refusal && a->conns >= s->per_address + TELL_SLACK)) {
        server_log(s, LOG_DEBUG, "closed %s at once: %zu connections, %u from its address", peer, s->nclients,
                   a->conns);
        addr_table_release(&s->addrs, a);
        close(fd);
        return;
    }
    /* Reserved for this connection now: no client that gives way below can
     * take its address's entry with it. peer_new owns the reservation. */
    a->conns++;
    if (refusal)
        server_log(s, LOG_INFO, "refused %s: too many %s from its address (%u connections, %u handshaking; "
                   "--max-per-address %zu)", peer, limit, a->conns - 1, a->handshakes, s->per_address);
    else if (s->nhandshaking >= s->opt->max_handshakes)
        oldest_handshake_gives_way(s);
    struct client *c = peer_new(s, fd, (const struct sockaddr *)ss, a, refusal, err, sizeof err);
    if (!c)
        server_log(s, LOG_ERROR, "cannot take a connection: %s", err);
    else
        server_log(s, LOG_DEBUG, "accept #%lu %s", c->id, peer);
}

static void on_accept_resume(struct loop *loop, void *arg)
{
    struct server *s = arg;
    for (int k = 0; k < s->nlfd; k++)
        loop_set_events(loop, s->lfds[k], LOOP_READ);
}

static void on_listener(struct loop *loop, int lfd, unsigned events, void *arg)
{
    (void)events;
    struct server *s = arg;
    for (int i = 0; i < ACCEPT_BATCH && !s->stopping; i++) {
        char err[256];
        struct sockaddr_storage ss;
        socklen_t sslen;
        int fd = net_accept_from(lfd, &ss, &sslen, err, sizeof err);
        if (fd == NET_WOULDBLOCK)
            return;
        if (fd < 0) {
            /* Out of fds: wait a little rather than spin on a full backlog. */
            server_log(s, LOG_ERROR, "%s", err);
            for (int k = 0; k < s->nlfd; k++)
                loop_set_events(loop, s->lfds[k], 0);
            loop_timer_set(loop, &s->accept_timer, 100, on_accept_resume, s);
            return;
        }
        take(s, fd, &ss);
    }
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
    server_log(s, LOG_INFO, "%s: stopping; telling %zu clients", why, s->nclients);
    for (int k = 0; k < s->nlfd; k++) {
        loop_del(s->loop, s->lfds[k]);
        close(s->lfds[k]);
    }
    s->nlfd = 0;
    static const char bye[] = "* the server is shutting down";
    for (struct client *c = s->clients, *n; c; c = n) {
        n = c->next;
        if (c->state == HANDSHAKING) {
            peer_destroy(c, "server stopping");
            continue;
        }
        if (c->state == CHATTING)
            peer_queue_line(c, bye, sizeof bye - 1);
        peer_start_closing(c, "server stopping");
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
                server_log(s, LOG_INFO, "SIGHUP: nothing to reload (--plain)");
            else if (tls_reload(s->tls, err, sizeof err) == 0) {
                server_log(s, LOG_INFO, "SIGHUP: reloaded %s and %s%s%s; new connections get them",
                           s->opt->tls.cert_file, s->opt->tls.key_file, s->opt->tls.crl_file ? " and the CRL " : "",
                           s->opt->tls.crl_file ? s->opt->tls.crl_file : "");
                if (tls_crl_warning(s->tls))
                    server_log(s, LOG_ERROR, "%s", tls_crl_warning(s->tls));
                identity_announce(s); /* the key may be new; the certificate's expiry is */
            } else
                server_log(s, LOG_ERROR, "SIGHUP: kept the old certificate: %s", err);
        } else {
            begin_stop(s, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        }
    }
}

/* ---- the chat room's tick (h-chat): joins and leaves in a crowd are told
 * together, once a second ---- */

#define CHAT_TICK_MS 1000

static void on_chat_tick(struct loop *loop, void *arg)
{
    struct server *s = arg;
    chat_tick(&s->room);
    resume_tick(s);
    loop_timer_set(loop, &s->chat_timer, CHAT_TICK_MS, on_chat_tick, s);
}

/* ---- start and stop ---- */

static int start_listening(struct server *s, char *err, size_t errlen)
{
    const struct server_options *opt = s->opt;
    s->nlfd = net_listen_all(opt->listen, opt->port, 511, s->lfds, MAX_LISTENERS, err, errlen);
    if (s->nlfd < 0) {
        s->nlfd = 0;
        return -1;
    }
    for (int k = 0; k < s->nlfd; k++) {
        char where[NET_ADDRSTRLEN];
        net_set_nonblocking(s->lfds[k], 1);
        /* What every client's socket needs, set once: accepted sockets inherit it. */
        net_tune_listener(s->lfds[k], CLIENT_SNDBUF, KEEPALIVE_IDLE_S);
        net_local_text(s->lfds[k], where, sizeof where);
        if (loop_add(s->loop, s->lfds[k], LOOP_READ, on_listener, s) < 0) {
            snprintf(err, errlen, "cannot watch %s: %s", where, strerror(errno));
            return -1;
        }
    }
    identity_announce(s); /* before "listening": whoever waits for that line can read the words */
    for (int k = 0; k < s->nlfd; k++) {
        char where[NET_ADDRSTRLEN];
        net_local_text(s->lfds[k], where, sizeof where);
        server_log(s, LOG_ERROR, "listening on %s (%s, %s mode%s)", where, s->tls ? "TLS" : "PLAINTEXT",
                   opt->echo ? "echo" : "chat",
                   opt->tls.client_ca_file && s->tls ? ", client certificates required" : "");
    }
    return 0;
}

static int start(struct server *s, char *err, size_t errlen)
{
    const struct server_options *opt = s->opt;
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    if (!(s->loop = loop_new(err, errlen)))
        return -1;
    /* Files first (the key log among them), while SIGTERM still stops us. */
    if (opt->plain)
        server_log(s, LOG_ERROR, "WARNING: --plain: no encryption. Anyone on the network can read every message "
                                 "and pose as this server. Use it only to compare with TLS.");
    else if (!(s->tls = tls_server_new(&opt->tls, err, errlen)))
        return -1;
    else if (tls_keylog_warning(s->tls))
        server_log(s, LOG_ERROR, "%s", tls_keylog_warning(s->tls));
    if (s->tls && tls_crl_warning(s->tls))
        server_log(s, LOG_ERROR, "%s", tls_crl_warning(s->tls));
    if (addr_table_init(&s->addrs, 1024) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* By default one address holds 32 connections and never more than half the
     * seats: a café behind one NAT fits, one host cannot fill the room. An
     * explicit --max-per-address is the operator's to choose. */
    size_t half = (opt->max_clients + 1) / 2;
    s->per_address = opt->max_per_address ? opt->max_per_address : half < 32 ? half : 32;
    /* Handshakes in progress per address: 8 by default; with an explicit
     * --max-per-address (a load test from one host) as many as that allows. */
    size_t hs = opt->max_per_address ? opt->max_handshakes : 8;
    s->per_address_handshakes = s->per_address < hs ? s->per_address : hs;
    /* 10,000 clients need 10,000 descriptors: take all the kernel allows. */
    if (proc_raise_fd_limit(opt->max_clients + opt->max_handshakes + REFUSE_SLACK + 32, err, errlen) < 0)
        server_log(s, LOG_ERROR, "warning: %s, or lower --max-clients", err);
    /* Before "listening" is logged: whoever waits for that line may signal at once. */
    if ((s->sigfd = proc_signalfd(signals, 3, err, errlen)) < 0)
        return -1;
    if (loop_add(s->loop, s->sigfd, LOOP_READ, on_signal, s) < 0) {
        snprintf(err, errlen, "cannot watch signals: %s", strerror(errno));
        return -1;
    }
    chat_room_init(&s->room, opt->echo ? CHAT_MODE_ECHO : CHAT_MODE_CHAT, &peer_chat_ops, s);
    if (resume_init(s) < 0) {
        snprintf(err, errlen, "out of memory for --history-lines %zu", opt->history_lines);
        return -1;
    }
    loop_timer_set(s->loop, &s->chat_timer, CHAT_TICK_MS, on_chat_tick, s); /* h-chat: chat_tick */
    if (start_listening(s, err, errlen) < 0)
        return -1;
    loop_set_tick(s->loop, peer_tick, s);
    return 0;
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
    if (start(s, err, sizeof err) < 0) {
        server_log(s, LOG_ERROR, "%s", err);
    } else if (loop_run(s->loop) < 0) {
        server_log(s, LOG_ERROR, "event loop failed: %s", strerror(errno));
    } else {
        server_log(s, LOG_INFO, "stopped");
        rc = 0;
    }
    destroy_all(s);
    resume_free(s);
    for (int k = 0; k < s->nlfd; k++)
        close(s->lfds[k]);
    if (s->sigfd >= 0)
        close(s->sigfd);
    tls_free(s->tls);
    loop_free(s->loop);
    addr_table_free(&s->addrs);
    free(s);
    return rc;
}
