/* SPDX-License-Identifier: ISC */
/* tlschatd's command line: every value checked, every mistake one sentence. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "certdir.h"
#include "chat.h"
#include "commands.h"
#include "version.h"

static const char usage[] =
    "usage: tlschatd [options]\n"
    "A multi-user chat server over TLS (or plaintext with --plain).\n"
    "\n"
    "  -l, --listen ADDR          address to listen on (default localhost; 0.0.0.0 or :: for the network)\n"
    "  -p, --port PORT            port (default 8443; 0 picks a free one)\n"
    "      --cert FILE            server certificate (default: server.crt, found as below)\n"
    "      --key FILE             its private key (default: server.key beside that server.crt)\n"
    "      --client-ca FILE       require client certificates signed by this CA; nick = certificate CN\n"
    "      --crl FILE             with --client-ca: refuse the client certificates this CRL\n"
    "                             revokes (reloaded on SIGHUP; refresh it before it expires)\n"
    "      --plain                no TLS: anyone on the network can read everything\n"
    "      --mode chat|echo       chat room (default), or answer each line with itself\n"
    "      --max-clients N        most members in the chat at once (default 10000)\n"
    "      --max-per-address N    most connections from one address (an IPv4 address or an\n"
    "                             IPv6 /64; default 32, and at most half of --max-clients)\n"
    "      --max-handshakes N     TLS handshakes in progress at once; when all are taken the\n"
    "                             oldest gives way (default 256; 8 per address unless\n"
    "                             --max-per-address is given)\n"
    "      --max-line BYTES       longest line accepted (default 4096, at most 16384)\n"
    "      --max-queue BYTES      output queued for one client before it is dropped (default 1048576)\n"
    "      --line-rate N          lines one sender may say a second (default 20, 100 at once)\n"
    "      --byte-rate BYTES      bytes one sender may say a second (default 65536)\n"
    "      --nick-rate N          nick changes one sender may make a minute (default 6, 3 at once)\n"
    "                             past these, the server reads that sender more slowly:\n"
    "                             nothing it says is lost (chat mode; echo has no rates)\n"
    "      --history-lines N      lines kept in memory (never on disk) for clients that come back\n"
    "                             after a dropped connection (default 1000; 0: no resuming)\n"
    "      --history-bytes BYTES  and their size (default 262144; at most half of --max-queue)\n"
    "      --history-age S        seconds a line, and a session gone away, is kept (default 600)\n"
    "      --handshake-timeout S  seconds to finish the TLS handshake (default 10)\n"
    "      --idle-timeout S       seconds of silence before a client is dropped (default 0: never)\n"
    "      --tls-min 1.2|1.3      lowest TLS version (default 1.2)\n"
    "      --tls-max 1.2|1.3      highest TLS version (default 1.3)\n"
    "      --keylog FILE          write TLS keys for Wireshark (default $SSLKEYLOGFILE)\n"
    "      --pad BYTES            pad TLS 1.3 records to a multiple of BYTES (hides lengths)\n"
    "      --join-host NAME       the name or address people join by, for the join line\n"
    "                             (default: --listen, or this machine's first address)\n"
    "      --qr                   also draw the join address as a QR code at start (qrencode)\n"
    "  -v, --verbose              log more;  -q, --quiet: errors only\n"
    "      --help, --version\n"
    "\n"
    "At start it logs the words of its key and its join address (tlschat://HOST:PORT/?pin=...):\n"
    "read them to whoever joins, so they can check they reached this server.\n"
    "Signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads the certificate, key and --crl.\n"
    "Without --cert and --key: server.crt and server.key from $TLSCHAT_CERTS when it is set,\n"
    "else from the first of $CREDENTIALS_DIRECTORY, ./certs, ~/.config/tlschat ($XDG_CONFIG_HOME)\n"
    "and /etc/tlschat that holds server.crt. Make them with " MAKE_CERTS_COMMAND ".\n";

enum {
    OPT_CERT = 256, OPT_KEY, OPT_CLIENT_CA, OPT_CRL, OPT_PLAIN, OPT_MODE, OPT_MAX_CLIENTS, OPT_MAX_LINE,
    OPT_MAX_QUEUE, OPT_LINE_RATE, OPT_BYTE_RATE, OPT_NICK_RATE, OPT_HS_TIMEOUT, OPT_IDLE_TIMEOUT, OPT_MAX_PER_ADDRESS, OPT_MAX_HANDSHAKES, OPT_HISTORY_LINES, OPT_HISTORY_BYTES, OPT_HISTORY_AGE, OPT_HELP,
    OPT_VERSION, OPT_QR, OPT_JOIN_HOST
};

static const struct option longopts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"port", required_argument, NULL, 'p'},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"client-ca", required_argument, NULL, OPT_CLIENT_CA},
    {"crl", required_argument, NULL, OPT_CRL},
    {"plain", no_argument, NULL, OPT_PLAIN},
    {"mode", required_argument, NULL, OPT_MODE},
    {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
    {"max-per-address", required_argument, NULL, OPT_MAX_PER_ADDRESS},
    {"max-handshakes", required_argument, NULL, OPT_MAX_HANDSHAKES},
    {"max-line", required_argument, NULL, OPT_MAX_LINE},
    {"max-queue", required_argument, NULL, OPT_MAX_QUEUE},
    {"line-rate", required_argument, NULL, OPT_LINE_RATE},
    {"byte-rate", required_argument, NULL, OPT_BYTE_RATE},
    {"nick-rate", required_argument, NULL, OPT_NICK_RATE},
    {"history-lines", required_argument, NULL, OPT_HISTORY_LINES},
    {"history-bytes", required_argument, NULL, OPT_HISTORY_BYTES},
    {"history-age", required_argument, NULL, OPT_HISTORY_AGE},
    {"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"qr", no_argument, NULL, OPT_QR},
    {"join-host", required_argument, NULL, OPT_JOIN_HOST},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    ARGS_TLS_LONGOPTS,
    {NULL, 0, NULL, 0},
};

/* tlschatd's options, for the SSL layer's hints. */
static const struct tls_words server_words = {
    .cert = "--cert", .key = "--key", .client_ca = "--client-ca", .crl = "--crl", .versions = "--tls-min",
    .make_certs = MAKE_CERTS_COMMAND, .show_cert = SHOW_CERT_COMMAND, .renew = RENEW_COMMAND,
};

