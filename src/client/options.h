/* SPDX-License-Identifier: ISC */
/* tlschat's command line. */
#ifndef TLSCHAT_CLIENT_OPTIONS_H
#define TLSCHAT_CLIENT_OPTIONS_H

#include "certdir.h"
#include "join_uri.h"
#include "known_hosts.h"
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
    int verbose;            /* -v: the words of the server's key in the connect line */
    int tofu;               /* --tofu: remember an unknown server without asking */
    const char *known_hosts_opt; /* --known-hosts FILE */
    const char *forget;     /* --forget HOST[:PORT]: remove it from the known hosts, exit */
    const char *show_cert;  /* --show-cert FILE: print its pins and words, exit */
    const char *show_cert_host; /* and the join address for this host */
    char known_hosts[KNOWN_HOSTS_PATH_MAX]; /* the known-hosts file in use */
    struct join_uri uri;    /* HOST given as tlschat://HOST:PORT/?pin=... */
    int timeout_s;
    int reconnect;          /* come back after a lost connection (--no-reconnect: 0) */
    struct tls_config tls;
    char ca_path[CERTDIR_PATH_MAX]; /* ca.crt as found when no option names it */
};

/* 0 to run, 1 when --help/--version was answered (exit 0), 2 on a usage error. */
int client_options_parse(struct client_options *o, int argc, char **argv);

/* Without --ca, --pin or --insecure, finds ca.crt in the certificate directory
 * (certdir.h); when there is none (and $TLSCHAT_CERTS does not name the one
 * place to look), or with --known-hosts or --tofu, the server is checked
 * against the known hosts. 0, or -1 (a sentence was printed). */
int client_options_locate(struct client_options *o);

#endif
