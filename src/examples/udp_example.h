/* SPDX-License-Identifier: ISC */
/* What the two UDP examples share: their options (plain UDP, or DTLS 1.2 with
 * --dtls), the UDP socket (socket + bind for the server, socket + connect
 * for the client), and the DTLS context. Header-only, as example.h. */
#ifndef TLSCHAT_UDP_EXAMPLE_H
#define TLSCHAT_UDP_EXAMPLE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dtls.h"
#include "example.h"

#define UDP_REPLY_MS 5000 /* how long a client waits for each answer */
#define UDP_MAX 2048      /* the longest message: one line in one datagram */

static inline void udp_usage(const char *prog, int server)
{
    fprintf(stderr,
            "usage: %s [--dtls] [--host HOST] [--port PORT]%s\n"
            "  Plain UDP unless --dtls is given (DTLS 1.2, the certificates as for TLS).\n",
            prog,
            server ? " [--cert FILE] [--key FILE]" : " [--ca FILE] [--servername NAME]");
}

/* Parses argv (example.h's options, and --dtls); exits 2 on a usage error. */
static inline void udp_parse(struct example *ex, int *dtls, int argc, char **argv, int server)
{
    char *rest[64];
    int n = 0;
    *dtls = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--dtls")) {
            *dtls = 1;
        } else if (i > 0 && (!strcmp(argv[i], "--plain") || !strcmp(argv[i], "-m") ||
                             !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
                             (server && (!strcmp(argv[i], "--ca") || !strcmp(argv[i], "--servername"))))) {
            int help = strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0;
            if (!help)
                fprintf(stderr, "%s: unknown option: %s\n", argv[0], argv[i]);
            udp_usage(argv[0], server);
            exit(help ? 0 : 2);
        } else if (n < (int)(sizeof rest / sizeof rest[0]) - 1) {
            rest[n++] = argv[i];
        } else {
            fprintf(stderr, "%s: too many arguments\n", argv[0]);
            exit(2);
        }
    }
    rest[n] = NULL;
    example_parse(ex, n, rest, server);
    ex->cfg.dtls = 1;
}

/* The DTLS context, or NULL for plain UDP (with the warning). Exits 1 on failure. */
static inline struct tls *udp_tls(struct example *ex, int dtls, int server)
{
    return example_tls_or_warn(ex, server, dtls,
                               "WARNING: plain UDP: no encryption; anyone on the network can read every message "
                               "(--dtls encrypts).");
}

/* socket + bind (server) or socket + connect (client) on UDP. The fd, or -1
 * with the reason printed. */
static inline int udp_socket(const char *host, const char *port, int server)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    char err[512];
    if (net_resolve(host, port, &ss, &sslen, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "cannot make a UDP socket: %s\n", strerror(errno));
        return -1;
    }
    if ((server ? bind(fd, (struct sockaddr *)&ss, sslen) : connect(fd, (struct sockaddr *)&ss, sslen)) < 0) {
        fprintf(stderr, "cannot %s UDP %s port %s: %s\n", server ? "bind to" : "connect to", host, port,
                strerror(errno));
        close(fd);
        return -1;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) { /* every wait is a poll with a deadline */
        fprintf(stderr, "cannot make the UDP socket non-blocking: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* One datagram into buf (NUL-terminated, a trailing newline dropped), from
 * anyone (peer filled in) or, on a connected socket, from the peer only;
 * waits up to timeout_ms. Its length, or -1 on a timeout, or -2 on an error
 * (errno). */
static inline ssize_t udp_recv(int fd, char *buf, size_t len, struct sockaddr_storage *peer, socklen_t *peerlen,
                               int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0)
        return -1;
    if (r < 0)
        return -2;
    ssize_t n = recvfrom(fd, buf, len - 1, 0, (struct sockaddr *)peer, peerlen);
    if (n < 0)
        return -2;
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    return n;
}

#endif
