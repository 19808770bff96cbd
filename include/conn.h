/* SPDX-License-Identifier: ISC */
/* conn: one connection over plain TCP or TLS, with the tutorials' verbs.
 * Pass a struct tls for TLS or NULL for plaintext; nothing else changes.
 *
 *   struct conn *c = conn_accept(lfd, tls, err, sizeof err);
 *   ssize_t n = conn_recv(c, buf, sizeof buf);
 *   conn_send(c, "accepted\n", 9);
 *   conn_close(c);
 *
 * On a non-blocking fd the calls return CONN_WANT_READ / CONN_WANT_WRITE, as
 * libtls does, and conn remembers what each direction waits on: ask
 * conn_events which fd events to wait for, and conn_ready what the events that
 * came allow. A TLS read may need the socket writable and a write readable;
 * callers never keep track of that themselves.
 *
 * A program using conn should ignore SIGPIPE: OpenSSL writes with write(2), so
 * a peer that reset the connection would otherwise kill it instead of showing
 * up as CONN_ERROR. (Plaintext sends use MSG_NOSIGNAL.) */
#ifndef TLSCHAT_CONN_H
#define TLSCHAT_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "tls.h"

#define CONN_EOF        0  /* the peer closed cleanly */
#define CONN_ERROR      (-1)
#define CONN_WANT_READ  (-2)
#define CONN_WANT_WRITE (-3)
#define CONN_DONE       1  /* conn_handshake / conn_shutdown finished */

/* fd events, the same bits as loop.h's LOOP_READ, LOOP_WRITE and LOOP_ERROR. */
#define CONN_READ   1u
#define CONN_WRITE  2u
#define CONN_HANGUP 4u

struct conn;

enum conn_role { CONN_SERVER, CONN_CLIENT };

/* Wrap a connected fd (the conn owns it from now on, also on failure).
 * servername: client side, the name to send and verify (NULL: none). */
struct conn *conn_new(int fd, struct tls *tls, enum conn_role role, const char *servername,
                      char *err, size_t errlen);

/* conn_new for a server's accepted fd whose peer address is known (from
 * accept): saves asking the socket again. */
struct conn *conn_new_accepted(int fd, struct tls *tls, const struct sockaddr *peer, char *err, size_t errlen);

/* accept + handshake, blocking. NULL with a sentence in err. */
struct conn *conn_accept(int lfd, struct tls *tls, char *err, size_t errlen);

/* connect + handshake, blocking. servername: NULL means host. */
struct conn *conn_connect(const char *host, const char *port, struct tls *tls,
                          const char *servername, int timeout_ms, char *err, size_t errlen);

/* CONN_DONE, CONN_WANT_*, or CONN_ERROR. A plaintext conn is done at once. */
int conn_handshake(struct conn *c);

/* > 0 bytes, CONN_EOF, CONN_ERROR, CONN_WANT_*. */
ssize_t conn_recv(struct conn *c, void *buf, size_t len);
ssize_t conn_send(struct conn *c, const void *buf, size_t len);

/* Blocking helpers: all of buf, or CONN_ERROR / CONN_EOF. */
ssize_t conn_send_all(struct conn *c, const void *buf, size_t len);

/* Send close_notify (TLS), then shut down writing. CONN_DONE or CONN_WANT_*.
 * Reading goes on: conn_recv returns CONN_EOF when the peer closes too. */
int conn_shutdown(struct conn *c);

/* rc (from any call above) says the call must wait and be made again:
 * conn_events then says for what. */
static inline int conn_again(ssize_t rc)
{
    return rc == CONN_WANT_READ || rc == CONN_WANT_WRITE;
}

/* Which fd events to wait for: want_read when the caller would read now,
 * have_output when it has bytes to send. While the handshake runs, or a
 * shutdown is under way, conn adds what those need. CONN_READ | CONN_WRITE bits. */
unsigned conn_events(const struct conn *c, int want_read, int have_output);

/* The fd events that came (CONN_* bits) turned into the calls that can now make
 * progress: CONN_READ for conn_recv, CONN_WRITE for conn_send and
 * conn_shutdown. Data already decrypted inside TLS counts as CONN_READ. */
unsigned conn_ready(const struct conn *c, unsigned fd_events);

/* Best-effort close_notify, close the fd, free. NULL is fine. */
void conn_close(struct conn *c);

/* Free c and its TLS state without a word to the peer, and hand back its fd,
 * still open and connected (a load generator holding many idle connections
 * keeps only the socket). */
int conn_detach(struct conn *c);

/* TLS server: if the peer has sent nothing at all (a plaintext client waiting
 * to be greeted), send it "! this server speaks TLS: connect without --plain".
 * Returns 1 when the line went out. For a handshake timeout. */
int conn_tell_plaintext_peer(struct conn *c);

/* Server: turn a new connection away before any handshake, cheaply. TLS sends a
 * fatal access_denied alert in clear (tlschat turns it into a sentence about
 * too many connections); plaintext sends line and a newline. Then the write
 * side is shut: read to the peer's end (or a deadline) and close. conn_recv
 * then returns the peer's raw bytes, to be thrown away, and CONN_EOF at the end. */
void conn_refuse(struct conn *c, const char *line);

int conn_fd(const struct conn *c);
int conn_is_tls(const struct conn *c);
/* Bytes decrypted and buffered inside TLS (1 when only records read ahead and
 * not yet decrypted wait there): read them before waiting on the fd. */
int conn_pending(const struct conn *c);
const char *conn_error(const struct conn *c);
const char *conn_peer(const struct conn *c);
/* Client: the server asked for a certificate and this side had none to give.
 * A server that requires one then refuses the session, in TLS 1.3 only after
 * the handshake has ended here: wait for its first word before claiming success. */
int conn_cert_requested(const struct conn *c);

/* A secret of this TLS session that only its two ends can compute (the TLS
 * exporter, RFC 5705 and RFC 8446 7.5, under label): len bytes into out.
 * Returns 0, or -1 for plaintext or a session not yet (or no longer) up. */
int conn_export_secret(const struct conn *c, const char *label, unsigned char *out, size_t len);

/* Fills s; returns 0, or -1 for a plaintext conn (s says "plaintext"). */
int conn_summary(const struct conn *c, struct tls_summary *s);

#endif
