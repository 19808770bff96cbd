/* tlschat's command line. */
#ifndef TLSCHAT_CLIENT_OPTIONS_H
#define TLSCHAT_CLIENT_OPTIONS_H

#include "tls.h"

struct client_options {
    const char *host;
    const char *port;
    const char *servername; /* name to send and verify when host is an address */
    const char *nick;
    const char *message;    /* -m: send this one line, then close */
    int plain;
    int quiet;
    int timeout_s;
    struct tls_config tls;
};

/* 0 to run, 1 when --help/--version was answered (exit 0), 2 on a usage error. */
int client_options_parse(struct client_options *o, int argc, char **argv);

#endif
