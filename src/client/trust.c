/* SPDX-License-Identifier: ISC */
/* trust: the client's decision about the server's identity, taken after the
 * handshake and before any chat byte leaves (as ssh checks known_hosts before
 * it authenticates), and the local /whois-server. */
#define _GNU_SOURCE
#include "trust.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "known_hosts.h"

#define ANSWER_WAIT_MS (5 * 60 * 1000) /* a person deciding; then the answer is no */

static const char whois_cmd[] = "/whois-server";

/* The host as entries record it: lowercase, so LocalHost and localhost agree. */
static void host_key(const char *host, char *buf, size_t len)
{
    size_t i = 0;
    for (; host[i] && i + 1 < len; i++)
        buf[i] = (char)tolower((unsigned char)host[i]);
    buf[i] = '\0';
}

static void hex_of(const unsigned char *key, char *buf, size_t len)
{
    char hex[2 * TLS_SHA256_LEN + 1];
    for (size_t i = 0; i < TLS_SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(buf, len, "sha256:%s", hex);
}

static void describe(const struct trust *t)
{
    fprintf(stderr, "  subject:     %s\n", t->sum.subject[0] ? t->sum.subject : "(none)");
    fprintf(stderr, "  key:         %s\n", t->sum.key_type);
    fprintf(stderr, "  words:       %s\n", t->words);
    fprintf(stderr, "  key pin:     %s (the public key: survives renewal)\n", t->sum.spki);
    fprintf(stderr, "  certificate: %s\n", t->sum.fingerprint);
}

/* One line from the terminal on stdin, waited for at most ANSWER_WAIT_MS. */
static int read_answer(char *buf, size_t len)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        int r = poll(&p, 1, ANSWER_WAIT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        char c;
        ssize_t got = read(STDIN_FILENO, &c, 1); /* byte by byte: what follows stays for the chat */
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return n ? 0 : -1;
        if (c == '\n')
            break;
        if (n + 1 < len)
            buf[n++] = c;
    }
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        n--;
    buf[n] = '\0';
    return 0;
}

/* 1 when the person at the terminal says yes. */
static int ask(const char *question)
{
    char answer[64];
    for (int tries = 0; tries < 3; tries++) {
        fprintf(stderr, "%s (yes/no) ", question);
        fflush(stderr);
        if (read_answer(answer, sizeof answer) < 0) {
            fprintf(stderr, "\n");
            return 0;
        }
        if (strcasecmp(answer, "yes") == 0 || strcasecmp(answer, "y") == 0)
            return 1;
        if (strcasecmp(answer, "no") == 0 || strcasecmp(answer, "n") == 0 || answer[0] == '\0')
            return 0;
        fprintf(stderr, "Please type 'yes' or 'no'.\n");
    }
    return 0;
}

static int changed_key(const struct client_options *o, const struct known_hosts *kh, size_t line,
                       const struct trust *t)
{
    char known[80];
    char words[WORDS_TEXT_MAX];
    char where[320]; /* HOST:PORT as --forget reads it back: an IPv6 address in brackets */
    if (strchr(o->host, ':'))
        snprintf(where, sizeof where, "[%s]:%s", o->host, o->port);
    else
        snprintf(where, sizeof where, "%s:%s", o->host, o->port);
    hex_of(kh_key(kh, line), known, sizeof known);
    words_of_spki(kh_key(kh, line), words, sizeof words);
    fprintf(stderr,
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
            "@    WARNING: THE SERVER'S KEY HAS CHANGED                @\n"
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
            "Someone may be posing as %s port %s to read the chat (a man in the middle),\n"
            "or its operator gave it a new key. Nothing was sent to it.\n"
            "  known key:   %s (words %s)\n"
            "               in %s:%zu\n"
            "  offered key: %s (words %s)\n"
            "%s is left as it was. Ask the server's operator for the words of its key\n"
            "(tlschatd prints them at start). Only if they match the offered key, remove the old\n"
            "entry with\n"
            "  tlschat --known-hosts %s --forget %s\n"
            "and connect again.\n",
            o->host, o->port, known, words, o->known_hosts, line, t->sum.spki, t->words, o->known_hosts,
            o->known_hosts, where);
    fprintf(stderr, "tlschat: refused %s:%s: its key is not the one known in %s:%zu\n", o->host, o->port,
            o->known_hosts, line);
    return -1;
}

