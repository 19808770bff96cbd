/* SPDX-License-Identifier: ISC */
/* tls_errors: a failed TLS call as one sentence a user can act on, with the
 * hint in the program's own words (struct tls_words). */
#define _GNU_SOURCE
#include "tls_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "seterr.h"

/* What to do about a failed verification, in the program's words. */
static const char *verify_hint(const struct tls_words *w, long v, char *buf, size_t len)
{
    switch (v) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        if (!w->ca)
            return "is the CA trusted here the one that signed the server?";
        snprintf(buf, len, "does %s name the CA that signed the server?", w->ca);
        return buf;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        snprintf(buf, len, "connect by a name the certificate lists%s%s%s%s%s%s%s", w->show_cert ? " (" : "",
                 w->show_cert ? w->show_cert : "", w->show_cert ? " shows them)" : "",
                 w->servername ? ", pass " : "", w->servername ? w->servername : "",
                 w->add_name ? ", or remake it with " : "", w->add_name ? w->add_name : "");
        return buf;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        if (!w->make_certs)
            return "make a new certificate, or check this machine's clock";
        snprintf(buf, len, "make a new certificate with %s, or check this machine's clock", w->make_certs);
        return buf;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "is this machine's clock right?";
    case X509_V_ERR_APPLICATION_VERIFICATION:
        snprintf(buf, len, "the server certificate is not the one %s names: check who you are talking to",
                 w->pin ? w->pin : "the pin");
        return buf;
    case X509_V_ERR_INVALID_PURPOSE:
        if (!w->make_certs)
            return "the certificate is not made for this use: make a server certificate";
        snprintf(buf, len, "the certificate is not made for this use: remake it with %s", w->make_certs);
        return buf;
    default:
        if (!w->show_cert)
            return "check the certificates";
        snprintf(buf, len, "check the certificates with %s", w->show_cert);
        return buf;
    }
}

/* Why the server refused a client's certificate, for its log. */
static const char *client_cert_hint(long v)
{
    switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return " (the client needs a new certificate, or a clock is wrong)";
    case X509_V_ERR_INVALID_PURPOSE:
        return " (it is not a client certificate)";
    case X509_V_ERR_CERT_REVOKED:
        return " (it was revoked)";
    case X509_V_ERR_CRL_HAS_EXPIRED:
        return " (this server's revocation list has expired: make a new one and reload it with SIGHUP)";
    case X509_V_ERR_CRL_NOT_YET_VALID:
        return " (this server's revocation list is not valid yet: is this machine's clock right?)";
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        return " (no revocation list from its CA is loaded)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return " (it was not signed by the CA this server trusts)";
    default:
        return "";
    }
}

/* "(--ca)": the option in brackets, or nothing. */
static const char *bracketed(const char *opt, char *buf, size_t len)
{
    if (!opt)
        return "";
    snprintf(buf, len, " (%s)", opt);
    return buf;
}

