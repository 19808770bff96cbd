/* SPDX-License-Identifier: ISC */
/* tls_dtls: DTLS 1.2 over UDP (include/dtls.h). The context comes from tls.c
 * (cfg.dtls); here: its DTLS settings, the stateless cookie exchange of a
 * server (RFC 6347 4.2.1: an HMAC of the client's address), and one
 * association's handshake, reads and writes, each wait bounded. */
#define _GNU_SOURCE
#include "tls_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "dtls.h"
#include "seterr.h"

struct dtls_conn {
    SSL *ssl;
    int fd;
    char error[512];
};

/* The cookie for the peer this ClientHello came from: HMAC-SHA256 over its
 * address (family, port, bytes) with the context's secret. */
static int cookie_for_peer(SSL *ssl, unsigned char *out, unsigned int *outlen)
{
    const struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    BIO_ADDR *peer = BIO_ADDR_new();
    size_t alen = 16;
    int ok = 0;
    if (t && peer && BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) > 0) {
        unsigned char data[2 + 2 + 16];
        int family = BIO_ADDR_family(peer);
        unsigned short port = BIO_ADDR_rawport(peer);
        memset(data, 0, sizeof data);
        data[0] = (unsigned char)(family >> 8);
        data[1] = (unsigned char)family;
        memcpy(data + 2, &port, 2);
        ok = BIO_ADDR_rawaddress(peer, data + 4, &alen) == 1 && alen <= 16 &&
             HMAC(EVP_sha256(), t->cookie_secret, sizeof t->cookie_secret, data, 4 + alen, out, outlen) != NULL;
    }
    BIO_ADDR_free(peer);
    return ok;
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    return cookie_for_peer(ssl, cookie, len);
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int wantlen = 0;
    return cookie_for_peer(ssl, want, &wantlen) && len == wantlen && CRYPTO_memcmp(cookie, want, len) == 0;
}

int tls_dtls_setup(struct tls *t, SSL_CTX *ctx, char *err, size_t errlen)
{
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    if (!t->server)
        return 0;
    if (RAND_bytes(t->cookie_secret, sizeof t->cookie_secret) != 1) {
        set_err(err, errlen, "cannot make a secret for DTLS cookies: the system's random source failed");
        return -1;
    }
    SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate);
    SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready as the last SSL call asked, no longer than the
 * deadline nor DTLS's retransmission timer (which it then runs). 1 to try
 * again, 0 past the deadline, -1 when the call failed for good. */
static int wait_for(SSL *ssl, int fd, int ret, long long deadline)
{
    int e = SSL_get_error(ssl, ret);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return -1;
    long long left = deadline - now_ms();
    if (left <= 0)
        return 0;
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv)) {
        long long timer = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
        if (timer < left)
            left = timer;
    }
    struct pollfd p = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
    int n = poll(&p, 1, (int)(left > 0 ? left : 0));
    if (n == 0)
        DTLSv1_handle_timeout(ssl); /* resend the last flight if its timer ran out */
    return n < 0 && errno != EINTR ? -1 : 1;
}

static struct dtls_conn *conn_new(struct tls *t, int fd, char *err, size_t errlen)
{
    struct dtls_conn *c = calloc(1, sizeof *c);
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    if (!c || !bio || !t->dtls || !(c->ssl = SSL_new(t->ctx))) {
        set_err(err, errlen, t->dtls ? "cannot start a DTLS session: out of memory"
                                     : "cannot start a DTLS session: the context was made for TLS (set dtls)");
        BIO_free(bio);
        free(c);
        return NULL;
    }
    SSL_set_bio(c->ssl, bio, bio);
    c->fd = fd;
    return c;
}

static void conn_free(struct dtls_conn *c)
{
    SSL_free(c->ssl);
    free(c);
}

/* The handshake, up to the deadline. */
static int handshake(struct dtls_conn *c, long long deadline, int server, char *err, size_t errlen)
{
    for (;;) {
        int r = server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
        if (r == 1)
            return 0;
        int w = wait_for(c->ssl, c->fd, r, deadline);
        if (w == 0) {
            set_err(err, errlen, "the DTLS handshake did not finish in time: %s",
                    server ? "the client went quiet" : "is the server running, with DTLS (--dtls) on this port?");
            return -1;
        }
        if (w < 0) {
            tls_ssl_error(c->ssl, r, err, errlen);
            return -1;
        }
    }
}

