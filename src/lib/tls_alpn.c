/* SPDX-License-Identifier: ISC */
/* tls_alpn: the application protocol (ALPN) every context of the library
 * speaks, "tlschat/1". A client always offers it. A server selects it when it
 * is offered, serves a client that offers no protocol at all (openssl s_client,
 * Python's ssl, the tutorials' clients), and refuses with a fatal
 * no_application_protocol alert a client that offers only other protocols: a
 * client that came for HTTP, SMTP or FTP must not have its bytes read as chat
 * (cross-protocol confusion, as in the ALPACA attack). */
#include "tls_internal.h"

#include <string.h>

#include <openssl/ssl.h>

/* The wire form: each name prefixed with its length (the string's NUL is not
 * part of it). */
static const unsigned char alpn_wire[] = "\x09" TLS_ALPN;
#define ALPN_WIRE_LEN (sizeof alpn_wire - 1)
_Static_assert(sizeof TLS_ALPN - 1 == 9, "the length byte of alpn_wire must be the length of TLS_ALPN");

/* OpenSSL calls this only when the client sent the ALPN extension. in is the
 * client's list in wire form; OpenSSL has checked that it is well formed. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned char *selected = NULL;
    unsigned char selected_len = 0;
    /* SSL_select_next_proto's out parameters are not const; it points them
     * into in or into our list, which it never writes. */
    if (SSL_select_next_proto(&selected, &selected_len, alpn_wire, ALPN_WIRE_LEN, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        *outlen = selected_len;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

int tls_alpn_setup(SSL_CTX *ctx, int server)
{
    if (server) {
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
        return 0;
    }
    /* Returns 0 on success, unlike most of OpenSSL. */
    return SSL_CTX_set_alpn_protos(ctx, alpn_wire, ALPN_WIRE_LEN) == 0 ? 0 : -1;
}
