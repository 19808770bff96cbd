/* SPDX-License-Identifier: ISC */
/* client: one connection, polled together with standard input. */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytebuf.h"
#include "conn.h"
#include "linebuf.h"
#include "loop.h"
#include "net.h"
#include "nick.h"
#include "reconnect.h"
#include "resume.h"
#include "text.h"
#include "trust.h"
#include "tui.h"

#define MAX_RECV_LINE (1 << 20)
#define STDIN_HIGH    (1 << 20) /* stop reading input while this much waits to be sent */
/* A server that is not tlschatd need not answer "close": once our last line is
 * out, its having said nothing for this long ends the session (exit 0). The
 * same wait bounds the answer to "/nick NAME". tlschat(1) documents it. */
#define QUIET_MS 2000

static const char tls_refusal[] = "! this server speaks TLS";
static const char server_stopping[] = "* the server is shutting down";

struct session {
    const struct client_options *o;
    struct tls *tls;
    struct conn *conn;
    int connect_line_due; /* printed once the server has said a first word */
    int server_stopping;  /* it said it is shutting down */
    struct linebuf in;
    struct bytebuf out; /* what waits to be sent */
    int input_done;     /* stdin ended (or -m): "close" is queued */
    int got_closed;
    int told_tls;       /* a TLS server told this plaintext client so */
    uint64_t close_sent_ms;
    int last_was_newline;
    /* Reconnecting (reconnect.c) and resuming (resume.c): */
    struct resume rs;
    struct reconnect rc;
    struct bytebuf wire; /* what goes out on this connection: s->out is what the user typed, not yet sent */
    int lost;            /* the connection was lost, not ended: come back */
    int last_was_error;  /* the server's last line was "! ...": a close after it is its verdict */
    char lost_why[320];
    struct trust trust; /* who the server is, decided before a byte is sent */
    int tlschatd;           /* it welcomed us: it answers "close" with "closed" */
    int said_no;            /* a "! " line before any welcome: a refusal */
    uint64_t last_heard_ms; /* the server's last bytes */
    uint64_t delivered_ms;  /* when the send queue last ran empty */
    struct nick_choice nick;
    int nick_pending;       /* "/nick NAME" sent, the verdict not heard yet */
    uint64_t nick_sent_ms;
    int interactive;        /* standard input is a terminal: a taken nick is retried */
    struct tui *ui;         /* the terminal interface; NULL: line mode */
};

static size_t unsent(const struct session *s)
{
    return bytebuf_size(&s->wire);
}

/* A loss to come back from: not after the server's own goodbye (a TLS
 * close_notify, or a "! reason" line just before the end), nor with --no-reconnect. */
static int comes_back(struct session *s, ssize_t n, const char *why)
{
    /* Only to a tlschatd that took us (one that refuses our certificate says
     * so only after our TLS 1.3 handshake is done), and never after it said no
     * to a certificate. */
    if (!s->o->reconnect || !s->tlschatd || s->last_was_error || (n == CONN_EOF && conn_is_tls(s->conn)) ||
        reconnect_cannot_help(why))
        return 0;
    snprintf(s->lost_why, sizeof s->lost_why, "%s", why);
    s->lost = 1;
    return 1;
}

static int queue_out(struct session *s, const char *data, size_t len)
{
    if (bytebuf_append(&s->out, data, len) < 0)
        return -1;
    if (len > 0)
        s->last_was_newline = data[len - 1] == '\n';
    return 0;
}

static void queue_close(struct session *s)
{
    if (!s->last_was_newline) /* end the last line, even when it is already sent */
        queue_out(s, "\n", 1);
    queue_out(s, "close\n", 6);
    s->input_done = 1;
    s->close_sent_ms = loop_now_ms();
}

/* What waited for the verdict on our nick: -m's line and standard input. */
static void after_first_lines(struct session *s)
{
    s->nick_pending = 0;
    if (s->o->message && !s->input_done) {
        queue_out(s, s->o->message, strlen(s->o->message));
        queue_out(s, "\n", 1);
        queue_close(s);
    }
}

