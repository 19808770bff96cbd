/* SPDX-License-Identifier: ISC */
/* conn_plain: the plaintext transport. A plaintext server looks at the client's
 * first bytes: a TLS ClientHello there means the client should use --plain too. */
#define _GNU_SOURCE
#include "conn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* A TLS ClientHello starts with a handshake record of version 3.x. */
static int tls_client_here(struct conn *c, const unsigned char *b, ssize_t n)
{
    if (b[0] == TLS_HANDSHAKE_RECORD && (n < 2 || b[1] == 3))
        return conn_fail(c, "a TLS client connected to this plaintext server (--plain): closing; the client should use --plain too");
    return 0;
}

static int plain_init(struct conn *c, struct tls *tls, const char *servername, char *err, size_t errlen)
{
    /* No handshake to wait for: readiness is what the caller wants from the
     * start, also for a quiet client the server greets before it speaks. The
     * server's look at the first bytes hangs on first_bytes_checked alone. */
    c->handshake_done = 1;
    (void)tls;
    (void)servername;
    (void)err;
    (void)errlen;
    return 0;
}

static int plain_handshake(struct conn *c)
{
    if (c->role == CONN_SERVER && !c->first_bytes_checked) {
        unsigned char b[2];
        ssize_t n = conn_peek_first_bytes(c, b, sizeof b, "before it said anything");
        if (n < 1)
            return (int)n;
        if (tls_client_here(c, b, n) < 0)
            return CONN_ERROR;
    }
    c->handshake_done = 1;
    return CONN_DONE;
}

static ssize_t plain_recv(struct conn *c, void *buf, size_t len)
{
    ssize_t n;
    do
        n = recv(c->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? CONN_WANT_READ : conn_io_error(c, "receive", errno);
    if (n == 0)
        return CONN_EOF;
    /* The server may greet a quiet client before its first bytes came. */
    if (c->role == CONN_SERVER && !c->first_bytes_checked) {
        c->first_bytes_checked = 1;
        if (tls_client_here(c, buf, n) < 0)
            return CONN_ERROR;
    }
    return n;
}

static ssize_t plain_send(struct conn *c, const void *buf, size_t len)
{
    ssize_t n;
    do
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? CONN_WANT_WRITE : conn_io_error(c, "send", errno);
    return n;
}

static int plain_shutdown(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    return CONN_DONE;
}

static void plain_free(struct conn *c)
{
    (void)c;
}

static int plain_pending(const struct conn *c)
{
    (void)c;
    return 0;
}

static int plain_summary(const struct conn *c, struct tls_summary *s)
{
    (void)c;
    memset(s, 0, sizeof *s);
    strcpy(s->version, "plaintext");
    return -1;
}

static int plain_nothing(const struct conn *c)
{
    (void)c;
    return 0;
}

static int plain_tell(struct conn *c)
{
    (void)c;
    return 0;
}

static void plain_refuse(struct conn *c, const char *line)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%s\n", line);
    if (n > 0 && (size_t)n < sizeof buf) {
        ssize_t ignored = send(c->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
    }
}

/* Plaintext has no secret to derive anything from. */
static int plain_export(const struct conn *c, const char *label, unsigned char *out, size_t len)
{
    (void)c;
    (void)label;
    (void)out;
    (void)len;
    return -1;
}

const struct conn_type conn_plain = {
    .is_tls = 0,
    .init = plain_init,
    .handshake = plain_handshake,
    .recv = plain_recv,
    .send = plain_send,
    .shutdown = plain_shutdown,
    .free = plain_free,
    .pending = plain_pending,
    .summary = plain_summary,
    .cert_requested = plain_nothing,
    .tell_plaintext_peer = plain_tell,
    .refuse = plain_refuse,
    .export_secret = plain_export,
};
