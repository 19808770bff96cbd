/* SPDX-License-Identifier: ISC */
/* conn_internal: what conn.c shares with its two transports (conn_plain.c,
 * conn_tls.c). Every operation that differs between plaintext and TLS goes
 * through struct conn_type, as Redis's ConnectionType does; conn.c holds what
 * both share: the public verbs, readiness and blocking helpers. */
#ifndef TLSCHAT_CONN_INTERNAL_H
#define TLSCHAT_CONN_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "conn.h"
#include "net.h"

#define TLS_HANDSHAKE_RECORD 0x16

struct ssl_st;

struct conn_type {
    int is_tls;
    /* Set up the transport on c (c->fd is connected). 0, or -1 with err. */
    int (*init)(struct conn *c, struct tls *tls, const char *servername, char *err, size_t errlen);
    int (*handshake)(struct conn *c);
    ssize_t (*recv)(struct conn *c, void *buf, size_t len);
    ssize_t (*send)(struct conn *c, const void *buf, size_t len);
    int (*shutdown)(struct conn *c);
    void (*free)(struct conn *c); /* best-effort goodbye, then release; not the fd */
    int (*pending)(const struct conn *c);
    int (*summary)(const struct conn *c, struct tls_summary *s);
    int (*cert_requested)(const struct conn *c);
    int (*tell_plaintext_peer)(struct conn *c);
    void (*refuse)(struct conn *c, const char *line);
    int (*export_secret)(const struct conn *c, const char *label, unsigned char *out, size_t len);
};

extern const struct conn_type conn_plain, conn_tls;

struct conn {
    const struct conn_type *type;
    int fd;
    struct ssl_st *ssl; /* TLS only */
    enum conn_role role;
    int handshake_done;
    int first_bytes_checked; /* server: looked at what the client sent first */
    int failed;              /* after a fatal error no close_notify may be sent */
    int shut_down;
    int shutting;            /* conn_shutdown began and has not finished */
    int peer_closed;         /* conn_recv saw the peer's end */
    int refused;             /* conn_refuse: only raw reading to the end is left */
    /* What each direction waits on after its last call: 0 (nothing, try it),
     * CONN_WANT_READ or CONN_WANT_WRITE. The one record of readiness. */
    int handshake_waits, recv_waits, send_waits;
    char peer[NET_ADDRSTRLEN];
    char err[320];
};

/* A sentence into c->err; marks c failed. Returns CONN_ERROR. */
__attribute__((format(printf, 2, 3))) int conn_fail(struct conn *c, const char *fmt, ...);

/* A failed system call as a sentence. Returns CONN_ERROR. */
int conn_io_error(struct conn *c, const char *verb, int e);

/* Look at the peer's first bytes without taking them. Returns how many were
 * seen (at least 1), CONN_WANT_READ, or CONN_ERROR (closed_before says how the
 * peer left when it sent nothing at all). */
ssize_t conn_peek_first_bytes(struct conn *c, unsigned char *b, size_t len, const char *closed_before);

#endif
