/* SPDX-License-Identifier: ISC */
/* join_uri: the parser of tlschat://HOST[:PORT][/][?pin=sha256:HEX]. Strict:
 * anything it does not know is refused rather than guessed at. */
#include "join_uri.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tls.h"

static int bad(char *err, size_t errlen, const char *text, const char *why)
{
    snprintf(err, errlen, "the join address '%.300s' %s (the form is " JOIN_URI_SCHEME "HOST:PORT/?pin=sha256:HEX)",
             text, why);
    return -1;
}

static int host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_' || c == ':' || c == '%';
}

int join_uri_parse(const char *text, struct join_uri *u, char *err, size_t errlen)
{
    size_t scheme = strlen(JOIN_URI_SCHEME);
    memset(u, 0, sizeof *u);
    if (strncasecmp(text, JOIN_URI_SCHEME, scheme) != 0)
        return 0;
    const char *p = text + scheme, *host, *host_end;
    if (*p == '[') { /* [v6]:port */
        host = p + 1;
        if (!(host_end = strchr(host, ']')))
            return bad(err, errlen, text, "opens '[' and never closes it");
        p = host_end + 1;
    } else {
        host = p;
        p += strcspn(p, ":/?");
        host_end = p;
    }
    size_t hlen = (size_t)(host_end - host);
    if (hlen == 0 || hlen >= sizeof u->host)
        return bad(err, errlen, text, hlen ? "has a host name that is too long" : "has no host");
    for (size_t i = 0; i < hlen; i++)
        if (!host_char_ok(host[i]))
            return bad(err, errlen, text, "has a character that cannot be in a host name or address");
    memcpy(u->host, host, hlen);
    snprintf(u->port, sizeof u->port, "8443");
    if (*p == ':') {
        size_t n = strspn(++p, "0123456789");
        long port = 0;
        for (size_t i = 0; i < n && i < 6; i++)
            port = port * 10 + (p[i] - '0');
        if (n == 0 || n > 5 || port < 1 || port > 65535)
            return bad(err, errlen, text, "has a port that is not a number from 1 to 65535");
        snprintf(u->port, sizeof u->port, "%ld", port);
        p += n;
    }
    if (*p == '/')
        p++;
    if (*p == '\0')
        return 1;
    if (*p != '?')
        return bad(err, errlen, text, "has a path: only /?pin=sha256:HEX may follow the port");
    p++;
    if (strncmp(p, "pin=", 4) != 0)
        return bad(err, errlen, text, "has a query other than pin=sha256:HEX");
    p += 4;
    char why[200];
    if (strlen(p) >= sizeof u->pin || tls_pin_parse(p, NULL, why, sizeof why) < 0)
        return bad(err, errlen, text, "has a pin that is not sha256: and 64 hex digits");
    snprintf(u->pin, sizeof u->pin, "%s", p);
    return 1;
}
