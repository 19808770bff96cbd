/* SPDX-License-Identifier: ISC */
/* tls: the SSL layer. A struct tls_config becomes a server or client context with
 * secure defaults; OpenSSL is used in src/lib/tls.c and src/lib/conn_tls.c and
 * nowhere else (what they share is in src/lib/tls_internal.h). */
#ifndef TLSCHAT_TLS_H
#define TLSCHAT_TLS_H

#include <stddef.h>

struct tls; /* one configured context (an SSL_CTX and its settings) */

enum tls_version { TLS_V1_2 = 12, TLS_V1_3 = 13 };

#define TLS_PAD_MAX 16384 /* a padding block is at most one TLS record */
#define TLS_SHA256_LEN 32
/* The application protocol (ALPN) every client offers and every server
 * requires of a client that offers any (src/lib/tls_alpn.c). */
#define TLS_ALPN "tlschat/1"

/* The program's own words for the hints in error sentences: its options (NULL
 * where it has none) and the commands that make or show certificates where the
 * user stands. A NULL field, or no words at all, gives a program-neutral hint. */
struct tls_words {
    const char *cert, *key, *ca, *client_ca, *pin, *servername;
    const char *crl;        /* the option that names the revocation list: "--crl" */
    const char *versions;   /* the option that sets the lowest version: "--tls-min" */
    const char *make_certs; /* "scripts/gen-certs.sh or 'make certs'" */
    const char *show_cert;  /* "scripts/show-cert.sh" */
    const char *add_name;   /* how to add a name to the certificate: "gen-certs.sh --san" */
    const char *renew;      /* how to renew it with the same key: "gen-certs.sh --renew" */
};

struct tls_config {
    const char *cert_file;      /* server: required; client: for mutual TLS */
    const char *key_file;
    const char *ca_file;        /* client: CA that signs the server */
    const char *client_ca_file; /* server: require client certificates from this CA */
    const char *crl_file;       /* server, with client_ca_file: refuse the client certificates it revokes */
    const char *pin;            /* client: "sha256:HEX" of the server certificate or of its public key (SPKI) */
    int verify_later;           /* client: no CA, no pin: the program checks the server's public key itself
                                 * after the handshake and before it sends a byte (known hosts) */
    const char *keylog_file;    /* NSS key log; NULL: $SSLKEYLOGFILE unless ignore_env */
    int ignore_env;             /* do not read SSLKEYLOGFILE */
    int insecure;               /* client: no verification at all (warned about) */
    int min_version;            /* TLS_V1_2 (default) or TLS_V1_3 */
    int max_version;            /* 0: the newest; TLS_V1_2 to show a TLS 1.2 session */
    size_t pad;                 /* pad TLS 1.3 records to a multiple of this; 0: off */
    int resume_sessions;        /* client: offer the last session's TLS 1.3 ticket on the next connection */
    int dtls;                   /* DTLS 1.2 over UDP (include/dtls.h) instead of TLS over TCP */
    const struct tls_words *words; /* NULL: program-neutral hints */
};

/* Everything a person should see about a session, as text. */
struct tls_summary {
    char version[16];     /* "TLSv1.3" */
    char cipher[64];      /* "TLS_AES_256_GCM_SHA384" */
    char group[32];       /* "X25519" */
    char subject[256];    /* peer certificate subject, "" without one */
    char cn[128];         /* peer certificate common name, "" without one */
    char fingerprint[80]; /* "sha256:<64 hex>", "" without a certificate */
    int verified;         /* the peer certificate was checked and passed (chain or pin) */
    int resumed;          /* resumed from a ticket: no new certificate check, the first one's holds */
    char spki[80];        /* "sha256:<64 hex>" of the public key (SubjectPublicKeyInfo), "" without one */
    unsigned char spki_sha256[TLS_SHA256_LEN];
    char key_type[40];    /* "ECDSA P-256", "RSA 3072 bit", "ED25519" */
    char not_after[40];   /* the certificate's expiry, as OpenSSL prints it */
    int pin_matched;      /* client with a pin: TLS_PIN_CERT or TLS_PIN_SPKI (what it named), else 0 */
};

enum { TLS_PIN_CERT = 1, TLS_PIN_SPKI = 2 };

void tls_config_init(struct tls_config *cfg);

/* A context for accepting (server) or connecting (client). NULL with a sentence
 * in err when a file is missing, unreadable, or the key does not match. */
struct tls *tls_server_new(const struct tls_config *cfg, char *err, size_t errlen);
struct tls *tls_client_new(const struct tls_config *cfg, char *err, size_t errlen);
void tls_free(struct tls *t);

/* Server: load certificate, key and CRL again (SIGHUP). Sessions that exist keep
 * the old ones; new sessions get the new ones. On failure nothing changes. */
int tls_reload(struct tls *t, char *err, size_t errlen);

int tls_is_server(const struct tls *t);
int tls_requires_client_cert(const struct tls *t);
/* With a key log: the warning a person must see (the program prints it). */
const char *tls_keylog_warning(const struct tls *t);
/* With a CRL that has expired or expires within 30 days (as last loaded): the
 * warning a person must see (the program prints it), else NULL. */
const char *tls_crl_warning(const struct tls *t);

/* Server: the certificate expires within 30 days, or has expired (as last
 * loaded): the warning a person must see (the program prints it), else NULL. */
const char *tls_cert_warning(const struct tls *t);

/* Server: the facts of its own certificate (as last loaded), for a person to
 * read out: subject, fingerprints, key type. 0, or -1 without one. */
int tls_own_summary(const struct tls *t, struct tls_summary *s);

/* The facts of the first certificate in a PEM (or DER) file, as above. 0, or
 * -1 with a sentence in err. */
int tls_cert_file_summary(const char *path, struct tls_summary *s, char *err, size_t errlen);

/* How the client verifies the server, for the connect line: "CA certs/ca.crt",
 * "pin sha256:...", or "NOTHING (--insecure)". */
const char *tls_verified_by(const struct tls *t);

/* The checks of values a tls_config takes, for the library and for option
 * parsers alike. Each returns 0, or -1 with a sentence in err that names no
 * option (the caller adds its own). */

/* "1.2" or "1.3" as TLS_V1_2 / TLS_V1_3, or -1. */
int tls_version_parse(const char *text);
/* min and max (0: the newest) are known versions, and max is not below min. */
int tls_version_check(int min_version, int max_version, char *err, size_t errlen);
/* 0 (off) or 1 to TLS_PAD_MAX. */
int tls_pad_check(size_t pad, char *err, size_t errlen);
/* "sha256:HEX" (64 hex digits; "AA:BB:.." as openssl prints it also goes) into
 * sha256, which may be NULL to check only. */
int tls_pin_parse(const char *text, unsigned char *sha256, char *err, size_t errlen);

#endif
