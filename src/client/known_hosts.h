/* SPDX-License-Identifier: ISC */
/* known_hosts: the servers this user chose to trust on first use, one a line:
 *     HOST PORT sha256:<64 hex of the public key (SubjectPublicKeyInfo)>
 * keyed by host and port, so a renewed certificate with the same key is still
 * trusted. Lines starting with '#' and empty lines are kept as they are. */
#ifndef TLSCHAT_KNOWN_HOSTS_H
#define TLSCHAT_KNOWN_HOSTS_H

#include <stddef.h>

#include "tls.h"

#define KNOWN_HOSTS_PATH_MAX 4096

struct kh_line {
    char *text;                       /* the line as read, without its newline */
    int entry;                        /* 1 when it is an entry (not a comment or blank) */
    char host[256], port[8];
    unsigned char key[TLS_SHA256_LEN];
};

struct known_hosts {
    char path[KNOWN_HOSTS_PATH_MAX];
    struct kh_line *lines;
    size_t n, cap;
};

/* $XDG_CONFIG_HOME/tlschat/known_hosts, or ~/.config/tlschat/known_hosts.
 * 0, or -1 with a sentence in err when neither variable gives a directory. */
int kh_default_path(char *path, size_t len, char *err, size_t errlen);

/* Reads path (a missing file is an empty list). Refuses a symbolic link, a file
 * that is not regular, another user's file, and any line that is not an entry,
 * a comment or blank: -1 with a sentence naming FILE:LINE. */
int kh_load(struct known_hosts *kh, const char *path, char *err, size_t errlen);
void kh_free(struct known_hosts *kh);

/* The line number (1-based) of the entry for host and port, or 0. */
size_t kh_find(const struct known_hosts *kh, const char *host, const char *port);
const unsigned char *kh_key(const struct known_hosts *kh, size_t line);

/* Adds an entry, or removes every entry for host and port, and writes the file
 * anew: a temporary file in the same directory (made 0700 if missing), fsync,
 * rename. kh_forget sets *removed to the number of entries it removed. */
int kh_add(struct known_hosts *kh, const char *host, const char *port, const unsigned char *key, char *err,
           size_t errlen);
int kh_forget(struct known_hosts *kh, const char *host, const char *port, int *removed, char *err, size_t errlen);

#endif
