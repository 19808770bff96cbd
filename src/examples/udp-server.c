/* SPDX-License-Identifier: ISC */
/* The tutorials' UDP server: socket, bind, then recvfrom and sendto, with no
 * connection. For each message it answers "accepted"; to "close" (any case)
 * it answers "closed" and ends. Plain UDP, or DTLS 1.2 with --dtls: then it
 * waits for one client that passes DTLS's cookie exchange (so a forged
 * source address gets only a small cookie back, never the certificates),
 * shakes hands with it and talks to it alone, as the TCP echo server does. */
#include <strings.h>

#include "udp_example.h"

#define CLIENT_WAIT_MS (10 * 60 * 1000) /* the server gives up after 10 minutes without a client */

int main(int argc, char **argv)
{
    struct example ex;
    int use_dtls;
    udp_parse(&ex, &use_dtls, argc, argv, 1);
    struct tls *tls = udp_tls(&ex, use_dtls, 1);

    int fd = udp_socket(ex.host, ex.port, 1); /* socket + bind */
    if (fd < 0) {
        tls_free(tls);
        return 1;
    }
    char where[NET_ADDRSTRLEN];
    net_local_text(fd, where, sizeof where);
    printf("listening on %s (UDP, %s)\n", where, tls ? "DTLS 1.2" : "plaintext");
    fflush(stdout);

    struct dtls_conn *d = NULL;
    if (tls) {
        char err[512];
        d = dtls_accept(tls, fd, CLIENT_WAIT_MS, err, sizeof err);
        if (!d) {
            fprintf(stderr, "%s\n", err);
            close(fd);
            tls_free(tls);
            return 1;
        }
        char peer[NET_ADDRSTRLEN], how[600];
        net_peer_text(fd, peer, sizeof peer);
        dtls_describe(d, how, sizeof how);
        printf("DTLS association with %s: %s\n", peer, how);
        fflush(stdout);
    }

    char buf[UDP_MAX];
    int closed = 0;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        ssize_t n;
        if (d) {
            n = dtls_recv(d, buf, sizeof buf - 1, CLIENT_WAIT_MS);
            if (n <= 0) {
                fprintf(stderr, "%s\n", n == 0 ? "the client closed the DTLS association" : dtls_error(d));
                break;
            }
            if (buf[n - 1] == '\n')
                n--;
            buf[n] = '\0';
        } else {
            n = udp_recv(fd, buf, sizeof buf, &peer, &peerlen, CLIENT_WAIT_MS); /* recvfrom */
            if (n < 0) {
                fprintf(stderr, "%s\n", n == -1 ? "no message for 10 minutes: stopping" : strerror(errno));
                break;
            }
        }
        int is_close = n == 5 && strncasecmp(buf, "close", 5) == 0;
        if (!is_close) {
            printf("received: %s\n", buf);
            fflush(stdout);
        }
        const char *reply = is_close ? "closed\n" : "accepted\n";
        ssize_t sent = d ? dtls_send(d, reply, strlen(reply))
                         : sendto(fd, reply, strlen(reply), 0, (struct sockaddr *)&peer, peerlen);
        if (sent < 0) {
            fprintf(stderr, "cannot answer: %s\n", d ? dtls_error(d) : strerror(errno));
            break;
        }
        if (is_close) {
            closed = 1;
            break;
        }
    }
    dtls_close(d);
    close(fd);
    tls_free(tls);
    printf("server stopped\n");
    return closed ? 0 : 1;
}
