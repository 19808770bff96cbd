/* SPDX-License-Identifier: ISC */
/* tls_internal: what the SSL layer shares with conn's TLS transport and with
 * nothing else, as libtls keeps tls_internal.h. OpenSSL's types stay here. */
#ifndef TLSCHAT_TLS_INTERNAL_H
#define TLSCHAT_TLS_INTERNAL_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "tls.h"

#define TICKET_ROTATE_S   1800 /* a new ticket key every half hour... */
#define TICKET_LIFETIME_S 3600 /* ...and a ticket is good for an hour at most */

struct tls_ticket_key {
    unsigned char name[16], aes[32], hmac[32];
    long long made; /* time() */
    int ok;
};

struct tls { /* one configured context */
    SSL_CTX *ctx;
    int server;
    char *cert_file, *key_file, *ca_file, *client_ca_file, *crl_file;
    unsigned char pin[TLS_SHA256_LEN];
    int has_pin;
    int insecure;
    int min_version, max_version;
    size_t pad;
    int dtls;                              /* a DTLS 1.2 context (tls_dtls.c) */
    unsigned char cookie_secret[32];       /* DTLS server: keys the cookies, random per context */
    FILE *keylog; /* NSS key log, opened once, shared by every session */
    struct tls_words words;
    char verified_by[300];
    char keylog_warning[4400]; /* a path of up to 4096 bytes, and the words */
    char crl_warning[4400];    /* the CRL's path, and when it expires */
    struct tls_ticket_key tickets[2]; /* server: the current ticket key and the one before */
    int resume_sessions;       /* client: offer the last session again */
    SSL_SESSION *session;      /* client: that session */
    char cert_warning[4400];   /* server: its certificate's path, and when it expires */
    int verify_later;          /* client: the program checks the public key after the handshake */
};

/* The words of a program that gave none: program-neutral hints. */
extern const struct tls_words tls_no_words;

/* A new SSL on fd. servername (client) is sent as SNI when it is a name, and
 * verified as a name or IP address. NULL with a sentence in err. */
SSL *tls_ssl_new(struct tls *t, int fd, const char *servername, char *err, size_t errlen);

/* A failed SSL call as one sentence a user can act on. */
void tls_ssl_error(SSL *ssl, int ret, char *err, size_t errlen);

void tls_ssl_summary(SSL *ssl, struct tls_summary *s);

/* Client: the server asked for a certificate and none was configured. */
int tls_ssl_cert_requested(SSL *ssl);

/* ---- tls_tickets.c: TLS 1.3 resumption ---- */
/* New ticket keys (at start and on reload). 0, or -1 without random bytes. */
int tls_tickets_rekey(struct tls *t);
void tls_tickets_server_setup(struct tls *t, SSL_CTX *ctx);
void tls_tickets_client_setup(struct tls *t, SSL_CTX *ctx);
/* Client: offer the kept session on ssl (once). */
void tls_tickets_offer(struct tls *t, SSL *ssl);
int tls_session_resumed(SSL *ssl);

/* ALPN (tls_alpn.c): a client offers TLS_ALPN; a server selects it, serves a
 * client that offers nothing and refuses one that offers only other protocols.
 * 0, or -1 when OpenSSL fails. */
int tls_alpn_setup(SSL_CTX *ctx, int server);

/* DTLS (tls_dtls.c): DTLS 1.2 only, and on a server the cookie exchange with
 * a new random secret. 0, or -1 with a sentence in err. */
int tls_dtls_setup(struct tls *t, SSL_CTX *ctx, char *err, size_t errlen);
/* tls_spki.c: SHA-256 of a certificate's SubjectPublicKeyInfo (DER) and of the
 * certificate (DER); 0 or -1. */
int tls_spki_sha256(X509 *x, unsigned char out[TLS_SHA256_LEN]);
int tls_cert_sha256(X509 *x, unsigned char out[TLS_SHA256_LEN]);
/* "sha256:<64 hex>" */
void tls_sha256_text(const unsigned char md[TLS_SHA256_LEN], char *buf, size_t buflen);
/* Fingerprints, public-key hash, key type, expiry (and subject when empty) into s. */
void tls_cert_facts(X509 *x, struct tls_summary *s);
/* A warning into buf when x has expired or expires within 30 days, else "".
 * renew: the command that renews it with the same key (NULL: none). */
void tls_cert_expiry_warning(X509 *x, const char *path, const char *renew, char *buf, size_t len);

/* "sha256:..." of DER bytes (a certificate). */
void tls_fingerprint_text(const unsigned char *der, size_t len, char *buf, size_t buflen);

#endif