static void ask_nick(struct session *s)
{
    queue_out(s, "/nick ", 6);
    queue_out(s, s->nick.current, strlen(s->nick.current));
    queue_out(s, "\n", 1);
    s->nick_pending = 1;
    s->nick_sent_ms = loop_now_ms();
}

/* The server's first line after "/nick NAME". Returns 1 to go on, 0 when the
 * session is over (status in *rc): a refused nick in a pipe. */
static int nick_answer(struct session *s, const char *line, size_t len, int *rc)
{
    enum nick_verdict v = nick_verdict_of(line, len);
    if (v == NICK_ACCEPTED) {
        after_first_lines(s);
        return 1;
    }
    const char *why = line + 2; /* without "! " */
    if (!s->interactive) {
        fprintf(stderr, "tlschat: the server refused --nick %s: %.*s\n", s->nick.current, (int)(len - 2), why);
        *rc = 1;
        return 0;
    }
    if (v == NICK_TAKEN && nick_choice_next(&s->nick)) {
        fprintf(stderr, "tlschat: %.*s: trying %s\n", (int)(len - 2), why, s->nick.current);
        ask_nick(s);
        return 1;
    }
    fprintf(stderr, "tlschat: %.*s: you join as a guest; /nick NAME chooses a nick\n", (int)(len - 2), why);
    after_first_lines(s);
    return 1;
}

static void say_hello(struct session *s);

/* What a line from the server tells about the session. Returns as receive. */
static int heard(struct session *s, const char *line, size_t len, int *rc)
{
    if (len == 6 && memcmp(line, "closed", 6) == 0)
        s->got_closed = 1;
    if (len == sizeof server_stopping - 1 && memcmp(line, server_stopping, len) == 0)
        s->server_stopping = 1;
    if (!conn_is_tls(s->conn) && len >= sizeof tls_refusal - 1 &&
        memcmp(line, tls_refusal, sizeof tls_refusal - 1) == 0)
        s->told_tls = 1;
    if (len >= 11 && memcmp(line, "* welcome, ", 11) == 0) {
        if (!s->tlschatd && s->o->reconnect)
            say_hello(s); /* a tlschatd: opt in to sessions, to come back after a cut */
        if (s->ui && !s->tlschatd)
            queue_out(s, "/who\n", 5); /* who is here: shown, and their nicks complete with Tab */
        s->tlschatd = 1;
    } else if (!s->tlschatd && len >= 2 && memcmp(line, "! ", 2) == 0)
        s->said_no = 1;
    if (s->nick_pending)
        return nick_answer(s, line, len, rc);
    return 1;
}

/* Our line is out and the server is not one that answers "close": it is done
 * when it closes or stays quiet. */
static int any_line_server_done(const struct session *s)
{
    return s->input_done && unsent(s) == 0 && bytebuf_size(&s->out) == 0 && !s->tlschatd && !s->said_no;
}

/* The terminal interface's status line: what we are connected to, and how sure. */
static void tell_ui_security(struct session *s)
{
    struct tls_summary sum;
    char text[320];
    if (conn_summary(s->conn, &sum) < 0)
        snprintf(text, sizeof text, "PLAINTEXT: anyone on the network can read this");
    else
        snprintf(text, sizeof text, "%s, verified by %s", sum.version, tls_verified_by(s->tls));
    tui_set_security(s->ui, text);
}

static void print_connect_line(struct session *s)
{
    struct tls_summary sum;
    const struct client_options *o = s->o;
    s->connect_line_due = 0;
    if (s->ui)
        tell_ui_security(s);
    if (o->quiet)
        return;
    if (conn_summary(s->conn, &sum) < 0) {
        fprintf(stderr, "connected to %s:%s (%s) in PLAINTEXT: anyone on the network can read this chat\n",
                o->host, o->port, conn_peer(s->conn));
        return;
    }
    fprintf(stderr, "connected to %s:%s (%s): %s %s %s; server %s %s; verified by %s%s%s\n", o->host, o->port,
            conn_peer(s->conn), sum.version, sum.cipher, sum.group, sum.subject, sum.fingerprint,
            s->trust.verified_by, o->verbose ? "; words " : "", o->verbose ? s->trust.words : "");
}

