/* SPDX-License-Identifier: ISC */
/* tls: struct tls_config to an SSL_CTX with secure defaults, peer verification,
 * key logging, session summaries, and OpenSSL errors turned into sentences. */
#define _GNU_SOURCE
#include "tls_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "seterr.h"



const struct tls_words tls_no_words; /* all NULL */

/* " with --cert", or "" where the program has no such option. */
static const char *with_option(const char *opt, char *buf, size_t len)
{
    if (!opt)
        return "";
    snprintf(buf, len, " with %s", opt);
    return buf;
}


static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void tls_config_init(struct tls_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->min_version = TLS_V1_2;
}

static void keylog_line(const SSL *ssl, const char *line)
{
    struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (t && t->keylog) {
        fprintf(t->keylog, "%s\n", line);
        fflush(t->keylog);
    }
}

/* Why an opened key log will not do, or NULL. Secrets go only into a regular
 * file of this user's that nobody else can read. */
static const char *keylog_unfit(const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return "is not a regular file (a FIFO, device or directory)";
    if (st->st_uid != geteuid())
        return "belongs to another user";
    if (st->st_nlink != 1)
        return "has other names (hard links): name a file of its own";
    if (st->st_mode & 077)
        return "can be read by others: make it private (chmod 600) or name a new file";
    return NULL;
}

static int open_keylog(struct tls *t, const struct tls_config *cfg, char *err, size_t errlen)
{
    const char *path = cfg->keylog_file;
    int from_env = !path;
    if (!path && !cfg->ignore_env)
        path = getenv("SSLKEYLOGFILE");
    if (!path || !*path)
        return 0;
    const char *unset = from_env ? " (or unset SSLKEYLOGFILE)" : "";
    /* A new file is made owner-only; an old one is appended to (several runs
     * may share it) but never followed through a link, never waited on (a
     * FIFO), and never chmod-ed: a file we did not make is checked instead. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            set_err(err, errlen, "the key log '%s' is a symbolic link: name the file itself%s", path, unset);
        else if (e == EISDIR)
            set_err(err, errlen, "the key log '%s' is a directory: name a file in it%s", path, unset);
        else if (e == ENXIO)
            set_err(err, errlen, "the key log '%s' is not a regular file (a FIFO, device or directory)%s", path,
                    unset);
        else
            set_err(err, errlen, "cannot open the key log '%s': %s (check the path%s)", path, strerror(e),
                    from_env ? ", or unset SSLKEYLOGFILE" : "");
        return -1;
    }
    struct stat st;
    const char *why = fstat(fd, &st) < 0 ? "cannot be examined" : keylog_unfit(&st);
    if (why || fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0 || !(t->keylog = fdopen(fd, "a"))) {
        if (why)
            set_err(err, errlen, "the key log '%s' %s%s", path, why, unset);
        else
            set_err(err, errlen, "the key log '%s' cannot be used: %s%s", path, strerror(errno), unset);
        close(fd);
        return -1;
    }
    snprintf(t->keylog_warning, sizeof t->keylog_warning,
             "WARNING: writing TLS session keys to '%s': anyone who reads that file can decrypt "
             "this traffic. Use it only to inspect your own sessions, then delete it.",
             path);
    return 0;
}

/* Pin: the leaf must be the pinned certificate, or carry the pinned public key
 * (its SubjectPublicKeyInfo: survives a renewal with the same key); with a pin
 * and no CA, the pin alone authenticates the server (as ssh's known_hosts does). */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct tls *t = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
    if (!t || !t->has_pin)
        return ok;
    int pin_only = t->ca_file == NULL;
    if (X509_STORE_CTX_get_error_depth(store) != 0)
        return pin_only ? 1 : ok;
    X509 *leaf = X509_STORE_CTX_get_current_cert(store);
    unsigned char cert[TLS_SHA256_LEN], spki[TLS_SHA256_LEN];
    int cert_ok = leaf && tls_cert_sha256(leaf, cert) == 0 && memcmp(cert, t->pin, TLS_SHA256_LEN) == 0;
    int spki_ok = leaf && tls_spki_sha256(leaf, spki) == 0 && memcmp(spki, t->pin, TLS_SHA256_LEN) == 0;
    if (!cert_ok && !spki_ok) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    return pin_only ? 1 : ok;
}

/* The server asked for a client certificate and this client has none: mark the
 * session (its app data is otherwise unused), so that the program can wait for
 * the server's verdict: in TLS 1.3 a refusal comes after our handshake ends. */
