/* SPDX-License-Identifier: ISC */
/* tlschatd's command line. */
#ifndef TLSCHAT_SERVER_OPTIONS_H
#define TLSCHAT_SERVER_OPTIONS_H

#include <stddef.h>

#include "certdir.h"
#include "tls.h"

struct server_options {
    const char *listen;
    const char *port;
    int plain;
    int echo;                  /* --mode echo: each line back to its sender only */
    size_t max_clients;        /* members of the chat */
    size_t max_per_address;    /* connections from one address (IPv4, or IPv6 /64); 0: default */
    size_t max_handshakes;     /* TLS handshakes in progress at once */
    size_t max_line;
    size_t max_queue;          /* bytes queued for one client before it is dropped */
    unsigned line_rate;         /* lines a sender may say a second (and 5 s' worth at once) */
    size_t byte_rate;           /* bytes a sender may say a second */
    unsigned nick_rate;         /* nick changes a sender may make a minute (3 at once) */
    unsigned handshake_timeout; /* seconds */
    unsigned idle_timeout;      /* seconds, 0: none */
    size_t history_lines;       /* lines kept for clients to resume (0: none, no resume) */
    size_t history_bytes;       /* and their bytes */
    unsigned history_age;       /* seconds a line, and a session gone away, is kept */
    int verbosity;              /* 0 -q, 1 normal, 2 -v */
    int qr;                     /* --qr: draw the join address as a QR code at start */
    const char *join_host;      /* --join-host: the name or address others reach this server by */
    struct tls_config tls;
    char cert_path[CERTDIR_PATH_MAX]; /* server.crt and server.key as found when no option names them */
    char key_path[CERTDIR_PATH_MAX];
};

/* 0 to run, 1 when --help/--version was answered (exit 0), 2 on a usage error
 * (a sentence was printed). */
int server_options_parse(struct server_options *o, int argc, char **argv);

/* Without --cert and --key, finds server.crt and server.key in the certificate
 * directory (certdir.h). 0, or -1 when there are none (a sentence was printed). */
int server_options_locate(struct server_options *o);

#endif
