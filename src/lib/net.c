/* SPDX-License-Identifier: ISC */
/* net: plain sockets. Every failure becomes one sentence in err. */
#define _GNU_SOURCE
#include "net.h"
#include "seterr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int resolve(const char *host, const char *port, int passive, struct addrinfo **res,
                   char *err, size_t errlen)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
    if (host && !*host)
        host = NULL;
    int rc = getaddrinfo(host, port, &hints, res);
    if (rc == 0)
        return 0;
    if (rc == EAI_SERVICE)
        set_err(err, errlen, "'%s' is not a port number (use 1-65535)", port);
    else if (rc == EAI_SYSTEM)
        set_err(err, errlen, "cannot resolve '%s': %s", host ? host : "*", strerror(errno));
    else
        set_err(err, errlen, "cannot resolve host '%s': %s (check the spelling, or use an IP address)",
                host ? host : "*", gai_strerror(rc));
    return -1;
}

static int open_listener(const struct addrinfo *ai, int backlog, char *err, size_t errlen)
{
    char where[NET_ADDRSTRLEN];
    net_addr_text(ai->ai_addr, where, sizeof where);
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        set_err(err, errlen, "cannot make a socket for %s: %s", where, strerror(errno));
        return -1;
    }
    int one = 1;
    /* Restart at once after a stop, without waiting out TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        int e = errno;
        const char *hint = e == EADDRINUSE     ? " (is another server running? pick another port)"
                           : e == EACCES        ? " (ports below 1024 need root: pick a port from 1024 up)"
                           : e == EADDRNOTAVAIL ? " (this machine has no such address: listen on one of its own)"
                                                : "";
        set_err(err, errlen, "cannot listen on %s: %s%s", where, strerror(e), hint);
        close(fd);
        return -1;
    }
    if (listen(fd, backlog) < 0) {
        set_err(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void set_port(struct sockaddr *sa, unsigned short port)
{
    if (sa->sa_family == AF_INET)
        ((struct sockaddr_in *)(void *)sa)->sin_port = htons(port);
    else if (sa->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons(port);
}

static unsigned short bound_port(int fd)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

int net_listen_all(const char *host, const char *port, int backlog, int *fds, int maxfds,
                   char *err, size_t errlen)
{
    struct addrinfo *res;
    if (maxfds < 1 || resolve(host, port, 1, &res, err, errlen) < 0)
        return -1;
    int n = 0;
    unsigned short chosen = 0;
    for (struct addrinfo *ai = res; ai && n < maxfds; ai = ai->ai_next) {
        if (chosen)
            set_port(ai->ai_addr, chosen); /* port 0: one port for every address */
        int fd = open_listener(ai, backlog, err, errlen);
        if (fd < 0) {
            if (errno == EAFNOSUPPORT && ai->ai_next)
                continue; /* no IPv6 here: the IPv4 address will do */
            for (int i = 0; i < n; i++)
                close(fds[i]);
            freeaddrinfo(res);
            return -1;
        }
        chosen = bound_port(fd);
        fds[n++] = fd;
    }
    freeaddrinfo(res);
    return n;
}

int net_listen(const char *host, const char *port, int backlog, char *err, size_t errlen)
{
    int fd;
    return net_listen_all(host, port, backlog, &fd, 1, err, errlen) == 1 ? fd : -1;
}

/* Lines are small and interactive: send each at once. Without this, Nagle holds
 * a server's reply behind its TLS session tickets until the peer's delayed ACK
 * (40 ms a handshake, measured by make bench). */
static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* After a failed accept that is not worth retrying: NET_WOULDBLOCK when no
 * one is waiting, else -1 with the sentence. */
static int accept_failed(char *err, size_t errlen)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return NET_WOULDBLOCK;
    const char *hint = (errno == EMFILE || errno == ENFILE)
                           ? " (too many open files: raise the limit with ulimit -n)"
                           : "";
    set_err(err, errlen, "cannot accept a connection: %s%s", strerror(errno), hint);
    return -1;
}

int net_accept(int lfd, char *err, size_t errlen)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            set_nodelay(fd);
            int fl = fcntl(lfd, F_GETFL);
            if (fl >= 0 && (fl & O_NONBLOCK))
                net_set_nonblocking(fd, 1);
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        return accept_failed(err, errlen);
    }
}