static int no_client_cert(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    (void)x509;
    (void)pkey;
    SSL_set_app_data(ssl, ssl);
    return 0;
}

/* Why a file could not be used, with what the user can do about it. option is
 * the program's option that names the file (NULL: it has none). */
static int read_error(const struct tls *t, const char *what, const char *path, const char *option, char *err,
                      size_t errlen)
{
    char with[64];
    const char *w = with_option(option, with, sizeof with);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        if (e == ENOENT && t->words.make_certs)
            set_err(err, errlen, "cannot read the %s '%s': %s (make certificates with %s, or name the file%s)", what,
                    path, strerror(e), t->words.make_certs, w);
        else if (e == ENOENT)
            set_err(err, errlen, "cannot read the %s '%s': %s (make certificates first, or name another file%s)",
                    what, path, strerror(e), w);
        else
            set_err(err, errlen, "cannot read the %s '%s': %s (check its permissions, or name another file%s)",
                    what, path, strerror(e), w);
    } else {
        struct stat st; /* fopen "r" succeeds on a directory */
        int dir = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
        fclose(f);
        unsigned long e = ERR_peek_last_error();
        if (dir)
            set_err(err, errlen, "the %s '%s' is a directory: name the file itself%s", what, path, w);
        else
            set_err(err, errlen, "the %s '%s' is not valid PEM (%s): is it the right file%s%s?", what, path,
                    e ? ERR_reason_error_string(e) : "unreadable", option ? " for " : "", option ? option : "");
    }
    ERR_clear_error();
    return -1;
}

static int load_cert_and_key(const struct tls *t, SSL_CTX *ctx, const char *cert, const char *key, char *err,
                             size_t errlen)
{
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return read_error(t, "certificate", cert, t->words.cert, err, errlen);
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            set_err(err, errlen, "the key '%s' does not match the certificate '%s' (use the key that was made with it)",
                    key, cert);
            return -1;
        }
        return read_error(t, "private key", key, t->words.key, err, errlen);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        set_err(err, errlen, "the key '%s' does not match the certificate '%s' (use the key that was made with it)",
                key, cert);
        return -1;
    }
    return 0;
}

/* The CRL (t->crl_file) into ctx's verify store, checked against the leaf only.
 * It must be signed by a certificate of the client CA file. A warning goes into
 * warn when it has expired or expires within 30 days. */
