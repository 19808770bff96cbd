/* SPDX-License-Identifier: ISC */
/* join_uri: tlschat://HOST:PORT/?pin=sha256:HEX, the join address a server's
 * QR code or words card gives: where to connect and the key to expect. */
#ifndef TLSCHAT_JOIN_URI_H
#define TLSCHAT_JOIN_URI_H

#include <stddef.h>

#define JOIN_URI_SCHEME "tlschat://"

struct join_uri {
    char host[256]; /* a name or address, without the brackets of [v6] */
    char port[8];   /* "8443" when the address gives none */
    char pin[80];   /* "sha256:HEX", "" when the address gives none */
};

/* 0 when text is not a join address (no tlschat:// in front), 1 when it is one
 * and was parsed into u, -1 with a sentence in err when it is a bad one. */
int join_uri_parse(const char *text, struct join_uri *u, char *err, size_t errlen);

#endif
