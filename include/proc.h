/* SPDX-License-Identifier: ISC */
/* proc: what a long-running program sets up in its own process: enough file
 * descriptors for its connections, and signals as events on an fd. */
#ifndef TLSCHAT_PROC_H
#define TLSCHAT_PROC_H

#include <stddef.h>

/* Raise the soft open-file limit to the hard one. 0 when at least need
 * descriptors are allowed now, -1 with a sentence in err when fewer. */
int proc_raise_fd_limit(size_t need, char *err, size_t errlen);

/* Ignore SIGPIPE (a peer that reset the connection is an error to report, not
 * a reason to die), block the nsig signals given, and return a non-blocking
 * signalfd that reads them; -1 with a sentence in err. */
int proc_signalfd(const int *signals, int nsig, char *err, size_t errlen);

#endif