/* Returns 1 to go on, 0 when the session is over (status in *rc). */
static int receive(struct session *s, int *rc)
{
    char buf[16384];
    for (;;) {
        ssize_t n = conn_recv(s->conn, buf, sizeof buf);
        if (conn_again(n))
            return 1; /* conn remembers for what: session_loop asks it */
        if (n == CONN_EOF || n == CONN_ERROR) {
            /* "closed" heard, or a line server that had its say after ours was delivered */
            if (s->got_closed || (n == CONN_EOF && !s->told_tls && !s->server_stopping && any_line_server_done(s))) {
                *rc = 0;
            } else if (s->told_tls) {
                fprintf(stderr, "tlschat: the server speaks TLS: connect without --plain\n");
                *rc = 1;
            } else if (s->server_stopping) {
                fprintf(stderr, "tlschat: the server shut down\n");
                *rc = 1;
            } else if (comes_back(s, n, n == CONN_EOF ? "the server closed the connection" : conn_error(s->conn))) {
                *rc = 1;
            } else if (n == CONN_EOF) {
                fprintf(stderr, "tlschat: the server closed the connection\n");
                *rc = 1;
            } else {
                fprintf(stderr, "tlschat: %s\n", conn_error(s->conn));
                *rc = 1;
            }
            return 0;
        }
        s->last_heard_ms = loop_now_ms();
        if (linebuf_append(&s->in, buf, (size_t)n) < 0) {
            fprintf(stderr, "tlschat: out of memory\n");
            *rc = 1;
            return 0;
        }
        if (s->connect_line_due)
            print_connect_line(s); /* the server took us: now it can be said */
        const char *line;
        size_t len;
        int r;
        while ((r = linebuf_next(&s->in, &line, &len)) != 0) {
            if (r == LINEBUF_TOO_LONG) {
                fprintf(stderr, "tlschat: the server sent a line longer than %d bytes: giving up\n", MAX_RECV_LINE);
                *rc = 1;
                return 0;
            }
            char note[200];
            if (resume_incoming(&s->rs, s->conn, &line, &len, &s->wire, note, sizeof note) == RESUME_DROP) {
                if (note[0])
                    fprintf(stderr, "tlschat: %s\n", note);
                continue;
            }
            if (note[0])
                fprintf(stderr, "tlschat: %s\n", note);
            s->last_was_error = len >= 2 && line[0] == '!' && line[1] == ' ';
            /* Never let the server, or anyone it relays, drive this terminal. */
            len = text_sanitize((char *)line, len);
            if (s->ui)
                tui_server_line(s->ui, line, len);
            else
                printf("%.*s\n", (int)len, line);
            if (!heard(s, line, len, rc)) {
                fflush(stdout);
                return 0;
            }
        }
        if (!s->ui)
            fflush(stdout);
        if (s->got_closed) {
            *rc = 0;
            return 0;
        }
    }
}

/* Returns 1 to go on, 0 when the session is over (status in *rc). */
/* One typed line into the wire (numbered when sessions are on). 0 when none may go now. */
static int take_typed_line(struct session *s)
{
    const char *head = bytebuf_head(&s->out);
    const char *nl = bytebuf_size(&s->out) ? memchr(head, '\n', bytebuf_size(&s->out)) : NULL;
    if (!nl || !resume_may_send(&s->rs, loop_now_ms()))
        return 0;
    size_t len = (size_t)(nl - head);
    if (resume_outgoing(&s->rs, head, len, &s->wire) < 0)
        return 0;
    bytebuf_consume(&s->out, len + 1);
    return 1;
}

