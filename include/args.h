/* args: checks of command-line values shared by the programs. */
#ifndef TLSCHAT_ARGS_H
#define TLSCHAT_ARGS_H

/* A whole number in [min, max], or -1 with a sentence on stderr. */
long args_number(const char *prog, const char *opt, const char *v, long min, long max);

/* "1.2" or "1.3" as TLS_V1_2 / TLS_V1_3, or -1 with a sentence on stderr
 * naming opt (--tls-min, --tls-max). */
int args_tls_version(const char *prog, const char *opt, const char *v);

#endif
