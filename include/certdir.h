/* SPDX-License-Identifier: ISC */
/* certdir: where the programs find their certificates when no option names
 * them (commands.h names the commands that make them). */
#ifndef TLSCHAT_CERTDIR_H
#define TLSCHAT_CERTDIR_H

#include <stddef.h>

/* The directory named by this variable is the only place looked when set. */
#define CERTDIR_ENV "TLSCHAT_CERTS"
#define CERTDIR_SYSTEM "/etc/tlschat"

/* Room for a found path (Linux's PATH_MAX). */
#define CERTDIR_PATH_MAX 4096

/* Finds FILE ("server.crt", "server.key", "ca.crt") in the first of these
 * directories that holds it:
 *   $TLSCHAT_CERTS            when set and not empty, the only one looked in
 *   $CREDENTIALS_DIRECTORY    systemd's copies (LoadCredential=) for a service
 *   ./certs                   the source tree (make certs), or any folder
 *   $XDG_CONFIG_HOME/tlschat  or ~/.config/tlschat: the user's own
 *   /etc/tlschat              the system's, for a service
 * and writes DIR/FILE into path. 0 when found; -1 with a sentence in err that
 * says where it looked and ends with HINT (what to do, naming the caller's
 * options) when not. Reads the environment, keeps nothing. */
int certdir_find(const char *file, const char *hint, char *path, size_t pathlen, char *err,
                 size_t errlen);

#endif
