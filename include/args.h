/* SPDX-License-Identifier: ISC */
/* args: checks of command-line values shared by the programs. Each check
 * returns its sentence in err (no program name: the caller prints
 * "PROG: SENTENCE"), so nothing here writes to the terminal. */
#ifndef TLSCHAT_ARGS_H
#define TLSCHAT_ARGS_H

#include <getopt.h>
#include <stddef.h>

struct tls_config;

/* A whole number in [min, max] into *n: 0, or -1 with a sentence naming opt. */
int args_number(const char *opt, const char *v, long min, long max, long *n, char *err, size_t errlen);

/* The TLS options both programs take, for their getopt_long tables. Their
 * codes sit above any program's own. */
enum { ARGS_TLS_MIN = 1000, ARGS_TLS_MAX, ARGS_KEYLOG, ARGS_PAD };
#define ARGS_TLS_LONGOPTS                                      \
    {"tls-min", required_argument, NULL, ARGS_TLS_MIN},        \
        {"tls-max", required_argument, NULL, ARGS_TLS_MAX},    \
        {"keylog", required_argument, NULL, ARGS_KEYLOG},      \
        {"pad", required_argument, NULL, ARGS_PAD}

/* Apply one of those to cfg: 1 when c was one of them, 0 when it was not,
 * -1 when its value is bad (a sentence in err; cfg is left as it was). */
int args_tls_option(int c, const char *value, struct tls_config *cfg, char *err, size_t errlen);

/* The sentence for what getopt_long refused in prog (c is ':' for a missing
 * value), naming the option as typed. Returns 2, the usage-error exit status. */
int args_refused(const char *prog, int c, const char *typed, char *err, size_t errlen);

/* --tls-min and --tls-max leave a TLS version: 0, or -1 with a sentence. */
int args_tls_range(const struct tls_config *cfg, char *err, size_t errlen);

#endif
