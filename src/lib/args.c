/* args: command-line values, checked whole, refused in one sentence. */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

long args_number(const char *prog, const char *opt, const char *v, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        fprintf(stderr, "%s: %s wants a whole number from %ld to %ld, not '%s'\n", prog, opt, min, max, v);
        return -1;
    }
    return n;
}

int args_tls_option(const char *prog, int c, const char *value, struct tls_config *cfg)
{
    long n;
    int v;
    if (c < ARGS_TLS_MIN || c > ARGS_PAD)
        return 0;
    if (!value) {
        fprintf(stderr, "%s: a TLS option needs a value (see %s --help)\n", prog, prog);
        return -1;
    }
    switch (c) {
    case ARGS_TLS_MIN:
        if ((v = args_tls_version(prog, "--tls-min", value)) < 0)
            return -1;
        cfg->min_version = v;
        return 1;
    case ARGS_TLS_MAX:
        if ((v = args_tls_version(prog, "--tls-max", value)) < 0)
            return -1;
        cfg->max_version = v;
        return 1;
    case ARGS_KEYLOG:
        cfg->keylog_file = value;
        return 1;
    case ARGS_PAD:
        if ((n = args_number(prog, "--pad", value, 1, 16384)) < 0)
            return -1;
        cfg->pad = (size_t)n;
        return 1;
    default:
        return 0;
    }
}

int args_refused(const char *prog, int c, const char *typed)
{
    if (c == ':')
        fprintf(stderr, "%s: %s needs a value (see %s --help)\n", prog, typed, prog);
    else
        fprintf(stderr, "%s: unknown option '%s' (see %s --help)\n", prog, typed, prog);
    return 2;
}

int args_tls_range(const char *prog, const struct tls_config *cfg)
{
    if (cfg->max_version && cfg->max_version < cfg->min_version) {
        fprintf(stderr, "%s: --tls-max is below --tls-min: no TLS version is left\n", prog);
        return -1;
    }
    return 0;
}

int args_tls_version(const char *prog, const char *opt, const char *v)
{
    if (!strcmp(v, "1.2"))
        return TLS_V1_2;
    if (!strcmp(v, "1.3"))
        return TLS_V1_3;
    fprintf(stderr, "%s: %s takes 1.2 or 1.3, not '%s'\n", prog, opt, v);
    return -1;
}
