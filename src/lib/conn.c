/* conn: one connection over plain TCP or TLS. The two transports sit behind a
 * two-entry table, as Redis's ConnectionType does; WANT_* and SSL_pending are
 * handled here and nowhere else. */
#define _GNU_SOURCE
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net.h"

#define TLS_HANDSHAKE_RECORD 0x16

struct conn;

struct conn_type {
    int (*handshake)(struct conn *c);
    ssize_t (*recv)(struct conn *c, void *buf, size_t len);
    ssize_t (*send)(struct conn *c, const void *buf, size_t len);
    int (*shutdown)(struct conn *c);
};

struct conn {
    const struct conn_type *type;
    int fd;
    SSL *ssl;
    enum conn_role role;
    int handshake_done;
    int first_bytes_checked; /* plaintext server: looked for a stray ClientHello */
    int failed;              /* after a fatal error no close_notify may be sent */
    int shut_down;
    char peer[NET_ADDRSTRLEN];
    char err[320];
};

__attribute__((format(printf, 2, 3))) static int fail(struct conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->failed = 1;
    return CONN_ERROR;
}

static int io_error(struct conn *c, const char *verb, int e)
{
    const char *who = c->role == CONN_SERVER ? "the client" : "the server";
    if (e == EPIPE || e == ECONNRESET)
        return fail(c, "%s reset the connection", who);
    if (e == EAGAIN || e == ETIMEDOUT)
        return fail(c, "timed out waiting for %s", who);
    return fail(c, "cannot %s: %s", verb, strerror(e));
}

/* Look at the peer's first bytes without taking them. Returns how many were
 * seen (at least 1), CONN_WANT_READ, or CONN_ERROR (closed_before says how the
 * peer left when it sent nothing at all). */
