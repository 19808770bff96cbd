/* SPDX-License-Identifier: ISC */
/* Unit tests for conn over loopback in one process: blocking accept/connect
 * with a peer thread, non-blocking handshakes driven by poll, conn_pending,
 * clean and unclean close, the session summary, and the verification failures
 * (wrong CA, wrong name, pins, plaintext/TLS mismatch) as sentences.
 *
 * The peer thread never calls cmocka: it records what happened and the test
 * thread asserts after joining it. Peer state lives on the heap, so a failed
 * assertion in the test thread cannot pull memory from under the peer. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert_dirs.h"
#include "conn.h"
#include "linebuf.h"
#include "net.h"
#include "tls.h"

#define IO_TIMEOUT_MS 20000 /* generous: a loaded 2-core machine under ASan */

static char server_fp[80];        /* "sha256:<hex>" of dir_a/server.crt */

static int fingerprint_of(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32 && outlen >= 72;
    X509_free(x);
    if (!ok)
        return -1;
    strcpy(out, "sha256:");
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as every program using conn does */
    if (cert_dirs_setup("conn", "--client alice", "--client bob") < 0)
        return -1;
    return fingerprint_of(in(dir_a, "server.crt"), server_fp, sizeof server_fp);
}

static int group_teardown(void **state)
{
    (void)state;
    return cert_dirs_teardown();
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in: %s", needle, hay);
}

static void assert_starts_with(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s\" to start with \"%s\"", s, prefix);
}

/* ---- contexts ---- */

/* tlschat's and tlschatd's options, so that the hints name them. */
static const struct tls_words words = {
    .cert = "--cert", .key = "--key", .ca = "--ca", .client_ca = "--client-ca", .pin = "--pin",
    .servername = "--servername", .versions = "--tls-min", .make_certs = "scripts/gen-certs.sh",
    .show_cert = "scripts/show-cert.sh", .add_name = "gen-certs.sh --san",
};

static struct tls *server_tls(const char *dir, const char *client_ca)
{
    struct tls_config cfg;
    char err[512] = "";
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.cert_file = in(dir, "server.crt");
    cfg.key_file = in(dir, "server.key");
    cfg.client_ca_file = client_ca;
    struct tls *t = tls_server_new(&cfg, err, sizeof err);
    if (!t)
        fail_msg("tls_server_new: %s", err);
    return t;
}

static struct tls *client_tls_cfg(const struct tls_config *cfg)
{
    char err[512] = "";
    struct tls *t = tls_client_new(cfg, err, sizeof err);
    if (!t)
        fail_msg("tls_client_new: %s", err);
    return t;
}

static struct tls *client_tls(const char *ca_dir)
{
    struct tls_config cfg;
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.ca_file = in(ca_dir, "ca.crt");
    return client_tls_cfg(&cfg);
}

/* ---- a listener on 127.0.0.1 and a port of the kernel's choosing ---- */

static int listen_local(char *port, size_t portlen)
{
    char err[256] = "";
    int lfd = net_listen("127.0.0.1", "0", 16, err, sizeof err);
    if (lfd < 0)
        fail_msg("net_listen: %s", err);
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    snprintf(port, portlen, "%u", ntohs(sin.sin_port));
    return lfd;
}

/* ---- blocking line I/O ---- */

/* 1 with the next line in out, or the conn_recv result that ended it (<= 0). */
static int read_line(struct conn *c, struct linebuf *lb, char *out, size_t outlen)
{
    for (;;) {
        const char *line;
        size_t len;
        int r = linebuf_next(lb, &line, &len);
        if (r == 1) {
            snprintf(out, outlen, "%.*s", (int)len, line);
            return 1;
        }
        if (r < 0)
            return CONN_ERROR;
        char buf[4096];
        ssize_t n = conn_recv(c, buf, sizeof buf);
        if (n <= 0)
            return (int)n;
        if (linebuf_append(lb, buf, (size_t)n) < 0)
            return CONN_ERROR;
    }
}

static void send_line(struct conn *c, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(conn_send_all(c, s, n), (ssize_t)n);
}

static void expect_line(struct conn *c, struct linebuf *lb, const char *want)
{
    char got[512];
    int r = read_line(c, lb, got, sizeof got);
    if (r != 1)
        fail_msg("expected the line \"%s\", read ended with %d: %s", want, r, conn_error(c));
    assert_string_equal(got, want);
}

/* ---- the peer thread (a server) ---- */

enum peer_mode {
    PEER_ECHO,        /* "accepted" per line, "closed" to "close", then hang up */
    PEER_READ_TO_END, /* accept, record lines until the connection ends */
    PEER_CUT,         /* accept, read one line, cut TCP under TLS (no close_notify) */
    PEER_RAW_SAY,     /* plain socket, no conn: accept, send `say` at once, drain, close */
};

struct peer {
    int lfd;
    struct tls *tls;
    enum peer_mode mode;
    const char *say;
    pthread_t th;
    /* results */
    int accepted;
    char accept_err[512];
    char lines[16][128];
    int nlines;
    int end_rc; /* what ended the reading: CONN_EOF, CONN_ERROR, or 1 after "close" */
    char end_err[320];
    struct tls_summary sum;
    int sum_rc;
};

