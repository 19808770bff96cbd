/* SPDX-License-Identifier: ISC */
/* proc: descriptor limit and signals, for the server and the load generator. */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include "seterr.h"

int proc_raise_fd_limit(size_t need, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0; /* nothing known, nothing to warn about */
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        set_err(err, errlen, "%zu open files are needed but the limit is %lu: raise it with ulimit -n (or the hard "
                "limit in /etc/security/limits.conf, or LimitNOFILE= in a systemd unit)", need, (unsigned long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

int proc_signalfd(const int *signals, int nsig, char *err, size_t errlen)
{
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < nsig; i++)
        sigaddset(&set, signals[i]);
    signal(SIGPIPE, SIG_IGN);
    int fd = -1;
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        set_err(err, errlen, "cannot set up signal handling: %s", strerror(errno));
        return -1;
    }
    return fd;
}