static int send_pending(struct session *s, int *rc)
{
    while (unsent(s) > 0 || take_typed_line(s)) {
        /* One line a send, so each line leaves in a TLS record of its own:
         * what the Wireshark lab shows, and what --pad pads. */
        const char *next = bytebuf_head(&s->wire);
        const char *nl = memchr(next, '\n', unsent(s));
        size_t len = nl ? (size_t)(nl - next) + 1 : unsent(s);
        ssize_t n = conn_send(s->conn, next, len);
        if (conn_again(n))
            return 1;
        if (n <= 0) {
            /* The server may have said why before it went (a TLS alert such as
             * "certificate required", or a last line): read that first, so the
             * sentence names the cause rather than the reset it left behind. */
            char why[320];
            snprintf(why, sizeof why, "%s", n == CONN_EOF ? "the server closed the connection" : conn_error(s->conn));
            *rc = 1;
            if (receive(s, rc) == 0)
                return 0;
            if (!comes_back(s, n, why))
                fprintf(stderr, "tlschat: %s\n", why);
            return 0;
        }
        bytebuf_consume(&s->wire, (size_t)n);
        if (unsent(s) == 0)
            s->delivered_ms = loop_now_ms();
    }
    return 1;
}

static void read_input(struct session *s)
{
    char buf[16384];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0)
        queue_close(s);
    else
        queue_out(s, buf, trust_filter_input(&s->trust, buf, (size_t)n, s->last_was_newline)); /* /whois-server */
}

/* conn's event bits as poll's, and back. */
static short poll_events(unsigned conn_events)
{
    return (short)(((conn_events & CONN_READ) ? POLLIN : 0) | ((conn_events & CONN_WRITE) ? POLLOUT : 0));
}

static unsigned conn_bits(short revents)
{
    return ((revents & POLLIN) ? CONN_READ : 0u) | ((revents & POLLOUT) ? CONN_WRITE : 0u) |
           ((revents & (POLLHUP | POLLERR)) ? CONN_HANGUP : 0u);
}

