/* SPDX-License-Identifier: ISC */
/* known_hosts: read, check, and write atomically the file of servers trusted
 * on first use. Every field is checked; nothing is hashed, so a person can
 * read the file (and the SHA-256 is the public-key pin --pin takes). */
#define _GNU_SOURCE
#include "known_hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KH_MAX_BYTES (1 << 20)
#define KH_LINE_MAX 512

int kh_default_path(char *path, size_t len, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(path, len, "%s/tlschat/known_hosts", xdg);
    else if (home && home[0] == '/')
        n = snprintf(path, len, "%s/.config/tlschat/known_hosts", home);
    else {
        snprintf(err, errlen, "there is no place for the known hosts: HOME is not set; name a file with --known-hosts");
        return -1;
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the known-hosts path is too long; name a shorter one with --known-hosts");
        return -1;
    }
    return 0;
}

static int host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 255)
        return 0;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_' ||
              *p == ':' || *p == '%'))
            return 0;
    return 1;
}

static int port_ok(const char *p)
{
    size_t n = strspn(p, "0123456789");
    long v = strtol(p, NULL, 10);
    return n >= 1 && n <= 5 && p[n] == '\0' && p[0] != '0' && v >= 1 && v <= 65535;
}

/* "sha256:" and exactly 64 lowercase hex digits. */
static int key_parse(const char *text, unsigned char *key)
{
    if (strncmp(text, "sha256:", 7) != 0 || strlen(text) != 7 + 2 * TLS_SHA256_LEN)
        return -1;
    for (size_t i = 0; i < TLS_SHA256_LEN; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = text[7 + 2 * i + (size_t)k];
            if (c >= '0' && c <= '9')
                v = v * 16 + (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v = v * 16 + (unsigned)(c - 'a' + 10);
            else
                return -1;
        }
        key[i] = (unsigned char)v;
    }
    return 0;
}

/* One line into l; -1 with why when it is neither an entry, a comment nor blank. */
static int parse_line(struct kh_line *l, const char **why)
{
    const char *t = l->text;
    if (t[0] == '\0' || t[0] == '#')
        return 0;
    char host[300], port[16], key[100], extra[2];
    int n = sscanf(t, "%299s %15s %99s %1s", host, port, key, extra);
    if (n != 3 || strchr(t, '\t') || t[0] == ' ') {
        *why = "is not 'HOST PORT sha256:HEX' (three fields, one space apart)";
        return -1;
    }
    if (!host_ok(host)) {
        *why = "has a host that is not a lowercase name or address";
        return -1;
    }
    if (!port_ok(port)) {
        *why = "has a port that is not a number from 1 to 65535";
        return -1;
    }
    if (key_parse(key, l->key) < 0) {
        *why = "has a key that is not sha256: and 64 lowercase hex digits";
        return -1;
    }
    memcpy(l->host, host, strlen(host) + 1);
    memcpy(l->port, port, strlen(port) + 1);
    l->entry = 1;
    return 0;
}

static int push_line(struct known_hosts *kh, const char *text, size_t len)
{
    if (kh->n == kh->cap) {
        size_t cap = kh->cap ? 2 * kh->cap : 16;
        struct kh_line *v = realloc(kh->lines, cap * sizeof *v);
        if (!v)
            return -1;
        kh->lines = v;
        kh->cap = cap;
    }
    struct kh_line *l = &kh->lines[kh->n];
    memset(l, 0, sizeof *l);
    if (!(l->text = strndup(text, len)))
        return -1;
    kh->n++;
    return 0;
}

void kh_free(struct known_hosts *kh)
{
    for (size_t i = 0; i < kh->n; i++)
        free(kh->lines[i].text);
    free(kh->lines);
    kh->lines = NULL;
    kh->n = kh->cap = 0;
}

