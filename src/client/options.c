/* SPDX-License-Identifier: ISC */
/* tlschat's command line: every value checked, every mistake one sentence. */
#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "certdir.h"
#include "commands.h"
#include "version.h"

static const char usage[] =
    "usage: tlschat [options] HOST [PORT]\n"
    "       tlschat [options] tlschat://HOST:PORT/?pin=sha256:HEX\n"
    "       tlschat --forget HOST[:PORT] | --show-cert FILE [HOST [PORT]]\n"
    "Join a tlschatd chat over TLS (PORT defaults to 8443). Lines you type are said to\n"
    "everyone; /help lists the commands. Piped input is sent line by line, then 'close'.\n"
    "On a terminal (standard input and output): a full-screen interface, arriving lines\n"
    "above the line you type; PgUp/PgDn scroll, Tab completes, Up/Down recall, Ctrl-D leaves.\n"
    "\n"
    "      --ca FILE          CA that signed the server (default: ca.crt, found as below)\n"
    "      --cert FILE        client certificate, for servers that ask for one (--client-ca)\n"
    "      --key FILE         its private key\n"
    "      --servername NAME  name to send (SNI) and verify, when HOST is an address\n"
    "      --pin sha256:HEX   accept only the server with this public key (pin from show-cert,\n"
    "                         survives renewal) or this certificate (fingerprint)\n"
    "      --known-hosts FILE servers trusted on first use (default ~/.config/tlschat/known_hosts)\n"
    "      --tofu             remember a server not yet known without asking (no terminal)\n"
    "      --forget HOST[:PORT]  remove a server from the known hosts (after its key changed)\n"
    "      --show-cert FILE   print a certificate's pins and words (and join address for HOST)\n"
    "      --insecure         verify nothing (anyone in the middle can read everything)\n"
    "      --plain            no TLS at all (for servers run with --plain)\n"
    "      --keylog FILE      write TLS keys for Wireshark (default $SSLKEYLOGFILE)\n"
    "      --tls-min 1.2|1.3  lowest TLS version (default 1.2)\n"
    "      --tls-max 1.2|1.3  highest TLS version (default 1.3; 1.2 shows the certificate to Wireshark)\n"
    "      --pad BYTES        pad TLS 1.3 records to a multiple of BYTES (hides lengths)\n"
    "      --nick NAME        your nick\n"
    "  -m, --message TEXT     send one line, print the replies, exit (see below)\n"
    "      --timeout SEC      give up connecting, or waiting for 'closed', after SEC s (default 10)\n"
    "      --no-reconnect     end when the connection is lost, instead of connecting again\n"
    "                         and resuming where it was (and send no /session opt-in line,\n"
    "                         for servers other than tlschatd)\n"
    "  -q, --quiet            no connect line\n"
    "      --no-color         no colours in the terminal interface (so does NO_COLOR)\n"
    "  -v, --verbose          the words of the server's key in the connect line\n"
    "      --help, --version\n"
    "\n"
    "Without --ca (and --pin or --insecure): ca.crt from $TLSCHAT_CERTS when it is set, else from\n"
    "the first of $CREDENTIALS_DIRECTORY, ./certs, ~/.config/tlschat ($XDG_CONFIG_HOME) and\n"
    "/etc/tlschat that holds it. Without one: the known hosts. A server seen the first time is\n"
    "shown (with the words of its key, to compare with the server's) and you are asked; a known\n"
    "server whose key changed is refused. /whois-server shows the server's key and words.\n"
    "\n"
    "After -m's line, or the end of piped input, tlschat sends 'close' and waits for\n"
    "'closed'; a server that is not tlschatd is done when it closes or has said nothing\n"
    "for 2 s (exit 0 once the line was delivered).\n"
    "\n"
    "Exit status: 0 success, 1 network or TLS failure, 2 usage error.\n";

enum {
    OPT_CA = 256, OPT_CERT, OPT_KEY, OPT_SERVERNAME, OPT_PIN, OPT_INSECURE, OPT_PLAIN,
    OPT_NICK, OPT_TIMEOUT, OPT_NO_RECONNECT, OPT_HELP, OPT_VERSION, OPT_NO_COLOR, OPT_KNOWN_HOSTS, OPT_TOFU, OPT_FORGET,
    OPT_SHOW_CERT
};

