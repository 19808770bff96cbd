/* SPDX-License-Identifier: ISC */
/* trust: who the server is, decided after the TLS handshake and before the
 * client sends a byte. With a CA or a pin the library has verified it already;
 * otherwise (known hosts) its public key is looked up by host and port: known
 * and the same, accepted; changed, refused loudly; unknown, asked about on a
 * terminal, or remembered with --tofu, or refused. Also /whois-server. */
#ifndef TLSCHAT_TRUST_H
#define TLSCHAT_TRUST_H

#include <stddef.h>

#include "conn.h"
#include "options.h"
#include "tls.h"
#include "words.h"

struct trust {
    struct tls_summary sum;       /* the server's certificate as seen */
    char words[WORDS_TEXT_MAX];   /* its public key's words */
    char verified_by[KNOWN_HOSTS_PATH_MAX + 64];
};

/* 0 when the server is trusted (t filled), -1 when not (a sentence printed). */
int trust_check(const struct client_options *o, struct conn *c, const struct tls *tls, struct trust *t);

/* Answers the client-side command /whois-server: removes each such whole line
 * from buf (at_line_start: buf begins a line) and prints what is known of the
 * server. Returns the new length. */
/* A line typed on the terminal interface (no newline): 1 when it was
 * /whois-server, answered here and not to be sent; else 0. */
int trust_local_command(const struct trust *t, const char *line, size_t len);
size_t trust_filter_input(const struct trust *t, char *buf, size_t n, int at_line_start);

/* tlschat --forget HOST[:PORT]: exit status. */
int trust_forget(const struct client_options *o);

/* tlschat --show-cert FILE [HOST [PORT]]: its pins and words (and join address); exit status. */
int trust_show_cert(const struct client_options *o);

#endif
