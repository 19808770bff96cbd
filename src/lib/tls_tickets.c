/* SPDX-License-Identifier: ISC */
/* tls_tickets: TLS 1.3 session resumption, so that a client coming back after
 * a dropped connection costs the server a ticket's decryption and an ECDHE
 * exchange, not a signature and a certificate chain.
 *
 * Server: stateless tickets (nothing kept per client), encrypted with keys of
 * this struct tls's own (AES-256-CBC and HMAC-SHA256, made from the system's
 * random source, never written anywhere), replaced every TICKET_ROTATE_S: a
 * ticket made with the previous key is still taken. Each resumed session
 * gets a new ticket, so a client never needs to show one twice. So a ticket
 * lives at most about TICKET_LIFETIME_S, and a key stolen from memory opens
 * at most the last two periods' tickets. The keys are new after a reload
 * (SIGHUP), so a certificate revoked by a new CRL cannot come back on a
 * ticket made before it. Resumption always makes a fresh ECDHE exchange
 * (psk_dhe_ke: OpenSSL never allows psk_ke unless asked), so each session's
 * traffic keeps forward secrecy. TLS 1.2 never resumes (its tickets carry the
 * master secret itself), and there is no 0-RTT data (it could be replayed).
 *
 * Client (tls_config.resume_sessions): the last session the server gave a
 * ticket for is offered on the next connection. */
#define _GNU_SOURCE
#include "tls_internal.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

static int fresh_key(struct tls_ticket_key *k)
{
    unsigned char buf[sizeof k->name + sizeof k->aes + sizeof k->hmac];
    if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf)
        return -1;
    memcpy(k->name, buf, sizeof k->name);
    memcpy(k->aes, buf + sizeof k->name, sizeof k->aes);
    memcpy(k->hmac, buf + sizeof k->name + sizeof k->aes, sizeof k->hmac);
    OPENSSL_cleanse(buf, sizeof buf);
    k->made = time(NULL);
    k->ok = 1;
    return 0;
}

int tls_tickets_rekey(struct tls *t)
{
    OPENSSL_cleanse(t->tickets, sizeof t->tickets);
    return fresh_key(&t->tickets[0]);
}

/* The current key, rotated when it is due: the old one stays for decrypting. */
static struct tls_ticket_key *current_key(struct tls *t)
{
    if (time(NULL) - t->tickets[0].made >= TICKET_ROTATE_S) {
        struct tls_ticket_key next;
        if (fresh_key(&next) == 0) {
            t->tickets[1] = t->tickets[0];
            t->tickets[0] = next;
            OPENSSL_cleanse(&next, sizeof next);
        }
    }
    return &t->tickets[0];
}

static int set_hmac_key(EVP_MAC_CTX *hctx, const unsigned char *key, size_t len)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key, len),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_CTX_set_params(hctx, params);
}

/* OpenSSL's ticket key callback: 1 done, 2 done and send a new ticket, 0 no
 * ticket (a full handshake), -1 error. */
static int ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
                         EVP_MAC_CTX *hctx, int enc)
{
    struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!t || SSL_version(ssl) != TLS1_3_VERSION)
        return 0; /* TLS 1.2 and DTLS 1.2: no resumption */
    if (enc) {
        struct tls_ticket_key *k = current_key(t);
        if (!k->ok || getrandom(iv, EVP_MAX_IV_LENGTH, 0) != EVP_MAX_IV_LENGTH)
            return -1;
        memcpy(name, k->name, sizeof k->name);
        if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 ||
            set_hmac_key(hctx, k->hmac, sizeof k->hmac) != 1)
            return -1;
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        const struct tls_ticket_key *k = &t->tickets[i];
        if (!k->ok || memcmp(name, k->name, sizeof k->name) != 0)
            continue;
        if (time(NULL) - k->made >= 2LL * TICKET_ROTATE_S)
            return 0; /* expired with its key */
        if (set_hmac_key(hctx, k->hmac, sizeof k->hmac) != 1 ||
            EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1)
            return -1;
        return 2; /* and a new ticket (OpenSSL sends none after a resumption otherwise) */
    }
    return 0; /* unknown key (older, or another server's): a full handshake */
}

void tls_tickets_server_setup(struct tls *t, SSL_CTX *ctx)
{
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET); /* stateless tickets, nothing kept here */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_timeout(ctx, TICKET_LIFETIME_S);
    SSL_CTX_set_max_early_data(ctx, 0);
    SSL_CTX_set_recv_max_early_data(ctx, 0);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb);
    (void)t;
}

/* Client: keep the newest session the server gave a ticket for. */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!t || !SSL_SESSION_is_resumable(sess))
        return 0;
    /* A copy: a connection that dies badly (the very case here) marks its
     * own session not resumable on the way out. */
    SSL_SESSION *copy = SSL_SESSION_dup(sess);
    if (copy) {
        SSL_SESSION_free(t->session);
        t->session = copy;
    }
    return 0; /* sess stays OpenSSL's */
}

void tls_tickets_client_setup(struct tls *t, SSL_CTX *ctx)
{
    if (!t->resume_sessions) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        return;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session);
}

void tls_tickets_offer(struct tls *t, SSL *ssl)
{
    /* The server gives a new ticket on the new session, which replaces this
     * one (new_session): tlschat holds one connection, so each is used once. */
    if (t->resume_sessions && t->session)
        SSL_set_session(ssl, t->session);
}

int tls_session_resumed(SSL *ssl)
{
    return SSL_session_reused(ssl) == 1;
}
