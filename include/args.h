/* args: checks of command-line values shared by the programs. */
#ifndef TLSCHAT_ARGS_H
#define TLSCHAT_ARGS_H

struct tls_config;

/* A whole number in [min, max], or -1 with a sentence on stderr. */
long args_number(const char *prog, const char *opt, const char *v, long min, long max);

/* "1.2" or "1.3" as TLS_V1_2 / TLS_V1_3, or -1 with a sentence on stderr
 * naming opt (--tls-min, --tls-max). */
int args_tls_version(const char *prog, const char *opt, const char *v);

/* The TLS options both programs take, for their getopt_long tables. Their
 * codes sit above any program's own. */
enum { ARGS_TLS_MIN = 1000, ARGS_TLS_MAX, ARGS_KEYLOG, ARGS_PAD };
#define ARGS_TLS_LONGOPTS                                      \
    {"tls-min", required_argument, NULL, ARGS_TLS_MIN},        \
        {"tls-max", required_argument, NULL, ARGS_TLS_MAX},    \
        {"keylog", required_argument, NULL, ARGS_KEYLOG},      \
        {"pad", required_argument, NULL, ARGS_PAD}

/* Apply one of those to cfg: 1 when c was one of them, 0 when it was not,
 * -1 when its value is bad (a sentence on stderr). */
int args_tls_option(const char *prog, int c, const char *value, struct tls_config *cfg);

/* The sentence for what getopt_long refused (c is ':' for a missing value),
 * naming the option as typed. Returns 2, the usage-error exit status. */
int args_refused(const char *prog, int c, const char *typed);

/* --tls-max below --tls-min leaves no version: a sentence and -1, else 0. */
int args_tls_range(const char *prog, const struct tls_config *cfg);

#endif
