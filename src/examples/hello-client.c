/* SPDX-License-Identifier: ISC */
/* The tutorials' first client: connect, send one message, print the answer,
 * close. TLS unless --plain; nothing else changes. */
#include "example.h"

int main(int argc, char **argv)
{
    struct example ex;
    char err[512];
    example_parse(&ex, argc, argv, 0);
    struct tls *tls = example_tls(&ex, 0);

    struct conn *c = conn_connect(ex.host, ex.port, tls, ex.servername, 10000, err, sizeof err);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        tls_free(tls);
        return 1;
    }
    printf("connected to %s\n", conn_peer(c));
    char line[1100];
    int len = snprintf(line, sizeof line, "%s\n", ex.message);
    int ok = conn_send_all(c, line, (size_t)len) == len;
    char buf[1024];
    ssize_t n = ok ? conn_recv(c, buf, sizeof buf - 1) : CONN_ERROR;
    if (n > 0) {
        buf[n] = '\0';
        printf("received: %s", buf);
    } else {
        fprintf(stderr, "%s\n", n == CONN_EOF ? "the server closed the connection" : conn_error(c));
    }
    conn_close(c);
    tls_free(tls);
    return n > 0 ? 0 : 1;
}
