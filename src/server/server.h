/* SPDX-License-Identifier: ISC */
/* server: tlschatd's event loop: accepting, per-client state, queues, timeouts,
 * signals. */
#ifndef TLSCHAT_SERVER_H
#define TLSCHAT_SERVER_H

#include "options.h"

/* Runs until SIGINT/SIGTERM. Returns the exit status: 0, or 1 when it could
 * not start (a sentence was logged). */
int server_run(struct server_options *opt);

#endif