static int load_crl(const struct tls *t, SSL_CTX *ctx, char *warn, size_t warnlen, char *err, size_t errlen)
{
    const char *path = t->crl_file;
    char with[64];
    const char *w = with_option(t->words.crl, with, sizeof with);
    FILE *f = fopen(path, "r");
    X509_CRL *crl = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!crl)
        return read_error(t, "revocation list (CRL)", path, t->words.crl, err, errlen);
    /* Signed by the client CA: a certificate in that file with the CRL's
     * issuer name whose key verifies the CRL's signature. */
    int signed_ok = 0;
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
    for (int i = 0; objs && i < sk_X509_OBJECT_num(objs) && !signed_ok; i++) {
        X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        if (!ca || X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) != 0)
            continue;
        EVP_PKEY *key = X509_get0_pubkey(ca);
        signed_ok = key && X509_CRL_verify(crl, key) == 1;
    }
    ERR_clear_error();
    if (!signed_ok) {
        set_err(err, errlen, "the revocation list '%s' is not signed by the client CA '%s' (make it with the CA "
                "that signs the client certificates, or name the right file%s)", path, t->client_ca_file, w);
        X509_CRL_free(crl);
        return -1;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (X509_STORE_add_crl(store, crl) != 1) {
        ERR_clear_error();
        set_err(err, errlen, "cannot use the revocation list '%s' (name another file%s)", path, w);
        X509_CRL_free(crl);
        return -1;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    int days = 0, secs = 0;
    if (!next) {
        /* no expiry: nothing to warn about */
    } else if (X509_cmp_current_time(next) <= 0) {
        snprintf(warn, warnlen, "WARNING: the revocation list '%s' has expired: every client certificate is "
                 "refused until a new one is made and loaded (SIGHUP)", path);
    } else if (ASN1_TIME_diff(&days, &secs, NULL, next) && days < 30) {
        snprintf(warn, warnlen, "WARNING: the revocation list '%s' expires in %d day%s: make a new one and "
                 "reload it (SIGHUP) before then, or every client certificate is refused", path, days,
                 days == 1 ? "" : "s");
    }
    X509_CRL_free(crl);
    return 0;
}

static SSL_CTX *make_ctx(struct tls *t, char *err, size_t errlen)
{
    char warning[sizeof t->crl_warning] = "";
    SSL_CTX *ctx = SSL_CTX_new(t->dtls ? (t->server ? DTLS_server_method() : DTLS_client_method())
                                       : (t->server ? TLS_server_method() : TLS_client_method()));
    if (!ctx) {
        set_err(err, errlen, "cannot make a TLS context: %s", ERR_reason_error_string(ERR_get_error()));
        return NULL;
    }
    SSL_CTX_set_app_data(ctx, t);
    if (t->dtls) {
        if (tls_dtls_setup(t, ctx, err, errlen) < 0)
            goto fail;
    } else {
        SSL_CTX_set_min_proto_version(ctx, t->min_version == TLS_V1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
        if (t->max_version)
            SSL_CTX_set_max_proto_version(ctx, t->max_version == TLS_V1_2 ? TLS1_2_VERSION : TLS1_3_VERSION);
    }
    /* TLS 1.2: forward secrecy and AEAD only. TLS 1.3 suites are all fine. */
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* Non-blocking writes may return part of a buffer and retry from a moved one. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    if (t->pad)
        SSL_CTX_set_block_padding(ctx, t->pad);
    /* Read whole TCP segments, not a record header and then its body: half
     * the read(2) calls per handshake and per line (make bench). Records read
     * ahead are invisible to poll: conn_pending counts them, and a program
     * that polls asks it (tlschat once after its handshake, conn_ready always).
     * The buffer is still given back when empty (SSL_MODE_RELEASE_BUFFERS). */
    SSL_CTX_set_read_ahead(ctx, 1);
    if (t->keylog)
        SSL_CTX_set_keylog_callback(ctx, keylog_line);
    if (tls_alpn_setup(ctx, t->server) < 0) {
        set_err(err, errlen, "cannot set the application protocol (ALPN) %s: out of memory", TLS_ALPN);
        goto fail;
    }

    if (t->server) {
        if (load_cert_and_key(t, ctx, t->cert_file, t->key_file, err, errlen) < 0)
            goto fail;
        if (t->client_ca_file) {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_ca_file);
            if (!names || SSL_CTX_load_verify_locations(ctx, t->client_ca_file, NULL) != 1) {
                sk_X509_NAME_pop_free(names, X509_NAME_free);
                read_error(t, "client CA", t->client_ca_file, t->words.client_ca, err, errlen);
                goto fail;
            }
            SSL_CTX_set_client_CA_list(ctx, names);
            if (t->crl_file && load_crl(t, ctx, warning, sizeof warning, err, errlen) < 0)
                goto fail;
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        }
        /* Clients that come back after a dropped connection resume with a
         * TLS 1.3 ticket: keys of our own, rotated, short-lived, no 0-RTT,
         * no TLS 1.2 resumption (tls_tickets.c). */
        if (!t->dtls)
            tls_tickets_server_setup(t, ctx);
        memcpy(t->crl_warning, warning, sizeof warning);
        tls_cert_expiry_warning(SSL_CTX_get0_certificate(ctx), t->cert_file, t->words.renew, t->cert_warning,
                                sizeof t->cert_warning);
    } else {
        if (t->cert_file && load_cert_and_key(t, ctx, t->cert_file, t->key_file ? t->key_file : t->cert_file,
                                              err, errlen) < 0)
            goto fail;
        if (!t->cert_file)
            SSL_CTX_set_client_cert_cb(ctx, no_client_cert);
        tls_tickets_client_setup(t, ctx);
        if (t->insecure || t->verify_later) {
            /* verify_later: the program checks the key before it sends a byte */
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        } else {
            if (t->ca_file && SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
                read_error(t, "CA certificate", t->ca_file, t->words.ca, err, errlen);
                goto fail;
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
        }
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static struct tls *tls_new(const struct tls_config *cfg, int server, char *err, size_t errlen)
{
    struct tls *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    t->server = server;
    t->cert_file = dup_or_null(cfg->cert_file);
    t->key_file = dup_or_null(cfg->key_file);
    t->ca_file = dup_or_null(cfg->ca_file);
    t->client_ca_file = dup_or_null(cfg->client_ca_file);
    t->crl_file = dup_or_null(cfg->crl_file);
    t->insecure = cfg->insecure;
    t->verify_later = !server && cfg->verify_later && !cfg->insecure && !cfg->ca_file && !cfg->pin;
    t->min_version = cfg->min_version;
    t->max_version = cfg->max_version;
    t->pad = cfg->pad;
    t->resume_sessions = cfg->resume_sessions;
    t->dtls = cfg->dtls;
    t->words = cfg->words ? *cfg->words : tls_no_words;
    if (tls_version_check(cfg->min_version, cfg->max_version, err, errlen) < 0 ||
        tls_pad_check(cfg->pad, err, errlen) < 0)
        goto fail;
    if (cfg->crl_file && (!server || !cfg->client_ca_file)) {
        if (t->words.crl && t->words.client_ca)
            set_err(err, errlen, "%s needs %s: a revocation list checks client certificates", t->words.crl,
                    t->words.client_ca);
        else
            set_err(err, errlen, "a revocation list needs a client CA: it checks client certificates");
        goto fail;
    }
    if (server && !cfg->cert_file) {
        if (t->words.cert && t->words.key)
            set_err(err, errlen, "a TLS server needs a certificate (%s and %s)", t->words.cert, t->words.key);
        else
            set_err(err, errlen, "a TLS server needs a certificate and its key");
        goto fail;
    }
    if (!server && cfg->pin) {
        char why[200];
        if (tls_pin_parse(cfg->pin, t->pin, why, sizeof why) < 0) {
            set_err(err, errlen, "%s %s", t->words.pin ? t->words.pin : "the pin", why);
            goto fail;
        }
        t->has_pin = 1;
    }
    if (!server && !cfg->insecure && !cfg->ca_file && !t->has_pin && !t->verify_later) {
        if (t->words.ca && t->words.pin)
            set_err(err, errlen, "nothing to verify the server with: name its CA with %s, or its certificate with %s",
                    t->words.ca, t->words.pin);
        else if (t->words.ca)
            set_err(err, errlen, "nothing to verify the server with: name its CA with %s", t->words.ca);
        else
            set_err(err, errlen, "nothing to verify the server with: give the CA that signed it, or pin its certificate");
        goto fail;
    }
    if (open_keylog(t, cfg, err, errlen) < 0)
        goto fail;
    if (server && tls_tickets_rekey(t) < 0) {
        set_err(err, errlen, "cannot make session ticket keys: the system gave no random bytes");
        goto fail;
    }
    if (!(t->ctx = make_ctx(t, err, errlen)))
        goto fail;
    if (!server) {
        const char *pin_name = t->words.pin ? t->words.pin : "a pinned fingerprint";
        if (t->insecure)
            snprintf(t->verified_by, sizeof t->verified_by, "NOTHING (--insecure)");
        else if (t->verify_later)
            snprintf(t->verified_by, sizeof t->verified_by, "its public key (known hosts)");
        else if (t->has_pin && t->ca_file)
            snprintf(t->verified_by, sizeof t->verified_by, "CA %s and %s", t->ca_file, pin_name);
        else if (t->has_pin)
            snprintf(t->verified_by, sizeof t->verified_by, "%s", pin_name);
        else
            snprintf(t->verified_by, sizeof t->verified_by, "CA %s", t->ca_file);
    }
    return t;
fail:
    tls_free(t);
    return NULL;
}

struct tls *tls_server_new(const struct tls_config *cfg, char *err, size_t errlen)
{
    return tls_new(cfg, 1, err, errlen);
}

struct tls *tls_client_new(const struct tls_config *cfg, char *err, size_t errlen)
{
    return tls_new(cfg, 0, err, errlen);
}

void tls_free(struct tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    SSL_SESSION_free(t->session);
    OPENSSL_cleanse(t->tickets, sizeof t->tickets);
    if (t->keylog)
        fclose(t->keylog);
    free(t->cert_file);
    free(t->key_file);
    free(t->ca_file);
    free(t->client_ca_file);
    free(t->crl_file);
    free(t);
}

int tls_reload(struct tls *t, char *err, size_t errlen)
{
    SSL_CTX *ctx = make_ctx(t, err, errlen);
    if (!ctx)
        return -1;
    /* Each SSL holds its own reference to the context it was made from. */
    SSL_CTX_free(t->ctx);
    t->ctx = ctx;
    /* Tickets made before the reload are not taken after it: a certificate
     * the new CRL revokes cannot come back on one. */
    tls_tickets_rekey(t);
    return 0;
}

int tls_is_server(const struct tls *t)
{
    return t->server;
}

int tls_requires_client_cert(const struct tls *t)
{
    return t->server && t->client_ca_file != NULL;
}

const char *tls_keylog_warning(const struct tls *t)
{
    return t->keylog_warning[0] ? t->keylog_warning : NULL;
}

const char *tls_crl_warning(const struct tls *t)
{
    return t->crl_warning[0] ? t->crl_warning : NULL;
}

const char *tls_cert_warning(const struct tls *t)
{
    return t->cert_warning[0] ? t->cert_warning : NULL;
}

const char *tls_verified_by(const struct tls *t)
{
    return t->verified_by;
}

SSL *tls_ssl_new(struct tls *t, int fd, const char *servername, char *err, size_t errlen)
{
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        set_err(err, errlen, "cannot start a TLS session: %s", ERR_reason_error_string(ERR_get_error()));
        SSL_free(ssl);
        return NULL;
    }
    if (t->server) {
        SSL_set_accept_state(ssl);
        return ssl;
    }
    SSL_set_connect_state(ssl);
    tls_tickets_offer(t, ssl);
    int pin_only = (t->has_pin && !t->ca_file) || t->verify_later; /* the key is the identity */
    if (!t->insecure && !pin_only && !(servername && *servername)) {
        /* A CA vouches for names: with no name to check, any certificate it
         * ever signed would pass. Fail closed. */
        if (t->words.servername)
            set_err(err, errlen, "no server name to verify the certificate against: pass %s NAME", t->words.servername);
        else
            set_err(err, errlen, "no server name to verify the certificate against: connect by the name it lists");
        SSL_free(ssl);
        return NULL;
    }
    if (servername && *servername) {
        int ip = net_is_ip_literal(servername);
        if (!ip)
            SSL_set_tlsext_host_name(ssl, servername); /* SNI: names only, never IP literals */
        /* With a pin alone, the pin is the identity: no name to check. */
        if (!t->insecure && !pin_only) {
            int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), servername)
                        : SSL_set1_host(ssl, servername);
            if (ok != 1) {
                set_err(err, errlen, "'%s' is not a host name or address that can be verified", servername);
                SSL_free(ssl);
                return NULL;
            }
        }
    }
    return ssl;
}

void tls_fingerprint_text(const unsigned char *der, size_t len, char *buf, size_t buflen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != TLS_SHA256_LEN) {
        snprintf(buf, buflen, "?");
        return;
    }
    tls_sha256_text(md, buf, buflen);
}

