/* SPDX-License-Identifier: ISC */
/* net: the plain-socket layer of the tutorials (socket, bind, listen, accept,
 * connect), with getaddrinfo, IPv4 and IPv6, and errors as sentences. No TLS. */
#ifndef TLSCHAT_NET_H
#define TLSCHAT_NET_H

#include <stddef.h>
#include <sys/socket.h>

#define NET_WOULDBLOCK (-2) /* net_accept on a non-blocking socket with no one waiting */
#define NET_ADDRSTRLEN 64   /* "[ffff:...:ffff]:65535" fits */

/* socket + bind + listen on the first address HOST:PORT resolves to.
 * Returns the listening fd, or -1 with a sentence in err. */
int net_listen(const char *host, const char *port, int backlog, char *err, size_t errlen);

/* The same on every address HOST resolves to ("localhost" is both 127.0.0.1 and
 * ::1), at most maxfds of them; port 0 gives all of them one ephemeral port.
 * Returns how many fds were stored, or -1 with a sentence in err. */
int net_listen_all(const char *host, const char *port, int backlog, int *fds, int maxfds,
                   char *err, size_t errlen);

/* accept(2) with close-on-exec; the new fd inherits blocking mode from lfd.
 * Returns the fd, NET_WOULDBLOCK, or -1 with a sentence in err. */
int net_accept(int lfd, char *err, size_t errlen);

/* accept(2) for an event loop: the new fd is non-blocking and close-on-exec,
 * and the peer's address goes into ss. The fd takes every other option from
 * the listener (Linux copies TCP_NODELAY, SO_SNDBUF and keepalive), so tune
 * the listener once (net_tune_listener) rather than each connection.
 * Returns the fd, NET_WOULDBLOCK, or -1 with a sentence in err. */
int net_accept_from(int lfd, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen);

/* Options every accepted connection inherits: TCP_NODELAY, a send buffer of
 * sndbuf bytes (0: the kernel's autotuning) and keepalive after idle seconds
 * (0: none). */
void net_tune_listener(int lfd, int sndbuf, int keepalive_idle_s);

/* Resolve HOST:PORT and connect to each address in turn, giving up on one after
 * timeout_ms (0: no timeout). Returns a blocking connected fd, or -1 with err. */
int net_connect(const char *host, const char *port, int timeout_ms, char *err, size_t errlen);

/* The first address HOST:PORT resolves to. 0, or -1 with err. */
int net_resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                size_t errlen);

/* A non-blocking connect for an event loop: start it (the fd, connected or
 * connecting, or -1 with err), wait for the fd to be writable, then finish it:
 * 1 connected, 0 not yet (wait again), -1 failed with err. */
int net_connect_start(const struct sockaddr *sa, socklen_t salen, char *err, size_t errlen);
/* The same from the source address src (port 0: chosen at connect), for a load
 * generator spreading its connections over several loopback addresses. */
int net_connect_start_from(const struct sockaddr *sa, socklen_t salen, const struct sockaddr *src,
                           socklen_t srclen, char *err, size_t errlen);
int net_connect_finish(int fd, char *err, size_t errlen);

int net_set_nonblocking(int fd, int on);

/* TCP keepalive: after idle_s seconds of silence probe the peer, and give the
 * connection up after about a minute of no answer. */
void net_keepalive(int fd, int idle_s);

/* "127.0.0.1:8443" or "[::1]:8443" */
void net_addr_text(const struct sockaddr *sa, char *buf, size_t buflen);
void net_peer_text(int fd, char *buf, size_t buflen);
void net_local_text(int fd, char *buf, size_t buflen);

/* 1 when host is an IPv4 or IPv6 literal (never sent as SNI). */
int net_is_ip_literal(const char *host);

#endif
