/* SPDX-License-Identifier: ISC */
/* For unit tests that need real certificates: two temporary folders, each with
 * its own CA, made by the project's scripts/gen-certs.sh (found through
 * $TLSCHAT_ROOT, or the current folder, as tests/run.sh runs from the root).
 * Header-only: each test program is one file and includes it once. */
#ifndef TLSCHAT_TEST_CERT_DIRS_H
#define TLSCHAT_TEST_CERT_DIRS_H

#include <stdio.h>
#include <stdlib.h>

static char dir_a[64], dir_b[64]; /* two independent CAs */

/* A path inside dir, from a small ring of buffers (16 live at once). */
static const char *in(const char *dir, const char *name)
{
    static char buf[16][512];
    static int next;
    char *p = buf[next++ % 16];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static int make_certs(const char *dir, const char *extra)
{
    const char *root = getenv("TLSCHAT_ROOT");
    if (!root || !*root)
        root = ".";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/scripts/gen-certs.sh' --dir '%s' %s >/dev/null", root, dir, extra);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "gen-certs failed (%d): %s (set TLSCHAT_ROOT to the repository)\n", rc, cmd);
        return -1;
    }
    return 0;
}

/* dir_a and dir_b as /tmp/tlschat-TAG-{a,b}-XXXXXX, with gen-certs.sh's extra
 * options for each (e.g. "--client alice"). 0, or -1. */
static int cert_dirs_setup(const char *tag, const char *extra_a, const char *extra_b)
{
    snprintf(dir_a, sizeof dir_a, "/tmp/tlschat-%s-a-XXXXXX", tag);
    snprintf(dir_b, sizeof dir_b, "/tmp/tlschat-%s-b-XXXXXX", tag);
    if (!mkdtemp(dir_a) || !mkdtemp(dir_b))
        return -1;
    return make_certs(dir_a, extra_a) < 0 || make_certs(dir_b, extra_b) < 0 ? -1 : 0;
}

static int cert_dirs_teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir_a, dir_b);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