/* The certificate's one CN as UTF-8; "" when it has none, several, or one
 * with a NUL byte in it ("alice\0x" must not pass for alice). */
static void common_name(X509_NAME *name, char *buf, size_t len)
{
    buf[0] = '\0';
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
        return;
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n > 0 && (size_t)n < len && !memchr(utf8, 0, (size_t)n)) {
        memcpy(buf, utf8, (size_t)n);
        buf[n] = '\0';
    }
    OPENSSL_free(utf8);
}

int tls_ssl_cert_requested(SSL *ssl)
{
    return SSL_get_app_data(ssl) != NULL;
}

void tls_ssl_summary(SSL *ssl, struct tls_summary *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->version, sizeof s->version, "%s", SSL_get_version(ssl));
    snprintf(s->cipher, sizeof s->cipher, "%s", SSL_get_cipher_name(ssl));
    int nid = SSL_get_negotiated_group(ssl);
    const char *g = nid > 0 ? SSL_group_to_name(ssl, nid) : NULL;
    snprintf(s->group, sizeof s->group, "%s", g ? g : "none");
    s->resumed = tls_session_resumed(ssl);
    X509 *peer = SSL_get1_peer_certificate(ssl);
    if (!peer)
        return;
    X509_NAME *name = X509_get_subject_name(peer);
    X509_NAME_oneline(name, s->subject, sizeof s->subject);
    common_name(name, s->cn, sizeof s->cn);
    tls_cert_facts(peer, s);
    struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (t && t->has_pin)
        s->pin_matched = memcmp(s->spki_sha256, t->pin, TLS_SHA256_LEN) == 0 ? TLS_PIN_SPKI : TLS_PIN_CERT;
    X509_free(peer);
    /* Checked (not --insecure, or a server that asked for a certificate) and passed. */
    s->verified = SSL_get_verify_mode(ssl) != SSL_VERIFY_NONE && SSL_get_verify_result(ssl) == X509_V_OK;
}