/* A plaintext server that speaks first, below conn (conn's plaintext server
 * waits for the client's first bytes). */
static void *raw_say_main(struct peer *p)
{
    char err[256] = "";
    int fd = net_accept(p->lfd, err, sizeof err);
    if (fd < 0) {
        snprintf(p->accept_err, sizeof p->accept_err, "%s", err);
        return NULL;
    }
    p->accepted = 1;
    ssize_t n = send(fd, p->say, strlen(p->say), MSG_NOSIGNAL);
    (void)n;
    char buf[4096];
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        ;
    p->end_rc = (int)n;
    close(fd);
    return NULL;
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    char err[512] = "";
    if (p->mode == PEER_RAW_SAY)
        return raw_say_main(p);
    struct conn *c = conn_accept(p->lfd, p->tls, err, sizeof err);
    if (!c) {
        snprintf(p->accept_err, sizeof p->accept_err, "%s", err);
        return NULL;
    }
    p->accepted = 1;
    p->sum_rc = conn_summary(c, &p->sum);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    char line[128];
    int r;
    while ((r = read_line(c, &lb, line, sizeof line)) == 1) {
        if (p->nlines < 16)
            snprintf(p->lines[p->nlines++], sizeof p->lines[0], "%s", line);
        if (p->mode == PEER_CUT) {
            shutdown(conn_fd(c), SHUT_RDWR);
            break;
        }
        if (p->mode != PEER_ECHO)
            continue;
        if (strcmp(line, "close") == 0) {
            conn_send_all(c, "closed\n", 7);
            break;
        }
        if (conn_send_all(c, "accepted\n", 9) != 9) {
            r = CONN_ERROR;
            break;
        }
    }
    p->end_rc = r;
    snprintf(p->end_err, sizeof p->end_err, "%s", r == CONN_ERROR ? conn_error(c) : "");
    linebuf_free(&lb);
    conn_close(c);
    return NULL;
}

static struct peer *peer_start(int lfd, struct tls *tls, enum peer_mode mode)
{
    struct peer *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->lfd = lfd;
    p->tls = tls;
    p->mode = mode;
    p->end_rc = 99;
    assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
    return p;
}

static void peer_join(struct peer *p)
{
    assert_int_equal(pthread_join(p->th, NULL), 0);
}

static void peer_free(struct peer *p)
{
    free(p);
}

/* ---- blocking exchange, plain and TLS ---- */

static void blocking_exchange(struct tls *stls, struct tls *ctls, const char *host, const char *servername)
{
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, stls, PEER_ECHO);
    struct conn *c = conn_connect(host, port, ctls, servername, IO_TIMEOUT_MS, err, sizeof err);
    if (!c)
        fail_msg("conn_connect: %s", err);
    assert_int_equal(conn_is_tls(c), ctls != NULL);
    assert_int_equal(conn_handshake(c), CONN_DONE); /* done already, and says so again */
    assert_contains(conn_peer(c), "127.0.0.1:");
    assert_contains(conn_peer(c), port);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    send_line(c, "hello\n");
    expect_line(c, &lb, "accepted");
    send_line(c, "second line\r\nthird\n");
    expect_line(c, &lb, "accepted");
    expect_line(c, &lb, "accepted");
    send_line(c, "close\n");
    expect_line(c, &lb, "closed");
    char rest[64];
    /* The server hung up cleanly: CONN_EOF, not an error. */
    assert_int_equal(read_line(c, &lb, rest, sizeof rest), CONN_EOF);
    linebuf_free(&lb);
    conn_close(c);
    peer_join(p);
    assert_int_equal(p->accepted, 1);
    assert_int_equal(p->nlines, 4);
    assert_string_equal(p->lines[0], "hello");
    assert_string_equal(p->lines[1], "second line");
    assert_string_equal(p->lines[2], "third");
    assert_string_equal(p->lines[3], "close");
    assert_int_equal(p->end_rc, 1);
    peer_free(p);
    close(lfd);
}

static void test_blocking_plain(void **state)
{
    (void)state;
    blocking_exchange(NULL, NULL, "127.0.0.1", NULL);
}

static void test_blocking_tls(void **state)
{
    (void)state;
    struct tls *s = server_tls(dir_a, NULL);
    struct tls *c = client_tls(dir_a);
    blocking_exchange(s, c, "127.0.0.1", NULL);        /* verified as the IP 127.0.0.1 */
    blocking_exchange(s, c, "127.0.0.1", "localhost"); /* verified as the name */
    tls_free(c);
    tls_free(s);
}

