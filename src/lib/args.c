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