static const struct option longopts[] = {
    {"ca", required_argument, NULL, OPT_CA},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"servername", required_argument, NULL, OPT_SERVERNAME},
    {"pin", required_argument, NULL, OPT_PIN},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"plain", no_argument, NULL, OPT_PLAIN},
    {"nick", required_argument, NULL, OPT_NICK},
    {"message", required_argument, NULL, 'm'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"no-reconnect", no_argument, NULL, OPT_NO_RECONNECT},
    {"quiet", no_argument, NULL, 'q'},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"verbose", no_argument, NULL, 'v'},
    {"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},
    {"tofu", no_argument, NULL, OPT_TOFU},
    {"forget", required_argument, NULL, OPT_FORGET},
    {"show-cert", required_argument, NULL, OPT_SHOW_CERT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    ARGS_TLS_LONGOPTS,
    {NULL, 0, NULL, 0},
};

/* tlschat's options, for the SSL layer's hints. */
static const struct tls_words client_words = {
    .cert = "--cert", .key = "--key", .ca = "--ca", .pin = "--pin", .servername = "--servername",
    .versions = "--tls-min", .make_certs = MAKE_CERTS_COMMAND, .show_cert = SHOW_CERT_COMMAND,
    .add_name = ADD_NAME_COMMAND, .renew = RENEW_COMMAND,
};

/* --forget HOST[:PORT] and --show-cert FILE [HOST [PORT]]: things to do instead of chatting. */
static int parse_action(struct client_options *o, int argc, char **argv)
{
    if (o->forget && o->show_cert) {
        fprintf(stderr, "tlschat: --forget and --show-cert are two different things: give one\n");
        return 2;
    }
    if (o->forget && (optind < argc || !*o->forget)) {
        fprintf(stderr, "tlschat: --forget takes one HOST or HOST:PORT and nothing else\n");
        return 2;
    }
    if (o->show_cert && optind < argc) {
        o->show_cert_host = argv[optind++];
        if (optind < argc) {
            char err[256];
            long n;
            o->port = argv[optind++];
            if (args_number("PORT", o->port, 1, 65535, &n, err, sizeof err) < 0) {
                fprintf(stderr, "tlschat: %s\n", err);
                return 2;
            }
        }
        if (optind < argc || !*o->show_cert_host) {
            fprintf(stderr, "tlschat: --show-cert takes FILE, then at most a HOST and a PORT\n");
            return 2;
        }
    }
    return 0;
}

int client_options_parse(struct client_options *o, int argc, char **argv)
{
    const char *prog = "tlschat";
    int ca_given = 0;
    char err[256];
    long n;
    int c;
    memset(o, 0, sizeof *o);
    o->port = "8443";
    o->timeout_s = 10;
    o->reconnect = 1;
    tls_config_init(&o->tls);
    o->tls.words = &client_words; /* no --ca: client_options_locate finds ca.crt */
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:qv", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CA: o->tls.ca_file = optarg; ca_given = 1; break;
        case OPT_CERT: o->tls.cert_file = optarg; break;
        case OPT_KEY: o->tls.key_file = optarg; break;
        case OPT_SERVERNAME:
            if (!*optarg) {
                fprintf(stderr, "%s: --servername is empty: give the name the server's certificate lists\n", prog);
                return 2;
            }
            o->servername = optarg;
            break;
        case OPT_PIN: o->tls.pin = optarg; break;
        case OPT_INSECURE: o->tls.insecure = 1; break;
        case OPT_PLAIN: o->plain = 1; break;
        case OPT_NICK: o->nick = optarg; break;
        case 'm': o->message = optarg; break;
        case OPT_TIMEOUT:
            if (args_number("--timeout", optarg, 1, 3600, &n, err, sizeof err) < 0)
                goto refused;
            o->timeout_s = (int)n;
            break;
        case 'q': o->quiet = 1; break;
        case OPT_NO_RECONNECT: o->reconnect = 0; break;
        case OPT_NO_COLOR: o->no_color = 1; break;
        case 'v': o->verbose = 1; break;
        case OPT_KNOWN_HOSTS:
            if (!*optarg) {
                fprintf(stderr, "%s: --known-hosts is empty: name a file\n", prog);
                return 2;
            }
            o->known_hosts_opt = optarg;
            break;
        case OPT_TOFU: o->tofu = 1; break;
        case OPT_FORGET: o->forget = optarg; break;
        case OPT_SHOW_CERT: o->show_cert = optarg; break;
        case OPT_HELP: fputs(usage, stdout); return 1;
        case OPT_VERSION: printf("tlschat %s\n", TLSCHAT_VERSION); return 1;
        default:
            switch (args_tls_option(c, optarg, &o->tls, err, sizeof err)) {
            case 1: break;
            case 0: args_refused(prog, c, argv[optind - 1], err, sizeof err); goto refused;
            default: goto refused;
            }
            break;
        }
    }
    if (o->forget || o->show_cert)
        return parse_action(o, argc, argv);
    if (optind >= argc) {
        fprintf(stderr, "%s: which server? give its HOST (and PORT): tlschat localhost 8443\n", prog);
        return 2;
    }
    o->host = argv[optind++];
    switch (join_uri_parse(o->host, &o->uri, err, sizeof err)) {
    case 0: break;
    case 1:
        if (optind < argc) {
            fprintf(stderr, "%s: a join address names the port itself: drop '%s'\n", prog, argv[optind]);
            return 2;
        }
        if (o->uri.pin[0] && o->tls.pin && strcmp(o->uri.pin, o->tls.pin) != 0) {
            fprintf(stderr, "%s: --pin and the join address's pin differ: give one\n", prog);
            return 2;
        }
        o->host = o->uri.host;
        o->port = o->uri.port;
        if (o->uri.pin[0])
            o->tls.pin = o->uri.pin;
        break;
    default: goto refused;
    }
    if (!*o->host) {
        fprintf(stderr, "%s: the HOST is empty: give a name or address, e.g. localhost\n", prog);
        return 2;
    }
    if (optind < argc) {
        o->port = argv[optind++];
        if (args_number("PORT", o->port, 1, 65535, &n, err, sizeof err) < 0)
            goto refused;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see tlschat --help)\n", prog, argv[optind]);
        return 2;
    }
    if (args_tls_range(&o->tls, err, sizeof err) < 0)
        goto refused;
    o->tls.resume_sessions = o->reconnect; /* a reconnect resumes the TLS session, where it can */
    /* Checked here too, so that a mistyped --pin is a usage error (2), not a TLS failure. */
    if (o->tls.pin && tls_pin_parse(o->tls.pin, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "%s: --pin %s (%s prints it)\n", prog, err, SHOW_CERT_COMMAND);
        return 2;
    }
    if (o->tofu && (o->tls.pin || o->tls.insecure || ca_given || o->plain)) {
        fprintf(stderr, "%s: --tofu is for servers checked against the known hosts: drop it with --ca, --pin, "
                "--insecure or --plain\n", prog);
        return 2;
    }
    if (o->tls.insecure && o->tls.pin) {
        fprintf(stderr, "%s: --insecure and --pin contradict each other: --pin verifies the server\n", prog);
        return 2;
    }
    if (!!o->tls.cert_file != !!o->tls.key_file) {
        fprintf(stderr, "%s: --cert and --key go together: give both\n", prog);
        return 2;
    }
    if (o->plain && (o->tls.cert_file || o->tls.pin || o->tls.insecure || o->tls.keylog_file || o->tls.pad ||
                     ca_given || o->servername)) {
        fprintf(stderr, "%s: --plain cannot go with TLS options (--ca, --cert, --pin, --insecure, --keylog, --pad, --servername)\n",
                prog);
        return 2;
    }
    return 0;
