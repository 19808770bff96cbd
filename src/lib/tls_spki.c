/* SPDX-License-Identifier: ISC */
/* tls_spki: the facts of one certificate that a person compares or pins: the
 * SHA-256 of the certificate and of its public key (SubjectPublicKeyInfo, as
 * curl's --pinnedpubkey and HPKP hash it), the key type and the expiry. The
 * public-key hash survives a renewal with the same key; the certificate's
 * does not. */
#include "tls_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "seterr.h"

int tls_spki_sha256(X509 *x, unsigned char out[TLS_SHA256_LEN])
{
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    unsigned int mdlen = 0;
    int ok = len > 0 && EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL) && mdlen == TLS_SHA256_LEN;
    OPENSSL_free(der);
    return ok ? 0 : -1;
}

int tls_cert_sha256(X509 *x, unsigned char out[TLS_SHA256_LEN])
{
    unsigned int mdlen = 0;
    return X509_digest(x, EVP_sha256(), out, &mdlen) && mdlen == TLS_SHA256_LEN ? 0 : -1;
}

void tls_sha256_text(const unsigned char md[TLS_SHA256_LEN], char *buf, size_t buflen)
{
    if (buflen < 8 + 2 * TLS_SHA256_LEN) {
        snprintf(buf, buflen, "?");
        return;
    }
    size_t at = (size_t)snprintf(buf, buflen, "sha256:");
    for (size_t i = 0; i < TLS_SHA256_LEN; i++, at += 2)
        snprintf(buf + at, 3, "%02x", md[i]);
}

static void key_type(EVP_PKEY *key, char *buf, size_t len)
{
    switch (key ? EVP_PKEY_get_base_id(key) : 0) {
    case EVP_PKEY_RSA:
        snprintf(buf, len, "RSA %d bit", EVP_PKEY_get_bits(key));
        break;
    case EVP_PKEY_EC: {
        char group[64] = "";
        size_t glen = 0;
        const char *nist = NULL;
        if (EVP_PKEY_get_group_name(key, group, sizeof group, &glen) == 1)
            nist = EC_curve_nid2nist(OBJ_sn2nid(group));
        snprintf(buf, len, "ECDSA %.30s", nist ? nist : group[0] ? group : "(unknown curve)");
        break;
    }
    case EVP_PKEY_ED25519: snprintf(buf, len, "ED25519"); break;
    case EVP_PKEY_ED448: snprintf(buf, len, "ED448"); break;
    default: snprintf(buf, len, "%s", key ? OBJ_nid2sn(EVP_PKEY_get_base_id(key)) : "none"); break;
    }
}

void tls_cert_facts(X509 *x, struct tls_summary *s)
{
    unsigned char md[TLS_SHA256_LEN];
    if (!s->subject[0])
        X509_NAME_oneline(X509_get_subject_name(x), s->subject, sizeof s->subject);
    if (tls_cert_sha256(x, md) == 0)
        tls_sha256_text(md, s->fingerprint, sizeof s->fingerprint);
    if (tls_spki_sha256(x, s->spki_sha256) == 0)
        tls_sha256_text(s->spki_sha256, s->spki, sizeof s->spki);
    key_type(X509_get0_pubkey(x), s->key_type, sizeof s->key_type);
    BIO *b = BIO_new(BIO_s_mem());
    if (b && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
        int n = BIO_read(b, s->not_after, (int)sizeof s->not_after - 1);
        s->not_after[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
    ERR_clear_error();
}

int tls_own_summary(const struct tls *t, struct tls_summary *s)
{
    memset(s, 0, sizeof *s);
    X509 *x = t->ctx ? SSL_CTX_get0_certificate(t->ctx) : NULL;
    if (!x)
        return -1;
    tls_cert_facts(x, s);
    return 0;
}

int tls_cert_file_summary(const char *path, struct tls_summary *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "cannot read the certificate '%s': %s (check the path)", path, strerror(errno));
        return -1;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    if (!x) {
        rewind(f);
        x = d2i_X509_fp(f, NULL);
    }
    fclose(f);
    ERR_clear_error();
    if (!x) {
        set_err(err, errlen, "'%s' is not a certificate in PEM or DER form (name a .crt file)", path);
        return -1;
    }
    tls_cert_facts(x, s);
    X509_free(x);
    return 0;
}

void tls_cert_expiry_warning(X509 *x, const char *path, const char *renew, char *buf, size_t len)
{
    int days = 0, secs = 0;
    char how[160];
    buf[0] = '\0';
    if (!x)
        return;
    if (renew)
        snprintf(how, sizeof how, "renew it with the same key (%s: pins and known hosts stay valid)", renew);
    else
        snprintf(how, sizeof how, "renew it with the same key (pins and known hosts stay valid)");
    const ASN1_TIME *end = X509_get0_notAfter(x);
    if (X509_cmp_current_time(end) <= 0)
        snprintf(buf, len, "WARNING: the certificate '%s' has expired: clients refuse it; %s and reload it (SIGHUP)",
                 path, how);
    else if (ASN1_TIME_diff(&days, &secs, NULL, end) && days < 30)
        snprintf(buf, len, "WARNING: the certificate '%s' expires in %d day%s: %s and reload it (SIGHUP) "
                 "before then", path, days, days == 1 ? "" : "s", how);
    ERR_clear_error();
}