void tls_ssl_error(SSL *ssl, int ret, char *err, size_t errlen)
{
    int code = SSL_get_error(ssl, ret);
    int server = SSL_is_server(ssl);
    unsigned long e = ERR_peek_last_error();
    int reason = ERR_GET_REASON(e);
    long v = SSL_get_verify_result(ssl);
    const char *peer = server ? "the client" : "the server";
    /* Not SSL_is_init_finished: a fatal error puts the SSL back "in init", so
     * every failure would look like a handshake failure. The handshake state
     * stays TLS_ST_OK once the handshake is over. */
    int in_handshake = SSL_get_state(ssl) != TLS_ST_OK;
    const struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const struct tls_words *w = t ? &t->words : &tls_no_words;
    char hint[400], opt[64];

    if (!server && v == X509_V_ERR_APPLICATION_VERIFICATION && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        struct tls_summary facts;
        memset(&facts, 0, sizeof facts);
        STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl); /* the session's leaf is not set yet */
        X509 *leaf = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
        if (leaf)
            tls_cert_facts(leaf, &facts);
        set_err(err, errlen, "the server does not match %s: its certificate is %s and its public key %s (check who "
                "you are talking to)", w->pin ? w->pin : "the pin", leaf ? facts.fingerprint : "unknown",
                leaf ? facts.spki : "unknown");
    } else if (!server && v != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        set_err(err, errlen, "certificate verify failed: %s (%s)", X509_verify_cert_error_string(v),
                verify_hint(w, v, hint, sizeof hint));
    } else if (server && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        set_err(err, errlen, "client certificate verify failed: %s%s", X509_verify_cert_error_string(v),
                client_cert_hint(v));
    } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        set_err(err, errlen, "the client sent no certificate, and this server requires one%s",
                bracketed(w->client_ca, opt, sizeof opt));
    } else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) {
        if (w->cert && w->key)
            set_err(err, errlen, "the server requires a client certificate: pass %s and %s", w->cert, w->key);
        else
            set_err(err, errlen, "the server requires a client certificate");
    } else if (reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED) {
        /* OpenSSL sends this alert for "not yet valid" too */
        set_err(err, errlen, "%s rejected our certificate (%s): it has expired or is not valid yet: check its dates "
                "(and both clocks), and make a new one%s%s", peer, ERR_reason_error_string(e),
                w->make_certs ? " with " : "", w->make_certs ? w->make_certs : "");
    } else if (reason == SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED) {
        set_err(err, errlen, "%s refused our certificate: it has been revoked (ask for a new one)", peer);
    } else if (reason == SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE) {
        set_err(err, errlen, "%s rejected our certificate (%s): it is not made for this use (a %s certificate "
                "needs %s): make one for it%s%s", peer, ERR_reason_error_string(e), server ? "server" : "client",
                server ? "serverAuth" : "clientAuth", w->make_certs ? " with " : "",
                w->make_certs ? w->make_certs : "");
    } else if (reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
               reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR || reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN) {
        /* The peer's options: a client's --ca, a server's --client-ca. */
        set_err(err, errlen, "%s rejected our certificate (%s): %s", peer, ERR_reason_error_string(e),
                server ? "does the client trust the CA that signed this server (--ca), and connect by a name the certificate lists?"
                       : "was it signed by the CA the server trusts (--client-ca)?");
    } else if (!server && (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
                           reason == SSL_R_PACKET_LENGTH_TOO_LONG || reason == SSL_R_UNKNOWN_PROTOCOL) && in_handshake) {
        set_err(err, errlen, "the server answered in plaintext: is it running with --plain?");
    } else if (server && in_handshake &&
               (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
                reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_PACKET_LENGTH_TOO_LONG)) {
        set_err(err, errlen, "the client did not speak TLS (%s)", ERR_reason_error_string(e));
    } else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
               reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
        if (w->versions)
            set_err(err, errlen, "%s does not support this TLS version (check %s on both sides)", peer, w->versions);
        else
            set_err(err, errlen, "%s does not support this TLS version (check the versions both sides allow)", peer);
    } else if (reason == SSL_R_NO_SHARED_CIPHER) {
        set_err(err, errlen, "no cipher or key type in common with %s (%s)", peer, ERR_reason_error_string(e));
    } else if (!server && reason == SSL_R_TLSV1_ALERT_ACCESS_DENIED && in_handshake) {
        /* tlschatd's way of turning a connection away before the handshake */
        set_err(err, errlen, "the server refused the connection (access denied), as tlschatd does when this "
                             "address has too many connections: close some, or try again later");
    } else if (server && reason == SSL_R_NO_APPLICATION_PROTOCOL) {
        /* tls_alpn.c refused it: the client offered ALPN, but not ours. */
        set_err(err, errlen, "the client asked for another application protocol (ALPN), not %s: it is not a "
                             "tlschat client, so it was refused (no_application_protocol alert)", TLS_ALPN);
    } else if (!server && reason == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL) {
        set_err(err, errlen, "the server does not speak %s, the application protocol (ALPN) this client offered: "
                             "is it a tlschat server, on the right port?", TLS_ALPN);
    } else if (reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE) {
        set_err(err, errlen, "%s gave up on the handshake (%s): %s", peer, ERR_reason_error_string(e),
                server ? "it may not trust this server's certificate (--pin or --ca on its side)"
                       : "it may require what this client lacks (a client certificate, or a TLS version)");
    } else if ((code == SSL_ERROR_SYSCALL && e == 0) || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        if (in_handshake && !server)
            set_err(err, errlen, "the server closed the connection during the TLS handshake: is it a plaintext server (--plain)?");
        else if (in_handshake)
            set_err(err, errlen, "the client closed the connection during the TLS handshake");
        else
            set_err(err, errlen, "%s closed the connection without a TLS close_notify (it may have been cut)", peer);
    } else if (code == SSL_ERROR_SYSCALL) {
        set_err(err, errlen, "connection to %s failed: %s", peer, errno ? strerror(errno) : "unexpected end");
    } else if (e) {
        set_err(err, errlen, "TLS %s failed: %s", in_handshake ? "handshake" : "session", ERR_reason_error_string(e));
    } else {
        set_err(err, errlen, "TLS %s failed (OpenSSL error %d)", in_handshake ? "handshake" : "session", code);
    }
    ERR_clear_error();
}
