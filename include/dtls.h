/* SPDX-License-Identifier: ISC */
/* dtls: one DTLS 1.2 association over a UDP socket, for the tutorials' UDP
 * example. The context is a struct tls made with cfg.dtls = 1 (certificates,
 * verification, key log and ALPN as for TLS). A server answers a ClientHello
 * first with a cookie (an HMAC of the sender's address under a secret random
 * to each context) and starts a handshake only for a sender that returns it:
 * a forged source address never gets the large certificate flight, so the
 * server cannot be used to amplify traffic against someone else. */
#ifndef TLSCHAT_DTLS_H
#define TLSCHAT_DTLS_H

#include <stddef.h>
#include <sys/types.h>

#include "tls.h"

struct dtls_conn; /* one association: its SSL, the socket it uses */

/* Server: fd is a bound UDP socket. Waits up to timeout_ms for a client that
 * passes the cookie exchange, connects fd to it and completes the handshake.
 * NULL with a sentence in err (a timeout, a failed handshake). */
struct dtls_conn *dtls_accept(struct tls *t, int fd, int timeout_ms, char *err, size_t errlen);

/* Client: fd is a UDP socket connected to the server. servername is verified
 * (and sent as SNI when it is a name), as for TLS. */
struct dtls_conn *dtls_connect(struct tls *t, int fd, const char *servername, int timeout_ms, char *err,
                               size_t errlen);

/* One message (one datagram's payload) into buf, waiting up to timeout_ms.
 * Returns its length; 0 when the peer closed (close_notify); -1 on an error
 * or timeout, with dtls_error() saying which. */
ssize_t dtls_recv(struct dtls_conn *c, void *buf, size_t len, int timeout_ms);
/* One message, as one record in one datagram. len or -1 (dtls_error()). */
ssize_t dtls_send(struct dtls_conn *c, const void *buf, size_t len);
const char *dtls_error(const struct dtls_conn *c);
/* "DTLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384, server /CN=localhost verified". */
void dtls_describe(struct dtls_conn *c, char *buf, size_t len);
/* Sends close_notify and frees c; the socket stays open (its owner closes it). */
void dtls_close(struct dtls_conn *c);

#endif