static void test_blocking_tls_padded_and_13_only(void **state)
{
    (void)state;
    struct tls_config cfg;
    char err[512] = "";
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.cert_file = in(dir_a, "server.crt");
    cfg.key_file = in(dir_a, "server.key");
    cfg.pad = 4096;
    cfg.min_version = TLS_V1_3;
    struct tls *s = tls_server_new(&cfg, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.ca_file = in(dir_a, "ca.crt");
    cfg.pad = 16384;
    cfg.min_version = TLS_V1_3;
    struct tls *c = client_tls_cfg(&cfg);
    blocking_exchange(s, c, "127.0.0.1", NULL);
    tls_free(c);
    tls_free(s);
}

/* ---- EOF: clean and unclean ---- */

static void eof_case(struct tls *stls, struct tls *ctls, int clean, int *end_rc, char *end_err, size_t errlen)
{
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, stls, PEER_READ_TO_END);
    struct conn *c = conn_connect("127.0.0.1", port, ctls, NULL, IO_TIMEOUT_MS, err, sizeof err);
    if (!c)
        fail_msg("conn_connect: %s", err);
    send_line(c, "only line\n");
    if (clean) {
        assert_int_equal(conn_shutdown(c), CONN_DONE);
        assert_int_equal(conn_shutdown(c), CONN_DONE); /* twice is fine */
    } else {
        /* Cut the TCP connection under TLS: no close_notify can go out. */
        shutdown(conn_fd(c), SHUT_RDWR);
    }
    peer_join(p);
    conn_close(c);
    assert_int_equal(p->accepted, 1);
    assert_int_equal(p->nlines, 1);
    assert_string_equal(p->lines[0], "only line");
    *end_rc = p->end_rc;
    snprintf(end_err, errlen, "%s", p->end_err);
    peer_free(p);
    close(lfd);
}

static void test_eof_on_clean_close(void **state)
{
    (void)state;
    int rc;
    char e[320];
    eof_case(NULL, NULL, 1, &rc, e, sizeof e);
    assert_int_equal(rc, CONN_EOF);

    struct tls *s = server_tls(dir_a, NULL);
    struct tls *c = client_tls(dir_a);
    eof_case(s, c, 1, &rc, e, sizeof e);
    if (rc != CONN_EOF)
        fail_msg("TLS close_notify gave %d, not CONN_EOF: %s", rc, e);
    tls_free(c);
    tls_free(s);
}

static void test_tls_cut_without_close_notify_is_an_error(void **state)
{
    (void)state;
    int rc;
    char e[320];
    struct tls *s = server_tls(dir_a, NULL);
    struct tls *c = client_tls(dir_a);
    /* The client cuts: the server's read fails, and the sentence is about a
     * cut session, not a handshake. */
    eof_case(s, c, 0, &rc, e, sizeof e);
    assert_int_equal(rc, CONN_ERROR); /* a truncation must not look like CONN_EOF */
    assert_string_equal(e, "the client closed the connection without a TLS close_notify (it may have been cut)");

    /* The server cuts, mid-session: the client must not be told to try --plain. */
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, s, PEER_CUT);
    struct conn *cc = conn_connect("127.0.0.1", port, c, NULL, IO_TIMEOUT_MS, err, sizeof err);
    if (!cc)
        fail_msg("conn_connect: %s", err);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    send_line(cc, "hello\n");
    char line[64];
    assert_int_equal(read_line(cc, &lb, line, sizeof line), CONN_ERROR);
    assert_string_equal(conn_error(cc), "the server closed the connection without a TLS close_notify (it may have been cut)");
    linebuf_free(&lb);
    conn_close(cc);
    peer_join(p);
    assert_int_equal(p->nlines, 1);
    peer_free(p);
    close(lfd);
    tls_free(c);
    tls_free(s);
}

/* ---- non-blocking ---- */

struct side {
    struct conn *c;
    int done;
    short events;
};

static short want_events(int rc)
{
    return rc == CONN_WANT_READ ? POLLIN : rc == CONN_WANT_WRITE ? POLLOUT : 0;
}

static void wait_sides(struct side *a, struct side *b)
{
    struct pollfd p[2];
    int n = 0;
    if (a && a->events)
        p[n++] = (struct pollfd){.fd = conn_fd(a->c), .events = a->events};
    if (b && b->events)
        p[n++] = (struct pollfd){.fd = conn_fd(b->c), .events = b->events};
    assert_true(n > 0);
    int r;
    do
        r = poll(p, (nfds_t)n, IO_TIMEOUT_MS);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        fail_msg("poll timed out: neither side can make progress");
    assert_true(r > 0);
}

/* A connected pair of non-blocking fds over loopback TCP. */
static void tcp_pair(int *sfd, int *cfd)
{
    char port[16], err[256] = "";
    int lfd = listen_local(port, sizeof port);
    *cfd = net_connect("127.0.0.1", port, IO_TIMEOUT_MS, err, sizeof err);
    if (*cfd < 0)
        fail_msg("net_connect: %s", err);
    *sfd = net_accept(lfd, err, sizeof err);
    if (*sfd < 0)
        fail_msg("net_accept: %s", err);
    close(lfd);
    assert_int_equal(net_set_nonblocking(*sfd, 1), 0);
    assert_int_equal(net_set_nonblocking(*cfd, 1), 0);
    assert_true(fcntl(*sfd, F_GETFL) & O_NONBLOCK);
}

/* Both handshakes, one thread, poll between steps; once the client is done it
 * sends `first` (a server, plaintext too, waits for the client's first bytes).
 * Returns how many times a side had to wait. */