int server_options_parse(struct server_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->listen = "localhost";
    o->port = "8443";
    o->max_clients = 10000;
    o->max_handshakes = 256;
    o->max_line = 4096;
    o->max_queue = 1 << 20;
    o->handshake_timeout = 10;
    o->line_rate = 20;
    o->byte_rate = 65536;
    o->nick_rate = 6;
    o->history_lines = 1000;
    o->history_bytes = (size_t)256 * 1024;
    o->history_age = 600;
    o->verbosity = 1;
    tls_config_init(&o->tls);
    o->tls.words = &server_words; /* no --cert/--key: server_options_locate finds them */

    const char *prog = "tlschatd";
    int history_bytes_given = 0;
    char err[256];
    long n;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":l:p:vq", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o->listen = optarg; break;
        case 'p':
            if (args_number("--port", optarg, 0, 65535, &n, err, sizeof err) < 0)
                goto refused;
            o->port = optarg;
            break;
        case OPT_CERT: o->tls.cert_file = optarg; break;
        case OPT_KEY: o->tls.key_file = optarg; break;
        case OPT_CLIENT_CA: o->tls.client_ca_file = optarg; break;
        case OPT_CRL: o->tls.crl_file = optarg; break;
        case OPT_PLAIN: o->plain = 1; break;
        case OPT_MODE:
            if (!strcmp(optarg, "chat") || !strcmp(optarg, "echo"))
                o->echo = !strcmp(optarg, "echo");
            else {
                fprintf(stderr, "%s: --mode takes chat or echo, not '%s'\n", prog, optarg);
                return 2;
            }
            break;
        case OPT_MAX_CLIENTS:
            if (args_number("--max-clients", optarg, 1, 1000000, &n, err, sizeof err) < 0)
                goto refused;
            o->max_clients = (size_t)n;
            break;
        case OPT_MAX_PER_ADDRESS:
            if (args_number("--max-per-address", optarg, 1, 1000000, &n, err, sizeof err) < 0)
                goto refused;
            o->max_per_address = (size_t)n;
            break;
        case OPT_MAX_HANDSHAKES:
            if (args_number("--max-handshakes", optarg, 1, 100000, &n, err, sizeof err) < 0)
                goto refused;
            o->max_handshakes = (size_t)n;
            break;
        case OPT_MAX_LINE:
            if (args_number("--max-line", optarg, 16, CHAT_LINE_MAX, &n, err, sizeof err) < 0)
                goto refused;
            o->max_line = (size_t)n;
            break;
        case OPT_MAX_QUEUE:
            if (args_number("--max-queue", optarg, 4096, 1L << 30, &n, err, sizeof err) < 0)
                goto refused;
            o->max_queue = (size_t)n;
            break;
        case OPT_LINE_RATE:
            if (args_number("--line-rate", optarg, 1, 1000000, &n, err, sizeof err) < 0)
                goto refused;
            o->line_rate = (unsigned)n;
            break;
        case OPT_BYTE_RATE:
            if (args_number("--byte-rate", optarg, 1024, 1L << 30, &n, err, sizeof err) < 0)
                goto refused;
            o->byte_rate = (size_t)n;
            break;
        case OPT_NICK_RATE:
            if (args_number("--nick-rate", optarg, 1, 60000, &n, err, sizeof err) < 0)
                goto refused;
            o->nick_rate = (unsigned)n;
            break;
        case OPT_HISTORY_LINES:
            if (args_number("--history-lines", optarg, 0, 1000000, &n, err, sizeof err) < 0)
                goto refused;
            o->history_lines = (size_t)n;
            break;
        case OPT_HISTORY_BYTES:
            if (args_number("--history-bytes", optarg, 1024, 1L << 29, &n, err, sizeof err) < 0)
                goto refused;
            o->history_bytes = (size_t)n;
            history_bytes_given = 1;
            break;
        case OPT_HISTORY_AGE:
            if (args_number("--history-age", optarg, 1, 86400, &n, err, sizeof err) < 0)
                goto refused;
            o->history_age = (unsigned)n;
            break;
        case OPT_HS_TIMEOUT:
            if (args_number("--handshake-timeout", optarg, 1, 3600, &n, err, sizeof err) < 0)
                goto refused;
            o->handshake_timeout = (unsigned)n;
            break;
        case OPT_IDLE_TIMEOUT:
            if (args_number("--idle-timeout", optarg, 0, 86400L * 7, &n, err, sizeof err) < 0)
                goto refused;
            o->idle_timeout = (unsigned)n;
            break;
        case 'v': o->verbosity = 2; break;
        case OPT_QR: o->qr = 1; break;
        case OPT_JOIN_HOST:
            if (!*optarg || strlen(optarg) >= 64 || strpbrk(optarg, " /?#@[]")) {
                fprintf(stderr, "%s: --join-host '%s' is not a host name or address: give one, e.g. 192.168.1.20\n",
                        prog, optarg);
                return 2;
            }
            o->join_host = optarg;
            break;
        case 'q': o->verbosity = 0; break;
        case OPT_HELP: fputs(usage, stdout); return 1;
        case OPT_VERSION: printf("tlschatd %s\n", TLSCHAT_VERSION); return 1;
        default:
            switch (args_tls_option(c, optarg, &o->tls, err, sizeof err)) {
            case 1: break;
            case 0: args_refused(prog, c, argv[optind - 1], err, sizeof err); goto refused;
            default: goto refused;
            }
            break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see tlschatd --help)\n", prog, argv[optind]);
        return 2;
    }
    if (args_tls_range(&o->tls, err, sizeof err) < 0)
        goto refused;
    if (!!o->tls.cert_file != !!o->tls.key_file) {
        fprintf(stderr, "%s: --cert and --key go together: give both, or neither to use server.crt and server.key "
                        "from the certificate directory (see tlschatd --help)\n", prog);
        return 2;
    }
    if (!history_bytes_given && o->history_bytes > o->max_queue / 2)
        o->history_bytes = o->max_queue / 2; /* the default follows a small --max-queue */
    if (o->history_lines > 0 && o->history_bytes > o->max_queue / 2) {
        /* A client that comes back is sent what it missed at once, into its queue. */
        fprintf(stderr, "%s: --history-bytes %zu is more than half of --max-queue (%zu): a client coming back "
                        "would be dropped for the lines it missed; lower --history-bytes or raise --max-queue\n",
                prog, o->history_bytes, o->max_queue);
        return 2;
    }
    if (o->tls.crl_file && !o->tls.client_ca_file) {
        fprintf(stderr, "%s: --crl needs --client-ca: the revocation list checks client certificates\n", prog);
        return 2;
    }
    if (o->plain && (o->qr || o->join_host)) {
        fprintf(stderr, "%s: --qr and --join-host give the join address of a TLS server, whose key it pins: drop "
                "them with --plain\n", prog);
        return 2;
    }
    if (o->plain && (o->tls.client_ca_file || o->tls.keylog_file || o->tls.pad)) {
        fprintf(stderr, "%s: --plain cannot go with --client-ca, --keylog or --pad: they are TLS settings\n", prog);
        return 2;
    }
    return 0;
refused:
    fprintf(stderr, "%s: %s\n", prog, err);
    return 2;
}

int server_options_locate(struct server_options *o)
{
    char err[1024];
    if (o->plain || o->tls.cert_file)
        return 0;
    if (certdir_find("server.crt", "make certificates with " MAKE_CERTS_COMMAND ", or name the files with --cert and --key",
                     o->cert_path, sizeof o->cert_path, err, sizeof err) < 0) {
        fprintf(stderr, "tlschatd: %s\n", err);
        return -1;
    }
    /* The key that was made with it: server.key in the same directory. */
    size_t dir = strlen(o->cert_path) - strlen("server.crt");
    snprintf(o->key_path, sizeof o->key_path, "%.*sserver.key", (int)dir, o->cert_path);
    o->tls.cert_file = o->cert_path;
    o->tls.key_file = o->key_path;
    return 0;
}