struct dtls_conn *dtls_accept(struct tls *t, int fd, int timeout_ms, char *err, size_t errlen)
{
    struct dtls_conn *c = conn_new(t, fd, err, errlen);
    if (!c)
        return NULL;
    long long deadline = now_ms() + timeout_ms;
    BIO_ADDR *peer = BIO_ADDR_new();
    SSL_set_options(c->ssl, SSL_OP_COOKIE_EXCHANGE);
    /* Answer ClientHellos with cookies, statelessly, until one comes back. */
    int r = 0;
    while (peer && (r = DTLSv1_listen(c->ssl, peer)) == 0) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
            break;
    }
    if (r <= 0) {
        if (!peer)
            set_err(err, errlen, "cannot wait for a DTLS client: out of memory");
        else if (r < 0)
            set_err(err, errlen, "DTLS failed while waiting for a client: %s",
                    ERR_reason_error_string(ERR_get_error()));
        else
            set_err(err, errlen, "no DTLS client came within %d s", timeout_ms / 1000);
        ERR_clear_error();
        BIO_ADDR_free(peer);
        conn_free(c);
        return NULL;
    }
    /* From here on this socket talks to that client only, as a TCP
     * connection would: its datagrams alone reach us. */
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    memset(&ss, 0, sizeof ss);
    if (BIO_ADDR_family(peer) == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        size_t alen = sizeof s6->sin6_addr;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = BIO_ADDR_rawport(peer);
        BIO_ADDR_rawaddress(peer, &s6->sin6_addr, &alen);
        sslen = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        size_t alen = sizeof s4->sin_addr;
        s4->sin_family = AF_INET;
        s4->sin_port = BIO_ADDR_rawport(peer);
        BIO_ADDR_rawaddress(peer, &s4->sin_addr, &alen);
        sslen = sizeof *s4;
    }
    if (connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
        set_err(err, errlen, "cannot connect the UDP socket to the DTLS client: %s", strerror(errno));
        BIO_ADDR_free(peer);
        conn_free(c);
        return NULL;
    }
    BIO_ctrl(SSL_get_rbio(c->ssl), BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    BIO_ADDR_free(peer);
    if (handshake(c, deadline, 1, err, errlen) < 0) {
        conn_free(c);
        return NULL;
    }
    return c;
}

struct dtls_conn *dtls_connect(struct tls *t, int fd, const char *servername, int timeout_ms, char *err,
                               size_t errlen)
{
    if (!t->dtls) {
        set_err(err, errlen, "cannot start a DTLS session: the context was made for TLS (set dtls)");
        return NULL;
    }
    /* tls_ssl_new sets up SNI and the name to verify, as for TLS; then the
     * socket's BIO becomes a datagram BIO. */
    SSL *ssl = tls_ssl_new(t, fd, servername, err, errlen);
    struct dtls_conn *c = ssl ? calloc(1, sizeof *c) : NULL;
    BIO *bio = c ? BIO_new_dgram(fd, BIO_NOCLOSE) : NULL;
    if (!bio) {
        if (ssl)
            set_err(err, errlen, "cannot start a DTLS session: out of memory");
        SSL_free(ssl);
        free(c);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == 0)
        BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &ss);
    SSL_set_bio(ssl, bio, bio);
    c->ssl = ssl;
    c->fd = fd;
    if (handshake(c, now_ms() + timeout_ms, 0, err, errlen) < 0) {
        conn_free(c);
        return NULL;
    }
    return c;
}

ssize_t dtls_recv(struct dtls_conn *c, void *buf, size_t len, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    int cap = len > INT32_MAX ? INT32_MAX : (int)len;
    for (;;) {
        int r = SSL_read(c->ssl, buf, cap);
        if (r > 0)
            return r;
        if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
            return 0;
        int w = wait_for(c->ssl, c->fd, r, deadline);
        if (w == 0) {
            set_err(c->error, sizeof c->error, "no answer within %d s", timeout_ms / 1000);
            return -1;
        }
        if (w < 0) {
            tls_ssl_error(c->ssl, r, c->error, sizeof c->error);
            return -1;
        }
    }
}

ssize_t dtls_send(struct dtls_conn *c, const void *buf, size_t len)
{
    long long deadline = now_ms() + 10000;
    int n = len > INT32_MAX ? INT32_MAX : (int)len;
    for (;;) {
        int r = SSL_write(c->ssl, buf, n);
        if (r > 0)
            return r;
        int w = wait_for(c->ssl, c->fd, r, deadline);
        if (w <= 0) {
            if (w == 0)
                set_err(c->error, sizeof c->error, "could not send within 10 s");
            else
                tls_ssl_error(c->ssl, r, c->error, sizeof c->error);
            return -1;
        }
    }
}

const char *dtls_error(const struct dtls_conn *c)
{
    return c->error;
}

void dtls_describe(struct dtls_conn *c, char *buf, size_t len)
{
    struct tls_summary s;
    tls_ssl_summary(c->ssl, &s);
    snprintf(buf, len, "%s %s%s%s%s", s.version, s.cipher, s.subject[0] ? ", peer " : "", s.subject,
             s.subject[0] ? (s.verified ? " verified" : " not verified") : "");
}

void dtls_close(struct dtls_conn *c)
{
    if (!c)
        return;
    SSL_shutdown(c->ssl); /* one close_notify datagram; no wait for the answer */
    conn_free(c);
}