static int drive_handshakes(struct side *s, struct side *c, const char *first)
{
    int waits = 0, sent_first = 0;
    for (int round = 0; round < 1000; round++) {
        struct side *sides[2] = {s, c};
        for (int i = 0; i < 2; i++) {
            struct side *x = sides[i];
            x->events = 0;
            if (x->done)
                continue;
            int rc = conn_handshake(x->c);
            if (rc == CONN_DONE) {
                x->done = 1;
            } else if (rc == CONN_WANT_READ || rc == CONN_WANT_WRITE) {
                x->events = want_events(rc);
                waits++;
            } else {
                fail_msg("%s handshake failed (%d): %s", i ? "client" : "server", rc, conn_error(x->c));
            }
        }
        if (s->done && c->done)
            return waits;
        if (c->done && !sent_first) {
            assert_int_equal(conn_send(c->c, first, strlen(first)), (ssize_t)strlen(first));
            sent_first = 1;
            continue; /* the server may go on now */
        }
        wait_sides(s, c);
    }
    fail_msg("handshake did not finish in 1000 rounds");
    return waits;
}

/* Receive exactly len bytes on a non-blocking conn, polling when told to. */
static void recv_exact(struct side *x, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = conn_recv(x->c, buf + got, len - got);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n != CONN_WANT_READ && n != CONN_WANT_WRITE)
            fail_msg("conn_recv: %zd: %s", n, conn_error(x->c));
        x->events = want_events((int)n);
        wait_sides(x, NULL);
    }
}

static void nonblocking_case(struct tls *stls, struct tls *ctls)
{
    int sfd, cfd;
    char err[512] = "";
    tcp_pair(&sfd, &cfd);
    struct side s = {0}, c = {0};
    s.c = conn_new(sfd, stls, CONN_SERVER, NULL, err, sizeof err);
    if (!s.c)
        fail_msg("conn_new server: %s", err);
    c.c = conn_new(cfd, ctls, CONN_CLIENT, "localhost", err, sizeof err);
    if (!c.c)
        fail_msg("conn_new client: %s", err);
    /* Three lines in one send: one TLS record. */
    const char *msg = "one\ntwo\nthree\n";
    int waits = drive_handshakes(&s, &c, msg);
    /* Neither handshake can finish without waiting for the other side. */
    assert_true(waits > 0);

    /* The server sent nothing: a read wants to wait, it does not block or fail. */
    char buf[256];
    ssize_t r0;
    while ((r0 = conn_recv(c.c, buf, sizeof buf)) == CONN_WANT_WRITE)
        ;
    assert_int_equal(r0, CONN_WANT_READ);

    recv_exact(&s, buf, 4);
    assert_memory_equal(buf, "one\n", 4);
    if (stls) {
        /* The rest is decrypted and held inside TLS: poll on the fd would not
         * say so; conn_pending does. */
        assert_int_equal(conn_pending(s.c), 10);
        struct pollfd pf = {.fd = conn_fd(s.c), .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 0), 0);
    } else {
        assert_int_equal(conn_pending(s.c), 0);
    }
    ssize_t n = conn_recv(s.c, buf, sizeof buf); /* no waiting needed */
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "two\nthree\n", 10);
    assert_int_equal(conn_pending(s.c), 0);

    /* A large transfer server -> client: fill the socket until it pushes back. */
    enum { CHUNK = 16384 };
    static unsigned char out[CHUNK], inb[CHUNK];
    size_t sent = 0, received = 0;
    int saw_want_write = 0;
    while (sent < (size_t)64 << 20) {
        for (size_t i = 0; i < CHUNK; i++)
            out[i] = (unsigned char)((sent + i) * 7 + 3);
        ssize_t w = conn_send(s.c, out, CHUNK);
        if (w == CONN_WANT_WRITE || w == CONN_WANT_READ) {
            saw_want_write = w == CONN_WANT_WRITE;
            break;
        }
        assert_true(w > 0);
        sent += (size_t)w;
        if ((size_t)w < CHUNK) {
            /* partial write: the rest must be sent from its new place */
            break;
        }
    }
    assert_true(saw_want_write || sent % CHUNK != 0);
    size_t total = sent + (size_t)8 * CHUNK; /* then keep going while the client reads */
    while (received < total) {
        c.events = s.events = 0;
        if (sent < total) {
            size_t off = sent % CHUNK;
            for (size_t i = 0; i < CHUNK; i++)
                out[i] = (unsigned char)((sent - off + i) * 7 + 3);
            size_t want = CHUNK - off < total - sent ? CHUNK - off : total - sent;
            ssize_t w = conn_send(s.c, out + off, want); /* same length on a retry */
            if (w > 0)
                sent += (size_t)w;
            else if (w == CONN_WANT_WRITE || w == CONN_WANT_READ)
                s.events = want_events((int)w);
            else
                fail_msg("conn_send: %s", conn_error(s.c));
        }
        ssize_t r = conn_recv(c.c, inb, sizeof inb);
        if (r > 0) {
            for (ssize_t i = 0; i < r; i++)
                if (inb[i] != (unsigned char)((received + (size_t)i) * 7 + 3))
                    fail_msg("byte %zu differs", received + (size_t)i);
            received += (size_t)r;
            /* bytes held inside TLS are read before waiting on the fd */
            while (conn_pending(c.c) > 0) {
                r = conn_recv(c.c, inb, sizeof inb);
                assert_true(r > 0);
                for (ssize_t i = 0; i < r; i++)
                    if (inb[i] != (unsigned char)((received + (size_t)i) * 7 + 3))
                        fail_msg("byte %zu differs", received + (size_t)i);
                received += (size_t)r;
            }
        } else if (r == CONN_WANT_READ || r == CONN_WANT_WRITE) {
            c.events = want_events((int)r);
        } else {
            fail_msg("conn_recv: %s", conn_error(c.c));
        }
        if (c.events && (s.events || sent >= total))
            wait_sides(&s, &c);
    }
    assert_int_equal(received, total);

    /* Clean close from the client: the server sees CONN_EOF. */
    int rc;
    while ((rc = conn_shutdown(c.c)) != CONN_DONE) {
        assert_true(rc == CONN_WANT_READ || rc == CONN_WANT_WRITE);
        c.events = want_events(rc);
        wait_sides(&c, NULL);
    }
    for (;;) {
        ssize_t r = conn_recv(s.c, buf, sizeof buf);
        if (r == CONN_WANT_READ || r == CONN_WANT_WRITE) {
            s.events = want_events((int)r);
            wait_sides(&s, NULL);
            continue;
        }
        if (r != CONN_EOF)
            fail_msg("expected CONN_EOF, got %zd: %s", r, conn_error(s.c));
        break;
    }
    conn_close(c.c);
    conn_close(s.c);
}

