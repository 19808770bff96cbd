/* SPDX-License-Identifier: ISC */
/* identity: the server's key as words and as a join address. The QR code is
 * drawn by the qrencode command (Debian's qrencode), run without a shell with
 * a fixed argument list; the address is the one argument that varies. */
#define _GNU_SOURCE
#include "identity.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "server_state.h"
#include "tls.h"
#include "words.h"

extern char **environ;

static int is_wildcard(const char *listen)
{
    return !*listen || strcmp(listen, "0.0.0.0") == 0 || strcmp(listen, "::") == 0 || strcmp(listen, "*") == 0;
}

/* The first address of this machine others can reach (IPv4 first), or "". */
static void reachable_address(char *buf, size_t len)
{
    struct ifaddrs *all = NULL;
    buf[0] = '\0';
    if (getifaddrs(&all) < 0)
        return;
    for (int want = AF_INET; !buf[0] && want != -1; want = want == AF_INET ? AF_INET6 : -1) {
        for (struct ifaddrs *i = all; i && !buf[0]; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != want)
                continue;
            if (want == AF_INET) {
                const struct in_addr *a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
                if ((ntohl(a->s_addr) >> 24) != 127)
                    inet_ntop(AF_INET, a, buf, (socklen_t)len);
            } else {
                const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
                if (!IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_LINKLOCAL(a))
                    inet_ntop(AF_INET6, a, buf, (socklen_t)len);
            }
        }
    }
    freeifaddrs(all);
}

/* The port actually listened on (--port 0 picks one). */
static void listening_port(const struct server *s, char *buf, size_t len)
{
    char where[NET_ADDRSTRLEN];
    snprintf(buf, len, "%s", s->opt->port);
    if (s->nlfd < 1)
        return;
    net_local_text(s->lfds[0], where, sizeof where);
    const char *colon = strrchr(where, ':');
    if (colon && colon[1])
        snprintf(buf, len, "%s", colon + 1);
}

static void draw_qr(struct server *s, const char *uri)
{
    char *argv[] = {"qrencode", "-t", "UTF8", "-m", "2", (char *)uri, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO); /* the log's terminal */
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", 0, 0);
    fflush(stderr);
    int e = posix_spawnp(&pid, "qrencode", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        server_log(s, LOG_ERROR, "--qr: cannot run qrencode (%s): install it (Debian: apt-get install qrencode); "
                   "the join line above says the same", strerror(e));
        return;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        server_log(s, LOG_ERROR, "--qr: qrencode failed; the join line above says the same");
}

void identity_announce(struct server *s)
{
    const struct server_options *opt = s->opt;
    struct tls_summary sum;
    if (!s->tls || tls_own_summary(s->tls, &sum) < 0)
        return;
    char words[WORDS_TEXT_MAX], host[NET_ADDRSTRLEN], port[8], uri[512];
    words_of_spki(sum.spki_sha256, words, sizeof words);
    server_log(s, LOG_ERROR, "server key %s %s (certificate %s, expires %s)", sum.key_type, sum.spki,
               sum.fingerprint, sum.not_after);
    server_log(s, LOG_ERROR, "words: %s", words);
    if (opt->join_host)
        snprintf(host, sizeof host, "%s", opt->join_host);
    else if (!is_wildcard(opt->listen))
        snprintf(host, sizeof host, "%s", opt->listen);
    else
        reachable_address(host, sizeof host);
    if (!host[0])
        snprintf(host, sizeof host, "%s", "localhost");
    listening_port(s, port, sizeof port);
    int v6 = strchr(host, ':') != NULL;
    snprintf(uri, sizeof uri, "tlschat://%s%s%s:%s/?pin=%s", v6 ? "[" : "", host, v6 ? "]" : "", port, sum.spki);
    server_log(s, LOG_ERROR, "join: %s", uri);
    if (opt->qr)
        draw_qr(s, uri);
    if (tls_cert_warning(s->tls))
        server_log(s, LOG_ERROR, "%s", tls_cert_warning(s->tls));
}
