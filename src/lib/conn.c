/* SPDX-License-Identifier: ISC */
/* conn: one connection over plain TCP or TLS. The transport-specific work is in
 * conn_plain.c and conn_tls.c behind struct conn_type; this file has the verbs,
 * the one record of what each direction waits on, and the blocking helpers. */
#define _GNU_SOURCE
#include "conn_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int conn_fail(struct conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->failed = 1;
    return CONN_ERROR;
}

int conn_io_error(struct conn *c, const char *verb, int e)
{
    const char *who = c->role == CONN_SERVER ? "the client" : "the server";
    if (e == EPIPE || e == ECONNRESET)
        return conn_fail(c, "%s reset the connection", who);
    if (e == ETIMEDOUT)
        return conn_fail(c, "timed out waiting for %s", who);
    return conn_fail(c, "cannot %s: %s", verb, strerror(e));
}

ssize_t conn_peek_first_bytes(struct conn *c, unsigned char *b, size_t len, const char *closed_before)
{
    ssize_t n;
    do
        n = recv(c->fd, b, len, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? CONN_WANT_READ : conn_io_error(c, "receive", errno);
    if (n == 0)
        return conn_fail(c, "the client closed the connection %s", closed_before);
    c->first_bytes_checked = 1;
    return n;
}

/* What a call left its direction waiting on. */
static ssize_t note_wait(int *waits, ssize_t rc)
{
    *waits = rc == CONN_WANT_READ || rc == CONN_WANT_WRITE ? (int)rc : 0;
    return rc;
}

static unsigned event_for(int wait, unsigned otherwise)
{
    return wait == CONN_WANT_READ ? CONN_READ : wait == CONN_WANT_WRITE ? CONN_WRITE : otherwise;
}

/* ---- the verbs ---- */

/* peer: the address the caller already has, or NULL to ask the socket. */
static struct conn *conn_make(int fd, struct tls *tls, enum conn_role role, const char *servername,
                              const struct sockaddr *peer, char *err, size_t errlen)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->role = role;
    c->type = tls ? &conn_tls : &conn_plain;
    if (peer)
        net_addr_text(peer, c->peer, sizeof c->peer);
    else
        net_peer_text(fd, c->peer, sizeof c->peer);
    if (c->type->init(c, tls, servername, err, errlen) < 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

struct conn *conn_new(int fd, struct tls *tls, enum conn_role role, const char *servername,
                      char *err, size_t errlen)
{
    return conn_make(fd, tls, role, servername, NULL, err, errlen);
}

struct conn *conn_new_accepted(int fd, struct tls *tls, const struct sockaddr *peer, char *err, size_t errlen)
{
    return conn_make(fd, tls, CONN_SERVER, NULL, peer, err, errlen);
}

int conn_handshake(struct conn *c)
{
    return (int)note_wait(&c->handshake_waits, c->type->handshake(c));
}

ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
    if (len == 0) /* 0 would read as CONN_EOF */
        return conn_fail(c, "nothing to receive into (a buffer of 0 bytes)");
    /* Refused: what the peer still sends is read raw, to be thrown away. */
    const struct conn_type *t = c->refused ? &conn_plain : c->type;
    ssize_t rc = note_wait(&c->recv_waits, t->recv(c, buf, len));
    if (rc == CONN_EOF)
        c->peer_closed = 1;
    return rc;
}

ssize_t conn_send(struct conn *c, const void *buf, size_t len)
{
    return note_wait(&c->send_waits, c->type->send(c, buf, len));
}

int conn_shutdown(struct conn *c)
{
    if (c->shut_down)
        return CONN_DONE;
    int rc = c->type->shutdown(c);
    if (rc == CONN_WANT_READ && c->peer_closed)
        rc = CONN_DONE; /* nothing more will come to read: as done as it can be */
    note_wait(&c->send_waits, rc);
    c->shutting = conn_again(rc);
    if (rc == CONN_DONE)
        c->shut_down = 1;
    return rc;
}

int conn_detach(struct conn *c)
{
    int fd = c->fd;
    c->shut_down = 1; /* no close_notify: the session is not over for the peer */
    c->fd = -1;
    conn_close(c);
    return fd;
}

void conn_close(struct conn *c)
{
    if (!c)
        return;
    c->type->free(c);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* ---- readiness: which fd events to wait for, and what they allow ---- */

unsigned conn_events(const struct conn *c, int want_read, int have_output)
{
    if (!c->handshake_done)
        return event_for(c->handshake_waits, c->role == CONN_SERVER ? CONN_READ : CONN_WRITE);
    unsigned ev = 0;
    if (want_read)
        ev |= event_for(c->recv_waits, CONN_READ);
    if (have_output || c->shutting)
        ev |= event_for(c->send_waits, CONN_WRITE);
    return ev;
}

unsigned conn_ready(const struct conn *c, unsigned fd_events)
{
    if (fd_events & CONN_HANGUP)
        return CONN_READ | CONN_WRITE; /* the next call says what happened */
    unsigned ready = 0;
    if ((fd_events & event_for(c->recv_waits, CONN_READ)) || c->type->pending(c) > 0)
        ready |= CONN_READ;
    if (fd_events & event_for(c->send_waits, CONN_WRITE))
        ready |= CONN_WRITE;
    return ready;
}

/* ---- blocking helpers ---- */

/* Wait until what the last call waits on is possible (or timeout_ms: 0). */
static int wait_for(const struct conn *c, int waits, int timeout_ms)
{
    struct pollfd p = {.fd = c->fd, .events = waits == CONN_WANT_READ ? POLLIN : POLLOUT};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
    while (rc < 0 && errno == EINTR);
    return rc;
}

/* Blocking handshake, giving up after timeout_ms (0: never). */
static int handshake_blocking(struct conn *c, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (suseconds_t)(timeout_ms % 1000) * 1000};
    struct timeval none = {0, 0};
    if (timeout_ms > 0) {
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    int rc;
    while ((rc = conn_handshake(c)) == CONN_WANT_READ || rc == CONN_WANT_WRITE) {
        if (wait_for(c, rc, timeout_ms) == 0) {
            rc = conn_fail(c, "timed out during the TLS handshake");
            break;
        }
    }
    if (timeout_ms > 0) {
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
    }
    return rc;
}

struct conn *conn_accept(int lfd, struct tls *tls, char *err, size_t errlen)
{
    int fd = net_accept(lfd, err, errlen);
    if (fd == NET_WOULDBLOCK) {
        snprintf(err, errlen, "no connection is waiting");
        return NULL;
    }
    if (fd < 0)
        return NULL;
    net_set_nonblocking(fd, 0);
    struct conn *c = conn_new(fd, tls, CONN_SERVER, NULL, err, errlen);
    if (c && handshake_blocking(c, 0) != CONN_DONE) {
        snprintf(err, errlen, "%s: %s", c->peer, c->err);
        conn_close(c);
        return NULL;
    }
    return c;
}

struct conn *conn_connect(const char *host, const char *port, struct tls *tls,
                          const char *servername, int timeout_ms, char *err, size_t errlen)
{
    int fd = net_connect(host, port, timeout_ms, err, errlen);
    if (fd < 0)
        return NULL;
    struct conn *c = conn_new(fd, tls, CONN_CLIENT, servername ? servername : host, err, errlen);
    if (c && handshake_blocking(c, timeout_ms) != CONN_DONE) {
        snprintf(err, errlen, "%s", c->err);
        conn_close(c);
        return NULL;
    }
    return c;
}

ssize_t conn_send_all(struct conn *c, const void *buf, size_t len)
{
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = conn_send(c, p, left);
        if (n == CONN_WANT_READ || n == CONN_WANT_WRITE) {
            wait_for(c, (int)n, 0);
            continue;
        }
        if (n <= 0)
            return n;
        p += n;
        left -= (size_t)n;
    }
    return (ssize_t)len;
}

/* ---- what a program may ask ---- */

int conn_tell_plaintext_peer(struct conn *c)
{
    return c->type->tell_plaintext_peer(c);
}

void conn_refuse(struct conn *c, const char *line)
{
    c->type->refuse(c, line);
    c->refused = 1;
    c->first_bytes_checked = 1; /* nothing more to learn from them */
    c->handshake_done = 1;      /* and no handshake to wait for */
    c->failed = 1;              /* no close_notify: there was no session */
    c->shut_down = 1;
    shutdown(c->fd, SHUT_WR);
}

int conn_fd(const struct conn *c)
{
    return c->fd;
}

int conn_is_tls(const struct conn *c)
{
    return c->type->is_tls;
}

int conn_pending(const struct conn *c)
{
    return c->type->pending(c);
}

const char *conn_error(const struct conn *c)
{
    return c->err[0] ? c->err : "no error";
}

const char *conn_peer(const struct conn *c)
{
    return c->peer;
}

int conn_cert_requested(const struct conn *c)
{
    return c->type->cert_requested(c);
}

int conn_export_secret(const struct conn *c, const char *label, unsigned char *out, size_t len)
{
    return c->type->export_secret(c, label, out, len);
}

int conn_summary(const struct conn *c, struct tls_summary *s)
{
    return c->type->summary(c, s);
}
