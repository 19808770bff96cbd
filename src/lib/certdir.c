/* SPDX-License-Identifier: ISC */
/* certdir: the search order for certificates no option names (see certdir.h). */
#include "certdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "seterr.h"

enum { MAX_DIRS = 4 };

static const char local[] = "certs"; /* in the current directory */

/* DIR/FILE into out (one slash between them); -1 when it does not fit. */
static int join(char *out, size_t outlen, const char *dir, const char *file)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    int w = snprintf(out, outlen, "%.*s/%s", (int)n, dir, file);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

/* The file is there, or something is there that only reading it can explain
 * (a directory on the way that may not be searched). */
static int present(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || errno == EACCES;
}

/* $TLSCHAT_CERTS: when set, the one place looked in. */
static int from_env(const char *env, const char *file, const char *hint, char *path, size_t pathlen,
                    char *err, size_t errlen)
{
    struct stat st;
    if (stat(env, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            set_err(err, errlen, "%s is '%s', which does not exist: %s, or unset %s", CERTDIR_ENV, env, hint,
                    CERTDIR_ENV);
        else
            set_err(err, errlen, "%s is '%s', which cannot be looked into (%s): fix its permissions, or unset %s",
                    CERTDIR_ENV, env, strerror(errno), CERTDIR_ENV);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s is '%s', which is not a directory: set it to the directory that holds %s, or unset it",
                CERTDIR_ENV, env, file);
        return -1;
    }
    if (join(path, pathlen, env, file) < 0) {
        set_err(err, errlen, "%s is too long a path: set it to a shorter one", CERTDIR_ENV);
        return -1;
    }
    if (!present(path)) {
        set_err(err, errlen, "%s is '%s', which holds no %s: %s, or unset %s", CERTDIR_ENV, env, file, hint,
                CERTDIR_ENV);
        return -1;
    }
    return 0;
}

int certdir_find(const char *file, const char *hint, char *path, size_t pathlen, char *err, size_t errlen)
{
    const char *env = getenv(CERTDIR_ENV);
    if (env && *env)
        return from_env(env, file, hint, path, pathlen, err, errlen);

    /* The XDG base directory rules: an unset, empty or relative
     * XDG_CONFIG_HOME means ~/.config. */
    char user[CERTDIR_PATH_MAX] = "";
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0] == '/') {
        if (join(user, sizeof user, xdg, "tlschat") < 0)
            user[0] = '\0';
    } else if (home && home[0] == '/') {
        if (join(user, sizeof user, home, ".config/tlschat") < 0)
            user[0] = '\0';
    }
    const char *creds = getenv("CREDENTIALS_DIRECTORY");

    const char *dirs[MAX_DIRS + 1];
    size_t n = 0;
    if (creds && creds[0] == '/')
        dirs[n++] = creds;
    dirs[n++] = local;
    if (user[0])
        dirs[n++] = user;
    dirs[n++] = CERTDIR_SYSTEM;

    for (size_t i = 0; i < n; i++) {
        if (join(path, pathlen, dirs[i], file) == 0 && present(path))
            return 0;
    }
    char list[3 * CERTDIR_PATH_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(list + used, sizeof list - used, "%s%s%s", sep, dirs[i] == local ? "./" : "", dirs[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    set_err(err, errlen, "found no %s in %s: %s", file, list, hint);
    if (pathlen)
        path[0] = '\0';
    return -1;
}