static int known_hosts_check(const struct client_options *o, struct trust *t)
{
    char err[KNOWN_HOSTS_PATH_MAX + 256], host[256];
    struct known_hosts kh;
    host_key(o->host, host, sizeof host);
    if (kh_load(&kh, o->known_hosts, err, sizeof err) < 0) {
        fprintf(stderr, "tlschat: %s\n", err);
        return -1;
    }
    int rc = -1;
    size_t line = kh_find(&kh, host, o->port);
    if (line && memcmp(kh_key(&kh, line), t->sum.spki_sha256, TLS_SHA256_LEN) == 0) {
        snprintf(t->verified_by, sizeof t->verified_by, "known host (%s:%zu)", o->known_hosts, line);
        rc = 0;
    } else if (line) {
        rc = changed_key(o, &kh, line, t);
    } else if (o->tofu) {
        if (kh_add(&kh, host, o->port, t->sum.spki_sha256, err, sizeof err) == 0) {
            snprintf(t->verified_by, sizeof t->verified_by, "first use (--tofu), stored in %s", o->known_hosts);
            rc = 0;
        }
    } else if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
        fprintf(stderr, "The server %s port %s is not known yet (first use):\n", o->host, o->port);
        describe(t);
        fprintf(stderr, "Compare the words with the ones on the server's terminal (tlschatd prints them at start).\n");
        char q[KNOWN_HOSTS_PATH_MAX + 64];
        snprintf(q, sizeof q, "Trust this server, and remember its key in %s?", o->known_hosts);
        if (!ask(q)) {
            fprintf(stderr, "tlschat: not trusted, nothing sent: %s port %s was not remembered\n", o->host, o->port);
            kh_free(&kh);
            return -1;
        }
        if (kh_add(&kh, host, o->port, t->sum.spki_sha256, err, sizeof err) == 0) {
            snprintf(t->verified_by, sizeof t->verified_by, "first use, stored in %s", o->known_hosts);
            rc = 0;
        }
    } else {
        fprintf(stderr, "tlschat: the server %s port %s is not known (words %s, key %s) and there is no terminal "
                "to ask: compare the words with the server's, then connect again with --tofu to remember it, or "
                "with --pin %s\n", o->host, o->port, t->words, t->sum.spki, t->sum.spki);
        kh_free(&kh);
        return -1;
    }
    if (rc < 0 && !line)
        fprintf(stderr, "tlschat: %s\n", err);
    kh_free(&kh);
    return rc;
}

int trust_check(const struct client_options *o, struct conn *c, const struct tls *tls, struct trust *t)
{
    memset(t, 0, sizeof *t);
    if (!tls)
        return 0; /* --plain: the connect line says so */
    int have = conn_summary(c, &t->sum) == 0 && t->sum.spki[0];
    words_of_spki(t->sum.spki_sha256, t->words, sizeof t->words);
    if (o->tls.verify_later) {
        if (!have) { /* nothing to look up: never trust a server that shows no key */
            fprintf(stderr, "tlschat: the server %s port %s showed no certificate, so there is no key to check: "
                    "refused\n", o->host, o->port);
            return -1;
        }
        return known_hosts_check(o, t);
    }
    const char *by = tls_verified_by(tls);
    if (t->sum.pin_matched) {
        const char *kind = t->sum.pin_matched == TLS_PIN_SPKI ? "pin (public key)" : "pin (certificate)";
        if (o->tls.ca_file)
            snprintf(t->verified_by, sizeof t->verified_by, "CA %s and %s", o->tls.ca_file, kind);
        else
            snprintf(t->verified_by, sizeof t->verified_by, "%s", kind);
    } else {
        snprintf(t->verified_by, sizeof t->verified_by, "%s", by);
    }
    return 0;
}

