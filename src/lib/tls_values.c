/* SPDX-License-Identifier: ISC */
/* tls_values: the checks of what a tls_config takes (versions, padding, pins),
 * one each, for the SSL layer and the programs' option parsers alike. */
#include "tls_internal.h"

#include <ctype.h>
#include <string.h>

#include "seterr.h"

#define PIN_HEX_LEN ((size_t)2 * TLS_SHA256_LEN)

int tls_pin_parse(const char *text, unsigned char *sha256, char *err, size_t errlen)
{
    const char *hex = strncmp(text, "sha256:", 7) == 0 ? text + 7 : text;
    size_t n = 0;
    unsigned char out[TLS_SHA256_LEN];
    for (const char *p = hex; *p; p++) {
        if (*p == ':')
            continue; /* accept openssl's AA:BB:.. form too */
        if (!isxdigit((unsigned char)*p) || n >= PIN_HEX_LEN) {
            n = 0;
            break;
        }
        int v = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
        if (n % 2 == 0)
            out[n / 2] = (unsigned char)(v << 4);
        else
            out[n / 2] |= (unsigned char)v;
        n++;
    }
    if (n != PIN_HEX_LEN) {
        set_err(err, errlen, "'%s' is not a SHA-256 fingerprint: expected sha256: and 64 hex digits", text);
        return -1;
    }
    if (sha256)
        memcpy(sha256, out, sizeof out);
    return 0;
}

int tls_version_parse(const char *text)
{
    if (!strcmp(text, "1.2"))
        return TLS_V1_2;
    if (!strcmp(text, "1.3"))
        return TLS_V1_3;
    return -1;
}

int tls_version_check(int min_version, int max_version, char *err, size_t errlen)
{
    if (min_version != TLS_V1_2 && min_version != TLS_V1_3) {
        set_err(err, errlen, "the lowest TLS version must be 1.2 or 1.3");
        return -1;
    }
    if (max_version && max_version != TLS_V1_2 && max_version != TLS_V1_3) {
        set_err(err, errlen, "the highest TLS version must be 1.2 or 1.3");
        return -1;
    }
    if (max_version && max_version < min_version) {
        set_err(err, errlen, "the highest TLS version is below the lowest: no TLS version is left");
        return -1;
    }
    return 0;
}

int tls_pad_check(size_t pad, char *err, size_t errlen)
{
    if (pad > TLS_PAD_MAX) {
        set_err(err, errlen, "a padding block of %zu bytes is larger than a TLS record (the most is %d)", pad,
                TLS_PAD_MAX);
        return -1;
    }
    return 0;
}