/* conn keeps the one record of what each direction waits on: conn_events says
 * which fd events to wait for, conn_ready what the events that came allow. */
static void readiness_case(struct tls *stls, struct tls *ctls)
{
    int sfd, cfd;
    char err[512] = "";
    tcp_pair(&sfd, &cfd);
    struct side s = {0}, c = {0};
    s.c = conn_new(sfd, stls, CONN_SERVER, NULL, err, sizeof err);
    c.c = conn_new(cfd, ctls, CONN_CLIENT, "localhost", err, sizeof err);
    assert_non_null(s.c);
    assert_non_null(c.c);
    if (stls) {
        /* Before the handshake: a server waits to hear, a client to speak,
         * whatever the caller wants. */
        assert_int_equal(conn_events(s.c, 0, 0), CONN_READ);
        assert_int_equal(conn_events(c.c, 0, 0), CONN_WRITE);
    } else {
        /* Plaintext has no handshake to wait for: what the caller wants, at
         * once (a quiet client the server greets first must get its output). */
        assert_int_equal(conn_events(s.c, 0, 0), 0);
        assert_int_equal(conn_events(s.c, 0, 1), CONN_WRITE);
        assert_int_equal(conn_events(c.c, 1, 0), CONN_READ);
    }
    drive_handshakes(&s, &c, "one\ntwo\n");

    /* After it: what the caller wants, no more. */
    assert_int_equal(conn_events(s.c, 0, 0), 0);
    assert_int_equal(conn_events(s.c, 1, 0), CONN_READ);
    assert_int_equal(conn_events(s.c, 0, 1), CONN_WRITE);
    assert_int_equal(conn_events(s.c, 1, 1), CONN_READ | CONN_WRITE);
    assert_int_equal(conn_ready(s.c, CONN_READ), CONN_READ);
    /* A TLS server reads ahead: the lines that came right behind the client's
     * Finished may already be held inside TLS, and are then ready to read. */
    unsigned held = conn_pending(s.c) > 0 ? CONN_READ : 0;
    assert_int_equal(conn_ready(s.c, CONN_WRITE), CONN_WRITE | held);
    assert_int_equal(conn_ready(s.c, CONN_HANGUP), CONN_READ | CONN_WRITE);

    /* Bytes held inside TLS are ready to read with no fd event at all. */
    char buf[64];
    recv_exact(&s, buf, 4);
    assert_int_equal(conn_ready(s.c, 0), stls ? CONN_READ : 0);
    recv_exact(&s, buf, 4);
    assert_int_equal(conn_ready(s.c, 0), 0);
    ssize_t again = conn_recv(s.c, buf, sizeof buf);
    assert_int_equal(again, CONN_WANT_READ);
    assert_true(conn_again(again));
    assert_false(conn_again(CONN_EOF) || conn_again(CONN_ERROR) || conn_again(CONN_DONE) || conn_again(5));
    assert_int_equal(conn_events(s.c, 1, 0), CONN_READ);

    /* A send that filled the socket waits for it to be writable; a readable
     * event does not make it ready. */
    static unsigned char out[16384];
    ssize_t w;
    size_t sent = 0;
    while ((w = conn_send(s.c, out, sizeof out)) > 0 && sent < ((size_t)64 << 20))
        sent += (size_t)w;
    assert_int_equal(w, CONN_WANT_WRITE);
    assert_int_equal(conn_events(s.c, 0, 1), CONN_WRITE);
    assert_int_equal(conn_ready(s.c, CONN_READ) & CONN_WRITE, 0);
    assert_int_equal(conn_ready(s.c, CONN_WRITE) & CONN_WRITE, CONN_WRITE);
    conn_close(c.c);
    conn_close(s.c);
}

static void test_readiness_plain(void **state)
{
    (void)state;
    readiness_case(NULL, NULL);
}

static void test_readiness_tls(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL), *ctls = client_tls(dir_a);
    readiness_case(stls, ctls);
    tls_free(stls);
    tls_free(ctls);
}

