/* SPDX-License-Identifier: ISC */
/* tlschat's command line. */
#ifndef TLSCHAT_CLIENT_OPTIONS_H
#define TLSCHAT_CLIENT_OPTIONS_H

#include "certdir.h"
#include "tls.h"

struct client_options {
    const char *host;
    const char *port;
    const char *servername; /* name to send and verify when host is an address */
    const char *nick;
    const char *message;    /* -m: send this one line, then close */
    int plain;
    int quiet;
    int no_color;           /* --no-color: the terminal interface in one colour */
    int timeout_s;
    int reconnect;          /* come back after a lost connection (--no-reconnect: 0) */
    struct tls_config tls;
    char ca_path[CERTDIR_PATH_MAX]; /* ca.crt as found when no option names it */
};

/* 0 to run, 1 when --help/--version was answered (exit 0), 2 on a usage error. */
int client_options_parse(struct client_options *o, int argc, char **argv);

/* Without --ca, --pin or --insecure, finds ca.crt in the certificate directory
 * (certdir.h). 0, or -1 when there is none (a sentence was printed). */
int client_options_locate(struct client_options *o);

#endif