static ssize_t peek_first_bytes(struct conn *c, unsigned char *b, size_t len, const char *closed_before)
{
    ssize_t n;
    do
        n = recv(c->fd, b, len, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? CONN_WANT_READ : io_error(c, "receive", errno);
    if (n == 0)
        return fail(c, "the client closed the connection %s", closed_before);
    c->first_bytes_checked = 1;
    return n;
}

/* ---- plaintext ---- */

/* A TLS ClientHello starts with a handshake record of version 3.x. A plaintext
 * server seeing one tells the user why it is closing. */
static int tls_client_here(struct conn *c, const unsigned char *b, ssize_t n)
{
    if (b[0] == TLS_HANDSHAKE_RECORD && (n < 2 || b[1] == 3))
        return fail(c, "a TLS client connected to this plaintext server (--plain): closing; the client should use --plain too");
    return 0;
}

/* A plaintext server looks at the client's first bytes before anything else:
 * a TLS ClientHello there means the client should have used --plain too. */
static int plain_handshake(struct conn *c)
{
    if (c->role == CONN_SERVER && !c->first_bytes_checked) {
        unsigned char b[2];
        ssize_t n = peek_first_bytes(c, b, sizeof b, "before it said anything");
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
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? CONN_WANT_READ : io_error(c, "receive", errno);
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
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? CONN_WANT_WRITE : io_error(c, "send", errno);
    return n;
}

static int plain_shutdown(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    return CONN_DONE;
}

/* ---- TLS ---- */

static int tls_result(struct conn *c, int ret)
{
    switch (SSL_get_error(c->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return CONN_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return CONN_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return CONN_EOF;
    case SSL_ERROR_SYSCALL:
        if (errno == EAGAIN && ERR_peek_error() == 0) {
            ERR_clear_error();
            return fail(c, "timed out waiting for the %s during the TLS handshake (is it a TLS %s?)",
                        c->role == CONN_SERVER ? "client" : "server",
                        c->role == CONN_SERVER ? "client" : "server");
        }
        /* fall through */
    default:
        tls_ssl_error(c->ssl, ret, c->err, sizeof c->err);
        c->failed = 1;
        return CONN_ERROR;
    }
}

static const char tls_only_line[] = "! this server speaks TLS: connect without --plain\n";

/* A TLS server whose peer starts with anything but a handshake record is
 * talking to a plaintext client: tell it in one line, as nginx does for HTTP. */
static int tls_check_first_byte(struct conn *c)
{
    unsigned char b;
    ssize_t n = peek_first_bytes(c, &b, 1, "before the TLS handshake");
    if (n < 1)
        return (int)n;
    if (b != TLS_HANDSHAKE_RECORD) {
        ssize_t ignored = send(c->fd, tls_only_line, sizeof tls_only_line - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
        return fail(c, "a plaintext client connected to this TLS port (it was told to connect without --plain)");
    }
    return CONN_DONE;
}

static int tls_handshake(struct conn *c)
{
    if (c->handshake_done)
        return CONN_DONE;
    if (c->role == CONN_SERVER && !c->first_bytes_checked) {
        int rc = tls_check_first_byte(c);
        if (rc != CONN_DONE)
            return rc;
    }
    ERR_clear_error();
    int ret = SSL_do_handshake(c->ssl);
    if (ret == 1) {
        c->handshake_done = 1;
        return CONN_DONE;
    }
    int rc = tls_result(c, ret);
    if (rc == CONN_EOF) {
        tls_ssl_error(c->ssl, ret, c->err, sizeof c->err);
        c->failed = 1;
        return CONN_ERROR;
    }
    return rc;
}

static ssize_t tls_recv(struct conn *c, void *buf, size_t len)
{
    if (!c->handshake_done) {
        int rc = tls_handshake(c);
        if (rc != CONN_DONE)
            return rc;
    }
    ERR_clear_error();
    int ret = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    return ret > 0 ? ret : tls_result(c, ret);
}

static ssize_t tls_send(struct conn *c, const void *buf, size_t len)
{
    if (!c->handshake_done) {
        int rc = tls_handshake(c);
        if (rc != CONN_DONE)
            return rc;
    }
    if (len == 0)
        return 0;
    ERR_clear_error();
    int ret = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (ret > 0)
        return ret;
    int rc = tls_result(c, ret);
    return rc == CONN_EOF ? fail(c, "the peer closed the TLS session") : rc;
}

static int tls_shutdown(struct conn *c)
{
    if (c->failed || !c->handshake_done)
        return CONN_DONE;
    ERR_clear_error();
    int ret = SSL_shutdown(c->ssl);
    if (ret >= 0) {
        shutdown(c->fd, SHUT_WR); /* close_notify is out, and nothing follows it */
        return CONN_DONE;         /* not waiting here for the peer's */
    }
    int rc = tls_result(c, ret);
    return rc == CONN_WANT_READ || rc == CONN_WANT_WRITE ? rc : CONN_DONE;
}

static const struct conn_type conn_plain = {plain_handshake, plain_recv, plain_send, plain_shutdown};
static const struct conn_type conn_tls = {tls_handshake, tls_recv, tls_send, tls_shutdown};

/* ---- public ---- */

struct conn *conn_new(int fd, struct tls *tls, enum conn_role role, const char *servername,
                      char *err, size_t errlen)
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
    net_peer_text(fd, c->peer, sizeof c->peer);
    if (tls) {
        if (tls_is_server(tls) != (role == CONN_SERVER)) {
            snprintf(err, errlen, "a %s TLS context cannot make a %s connection", tls_is_server(tls) ? "server" : "client",
                     role == CONN_SERVER ? "server" : "client");
            conn_close(c);
            return NULL;
        }
        c->ssl = tls_ssl_new(tls, fd, role == CONN_CLIENT ? servername : NULL, err, errlen);
        if (!c->ssl) {
            conn_close(c);
            return NULL;
        }
    }
    return c;
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
    for (;;) {
        rc = conn_handshake(c);
        if (rc != CONN_WANT_READ && rc != CONN_WANT_WRITE)
            break;
        struct pollfd p = {.fd = c->fd, .events = rc == CONN_WANT_READ ? POLLIN : POLLOUT};
        if (poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1) == 0) {
            rc = fail(c, "timed out during the TLS handshake");
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

int conn_handshake(struct conn *c)
{
    return c->type->handshake(c);
}

ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    return c->type->recv(c, buf, len);
}

ssize_t conn_send(struct conn *c, const void *buf, size_t len)
{
    return c->type->send(c, buf, len);
}

ssize_t conn_send_all(struct conn *c, const void *buf, size_t len)
{
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = conn_send(c, p, left);
        if (n == CONN_WANT_READ || n == CONN_WANT_WRITE) {
            struct pollfd pfd = {.fd = c->fd, .events = n == CONN_WANT_READ ? POLLIN : POLLOUT};
            poll(&pfd, 1, -1);
            continue;
        }
        if (n <= 0)
            return n;
        p += n;
        left -= (size_t)n;
    }
    return (ssize_t)len;
}

int conn_shutdown(struct conn *c)
{
    if (c->shut_down)
        return CONN_DONE;
    int rc = c->type->shutdown(c);
    if (rc == CONN_DONE)
        c->shut_down = 1;
    return rc;
}

void conn_close(struct conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        if (!c->failed && c->handshake_done && !c->shut_down) {
            ERR_clear_error();
            SSL_shutdown(c->ssl); /* best effort: one try, never blocks for long */
        }
        SSL_free(c->ssl);
        ERR_clear_error();
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

int conn_tell_plaintext_peer(struct conn *c)
{
    /* Every TLS client speaks first; one that said nothing in all this time is
     * a plaintext client waiting for a greeting. */
    if (!c->ssl || c->role != CONN_SERVER || c->first_bytes_checked)
        return 0;
    ssize_t n = send(c->fd, tls_only_line, sizeof tls_only_line - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0;
}

int conn_fd(const struct conn *c)
{
    return c->fd;
}

int conn_is_tls(const struct conn *c)
{
    return c->ssl != NULL;
}

int conn_pending(const struct conn *c)
{
    return c->ssl ? SSL_pending(c->ssl) : 0;
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
    return c->ssl && c->role == CONN_CLIENT && tls_ssl_cert_requested(c->ssl);
}

int conn_summary(const struct conn *c, struct tls_summary *s)
{
    if (!c->ssl) {
        memset(s, 0, sizeof *s);
        snprintf(s->version, sizeof s->version, "plaintext");
        return -1;
    }
    tls_ssl_summary(c->ssl, s);
    return 0;
}