int kh_load(struct known_hosts *kh, const char *path, char *err, size_t errlen)
{
    memset(kh, 0, sizeof *kh);
    if (snprintf(kh->path, sizeof kh->path, "%s", path) >= (int)sizeof kh->path) {
        snprintf(err, errlen, "the known-hosts path is too long; name a shorter one with --known-hosts");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "the known-hosts file '%s' is a symbolic link: name the file itself with "
                     "--known-hosts", path);
        else
            snprintf(err, errlen, "cannot read the known-hosts file '%s': %s (check its permissions, or name "
                     "another with --known-hosts)", path, strerror(errno));
        return -1;
    }
    struct stat st;
    const char *unfit = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        unfit = "is not a regular file";
    else if (st.st_uid != geteuid())
        unfit = "belongs to another user";
    else if (st.st_mode & 022)
        unfit = "can be changed by other users (chmod 600 it)";
    else if (st.st_size > KH_MAX_BYTES)
        unfit = "is larger than 1 MiB";
    char *buf = unfit ? NULL : malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (!unfit && buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (unfit || !buf) {
        snprintf(err, errlen, "the known-hosts file '%s' %s: fix it, or name another with --known-hosts", path,
                 unfit ? unfit : "cannot be read into memory");
        free(buf);
        return -1;
    }
    size_t at = 0, lineno = 0;
    while (at < got) {
        const char *nl = memchr(buf + at, '\n', got - at);
        size_t len = nl ? (size_t)(nl - (buf + at)) : got - at;
        const char *why = NULL;
        lineno++;
        if (len > KH_LINE_MAX || memchr(buf + at, '\0', len))
            why = len > KH_LINE_MAX ? "is longer than 512 bytes" : "holds a NUL byte";
        else if (push_line(kh, buf + at, len) < 0)
            why = "could not be stored (out of memory)";
        else
            parse_line(&kh->lines[kh->n - 1], &why);
        if (why) {
            snprintf(err, errlen, "%s:%zu: this line %s: correct or remove it (tlschat --forget HOST:PORT "
                     "rewrites the file only when every line is valid)", path, lineno, why);
            free(buf);
            kh_free(kh);
            return -1;
        }
        at += len + 1;
    }
    free(buf);
    return 0;
}

size_t kh_find(const struct known_hosts *kh, const char *host, const char *port)
{
    for (size_t i = 0; i < kh->n; i++)
        if (kh->lines[i].entry == 1 && strcmp(kh->lines[i].host, host) == 0 && strcmp(kh->lines[i].port, port) == 0)
            return i + 1;
    return 0;
}

const unsigned char *kh_key(const struct known_hosts *kh, size_t line)
{
    return line >= 1 && line <= kh->n ? kh->lines[line - 1].key : NULL;
}

/* Makes the directory of path (and its parent, as ~/.config) owner-only when
 * missing. */
static int make_dir_of(const char *path, char *err, size_t errlen)
{
    char dir[KNOWN_HOSTS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        goto fail;
    /* Anyone who can write into the directory could swap the file under us. */
    struct stat st;
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        snprintf(err, errlen, "the directory '%s' of the known hosts can be written by every user: name a file in a "
                 "directory of your own with --known-hosts", dir);
        return -1;
    }
    return 0;
fail:
    snprintf(err, errlen, "cannot make the directory '%s' for the known hosts: %s", dir, strerror(errno));
    return -1;
}

/* Writes every line but those marked skip (entry == -1) through a temporary
 * file in the same directory, then renames it over the file. */
static int write_all(const struct known_hosts *kh, char *err, size_t errlen)
{
    if (make_dir_of(kh->path, err, errlen) < 0)
        return -1;
    char tmp[KNOWN_HOSTS_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", kh->path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "cannot write next to the known-hosts file '%s': %s", kh->path, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    int ok = f != NULL;
    for (size_t i = 0; ok && i < kh->n; i++)
        if (kh->lines[i].entry >= 0)
            ok = fprintf(f, "%s\n", kh->lines[i].text) > 0;
    ok = ok && fflush(f) == 0 && fsync(fd) == 0;
    int e = errno;
    if (f)
        ok = fclose(f) == 0 && ok;
    else
        close(fd);
    if (!ok || rename(tmp, kh->path) < 0) {
        e = ok ? errno : e;
        unlink(tmp);
        snprintf(err, errlen, "cannot write the known-hosts file '%s': %s (it is left as it was)", kh->path,
                 strerror(e));
        return -1;
    }
    /* The rename itself is durable once the directory is synced. */
    char *slash = strrchr(tmp, '/');
    if (slash) {
        *slash = '\0';
        int dfd = open(slash == tmp ? "/" : tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

int kh_add(struct known_hosts *kh, const char *host, const char *port, const unsigned char *key, char *err,
           size_t errlen)
{
    char text[KH_LINE_MAX], hex[2 * TLS_SHA256_LEN + 1];
    for (size_t i = 0; i < TLS_SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(text, sizeof text, "%s %s sha256:%s", host, port, hex);
    if (push_line(kh, text, strlen(text)) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *why = NULL;
    if (parse_line(&kh->lines[kh->n - 1], &why) < 0) {
        snprintf(err, errlen, "cannot remember '%s' port %s: the entry %s", host, port, why);
        free(kh->lines[--kh->n].text);
        return -1;
    }
    return write_all(kh, err, errlen);
}

int kh_forget(struct known_hosts *kh, const char *host, const char *port, int *removed, char *err, size_t errlen)
{
    *removed = 0;
    for (size_t i = 0; i < kh->n; i++)
        if (kh->lines[i].entry == 1 && strcmp(kh->lines[i].host, host) == 0 && (!port || strcmp(kh->lines[i].port, port) == 0)) {
            kh->lines[i].entry = -1;
            (*removed)++;
        }
    return *removed ? write_all(kh, err, errlen) : 0;
}
