/* tls: the SSL layer. A struct tls_config becomes a server or client context with
 * secure defaults; OpenSSL is used here (and in conn.c) and nowhere else. */
#ifndef TLSCHAT_TLS_H
#define TLSCHAT_TLS_H

#include <stddef.h>

struct tls;    /* one configured context (an SSL_CTX and its settings) */
struct ssl_st; /* OpenSSL's SSL, for conn.c */

enum tls_version { TLS_V1_2 = 12, TLS_V1_3 = 13 };

struct tls_config {
    const char *cert_file;      /* server: required; client: for mutual TLS */
    const char *key_file;
    const char *ca_file;        /* client: CA that signs the server */
    const char *client_ca_file; /* server: require client certificates from this CA */
    const char *pin;            /* client: "sha256:HEX" of the server certificate */
    const char *keylog_file;    /* NSS key log; NULL: $SSLKEYLOGFILE unless ignore_env */
    int ignore_env;             /* do not read SSLKEYLOGFILE */
    int insecure;               /* client: no verification at all (warned about) */
    int min_version;            /* TLS_V1_2 (default) or TLS_V1_3 */
    int max_version;            /* 0: the newest; TLS_V1_2 to show a TLS 1.2 session */
    size_t pad;                 /* pad TLS 1.3 records to a multiple of this; 0: off */
};

/* Everything a person should see about a session, as text. */
struct tls_summary {
    char version[16];     /* "TLSv1.3" */
    char cipher[64];      /* "TLS_AES_256_GCM_SHA384" */
    char group[32];       /* "X25519" */
    char subject[256];    /* peer certificate subject, "" without one */
    char cn[128];         /* peer certificate common name, "" without one */
    char fingerprint[80]; /* "sha256:<64 hex>", "" without a certificate */
    int verified;         /* the peer certificate was verified (chain or pin) */
};

void tls_config_init(struct tls_config *cfg);

/* A context for accepting (server) or connecting (client). NULL with a sentence
 * in err when a file is missing, unreadable, or the key does not match. */
struct tls *tls_server_new(const struct tls_config *cfg, char *err, size_t errlen);
struct tls *tls_client_new(const struct tls_config *cfg, char *err, size_t errlen);
void tls_free(struct tls *t);

/* Server: load certificate and key again (SIGHUP). Sessions that exist keep the
 * old ones; new sessions get the new ones. On failure nothing changes. */
int tls_reload(struct tls *t, char *err, size_t errlen);

int tls_is_server(const struct tls *t);
int tls_requires_client_cert(const struct tls *t);
/* How the client verifies the server, for the connect line: "CA certs/ca.crt",
 * "pin sha256:...", or "NOTHING (--insecure)". */
const char *tls_verified_by(const struct tls *t);

/* For conn.c: a new SSL on fd. servername (client) is sent as SNI when it is a
 * name, and verified as a name or IP address. */
struct ssl_st *tls_ssl_new(struct tls *t, int fd, const char *servername, char *err,
                           size_t errlen);

/* For conn.c: turn a failed SSL call into one sentence a user can act on. */
void tls_ssl_error(struct ssl_st *ssl, int ret, char *err, size_t errlen);

void tls_ssl_summary(struct ssl_st *ssl, struct tls_summary *s);

/* Client: the server asked for a certificate and none was configured. */
int tls_ssl_cert_requested(struct ssl_st *ssl);

/* "sha256:..." of a DER certificate. */
void tls_fingerprint_text(const unsigned char *der, size_t len, char *buf, size_t buflen);

#endif
