/* SPDX-License-Identifier: ISC */
/* conn_tls: the TLS transport, on an SSL made by the SSL layer (tls.c). A TLS
 * server that hears a plaintext client first tells it so in one line. */
#define _GNU_SOURCE
#include "conn_internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_internal.h"

static const char tls_only_line[] = "! this server speaks TLS: connect without --plain\n";

static int tls_init(struct conn *c, struct tls *tls, const char *servername, char *err, size_t errlen)
{
    int server = c->role == CONN_SERVER;
    if (tls_is_server(tls) != server) {
        snprintf(err, errlen, "a %s TLS context cannot make a %s connection", tls_is_server(tls) ? "server" : "client",
                 server ? "server" : "client");
        return -1;
    }
    c->ssl = tls_ssl_new(tls, c->fd, server ? NULL : servername, err, errlen);
    return c->ssl ? 0 : -1;
}

/* SSL_get_error needs an empty error queue before the call it explains.
 * ERR_clear_error always walks all the queue's slots: about 880 instructions
 * in OpenSSL 3.0, a tenth of what sending a chat line costs; looking first
 * costs about 200 (callgrind, make bench's fan-out). */
static void clear_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

/* What an SSL call's failure means here. */
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
        if (errno == EAGAIN && ERR_peek_error() == 0) { /* a blocking socket's SO_RCVTIMEO ran out */
            ERR_clear_error();
            return conn_fail(c, "timed out waiting for the %s during the TLS handshake (is it a TLS %s?)",
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

/* A TLS server whose peer starts with anything but a handshake record is
 * talking to a plaintext client: tell it in one line, as nginx does for HTTP. */
static int check_first_byte(struct conn *c)
{
    unsigned char b;
    ssize_t n = conn_peek_first_bytes(c, &b, 1, "before the TLS handshake");
    if (n < 1)
        return (int)n;
    if ((b & 0xC0) == 0x80) {
        /* An SSLv2-format hello (a 2-byte length with the top bit set; no text
         * line starts with such a byte): a TLS client too old, answered in TLS. */
        static const unsigned char alert[] = {21, 3, 1, 0, 2, 2, 70}; /* fatal protocol_version */
        ssize_t ignored = send(c->fd, alert, sizeof alert, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
        return conn_fail(c, "the client sent an SSLv2-format hello: refused with a protocol_version alert "
                            "(this server speaks TLS 1.2 and 1.3)");
    }
    if (b != TLS_HANDSHAKE_RECORD) {
        ssize_t ignored = send(c->fd, tls_only_line, sizeof tls_only_line - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
        return conn_fail(c, "a plaintext client connected to this TLS port (it was told to connect without --plain)");
    }
    return CONN_DONE;
}

static int tls_handshake(struct conn *c)
{
    if (c->handshake_done)
        return CONN_DONE;
    if (c->role == CONN_SERVER && !c->first_bytes_checked) {
        int rc = check_first_byte(c);
        if (rc != CONN_DONE)
            return rc;
    }
    clear_errors();
    int ret = SSL_do_handshake(c->ssl);
    if (ret == 1) {
        c->handshake_done = 1;
        return CONN_DONE;
    }
    int rc = tls_result(c, ret);
    if (rc == CONN_EOF) { /* a close_notify in the middle of a handshake is a failure */
        tls_ssl_error(c->ssl, ret, c->err, sizeof c->err);
        c->failed = 1;
        return CONN_ERROR;
    }
    return rc;
}

static ssize_t tls_recv(struct conn *c, void *buf, size_t len)
{
    int rc = tls_handshake(c);
    if (rc != CONN_DONE)
        return rc;
    clear_errors();
    int ret = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    return ret > 0 ? ret : tls_result(c, ret);
}

static ssize_t tls_send(struct conn *c, const void *buf, size_t len)
{
    int rc = tls_handshake(c);
    if (rc != CONN_DONE)
        return rc;
    if (len == 0)
        return 0;
    clear_errors();
    int ret = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (ret > 0)
        return ret;
    rc = tls_result(c, ret);
    return rc == CONN_EOF ? conn_fail(c, "the peer closed the TLS session") : rc;
}

static int tls_shutdown(struct conn *c)
{
    if (c->failed || !c->handshake_done)
        return CONN_DONE;
    clear_errors();
    int ret = SSL_shutdown(c->ssl);
    if (ret >= 0) {
        shutdown(c->fd, SHUT_WR); /* close_notify is out, and nothing follows it */
        return CONN_DONE;         /* not waiting here for the peer's */
    }
    int rc = tls_result(c, ret);
    return rc == CONN_WANT_READ || rc == CONN_WANT_WRITE ? rc : CONN_DONE;
}

static void tls_free_conn(struct conn *c)
{
    if (!c->ssl)
        return;
    if (!c->failed && c->handshake_done && !c->shut_down) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* best effort: one try, never blocks for long */
    }
    SSL_free(c->ssl);
    c->ssl = NULL;
    ERR_clear_error();
}

/* With read-ahead, whole records may wait undecrypted in
 * OpenSSL's buffer, where SSL_pending does not count them and epoll cannot see
 * them: say 1 then, so the caller reads on. */
static int tls_pending(const struct conn *c)
{
    int n = SSL_pending(c->ssl);
    return n > 0 ? n : SSL_has_pending(c->ssl) ? 1 : 0;
}

static int tls_summary_of(const struct conn *c, struct tls_summary *s)
{
    tls_ssl_summary(c->ssl, s);
    return 0;
}

static int tls_cert_requested(const struct conn *c)
{
    return c->role == CONN_CLIENT && tls_ssl_cert_requested(c->ssl);
}

/* Every TLS client speaks first; one that said nothing in all this time is a
 * plaintext client waiting for a greeting. */
static int tls_tell_plaintext_peer(struct conn *c)
{
    if (c->role != CONN_SERVER || c->first_bytes_checked)
        return 0;
    ssize_t n = send(c->fd, tls_only_line, sizeof tls_only_line - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0;
}

/* A fatal alert record in clear, as a server may send before any key exists:
 * content type alert (21), version 3.1, length 2, level fatal (2),
 * access_denied (49). The line is for plaintext peers: not sent here. */
static void tls_refuse(struct conn *c, const char *line)
{
    static const unsigned char alert[] = {21, 3, 1, 0, 2, 2, 49};
    (void)line;
    ssize_t ignored = send(c->fd, alert, sizeof alert, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
}

/* RFC 5705 / RFC 8446 section 7.5: a value only the two ends of this session
 * can compute. */
static int tls_export(const struct conn *c, const char *label, unsigned char *out, size_t len)
{
    if (!c->handshake_done || c->failed)
        return -1;
    int ok = SSL_export_keying_material(c->ssl, out, len, label, strlen(label), NULL, 0, 0);
    ERR_clear_error();
    return ok == 1 ? 0 : -1;
}

const struct conn_type conn_tls = {
    .is_tls = 1,
    .init = tls_init,
    .handshake = tls_handshake,
    .recv = tls_recv,
    .send = tls_send,
    .shutdown = tls_shutdown,
    .free = tls_free_conn,
    .pending = tls_pending,
    .summary = tls_summary_of,
    .cert_requested = tls_cert_requested,
    .tell_plaintext_peer = tls_tell_plaintext_peer,
    .refuse = tls_refuse,
    .export_secret = tls_export,
};