static void test_nonblocking_plain(void **state)
{
    (void)state;
    nonblocking_case(NULL, NULL);
}

static void test_nonblocking_tls(void **state)
{
    (void)state;
    struct tls *s = server_tls(dir_a, NULL);
    struct tls *c = client_tls(dir_a);
    nonblocking_case(s, c);
    tls_free(c);
    tls_free(s);
}

static void test_nonblocking_accept_with_no_one_waiting(void **state)
{
    (void)state;
    char port[16], err[256] = "";
    int lfd = listen_local(port, sizeof port);
    assert_int_equal(net_set_nonblocking(lfd, 1), 0);
    assert_int_equal(net_accept(lfd, err, sizeof err), NET_WOULDBLOCK);
    err[0] = '\0';
    assert_null(conn_accept(lfd, NULL, err, sizeof err));
    assert_contains(err, "no connection is waiting");
    close(lfd);
}

/* ---- summaries ---- */

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

static void test_summary(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL);
    struct tls *ctls = client_tls(dir_a);
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, stls, PEER_ECHO);
    struct conn *c = conn_connect("127.0.0.1", port, ctls, "localhost", IO_TIMEOUT_MS, err, sizeof err);
    if (!c)
        fail_msg("conn_connect: %s", err);
    struct tls_summary s;
    memset(&s, 0x55, sizeof s);
    assert_int_equal(conn_summary(c, &s), 0);
    assert_string_equal(s.version, "TLSv1.3");
    assert_true(strlen(s.cipher) > 0);
    assert_starts_with(s.cipher, "TLS_");
    assert_true(strlen(s.group) > 0);
    assert_string_not_equal(s.group, "none");
    assert_contains(s.subject, "CN=localhost");
    assert_string_equal(s.cn, "localhost");
    assert_starts_with(s.fingerprint, "sha256:");
    assert_true(is_hex64(s.fingerprint + 7));
    assert_string_equal(s.fingerprint, server_fp); /* the certificate on disk */
    assert_int_equal(s.verified, 1);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    send_line(c, "close\n");
    expect_line(c, &lb, "closed");
    linebuf_free(&lb);
    conn_close(c);
    peer_join(p);
    /* The server's view: same session, no client certificate. */
    assert_int_equal(p->sum_rc, 0);
    assert_string_equal(p->sum.version, "TLSv1.3");
    assert_string_equal(p->sum.cipher, s.cipher);
    assert_string_equal(p->sum.group, s.group);
    assert_string_equal(p->sum.fingerprint, "");
    assert_string_equal(p->sum.cn, "");
    assert_string_equal(p->sum.subject, "");
    peer_free(p);
    close(lfd);

    /* A plaintext conn says so. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct conn *pc = conn_new(sv[0], NULL, CONN_CLIENT, NULL, err, sizeof err);
    assert_non_null(pc);
    assert_int_equal(conn_is_tls(pc), 0);
    assert_int_equal(conn_pending(pc), 0);
    assert_int_equal(conn_summary(pc, &s), -1);
    assert_string_equal(s.version, "plaintext");
    assert_string_equal(s.fingerprint, "");
    conn_close(pc);
    close(sv[1]);
    tls_free(ctls);
    tls_free(stls);
}

static void test_mutual_tls(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, in(dir_a, "ca.crt"));
    struct tls_config cfg;
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.ca_file = in(dir_a, "ca.crt");
    cfg.cert_file = in(dir_a, "client-alice.crt");
    cfg.key_file = in(dir_a, "client-alice.key");
    struct tls *ctls = client_tls_cfg(&cfg);
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, stls, PEER_ECHO);
    struct conn *c = conn_connect("127.0.0.1", port, ctls, NULL, IO_TIMEOUT_MS, err, sizeof err);
    if (!c)
        fail_msg("conn_connect: %s", err);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    send_line(c, "hi\n");
    expect_line(c, &lb, "accepted");
    send_line(c, "close\n");
    expect_line(c, &lb, "closed");
    linebuf_free(&lb);
    conn_close(c);
    peer_join(p);
    if (!p->accepted)
        fail_msg("server: %s", p->accept_err);
    assert_string_equal(p->sum.cn, "alice");
    assert_int_equal(p->sum.verified, 1);
    assert_true(is_hex64(p->sum.fingerprint + 7));
    peer_free(p);
    tls_free(ctls);

    /* No client certificate: the server refuses, and both sides say why. */
    ctls = client_tls(dir_a);
    p = peer_start(lfd, stls, PEER_ECHO);
    c = conn_connect("127.0.0.1", port, ctls, NULL, IO_TIMEOUT_MS, err, sizeof err);
    if (c) {
        /* TLS 1.3: the client finishes first; the refusal comes on the first read. */
        char buf[64];
        ssize_t n = conn_recv(c, buf, sizeof buf);
        assert_int_equal(n, CONN_ERROR);
        snprintf(err, sizeof err, "%s", conn_error(c));
        conn_close(c);
    }
    peer_join(p);
    assert_int_equal(p->accepted, 0);
    assert_contains(p->accept_err, "no certificate");
    assert_contains(err, "requires a client certificate");
    assert_contains(err, "--cert");
    peer_free(p);
    tls_free(ctls);

    /* A client certificate from another CA. */
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.ca_file = in(dir_a, "ca.crt");
    cfg.cert_file = in(dir_b, "client-bob.crt");
    cfg.key_file = in(dir_b, "client-bob.key");
    ctls = client_tls_cfg(&cfg);
    p = peer_start(lfd, stls, PEER_ECHO);
    c = conn_connect("127.0.0.1", port, ctls, NULL, IO_TIMEOUT_MS, err, sizeof err);
    if (c) {
        char buf[64];
        assert_int_equal(conn_recv(c, buf, sizeof buf), CONN_ERROR);
        snprintf(err, sizeof err, "%s", conn_error(c));
        conn_close(c);
    }
    peer_join(p);
    assert_int_equal(p->accepted, 0);
    assert_contains(p->accept_err, "client certificate verify failed");
    assert_contains(err, "rejected our certificate");
    peer_free(p);
    tls_free(ctls);
    close(lfd);
    tls_free(stls);
}

