/* SPDX-License-Identifier: ISC */
/* tlschat-bench's command line: every value checked, every mistake one sentence. */
#include "bench.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

static const char usage[] =
    "usage: tlschat-bench MODE [options] HOST PORT\n"
    "A load generator for tlschatd and other TLS line servers. Prints one line of\n"
    "key=value pairs per run.\n"
    "\n"
    "Modes (one):\n"
    "      --handshakes N     N times: connect, TLS handshake, send a line, read the echo, close;\n"
    "                         C at a time. Reports handshakes/s and p50/p99 latency\n"
    "      --echo             C persistent connections send lines and read the echo, for\n"
    "                         --duration seconds or --lines N. Reports lines/s and MB/s\n"
    "      --hold N           open N connections, each sends an empty line and waits for a\n"
    "                         reply (a chat room's welcome); print a line when all are\n"
    "                         established, hold them until SIGTERM, end of standard input\n"
    "                         (a pipe or terminal), or --duration\n"
    "      --chat             C clients in one chat room, --senders of them send, all receive.\n"
    "                         Reports delivered lines/s (every received line that a sender sent)\n"
    "\n"
    "Options:\n"
    "      --concurrency C    connections at once (default: handshakes 16, echo 16, chat 50;\n"
    "                         hold: handshakes in progress at once, default 200)\n"
    "      --duration SEC     how long to measure (default: handshakes 10 at most, echo 5,\n"
    "                         chat 5, hold 60)\n"
    "      --lines N          echo: stop after N lines\n"
    "      --size BYTES       echo/chat: bytes per line, newline included (default 128)\n"
    "      --window W         echo: lines in flight per connection (default 4);\n"
    "                         chat: lines a receiver may lag behind (default 8)\n"
    "      --senders S        chat: clients that send (default 5)\n"
    "      --rate R           chat: the senders say R lines a second between them, each\n"
    "                         stamped; reports delivery latency percentiles (p50..max)\n"
    "      --handshake-only   handshakes: count a handshake when the client's side is done\n"
    "                         and close, no line echoed (for servers that echo nothing)\n"
    "      --lean             hold: keep only the socket of an established connection\n"
    "                         (no TLS state), so that 100,000 fit in the bench\n"
    "      --sources N        connect from 127.0.0.1, .2, ... .N in turn (an IPv4 server):\n"
    "                         each source address has its own ephemeral ports\n"
    "      --timeout SEC      per connection: connect, handshake and first reply (default 10)\n"
    "      --ca FILE          CA that signed the server (default certs/ca.crt); verification\n"
    "                         is on unless --insecure\n"
    "      --servername NAME  name to send (SNI) and verify (default HOST)\n"
    "      --insecure         verify nothing (for a peer whose certificate differs)\n"
    "      --plain            no TLS\n"
    "      --resume           offer the last session's TLS 1.3 ticket on each new connection\n"
    "                         (handshakes: what a client coming back costs)\n"
    "      --label TEXT       a tag copied into the output (no spaces), e.g. the server's name\n"
    "      --help\n"
    "\n"
    "Exit status: 0 the run finished (failed connections are counted in the output),\n"
    "1 it could not start or nothing got through, 2 usage error.\n";

enum {
    OPT_HANDSHAKES = 256, OPT_ECHO, OPT_HOLD, OPT_CHAT, OPT_CONCURRENCY, OPT_DURATION, OPT_LINES,
    OPT_SIZE, OPT_WINDOW, OPT_SENDERS, OPT_TIMEOUT, OPT_CA, OPT_SERVERNAME, OPT_INSECURE, OPT_PLAIN,
    OPT_LABEL, OPT_RESUME, OPT_HELP, OPT_RATE, OPT_HANDSHAKE_ONLY, OPT_LEAN, OPT_SOURCES
};