static void whois(const struct trust *t)
{
    if (!t->sum.spki[0]) {
        fprintf(stderr, "* the server has no certificate: this chat is in PLAINTEXT\n");
        return;
    }
    fprintf(stderr, "* server %s\n* key %s, words %s\n* key pin %s\n* certificate %s (expires %s)\n"
            "* verified by %s\n", t->sum.subject, t->sum.key_type, t->words, t->sum.spki, t->sum.fingerprint,
            t->sum.not_after, t->verified_by);
}

int trust_local_command(const struct trust *t, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len != sizeof whois_cmd - 1 || memcmp(line, whois_cmd, len) != 0)
        return 0;
    whois(t);
    return 1;
}

size_t trust_filter_input(const struct trust *t, char *buf, size_t n, int at_line_start)
{
    size_t in = 0, out = 0;
    while (in < n) {
        const char *nl = memchr(buf + in, '\n', n - in);
        size_t len = nl ? (size_t)(nl - (buf + in)) + 1 : n - in;
        size_t text = len - (nl ? 1 : 0);
        if (text > 0 && buf[in + text - 1] == '\r')
            text--;
        if (!(at_line_start && nl && trust_local_command(t, buf + in, text))) {
            memmove(buf + out, buf + in, len);
            out += len;
        }
        in += len;
        at_line_start = 1;
    }
    return out;
}

int trust_forget(const struct client_options *o)
{
    char err[KNOWN_HOSTS_PATH_MAX + 256], host[256], arg[300];
    const char *port = NULL;
    snprintf(arg, sizeof arg, "%s", o->forget);
    char *h = arg;
    if (h[0] == '[') { /* [v6] or [v6]:port */
        char *end = strchr(h, ']');
        if (!end || (end[1] && end[1] != ':')) {
            fprintf(stderr, "tlschat: --forget '%s' is not HOST, HOST:PORT or [IPv6]:PORT\n", o->forget);
            return 2;
        }
        *end = '\0';
        port = end[1] ? end + 2 : NULL;
        h++;
    } else {
        char *colon = strchr(h, ':');
        if (colon && !strchr(colon + 1, ':')) { /* one colon: HOST:PORT; more: a bare IPv6 address */
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (port && !*port) {
        fprintf(stderr, "tlschat: --forget '%s' has an empty port: give HOST, HOST:PORT or [IPv6]:PORT\n", o->forget);
        return 2;
    }
    host_key(h, host, sizeof host);
    struct known_hosts kh;
    int removed = 0;
    if (kh_load(&kh, o->known_hosts, err, sizeof err) < 0 ||
        kh_forget(&kh, host, port, &removed, err, sizeof err) < 0) {
        fprintf(stderr, "tlschat: %s\n", err);
        kh_free(&kh);
        return 1;
    }
    kh_free(&kh);
    if (!removed) {
        fprintf(stderr, "tlschat: %s%s%s is not in %s: nothing to forget\n", host, port ? " port " : "",
                port ? port : "", o->known_hosts);
        return 1;
    }
    printf("forgot %s%s%s (%d entr%s) in %s\n", host, port ? " port " : "", port ? port : "", removed,
           removed == 1 ? "y" : "ies", o->known_hosts);
    return 0;
}

int trust_show_cert(const struct client_options *o)
{
    char err[KNOWN_HOSTS_PATH_MAX + 256], words[WORDS_TEXT_MAX];
    struct tls_summary s;
    if (tls_cert_file_summary(o->show_cert, &s, err, sizeof err) < 0) {
        fprintf(stderr, "tlschat: %s\n", err);
        return 1;
    }
    words_of_spki(s.spki_sha256, words, sizeof words);
    printf("certificate pin: %s\n", s.fingerprint);
    printf("public-key pin: %s\n", s.spki);
    printf("words: %s\n", words);
    if (o->show_cert_host) {
        int v6 = strchr(o->show_cert_host, ':') != NULL;
        printf("join: " JOIN_URI_SCHEME "%s%s%s:%s/?pin=%s\n", v6 ? "[" : "", o->show_cert_host, v6 ? "]" : "",
               o->port, s.spki);
    }
    return 0;
}
