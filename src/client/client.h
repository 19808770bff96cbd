/* SPDX-License-Identifier: ISC */
/* client: tlschat's session: connect, then relay between the terminal (or a
 * pipe) and the server until "closed". */
#ifndef TLSCHAT_CLIENT_H
#define TLSCHAT_CLIENT_H

#include "options.h"

/* Returns the exit status: 0, or 1 on a network or TLS failure. */
int client_run(const struct client_options *o);

#endif