static const struct option longopts[] = {
    {"handshakes", required_argument, NULL, OPT_HANDSHAKES},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"hold", required_argument, NULL, OPT_HOLD},
    {"chat", no_argument, NULL, OPT_CHAT},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"lines", required_argument, NULL, OPT_LINES},
    {"size", required_argument, NULL, OPT_SIZE},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"senders", required_argument, NULL, OPT_SENDERS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"ca", required_argument, NULL, OPT_CA},
    {"servername", required_argument, NULL, OPT_SERVERNAME},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"plain", no_argument, NULL, OPT_PLAIN},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"label", required_argument, NULL, OPT_LABEL},
    {"help", no_argument, NULL, OPT_HELP},
    {"rate", required_argument, NULL, OPT_RATE},
    {"handshake-only", no_argument, NULL, OPT_HANDSHAKE_ONLY},
    {"lean", no_argument, NULL, OPT_LEAN},
    {"sources", required_argument, NULL, OPT_SOURCES},
    {NULL, 0, NULL, 0},
};

static int set_mode(struct bench_options *o, enum bench_mode m, const char *opt)
{
    if (o->mode != MODE_NONE) {
        fprintf(stderr, "%s: %s cannot go with another mode: pick one of --handshakes, --echo, --hold, --chat\n",
                BENCH_PROG, opt);
        return -1;
    }
    o->mode = m;
    return 0;
}

