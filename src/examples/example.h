/* SPDX-License-Identifier: ISC */
/* The options every example shares: --plain, or TLS with certificates.
 * Header-only so each example stays one file that reads like the tutorial. */
#ifndef TLSCHAT_EXAMPLE_H
#define TLSCHAT_EXAMPLE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "conn.h"
#include "linebuf.h"
#include "net.h"
#include "tls.h"

struct example {
    int plain;
    const char *host, *port, *message, *servername;
    struct tls_config cfg;
};

static inline void example_usage(const char *prog, int server)
{
    fprintf(stderr,
            "usage: %s [--plain] [--host HOST] [--port PORT]%s\n"
            "  TLS is on unless --plain is given.\n",
            prog,
            server ? " [--cert FILE] [--key FILE]"
                   : " [--ca FILE] [--servername NAME] [--cert FILE --key FILE] [-m TEXT]");
}

/* The examples' options, for the SSL layer's hints. */
static const struct tls_words example_words = {
    .cert = "--cert", .key = "--key", .ca = "--ca", .servername = "--servername",
    .make_certs = MAKE_CERTS_COMMAND, .show_cert = SHOW_CERT_COMMAND, .add_name = ADD_NAME_COMMAND,
};

/* Parses argv; exits 2 on a usage error. */
static inline void example_parse(struct example *ex, int argc, char **argv, int server)
{
    memset(ex, 0, sizeof *ex);
    tls_config_init(&ex->cfg);
    ex->cfg.words = &example_words;
    ex->host = "127.0.0.1";
    ex->port = "8000";
    ex->message = "Hi server!";
    if (server) {
        ex->cfg.cert_file = "certs/server.crt";
        ex->cfg.key_file = "certs/server.key";
    } else {
        ex->cfg.ca_file = "certs/ca.crt";
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--plain")) {
            ex->plain = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            example_usage(argv[0], server);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "%s: unknown option or missing value: %s\n", argv[0], a);
            example_usage(argv[0], server);
            exit(2);
        }
        i++;
        if (!strcmp(a, "--host"))
            ex->host = v;
        else if (!strcmp(a, "--port"))
            ex->port = v;
        else if (!strcmp(a, "--cert"))
            ex->cfg.cert_file = v;
        else if (!strcmp(a, "--key"))
            ex->cfg.key_file = v;
        else if (!strcmp(a, "--ca"))
            ex->cfg.ca_file = v;
        else if (!strcmp(a, "--servername"))
            ex->servername = v;
        else if (!strcmp(a, "-m"))
            ex->message = v;
        else {
            fprintf(stderr, "%s: unknown option: %s\n", argv[0], a);
            example_usage(argv[0], server);
            exit(2);
        }
    }
    signal(SIGPIPE, SIG_IGN); /* a peer that left is an error to report, not a reason to die */
}

/* The SSL layer (TLS, or DTLS with cfg.dtls), or NULL with the warning for
 * plaintext when encrypt is 0. Exits 1 on failure. */
static inline struct tls *example_tls_or_warn(struct example *ex, int server, int encrypt, const char *warning)
{
    char err[512];
    if (!encrypt) {
        fprintf(stderr, "%s\n", warning);
        return NULL;
    }
    struct tls *tls = server ? tls_server_new(&ex->cfg, err, sizeof err) : tls_client_new(&ex->cfg, err, sizeof err);
    if (!tls) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    if (tls_keylog_warning(tls))
        fprintf(stderr, "%s\n", tls_keylog_warning(tls));
    return tls;
}

/* The SSL layer, or NULL for the tutorials' plain sockets. Exits 1 on failure. */
static inline struct tls *example_tls(struct example *ex, int server)
{
    return example_tls_or_warn(ex, server, !ex->plain,
                               "WARNING: --plain: no encryption; anyone on the network can read every message.");
}

/* Reads until one whole line is in lb; returns 1, or 0 at EOF/error. */
static inline int example_read_line(struct conn *c, struct linebuf *lb, const char **line, size_t *len)
{
    char buf[1024];
    for (;;) {
        int r = linebuf_next(lb, line, len);
        if (r != 0)
            return r == 1;
        ssize_t n = conn_recv(c, buf, sizeof buf);
        if (n <= 0) {
            if (n == CONN_ERROR)
                fprintf(stderr, "%s\n", conn_error(c));
            return 0;
        }
        if (linebuf_append(lb, buf, (size_t)n) < 0)
            return 0;
    }
}

#endif