int net_accept_from(int lfd, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
    for (;;) {
        *sslen = sizeof *ss;
        /* Non-blocking and close-on-exec from the start; the other options come
         * from the listener (net_tune_listener): no system call per option. */
        int fd = accept4(lfd, (struct sockaddr *)ss, sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        return accept_failed(err, errlen);
    }
}

void net_tune_listener(int lfd, int sndbuf, int keepalive_idle_s)
{
    set_nodelay(lfd);
    if (sndbuf > 0)
        setsockopt(lfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (keepalive_idle_s > 0)
        net_keepalive(lfd, keepalive_idle_s);
}

int net_resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                size_t errlen)
{
    struct addrinfo *res;
    if (resolve(host, port, 0, &res, err, errlen) < 0)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* A failed connect as a sentence. */
static void connect_error(int e, const char *where, int timeout_ms, char *err, size_t errlen)
{
    if (e == ECONNREFUSED)
        set_err(err, errlen, "connection refused by %s (is the server running, and on that port?)", where);
    else if (e == ETIMEDOUT && timeout_ms > 0)
        set_err(err, errlen, "timed out after %d.%d s connecting to %s (is the address right, or a firewall in the way?)",
                timeout_ms / 1000, (timeout_ms % 1000) / 100, where);
    else if (e == ETIMEDOUT)
        set_err(err, errlen, "timed out connecting to %s (is the address right, or a firewall in the way?)", where);
    else if (e == ENETUNREACH || e == EHOSTUNREACH)
        set_err(err, errlen, "cannot reach %s: %s (check the address and your network)", where, strerror(e));
    else if (e == EMFILE || e == ENFILE)
        set_err(err, errlen, "cannot connect to %s: %s (raise the limit with ulimit -n)", where, strerror(e));
    else if (e == EADDRNOTAVAIL)
        set_err(err, errlen, "cannot connect to %s: %s (out of local ports)", where, strerror(e));
    else
        set_err(err, errlen, "cannot connect to %s: %s", where, strerror(e));
}

int net_connect_start(const struct sockaddr *sa, socklen_t salen, char *err, size_t errlen)
{
    return net_connect_start_from(sa, salen, NULL, 0, err, errlen);
}

int net_connect_start_from(const struct sockaddr *sa, socklen_t salen, const struct sockaddr *src,
                           socklen_t srclen, char *err, size_t errlen)
{
    char where[NET_ADDRSTRLEN];
    int one = 1;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        set_nodelay(fd);
        /* The port is chosen at connect, per destination: each source address
         * then has its own ~28,000 ephemeral ports to the same server. */
        if (src && (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0 ||
                    bind(fd, src, srclen) < 0)) {
            int e = errno;
            net_addr_text(src, where, sizeof where);
            set_err(err, errlen, "cannot use the source address %s: %s", where, strerror(e));
            close(fd);
            errno = e;
            return -1;
        }
        if (connect(fd, sa, salen) == 0 || errno == EINPROGRESS)
            return fd;
    }
    int e = errno;
    if (fd >= 0)
        close(fd);
    net_addr_text(sa, where, sizeof where);
    connect_error(e, where, 0, err, errlen);
    errno = e;
    return -1;
}

int net_connect_finish(int fd, char *err, size_t errlen)
{
    int e = 0;
    socklen_t el = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
        e = errno;
    if (e) {
        char where[NET_ADDRSTRLEN];
        net_peer_text(fd, where, sizeof where);
        connect_error(e, where, 0, err, errlen);
        return -1;
    }
    /* A writable event from a batch in which this fd number was reused is not
     * a finished connect: only a socket with a peer is connected. */
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    return getpeername(fd, (struct sockaddr *)&ss, &len) == 0 ? 1 : 0;
}

/* One address: start, wait up to timeout_ms (0: no limit), finish. Returns a
 * blocking connected fd, or -1 with the errno in *e. */
static int connect_one(const struct addrinfo *ai, int timeout_ms, int *e)
{
    char ignored[8];
    int fd = net_connect_start(ai->ai_addr, ai->ai_addrlen, ignored, sizeof ignored);
    if (fd < 0) {
        *e = errno;
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
    while (rc < 0 && errno == EINTR);
    socklen_t el = sizeof *e;
    if (rc == 0)
        *e = ETIMEDOUT;
    else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, e, &el) < 0)
        *e = errno;
    if (*e) {
        close(fd);
        return -1;
    }
    net_set_nonblocking(fd, 0);
    return fd;
}

int net_connect(const char *host, const char *port, int timeout_ms, char *err, size_t errlen)
{
    struct addrinfo *res;
    if (resolve(host, port, 0, &res, err, errlen) < 0)
        return -1;
    int fd = -1, e = 0;
    char where[NET_ADDRSTRLEN] = "";
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        net_addr_text(ai->ai_addr, where, sizeof where);
        fd = connect_one(ai, timeout_ms, &e);
    }
    freeaddrinfo(res);
    if (fd < 0)
        connect_error(e, where[0] ? where : host, timeout_ms, err, errlen);
    return fd;
}

void net_keepalive(int fd, int idle_s)
{
    int on = 1, interval = 10, count = 6;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

int net_set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, fl);
}

void net_addr_text(const struct sockaddr *sa, char *buf, size_t buflen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, buflen, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, buflen, "[%s]:%u", host, port);
    } else {
        snprintf(buf, buflen, "(unknown address)");
    }
}

void net_peer_text(int fd, char *buf, size_t buflen)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        net_addr_text((struct sockaddr *)&ss, buf, buflen);
    else
        snprintf(buf, buflen, "(unknown peer)");
}

void net_local_text(int fd, char *buf, size_t buflen)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        net_addr_text((struct sockaddr *)&ss, buf, buflen);
    else
        snprintf(buf, buflen, "(unknown address)");
}

int net_is_ip_literal(const char *host)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    return host && (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1);
}
