/* SPDX-License-Identifier: ISC */
/* The tutorials' echo client: sends each line typed (or piped), prints the
 * answer; "close" gets "closed" and ends it. TLS unless --plain. */
#include <strings.h>

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
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    char in[4096];
    const char *line = NULL;
    size_t len = 0;
    int done = 0;
    while (!done) {
        /* At the end of input, say goodbye the tutorial's way. */
        if (!fgets(in, sizeof in, stdin))
            snprintf(in, sizeof in, "close\n");
        size_t n = strcspn(in, "\n");
        in[n] = '\n';
        if (conn_send_all(c, in, n + 1) != (ssize_t)(n + 1) || !example_read_line(c, &lb, &line, &len))
            break;
        printf("received: %.*s\n", (int)len, line);
        fflush(stdout);
        done = len == 6 && strncasecmp(line, "closed", 6) == 0;
    }
    linebuf_free(&lb);
    conn_close(c);
    tls_free(tls);
    return done ? 0 : 1;
}