static int number(const char *opt, const char *v, long min, long max, long *out)
{
    char err[200];
    if (args_number(opt, v, min, max, out, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "%s: %s\n", BENCH_PROG, err);
    return -1;
}

/* Values that depend on the mode, and checks across options. */
static int finish(struct bench_options *o)
{
    switch (o->mode) {
    case MODE_HANDSHAKES:
        if (!o->concurrency)
            o->concurrency = 16;
        if (!o->duration_s)
            o->duration_s = 10;
        break;
    case MODE_ECHO:
        if (!o->concurrency)
            o->concurrency = 16;
        if (!o->duration_s)
            o->duration_s = o->count ? 60 : 5;
        break;
    case MODE_HOLD:
        if (!o->concurrency)
            o->concurrency = 200;
        if (!o->duration_s)
            o->duration_s = 60;
        break;
    case MODE_CHAT:
        if (!o->concurrency)
            o->concurrency = 50;
        if (!o->duration_s)
            o->duration_s = 5;
        if (o->concurrency < 2) {
            fprintf(stderr, "%s: --chat needs --concurrency 2 or more: someone has to receive\n", BENCH_PROG);
            return 2;
        }
        if (o->senders > o->concurrency) {
            fprintf(stderr, "%s: --senders %u is more than --concurrency %u: senders are among the clients\n",
                    BENCH_PROG, o->senders, o->concurrency);
            return 2;
        }
        break;
    case MODE_NONE:
        fprintf(stderr, "%s: say what to measure: --handshakes N, --echo, --hold N or --chat (see --help)\n",
                BENCH_PROG);
        return 2;
    }
    if (!o->window)
        o->window = o->mode == MODE_CHAT ? 8 : 4;
    if (o->count && o->mode == MODE_CHAT) {
        fprintf(stderr, "%s: --lines is for --echo; --chat runs for --duration\n", BENCH_PROG);
        return 2;
    }
    if (o->rate && o->mode != MODE_CHAT) {
        fprintf(stderr, "%s: --rate is for --chat\n", BENCH_PROG);
        return 2;
    }
    if (o->handshake_only && o->mode != MODE_HANDSHAKES) {
        fprintf(stderr, "%s: --handshake-only is for --handshakes\n", BENCH_PROG);
        return 2;
    }
    if (o->lean && o->mode != MODE_HOLD) {
        fprintf(stderr, "%s: --lean is for --hold\n", BENCH_PROG);
        return 2;
    }
    if (o->plain && o->insecure) {
        fprintf(stderr, "%s: --plain and --insecure cannot go together: --plain has no TLS to verify\n",
                BENCH_PROG);
        return 2;
    }
    return 0;
}

int bench_options_parse(struct bench_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->ca_file = "certs/ca.crt";
    o->line_bytes = 128;
    o->senders = 5;
    o->timeout_s = 10;
    o->label = "-";
    long n;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_HANDSHAKES:
            if (set_mode(o, MODE_HANDSHAKES, "--handshakes") < 0 ||
                number("--handshakes", optarg, 1, 10000000, &n) < 0)
                return 2;
            o->count = (unsigned long)n;
            break;
        case OPT_ECHO:
            if (set_mode(o, MODE_ECHO, "--echo") < 0)
                return 2;
            break;
        case OPT_HOLD:
            if (set_mode(o, MODE_HOLD, "--hold") < 0 || number("--hold", optarg, 1, BENCH_MAX_CONNS, &n) < 0)
                return 2;
            o->count = (unsigned long)n;
            break;
        case OPT_CHAT:
            if (set_mode(o, MODE_CHAT, "--chat") < 0)
                return 2;
            break;
        case OPT_CONCURRENCY:
            if (number("--concurrency", optarg, 1, 10000, &n) < 0)
                return 2;
            o->concurrency = (unsigned)n;
            break;
        case OPT_DURATION:
            if (number("--duration", optarg, 1, 3600, &n) < 0)
                return 2;
            o->duration_s = (unsigned)n;
            break;
        case OPT_LINES:
            if (number("--lines", optarg, 1, 1000000000, &n) < 0)
                return 2;
            o->count = (unsigned long)n;
            break;
        case OPT_SIZE:
            if (number("--size", optarg, 2, 16384, &n) < 0)
                return 2;
            o->line_bytes = (size_t)n;
            break;
        case OPT_WINDOW:
            if (number("--window", optarg, 1, 1024, &n) < 0)
                return 2;
            o->window = (unsigned)n;
            break;
        case OPT_SENDERS:
            if (number("--senders", optarg, 1, 10000, &n) < 0)
                return 2;
            o->senders = (unsigned)n;
            break;
        case OPT_TIMEOUT:
            if (number("--timeout", optarg, 1, 600, &n) < 0)
                return 2;
            o->timeout_s = (unsigned)n;
            break;
        case OPT_RATE:
            if (number("--rate", optarg, 1, 1000000, &n) < 0)
                return 2;
            o->rate = (unsigned)n;
            break;
        case OPT_SOURCES:
            if (number("--sources", optarg, 1, 254, &n) < 0)
                return 2;
            o->sources = (unsigned)n;
            break;
        case OPT_HANDSHAKE_ONLY: o->handshake_only = 1; break;
        case OPT_LEAN: o->lean = 1; break;
        case OPT_CA: o->ca_file = optarg; break;
        case OPT_SERVERNAME: o->servername = optarg; break;
        case OPT_INSECURE: o->insecure = 1; break;
        case OPT_RESUME: o->resume = 1; break;
        case OPT_PLAIN: o->plain = 1; break;
        case OPT_LABEL:
            if (!*optarg || strpbrk(optarg, " \t\n=")) {
                fprintf(stderr, "%s: --label '%s' must be one word without '=' (it goes into key=value output)\n",
                        BENCH_PROG, optarg);
                return 2;
            }
            o->label = optarg;
            break;
        case OPT_HELP: fputs(usage, stdout); return 1;
        default: {
            char err[200];
            args_refused(BENCH_PROG, c, argv[optind - 1], err, sizeof err);
            fprintf(stderr, "%s: %s\n", BENCH_PROG, err);
            return 2;
        }
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "%s: give the server as HOST PORT, e.g. 127.0.0.1 8443 (see %s --help)\n", BENCH_PROG,
                BENCH_PROG);
        return 2;
    }
    o->host = argv[optind];
    o->port = argv[optind + 1];
    long port;
    if (number("PORT", o->port, 1, 65535, &port) < 0)
        return 2;
    return finish(o);
}
