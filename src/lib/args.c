/* SPDX-License-Identifier: ISC */
/* args: command-line values, checked whole, refused in one sentence. The TLS
 * values are checked by the SSL layer's own checkers, so both agree. */
#include "args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "seterr.h"
#include "tls.h"

int args_number(const char *opt, const char *v, long min, long max, long *n, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max) {
        set_err(err, errlen, "%s wants a whole number from %ld to %ld, not '%s'", opt, min, max, v);
        return -1;
    }
    *n = x;
    return 0;
}

static int version_option(const char *opt, const char *value, int *out, char *err, size_t errlen)
{
    int v = tls_version_parse(value);
    if (v < 0) {
        set_err(err, errlen, "%s takes 1.2 or 1.3, not '%s'", opt, value);
        return -1;
    }
    *out = v;
    return 1;
}

int args_tls_option(int c, const char *value, struct tls_config *cfg, char *err, size_t errlen)
{
    char why[160];
    long n;
    if (c < ARGS_TLS_MIN || c > ARGS_PAD)
        return 0;
    if (!value) {
        set_err(err, errlen, "a TLS option needs a value");
        return -1;
    }
    switch (c) {
    case ARGS_TLS_MIN:
        return version_option("--tls-min", value, &cfg->min_version, err, errlen);
    case ARGS_TLS_MAX:
        return version_option("--tls-max", value, &cfg->max_version, err, errlen);
    case ARGS_KEYLOG:
        cfg->keylog_file = value;
        return 1;
    case ARGS_PAD:
        if (args_number("--pad", value, 1, LONG_MAX, &n, err, errlen) < 0)
            return -1;
        if (tls_pad_check((size_t)n, why, sizeof why) < 0) {
            set_err(err, errlen, "--pad %s: %s", value, why);
            return -1;
        }
        cfg->pad = (size_t)n;
        return 1;
    default:
        return 0;
    }
}

int args_refused(const char *prog, int c, const char *typed, char *err, size_t errlen)
{
    if (c == ':')
        set_err(err, errlen, "%s needs a value (see %s --help)", typed, prog);
    else
        set_err(err, errlen, "unknown option '%s' (see %s --help)", typed, prog);
    return 2;
}

int args_tls_range(const struct tls_config *cfg, char *err, size_t errlen)
{
    char why[160];
    if (tls_version_check(cfg->min_version, cfg->max_version, why, sizeof why) < 0) {
        /* Both were parsed as known versions: the range itself is empty. */
        set_err(err, errlen, "--tls-max is below --tls-min: no TLS version is left");
        return -1;
    }
    return 0;
}