refused:
    fprintf(stderr, "%s: %s\n", prog, err);
    return 2;
}

int client_options_locate(struct client_options *o)
{
    char err[1024];
    if (o->known_hosts_opt)
        snprintf(o->known_hosts, sizeof o->known_hosts, "%s", o->known_hosts_opt);
    else if ((o->forget || o->tofu || !(o->plain || o->tls.insecure || o->tls.pin || o->tls.ca_file)) &&
             kh_default_path(o->known_hosts, sizeof o->known_hosts, err, sizeof err) < 0)
        o->known_hosts[0] = '\0'; /* said below, when it is needed */
    if (o->show_cert || o->plain || o->tls.insecure || o->tls.pin || o->tls.ca_file)
        return 0;
    if (o->forget) {
        if (!o->known_hosts[0]) {
            fprintf(stderr, "tlschat: %s\n", err);
            return -1;
        }
        return 0;
    }
    /* A pin alone is a complete identity check: no CA is then needed. Asked for
     * known hosts (--known-hosts, --tofu): they are used, not a CA found. */
    const char *env = getenv(CERTDIR_ENV);
    if (!o->known_hosts_opt && !o->tofu) {
        int strict = env && *env; /* the one place to look: a mistake there is an error */
        if (certdir_find("ca.crt",
                         "copy the server's ca.crt there (" GEN_CERTS_COMMAND " makes it), name it with --ca FILE, "
                         "or pin the server's public key with --pin",
                         o->ca_path, sizeof o->ca_path, err, sizeof err) == 0) {
            o->tls.ca_file = o->ca_path;
            return 0;
        }
        if (strict) {
            fprintf(stderr, "tlschat: %s\n", err);
            return -1;
        }
    }
    if (!o->known_hosts[0]) {
        kh_default_path(o->known_hosts, sizeof o->known_hosts, err, sizeof err);
        fprintf(stderr, "tlschat: %s\n", err);
        return -1;
    }
    o->tls.verify_later = 1;
    return 0;
}
