/* SPDX-License-Identifier: ISC */
/* tlschat-bench: a load generator on the project library (net, tls, conn, loop,
 * linebuf). One process, non-blocking, one epoll loop. Everything it knows hangs
 * off one struct bench that is passed around: no global mutable state. */
#ifndef TLSCHAT_BENCH_H
#define TLSCHAT_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bytebuf.h"
#include "conn.h"
#include "linebuf.h"
#include "loop.h"
#include "tls.h"

#define BENCH_PROG "tlschat-bench"
#define BENCH_READ_CHUNK 65536
#define BENCH_MAX_CONNS 100000

enum bench_mode { MODE_NONE, MODE_HANDSHAKES, MODE_ECHO, MODE_HOLD, MODE_CHAT };

struct bench_options {
    enum bench_mode mode;
    const char *host, *port;
    const char *label;      /* free text echoed in the summary, e.g. the server's name */
    int plain, insecure;
    int resume;             /* offer the last TLS 1.3 session ticket on each new connection */
    const char *ca_file;
    const char *servername; /* NULL: HOST */
    unsigned duration_s;    /* 0: the mode's default */
    unsigned concurrency;   /* 0: the mode's default */
    unsigned long count;    /* handshakes N, hold N, echo --lines N (0: no limit) */
    size_t line_bytes;      /* echo/chat: bytes per line, "\n" included */
    unsigned window;        /* echo: lines in flight per connection; chat: per receiver */
    unsigned senders;       /* chat: how many of the clients send */
    unsigned timeout_s;     /* one connection: connect + handshake + first reply */
    int handshake_only;     /* handshakes: done when the client's side is, no line echoed */
    unsigned rate;          /* chat: paced lines a second from all senders (0: as fast as allowed) */
    unsigned sources;       /* connect from 127.0.0.1 .. 127.0.0.N in turn (0: the kernel's choice) */
    int lean;               /* hold: keep only the socket once established */
};

/* ---- one connection ---- */

/* W_HELD: hold --lean: only the socket is kept (no TLS state); what comes is
 * read raw and thrown away, so the server never waits on it. */
enum worker_state { W_IDLE, W_CONNECTING, W_HANDSHAKING, W_READY, W_HELD };

struct bench;

struct worker {
    struct bench *b;
    unsigned idx;
    enum worker_state state;
    int fd;
    struct conn *conn;
    unsigned events;         /* interest registered with the loop */
    uint64_t started_us;     /* when connect began */
    struct bytebuf out;      /* bytes queued to send */
    struct loop_timer timeout; /* connect + handshake + first reply */
    struct loop_timer kick;    /* resume reading after a spent budget */
    struct linebuf in;         /* chat: whole lines */
    uint64_t lines_in;         /* newline bytes received on this connection */
    int sender;                /* chat: this client sends */
    int settled;               /* hold: counted as established */
};

/* What a mode does with its connections. ready and data return 0, or -1 when
 * the worker's connection was closed meanwhile (maybe to start its next one):
 * the engine then leaves it alone, as tlschatd's peers do. */
struct mode_ops {
    const char *name;
    int (*start)(struct bench *b);  /* connect what the mode needs; -1 on failure */
    int (*ready)(struct worker *w); /* the handshake is done */
    int (*data)(struct worker *w, const char *buf, size_t n);
    void (*closed)(struct worker *w, const char *error); /* it failed, or the peer closed */
    void (*finish)(struct bench *b); /* stop: time is up, or a signal */
    void (*report)(struct bench *b); /* the summary line */
};

enum bench_phase { PHASE_SETUP, PHASE_MEASURE, PHASE_DONE };

struct bench_counts {
    uint64_t started;      /* connections begun */
    uint64_t ready;        /* handshakes finished */
    uint64_t completed;    /* handshake mode: round trips done; hold: established */
    uint64_t errors;       /* connections that failed */
    uint64_t lines_out;    /* lines sent while measuring */
    uint64_t lines_in;     /* lines received while measuring (chat: bench lines only) */
    uint64_t bytes_in;     /* bytes received while measuring */
    uint64_t other_lines;  /* chat: room notices and the like */
    uint64_t closed_by_peer;
    uint64_t resumed;      /* handshake mode with --resume: handshakes resumed from a ticket */
};

struct latencies {
    uint32_t *us;
    size_t n, cap;
    int sorted;
};

struct bench {
    struct bench_options opt;
    const struct mode_ops *mode;
    struct loop *loop;
    struct tls *tls;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char target[64];
    struct worker *workers;
    size_t nworkers;
    enum bench_phase phase;
    struct bench_counts n;
    struct latencies lat;
    /* what the modes keep between callbacks */
    size_t next_worker;          /* hold: the next one to connect */
    size_t in_progress;          /* connections not yet settled */
    size_t alive;                /* echo/chat: connections ready and open */
    size_t setup_failed;         /* connections that never got ready */
    uint64_t lost;               /* connections that closed after they were ready */
    size_t rr;                   /* chat: the next sender */
    uint64_t paced;              /* chat --rate: lines due so far */
    struct loop_timer pace_timer; /* chat --rate */
    char *line;                  /* echo/chat: the bytes of one or more lines to send */
    size_t line_len;
    uint64_t t_begin_us, t_measure_us, t_end_us;
    double cpu_begin_s;          /* this process's CPU time at t_begin_us */
    struct loop_timer deadline;  /* hard end: nothing runs past it */
    struct loop_timer phase_timer;
    int sigfd, watch_stdin;
    const char *stopped_by;      /* NULL: it ran to its end; else "SIGTERM", "stdin-EOF", "deadline" */
    char tls_desc[160];          /* "proto=TLSv1.3 cipher=... group=..." from the first session */
    char first_error[320];
    char scratch[BENCH_READ_CHUNK];
};

/* options.c: 0 to run, 1 after --help (exit 0), 2 on a usage error (printed). */
int bench_options_parse(struct bench_options *o, int argc, char **argv);

/* worker.c */
int worker_connect(struct worker *w);
int worker_send(struct worker *w, const void *buf, size_t len); /* -1: it failed and was closed */
void worker_close(struct worker *w);
void worker_settle(struct worker *w); /* stop its setup timeout */
void worker_fail(struct worker *w, const char *why);
void worker_keep_socket_only(struct worker *w); /* hold --lean */

/* stats.c */
uint64_t bench_now_us(void);
int latencies_add(struct latencies *l, uint64_t us);
double latencies_ms(struct latencies *l, double pct); /* 0 when empty */
void latencies_free(struct latencies *l);
double bench_seconds(uint64_t from_us, uint64_t to_us);
double bench_cpu_seconds(void);
double bench_cpu_pct(const struct bench *b); /* this process, from setup to the end */
void bench_note_error(struct bench *b, const char *why);
/* The common start of every summary line: mode, label, target, TLS, concurrency. */
void bench_print_head(const struct bench *b, unsigned concurrency);
void bench_print_tail(const struct bench *b);

/* main.c: the mode stops the run. */
void bench_stop(struct bench *b);

extern const struct mode_ops mode_handshakes, mode_echo, mode_hold, mode_chat;

#endif
