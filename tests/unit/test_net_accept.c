/* SPDX-License-Identifier: ISC */
/* The event loop's accept (net_accept_from): non-blocking at once, the peer's
 * address from accept itself, and the options a tuned listener hands down
 * (net_tune_listener); connecting from a chosen loopback source address
 * (net_connect_start_from); and conn_detach, which keeps the socket open and
 * says nothing to the peer. Real sockets on 127.0.0.0/8. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"

#define WAIT_MS 10000

static int listener(char *port, size_t portlen)
{
    char err[256] = "";
    int lfd = net_listen("127.0.0.1", "0", 16, err, sizeof err);
    if (lfd < 0)
        fail_msg("net_listen: %s", err);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    snprintf(port, portlen, "%u", ntohs(a.sin_port));
    return lfd;
}

static int sockopt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

/* Accept on a non-blocking listener, waiting for the connection to arrive. */
static int accept_one(int lfd, struct sockaddr_storage *ss, socklen_t *sslen)
{
    char err[256] = "";
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    int fd = net_accept_from(lfd, ss, sslen, err, sizeof err);
    if (fd < 0)
        fail_msg("net_accept_from: %d %s", fd, err);
    return fd;
}

static void test_accept_from_inherits_the_listeners_options(void **state)
{
    (void)state;
    char port[16], err[256] = "";
    int lfd = listener(port, sizeof port);
    net_set_nonblocking(lfd, 1);
    struct sockaddr_storage ss;
    socklen_t sslen;
    assert_int_equal(net_accept_from(lfd, &ss, &sslen, err, sizeof err), NET_WOULDBLOCK);

    net_tune_listener(lfd, 256 * 1024, 60);
    int cfd = net_connect("127.0.0.1", port, WAIT_MS, err, sizeof err);
    assert_true(cfd >= 0);
    int fd = accept_one(lfd, &ss, &sslen);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    /* The address came with accept: the client's own port. */
    struct sockaddr_in local;
    socklen_t llen = sizeof local;
    assert_int_equal(getsockname(cfd, (struct sockaddr *)&local, &llen), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(((struct sockaddr_in *)&ss)->sin_port, local.sin_port);
    /* Set once on the listener, present on the accepted socket. */
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    assert_int_equal(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
    assert_true(sockopt(fd, SOL_SOCKET, SO_SNDBUF) >= 256 * 1024); /* the kernel doubles it */
    close(fd);
    close(cfd);
    close(lfd);
}

static void test_connect_from_a_source_address(void **state)
{
    (void)state;
    char port[16], err[256] = "";
    int lfd = listener(port, sizeof port);
    net_set_nonblocking(lfd, 1);
    struct sockaddr_storage to;
    socklen_t tolen;
    assert_int_equal(net_resolve("127.0.0.1", port, &to, &tolen, err, sizeof err), 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 2); /* 127.0.0.3 */
    int cfd = net_connect_start_from((struct sockaddr *)&to, tolen, (struct sockaddr *)&src, sizeof src, err,
                                     sizeof err);
    if (cfd < 0)
        fail_msg("net_connect_start_from: %s", err);
    struct sockaddr_storage ss;
    socklen_t sslen;
    int fd = accept_one(lfd, &ss, &sslen);
    char text[NET_ADDRSTRLEN];
    net_addr_text((struct sockaddr *)&ss, text, sizeof text);
    assert_memory_equal(text, "127.0.0.3:", 10);
    close(fd);
    close(cfd);

    /* An address this machine does not have: one sentence, no fd. */
    src.sin_addr.s_addr = htonl(0xC0000201); /* 192.0.2.1, documentation only */
    cfd = net_connect_start_from((struct sockaddr *)&to, tolen, (struct sockaddr *)&src, sizeof src, err,
                                 sizeof err);
    assert_int_equal(cfd, -1);
    assert_non_null(strstr(err, "cannot use the source address 192.0.2.1:0"));
    close(lfd);
}

static void test_detach_keeps_the_socket_and_says_nothing(void **state)
{
    (void)state;
    char port[16], err[256] = "";
    int lfd = listener(port, sizeof port);
    int cfd = net_connect("127.0.0.1", port, WAIT_MS, err, sizeof err);
    assert_true(cfd >= 0);
    int sfd = net_accept(lfd, err, sizeof err);
    assert_true(sfd >= 0);
    struct conn *c = conn_new(cfd, NULL, CONN_CLIENT, NULL, err, sizeof err);
    assert_non_null(c);
    int fd = conn_detach(c);
    assert_int_equal(fd, cfd);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* still open */
    /* The peer hears nothing: no end of stream, no bytes. */
    net_set_nonblocking(sfd, 1);
    char b;
    assert_int_equal(read(sfd, &b, 1), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    /* And the socket still carries bytes. */
    assert_int_equal(write(fd, "x", 1), 1);
    struct pollfd p = {.fd = sfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_int_equal(read(sfd, &b, 1), 1);
    close(fd);
    close(sfd);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_from_inherits_the_listeners_options),
        cmocka_unit_test(test_connect_from_a_source_address),
        cmocka_unit_test(test_detach_keeps_the_socket_and_says_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
