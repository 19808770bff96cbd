/* SPDX-License-Identifier: ISC */
/* The tutorials' UDP client: each line typed (or piped) goes as one datagram,
 * and the server's answer is printed; at the end of input it sends "close"
 * and waits for "closed". Plain UDP, or DTLS 1.2 with --dtls (the server's
 * certificate verified as for TLS; SSLKEYLOGFILE writes a key log). UDP
 * promises nothing: an answer that does not come within 5 s is an error. */
#include <strings.h>

#include "udp_example.h"

int main(int argc, char **argv)
{
    struct example ex;
    int use_dtls;
    udp_parse(&ex, &use_dtls, argc, argv, 0);
    struct tls *tls = udp_tls(&ex, use_dtls, 0);

    int fd = udp_socket(ex.host, ex.port, 0); /* socket + connect: only the server's datagrams come in */
    if (fd < 0) {
        tls_free(tls);
        return 1;
    }
    struct dtls_conn *d = NULL;
    if (tls) {
        char err[512];
        d = dtls_connect(tls, fd, ex.servername ? ex.servername : ex.host, UDP_REPLY_MS, err, sizeof err);
        if (!d) {
            fprintf(stderr, "%s\n", err);
            close(fd);
            tls_free(tls);
            return 1;
        }
        char how[600];
        dtls_describe(d, how, sizeof how);
        fprintf(stderr, "DTLS with %s port %s: %s\n", ex.host, ex.port, how);
    }

    char in[UDP_MAX], buf[UDP_MAX];
    int done = 0;
    while (!done) {
        if (!fgets(in, sizeof in, stdin))
            snprintf(in, sizeof in, "close\n"); /* at the end of input, say goodbye the tutorial's way */
        size_t n = strcspn(in, "\n");
        in[n] = '\n';
        ssize_t got;
        if (d) {
            if (dtls_send(d, in, n + 1) < 0) {
                fprintf(stderr, "%s\n", dtls_error(d));
                break;
            }
            got = dtls_recv(d, buf, sizeof buf - 1, UDP_REPLY_MS);
            if (got <= 0) {
                fprintf(stderr, "%s\n", got == 0 ? "the server closed the DTLS association" : dtls_error(d));
                break;
            }
            if (buf[got - 1] == '\n')
                got--;
            buf[got] = '\0';
        } else {
            if (send(fd, in, n + 1, 0) < 0) {
                fprintf(stderr, "cannot send to UDP %s port %s: %s\n", ex.host, ex.port, strerror(errno));
                break;
            }
            got = udp_recv(fd, buf, sizeof buf, NULL, NULL, UDP_REPLY_MS);
            if (got == -1) {
                fprintf(stderr, "no answer from UDP %s port %s within %d s: is udp-server running there, "
                                "with --dtls on both sides or on neither?\n",
                        ex.host, ex.port, UDP_REPLY_MS / 1000);
                break;
            }
            if (got < 0) { /* ECONNREFUSED: the ICMP "port unreachable" of a connected UDP socket */
                fprintf(stderr, "cannot hear from UDP %s port %s: %s (is udp-server running there?)\n", ex.host,
                        ex.port, strerror(errno));
                break;
            }
        }
        printf("received: %s\n", buf);
        fflush(stdout);
        done = strcasecmp(buf, "closed") == 0;
    }
    dtls_close(d);
    close(fd);
    tls_free(tls);
    return done ? 0 : 1;
}