/* ---- failures, as sentences ---- */

/* Connect a client that is expected to fail; returns the peer for checks. */
static struct peer *connect_fails(struct tls *stls, struct tls *ctls, const char *host,
                                  const char *servername, char *err, size_t errlen)
{
    char port[16];
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, stls, PEER_ECHO);
    err[0] = '\0';
    struct conn *c = conn_connect(host, port, ctls, servername, IO_TIMEOUT_MS, err, errlen);
    if (c) {
        conn_close(c);
        peer_join(p);
        close(lfd);
        fail_msg("conn_connect succeeded, expected a failure");
    }
    peer_join(p);
    close(lfd);
    assert_null(strchr(err, '\n'));
    assert_true(strlen(err) > 20);
    return p;
}

static void test_wrong_ca(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL);
    struct tls *ctls = client_tls(dir_b); /* another CA */
    char err[512];
    struct peer *p = connect_fails(stls, ctls, "127.0.0.1", NULL, err, sizeof err);
    assert_starts_with(err, "certificate verify failed");
    assert_contains(err, "--ca");
    assert_int_equal(p->accepted, 0);
    assert_contains(p->accept_err, "rejected our certificate");
    peer_free(p);
    tls_free(ctls);
    tls_free(stls);
}

static void test_name_mismatch(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL);
    struct tls *ctls = client_tls(dir_a);
    char err[512];
    struct peer *p = connect_fails(stls, ctls, "127.0.0.1", "wrong.example", err, sizeof err);
    assert_starts_with(err, "certificate verify failed");
    assert_contains(err, "hostname mismatch");
    assert_contains(err, "--servername"); /* the hint */
    assert_int_equal(p->accepted, 0);
    peer_free(p);

    /* An IP address the certificate does not list. */
    p = connect_fails(stls, ctls, "127.0.0.1", "127.0.0.2", err, sizeof err);
    assert_starts_with(err, "certificate verify failed");
    assert_contains(err, "IP address mismatch");
    assert_contains(err, "--servername");
    peer_free(p);
    tls_free(ctls);
    tls_free(stls);
}

static void test_connect_by_name(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL);
    struct tls *ctls = client_tls(dir_a);
    /* "localhost" may resolve to ::1 first; the server is on 127.0.0.1 only. */
    blocking_exchange(stls, ctls, "localhost", NULL);
    tls_free(ctls);
    tls_free(stls);
}

static struct tls *pinned_client(const char *pin, const char *ca)
{
    struct tls_config cfg;
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.pin = pin;
    cfg.ca_file = ca;
    return client_tls_cfg(&cfg);
}

static void test_pin(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL);

    /* The right pin alone: accepted, even by an address the pin does not name. */
    struct tls *ctls = pinned_client(server_fp, NULL);
    blocking_exchange(stls, ctls, "127.0.0.1", "any.name.example");
    tls_free(ctls);

    /* The right pin with the right CA. */
    ctls = pinned_client(server_fp, in(dir_a, "ca.crt"));
    blocking_exchange(stls, ctls, "127.0.0.1", NULL);
    tls_free(ctls);

    /* A wrong pin: the fingerprint of the other server's certificate. */
    char other[80];
    assert_int_equal(fingerprint_of(in(dir_b, "server.crt"), other, sizeof other), 0);
    char err[512];
    ctls = pinned_client(other, NULL);
    struct peer *p = connect_fails(stls, ctls, "127.0.0.1", NULL, err, sizeof err);
    assert_contains(err, "--pin");
    assert_contains(err, server_fp); /* what the server's certificate really is */
    assert_int_equal(p->accepted, 0);
    peer_free(p);
    tls_free(ctls);

    /* A wrong pin with a CA that does verify the server: the pin still wins. */
    ctls = pinned_client(other, in(dir_a, "ca.crt"));
    p = connect_fails(stls, ctls, "127.0.0.1", NULL, err, sizeof err);
    assert_contains(err, "--pin");
    peer_free(p);
    tls_free(ctls);
    tls_free(stls);
}

