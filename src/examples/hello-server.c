/* SPDX-License-Identifier: ISC */
/* The tutorials' first server: socket, bind, listen, accept one client,
 * receive one message, answer, close. TLS unless --plain; nothing else changes. */
#include "example.h"

int main(int argc, char **argv)
{
    struct example ex;
    char err[512];
    example_parse(&ex, argc, argv, 1);
    struct tls *tls = example_tls(&ex, 1);

    int lfd = net_listen(ex.host, ex.port, 5, err, sizeof err); /* socket+bind+listen */
    if (lfd < 0) {
        fprintf(stderr, "%s\n", err);
        tls_free(tls);
        return 1;
    }
    char where[NET_ADDRSTRLEN];
    net_local_text(lfd, where, sizeof where);
    printf("listening on %s%s\n", where, tls ? " (TLS)" : " (plaintext)");
    fflush(stdout);

    struct conn *c = conn_accept(lfd, tls, err, sizeof err); /* accept (+ handshake) */
    if (!c) {
        fprintf(stderr, "%s\n", err);
        close(lfd);
        tls_free(tls);
        return 1;
    }
    printf("connection accepted from %s\n", conn_peer(c));
    char buf[1024];
    ssize_t n = conn_recv(c, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        printf("received: %s\n", buf);
        conn_send_all(c, "accepted\n", 9);
    } else if (n == CONN_ERROR) {
        fprintf(stderr, "%s\n", conn_error(c));
    }
    conn_close(c);
    close(lfd);
    tls_free(tls);
    printf("connection closed\n");
    return n > 0 ? 0 : 1;
}
