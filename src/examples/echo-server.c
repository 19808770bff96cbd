/* SPDX-License-Identifier: ISC */
/* The tutorials' echo server: for each line a client sends it answers
 * "accepted", and to "close" (any case) it answers "closed" and hangs up.
 * One client at a time, as in the tutorial. TLS unless --plain. */
#include <strings.h>

#include "example.h"

int main(int argc, char **argv)
{
    struct example ex;
    char err[512];
    example_parse(&ex, argc, argv, 1);
    struct tls *tls = example_tls(&ex, 1);

    int lfd = net_listen(ex.host, ex.port, 0, err, sizeof err);
    if (lfd < 0) {
        fprintf(stderr, "%s\n", err);
        tls_free(tls);
        return 1;
    }
    char where[NET_ADDRSTRLEN];
    net_local_text(lfd, where, sizeof where);
    printf("listening on %s%s\n", where, tls ? " (TLS)" : " (plaintext)");
    fflush(stdout);

    struct conn *c = conn_accept(lfd, tls, err, sizeof err);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        close(lfd);
        tls_free(tls);
        return 1;
    }
    printf("accepted connection from %s\n", conn_peer(c));
    fflush(stdout);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    const char *line;
    size_t len;
    int closed = 0;
    while (example_read_line(c, &lb, &line, &len)) {
        if (len == 5 && strncasecmp(line, "close", 5) == 0) {
            conn_send_all(c, "closed\n", 7);
            closed = 1;
            break;
        }
        printf("received: %.*s\n", (int)len, line);
        fflush(stdout);
        if (conn_send_all(c, "accepted\n", 9) != 9)
            break;
    }
    linebuf_free(&lb);
    conn_close(c);
    close(lfd);
    tls_free(tls);
    printf("connection to client closed\n");
    return closed ? 0 : 1;
}