static int session_loop(struct session *s)
{
    const struct client_options *o = s->o;
    int rc = 1;
    int fd = conn_fd(s->conn);
    int drained = 0;
    net_set_nonblocking(fd, 1);
    for (;;) {
        if (s->ui)
            tui_flush(s->ui); /* keys taken, lines drawn, before anything is sent or waited for */
        if (!send_pending(s, &rc))
            return rc;
        /* The handshake reads ahead: lines the server sent right behind its
         * Finished (TLS 1.2) may wait in OpenSSL's buffer, where poll cannot
         * see them. Once read here, every later read goes on to CONN_WANT_READ
         * and leaves nothing whole behind. */
        if (!drained) {
            drained = 1;
            if (conn_pending(s->conn) > 0) {
                if (!receive(s, &rc))
                    return rc;
                continue;
            }
        }
        struct pollfd p[2] = {{.fd = fd, .events = poll_events(conn_events(s->conn, 1, unsent(s) > 0))},
                              {.fd = STDIN_FILENO, .events = POLLIN}};
        int nfds = (!s->input_done && !s->nick_pending &&
                    bytebuf_size(&s->out) + bytebuf_size(&s->rs.unacked) < STDIN_HIGH) ? 2 : 1;
        int wait_ms = -1;
        uint64_t now = loop_now_ms();
        if (s->nick_pending) {
            uint64_t waited = now - s->nick_sent_ms;
            if (waited >= QUIET_MS) { /* no verdict: a server that does not hold nicks */
                after_first_lines(s);
                continue;
            }
            wait_ms = (int)(QUIET_MS - waited);
        } else if (s->input_done) {
            uint64_t waited = now - s->close_sent_ms, limit = (uint64_t)o->timeout_s * 1000;
            if (waited >= limit && any_line_server_done(s))
                return 0;
            if (waited >= limit) {
                fprintf(stderr, "tlschat: the server did not answer 'close' within %d s\n", o->timeout_s);
                return 1;
            }
            wait_ms = (int)(limit - waited);
            if (any_line_server_done(s)) {
                uint64_t last = s->last_heard_ms > s->delivered_ms ? s->last_heard_ms : s->delivered_ms;
                uint64_t quiet = now - last;
                if (quiet >= QUIET_MS)
                    return 0; /* delivered, and the server has nothing more to say */
                if (QUIET_MS - quiet < (uint64_t)wait_ms)
                    wait_ms = (int)(QUIET_MS - quiet);
            }
        }
        if (s->rs.state == RESUME_ASKED && (wait_ms < 0 || wait_ms > 100))
            wait_ms = 100; /* the opt-in's answer, or the end of waiting for one */
        if (poll(p, (nfds_t)nfds, wait_ms) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "tlschat: poll failed: %s\n", strerror(errno));
            return 1;
        }
        if ((conn_ready(s->conn, conn_bits(p[0].revents)) & CONN_READ) && !receive(s, &rc))
            return rc; /* what may be sent now is sent at the top of the loop */
        if (nfds == 2 && s->ui && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            tui_keys(s->ui);
        else if (nfds == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            read_input(s);
    }
}

/* The first line of a connection: opting in to sessions, or coming back to one. */
static void say_hello(struct session *s)
{
    char hello[256];
    size_t n = resume_hello(&s->rs, hello, sizeof hello);
    s->rs.asked_ms = loop_now_ms();
    bytebuf_append(&s->wire, hello, n);
}

/* The connection was lost: wait (reading what the user types meanwhile), then
 * connect again, as often as it takes. 1 when connected again; 0 when giving
 * up (status in *rc). */
static int come_back(struct session *s, int *rc)
{
    char err[512];
    const char *why = s->lost_why;
    conn_close(s->conn);
    s->conn = NULL;
    s->lost = 0;
    s->last_was_error = 0;
    bytebuf_consume(&s->wire, bytebuf_size(&s->wire)); /* it went with the connection */
    linebuf_free(&s->in);
    linebuf_init(&s->in, MAX_RECV_LINE); /* and so did half a line */
    reconnect_lost(&s->rc, loop_now_ms());
    for (;;) {
        if (loop_now_ms() - s->rc.lost_ms > RECONNECT_GIVE_UP_MS) {
            fprintf(stderr, "tlschat: gave up reconnecting after %llu minutes: %s\n",
                    (unsigned long long)(RECONNECT_GIVE_UP_MS / 60000), why);
            *rc = 1;
            return 0;
        }
        uint64_t delay = reconnect_delay_ms(&s->rc), until = loop_now_ms() + delay;
        unsigned long long secs = (unsigned long long)(delay + 500) / 1000;
        fprintf(stderr, "tlschat: connection lost (%s); reconnecting in %llu s\n", why, secs);
        if (s->ui) {
            char state[40];
            snprintf(state, sizeof state, "reconnecting in %llu s", secs);
            tui_set_state(s->ui, state);
        }
        uint64_t now;
        while ((now = loop_now_ms()) < until) {
            if (s->ui)
                tui_flush(s->ui); /* the notice and the state shown, keys taken */
            struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
            int reading = !s->input_done && bytebuf_size(&s->out) + bytebuf_size(&s->rs.unacked) < STDIN_HIGH;
            int r = poll(&p, reading ? 1 : 0, (int)(until - now));
            if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
                if (s->ui) /* lines typed in the gap go out once it is back */
                    tui_keys(s->ui);
                else
                    read_input(s);
            }
        }
        if (s->ui) {
            tui_set_state(s->ui, "reconnecting");
            tui_flush(s->ui);
        }
        int fatal;
        s->conn = reconnect_connect(&s->rc, s->o, s->tls, err, sizeof err, &fatal);
        if (s->conn)
            break;
        if (fatal) {
            fprintf(stderr, "tlschat: %s\n", err);
            *rc = 1;
            return 0;
        }
        why = err;
    }
    struct tls_summary sum;
    int resumed = conn_summary(s->conn, &sum) == 0 && sum.resumed;
    fprintf(stderr, "tlschat: reconnected to %s:%s (%s)%s\n", s->o->host, s->o->port, conn_peer(s->conn),
            resumed ? ", TLS session resumed" : "");
    if (s->ui)
        tui_set_state(s->ui, s->input_done ? "leaving" : "connected");
    if (s->input_done)
        s->close_sent_ms = loop_now_ms(); /* the wait for "closed" starts again */
    if (s->rs.have_token)
        say_hello(s); /* "/session resume ...": first, as it must be */
    return 1;
}