static void test_plain_client_on_tls_port(void **state)
{
    (void)state;
    struct tls *stls = server_tls(dir_a, NULL);
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, stls, PEER_ECHO);
    struct conn *c = conn_connect("127.0.0.1", port, NULL, NULL, IO_TIMEOUT_MS, err, sizeof err);
    if (!c)
        fail_msg("conn_connect: %s", err);
    struct linebuf lb;
    linebuf_init(&lb, 4096);
    send_line(c, "hello\n");
    expect_line(c, &lb, "! this server speaks TLS: connect without --plain");
    linebuf_free(&lb);
    conn_close(c);
    peer_join(p);
    assert_int_equal(p->accepted, 0);
    assert_contains(p->accept_err, "a plaintext client connected to this TLS port");
    peer_free(p);
    close(lfd);
    tls_free(stls);
}

static void test_tls_client_on_plain_server(void **state)
{
    (void)state;
    struct tls *ctls = client_tls(dir_a);
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = peer_start(lfd, NULL, PEER_READ_TO_END);
    struct conn *c = conn_connect("127.0.0.1", port, ctls, NULL, IO_TIMEOUT_MS, err, sizeof err);
    assert_null(c);
    peer_join(p);
    assert_string_equal(err, "the server closed the connection during the TLS handshake: is it a plaintext server (--plain)?");
    /* The plaintext server looks at the first bytes before anything else. */
    assert_int_equal(p->accepted, 0);
    assert_contains(p->accept_err, "a TLS client connected to this plaintext server");
    peer_free(p);
    close(lfd);
    tls_free(ctls);
}

static void test_tls_client_gets_plaintext_answer(void **state)
{
    (void)state;
    struct tls *ctls = client_tls(dir_a);
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    struct peer *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->lfd = lfd;
    p->mode = PEER_RAW_SAY;
    p->say = "hello, this is a plaintext server\n";
    assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
    struct conn *c = conn_connect("127.0.0.1", port, ctls, NULL, IO_TIMEOUT_MS, err, sizeof err);
    assert_null(c);
    peer_join(p);
    assert_string_equal(err, "the server answered in plaintext: is it running with --plain?");
    peer_free(p);
    close(lfd);
    tls_free(ctls);
}

static void test_connect_refused(void **state)
{
    (void)state;
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    close(lfd); /* nobody listens there now */
    assert_null(conn_connect("127.0.0.1", port, NULL, NULL, IO_TIMEOUT_MS, err, sizeof err));
    assert_contains(err, "connection refused");
    assert_contains(err, port);
}

static void test_handshake_timeout(void **state)
{
    (void)state;
    /* A listener that never accepts: TCP connects (backlog), TLS never starts. */
    struct tls *ctls = client_tls(dir_a);
    char port[16], err[512] = "";
    int lfd = listen_local(port, sizeof port);
    assert_null(conn_connect("127.0.0.1", port, ctls, NULL, 300, err, sizeof err));
    assert_contains(err, "timed out");
    close(lfd);
    tls_free(ctls);
}

static void test_conn_new_role_mismatch_closes_fd(void **state)
{
    (void)state;
    struct tls *ctls = client_tls(dir_a);
    int sv[2];
    char err[512] = "";
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_null(conn_new(sv[0], ctls, CONN_SERVER, NULL, err, sizeof err));
    assert_contains(err, "client TLS context");
    /* The conn owned the fd, also on failure: it is closed. */
    assert_int_equal(fcntl(sv[0], F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    close(sv[1]);
    conn_close(NULL); /* NULL is fine */
    tls_free(ctls);
}

static void test_keylog_written(void **state)
{
    (void)state;
    char log[300];
    snprintf(log, sizeof log, "%s/keys.log", dir_a);
    unlink(log);
    struct tls *stls = server_tls(dir_a, NULL);
    struct tls_config cfg;
    tls_config_init(&cfg);
    cfg.words = &words;
    cfg.ignore_env = 1;
    cfg.ca_file = in(dir_a, "ca.crt");
    cfg.keylog_file = log;
    struct tls *ctls = client_tls_cfg(&cfg);
    blocking_exchange(stls, ctls, "127.0.0.1", NULL);
    tls_free(ctls);
    tls_free(stls);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[512];
    int hs = 0, app = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        if (!strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32))
            hs++;
        if (!strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24))
            app++;
    }
    fclose(f);
    assert_int_equal(hs, 1);
    assert_int_equal(app, 1);
    assert_true(n >= 4);
    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    unlink(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_plain),
        cmocka_unit_test(test_blocking_tls),
        cmocka_unit_test(test_blocking_tls_padded_and_13_only),
        cmocka_unit_test(test_eof_on_clean_close),
        cmocka_unit_test(test_tls_cut_without_close_notify_is_an_error),
        cmocka_unit_test(test_readiness_plain),
        cmocka_unit_test(test_readiness_tls),
        cmocka_unit_test(test_nonblocking_plain),
        cmocka_unit_test(test_nonblocking_tls),
        cmocka_unit_test(test_nonblocking_accept_with_no_one_waiting),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_mutual_tls),
        cmocka_unit_test(test_wrong_ca),
        cmocka_unit_test(test_name_mismatch),
        cmocka_unit_test(test_connect_by_name),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_plain_client_on_tls_port),
        cmocka_unit_test(test_tls_client_on_plain_server),
        cmocka_unit_test(test_tls_client_gets_plaintext_answer),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_conn_new_role_mismatch_closes_fd),
        cmocka_unit_test(test_keylog_written),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
