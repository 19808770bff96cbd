/* SPDX-License-Identifier: ISC */
/* reconnect: backoff with jitter, and the same server as the first time. */
#define _GNU_SOURCE
#include "reconnect.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define FIRST_DELAY_MS 1000
#define MAX_DELAY_MS   30000

void reconnect_first(struct reconnect *r, const struct conn *c)
{
    struct tls_summary sum;
    memset(r, 0, sizeof *r);
    if (conn_summary(c, &sum) == 0)
        snprintf(r->spki, sizeof r->spki, "%s", sum.spki);
}

void reconnect_lost(struct reconnect *r, uint64_t now_ms)
{
    r->attempt = 0;
    r->lost_ms = now_ms;
}

uint64_t reconnect_delay_ms(struct reconnect *r)
{
    uint64_t base = FIRST_DELAY_MS;
    for (unsigned i = 0; i < r->attempt && base < MAX_DELAY_MS; i++)
        base *= 2;
    if (base > MAX_DELAY_MS)
        base = MAX_DELAY_MS;
    r->attempt++;
    /* Jitter: between half and all of it, so that a room cut off at once
     * does not come back at once. */
    unsigned short rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
        rnd = (unsigned short)(r->attempt * 40503u);
    return base / 2 + (base / 2) * rnd / 65535;
}

int reconnect_cannot_help(const char *err)
{
    /* conn's sentences for a failed verification, ours or the server's of our
     * certificate, all name the certificate (or the pin, or the verification). */
    return strstr(err, "certificate") || strstr(err, "verif") || strstr(err, "pin");
}

struct conn *reconnect_connect(struct reconnect *r, const struct client_options *o, struct tls *tls, char *err,
                               size_t errlen, int *fatal)
{
    *fatal = 0;
    struct conn *c = conn_connect(o->host, o->port, tls, o->servername, o->timeout_s * 1000, err, errlen);
    if (!c) {
        *fatal = reconnect_cannot_help(err);
        return NULL;
    }
    /* The key, not the certificate: a renewal with the same key (gen-certs.sh
     * --renew) during the outage is the same server, as for pins and known hosts. */
    struct tls_summary sum;
    if (conn_summary(c, &sum) == 0 && strcmp(sum.spki, r->spki) != 0) {
        snprintf(err, errlen, "the server now shows another key (%s, not %s as when we first connected): "
                 "not reconnecting; connect again yourself if that is expected", sum.spki, r->spki);
        conn_close(c);
        *fatal = 1;
        return NULL;
    }
    return c;
}