/* ---- the terminal interface's hooks ---- */

static void ui_line(void *ctx, const char *line, size_t len)
{
    struct session *s = ctx;
    if (s->input_done || trust_local_command(&s->trust, line, len))
        return;
    queue_out(s, line, len);
    queue_out(s, "\n", 1);
}

static void ui_quit(void *ctx)
{
    struct session *s = ctx;
    if (!s->input_done) {
        queue_close(s);
        tui_set_state(s->ui, "leaving");
    }
}

/* A terminal on both ends, no -m: the terminal interface (else line mode, as in a pipe). */
static void start_ui(struct session *s)
{
    const struct client_options *o = s->o;
    if (o->message || !tui_wanted())
        return;
    static const struct tui_hooks hooks = {NULL, ui_line, ui_quit};
    struct tui_hooks h = hooks;
    h.ctx = s;
    char server[160], err[200] = "";
    snprintf(server, sizeof server, "%s:%s", o->host, o->port);
    s->ui = tui_start(server, !o->no_color, &h, err, sizeof err);
    if (!s->ui)
        fprintf(stderr, "tlschat: %s: going on in line mode\n", err);
}

int client_run(const struct client_options *o)
{
    char err[512];
    struct tls *tls = NULL;
    signal(SIGPIPE, SIG_IGN);
    if (o->plain) {
        fprintf(stderr, "WARNING: --plain: no encryption. Anyone on the network can read every message, "
                        "and anyone in the middle can change them.\n");
    } else {
        if (o->tls.insecure)
            fprintf(stderr, "WARNING: --insecure: the server is NOT verified. Anyone in the middle can pose as it "
                            "and read everything. Use --ca or --pin instead.\n");
        if (!(tls = tls_client_new(&o->tls, err, sizeof err))) {
            fprintf(stderr, "tlschat: %s\n", err);
            return 1;
        }
        if (tls_keylog_warning(tls))
            fprintf(stderr, "%s\n", tls_keylog_warning(tls));
    }
    struct session s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.last_was_newline = 1;
    s.conn = conn_connect(o->host, o->port, tls, o->servername, o->timeout_s * 1000, err, sizeof err);
    if (!s.conn) {
        fprintf(stderr, "tlschat: %s\n", err);
        tls_free(tls);
        return 1;
    }
    s.tls = tls;
    if (trust_check(o, s.conn, tls, &s.trust) < 0) { /* nothing sent yet */
        conn_close(s.conn);
        tls_free(tls);
        return 1;
    }
    start_ui(&s); /* after the trust question, which is asked on the plain terminal */
    if (conn_cert_requested(s.conn))
        s.connect_line_due = 1; /* it may still refuse us: wait for its word */
    else
        print_connect_line(&s);
    linebuf_init(&s.in, MAX_RECV_LINE);
    resume_init(&s.rs);
    reconnect_first(&s.rc, s.conn);
    s.interactive = isatty(STDIN_FILENO);
    if (o->nick) { /* the first line: the server holds our join for it */
        nick_choice_init(&s.nick, o->nick);
        nick_choice_next(&s.nick);
        ask_nick(&s);
    } else {
        if (s.ui)
            queue_out(&s, "\n", 1); /* an empty first line: tlschatd greets at once, no hold */
        after_first_lines(&s);
    }
    int rc = session_loop(&s);
    while (s.lost && come_back(&s, &rc))
        rc = session_loop(&s);
    tui_end(s.ui); /* the terminal back, and any last sentence on it */
    conn_close(s.conn);
    linebuf_free(&s.in);
    bytebuf_free(&s.out);
    bytebuf_free(&s.wire);
    resume_free(&s.rs);
    tls_free(tls);
    return rc;
}
