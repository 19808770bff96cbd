/* SPDX-License-Identifier: ISC */
/* tui: the terminal interface, on ncursesw (the layout of irssi and WeeChat:
 * a scrolling window of lines, a status line, an input line). Three curses
 * windows, so arriving text is only ever drawn in its own; the cursor is left
 * in the input line. Every line drawn was sanitized (text.c), tabs become
 * blanks, and what the terminal cannot show becomes '?': nothing in a line
 * can move the cursor. */
#define _GNU_SOURCE
#define NCURSES_WIDECHAR 1
#include "tui.h"

#include <curses.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>

#include "text.h"
#include "tui_input.h"
#include "tui_room.h"
#include "tui_signals.h"
#include "tui_wrap.h"

#define SCROLLBACK  2000 /* lines kept */
#define SCROLLBACK_CHARS ((size_t)1024 * 1024) /* and characters: a flood of long lines stays within 4 MB */
#define STAMP_COLS  6    /* "HH:MM " */
#define INDENT      8    /* a wrapped line's continuation starts past the time stamp */
#define MAX_ROWS    256  /* rows one line may take on screen (the rest is cut) */
#define NICK_COLORS 6
#define OWN_BYTES   (TUI_INPUT_MAX * 4 + 1)

enum kind { FROM_SERVER, OWN, SYSTEM };

/* One line of the scrollback: the time stamp and the text, as drawn. */
struct shown {
    wchar_t *text;
    size_t len;
    size_t nick_at, nick_len; /* the speaker's nick in text: drawn in its colour */
    short pair;
    enum kind kind;
};

struct tui {
    struct tui_hooks hooks;
    SCREEN *screen;
    WINDOW *log, *status, *input;
    int color;
    char server[160], security[320], state[40];
    struct shown lines[SCROLLBACK]; /* a ring: first is the oldest of count */
    size_t first, count;
    size_t chars; /* characters the ring holds */
    size_t scroll; /* rows the view is scrolled up from the newest */
    struct tui_input in;
    size_t view; /* first character of the input line on screen */
    struct tui_room room;
    int err_pipe;  /* standard error writes here while the interface is up */
    int real_err;  /* and here it was */
    char errbuf[4096];
    size_t errlen;
    int dirty;
};

static const char *const commands[] = {"/nick", "/who", "/msg", "/quit", "/help", "/whois-server"};

int tui_wanted(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* ---- the scrollback ---- */

static short nick_pair(const char *nick, size_t len)
{
    unsigned h = 2166136261u; /* FNV-1a: the same nick, the same colour, every session */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)nick[i]) * 16777619u;
    return (short)(1 + h % NICK_COLORS);
}

static size_t rows_of(const struct tui *t, const struct shown *l)
{
    size_t starts[MAX_ROWS];
    size_t rows = tui_wrap(l->text, l->len, (size_t)getmaxx(t->log), INDENT, starts, MAX_ROWS);
    return rows > MAX_ROWS ? MAX_ROWS : rows;
}

static void add_line(struct tui *t, enum kind kind, const char *line, size_t len)
{
    char clean[OWN_BYTES + 64];
    if (len > sizeof clean - 1)
        len = sizeof clean - 1;
    memcpy(clean, line, len);
    len = text_sanitize(clean, len); /* again: nothing reaches the screen unclean */
    struct shown l = {.kind = kind};
    l.text = malloc((STAMP_COLS + 4 + len + 1) * sizeof *l.text);
    if (!l.text)
        return;
    char stamp[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%H:%M ", &tm);
    if (kind == SYSTEM) {
        size_t k = strlen(stamp);
        snprintf(stamp + k, sizeof stamp - k, "-!- ");
    }
    size_t n = tui_utf8_to_wide(stamp, strlen(stamp), l.text, 16);
    size_t head = n;
    n += tui_utf8_to_wide(clean, len, l.text + n, len + 1);
    for (size_t i = head; i < n; i++)
        if (l.text[i] == L'\t' || (!iswprint((wint_t)l.text[i]) && wcwidth(l.text[i]) < 0))
            l.text[i] = l.text[i] == L'\t' ? L' ' : L'?';
    l.len = n;
    size_t at;
    size_t nlen = kind == SYSTEM ? 0 : tui_room_speaker(clean, len, &at);
    if (nlen > 0) { /* nicks and what comes before them are ASCII: bytes are characters */
        l.nick_at = head + at;
        l.nick_len = nlen;
        l.pair = nick_pair(clean + at, nlen);
    }
    while (t->count > 0 && (t->count == SCROLLBACK || t->chars + l.len > SCROLLBACK_CHARS)) {
        t->chars -= t->lines[t->first].len;
        free(t->lines[t->first].text);
        t->first = (t->first + 1) % SCROLLBACK;
        t->count--;
    }
    t->lines[(t->first + t->count) % SCROLLBACK] = l;
    t->count++;
    t->chars += l.len;
    if (t->scroll > 0) /* reading further up: keep the view where it is */
        t->scroll += rows_of(t, &l);
    t->dirty = 1;
}

static attr_t attr_of(const struct tui *t, const struct shown *l, size_t i, short *pair)
{
    *pair = 0;
    if (i < STAMP_COLS - 1)
        return A_DIM;
    if (l->kind == SYSTEM && i >= STAMP_COLS && i < STAMP_COLS + 3)
        return A_REVERSE;
    if (l->nick_len > 0 && i >= l->nick_at && i < l->nick_at + l->nick_len) {
        *pair = t->color ? l->pair : 0;
        return l->kind == OWN ? A_BOLD : A_NORMAL;
    }
    return A_NORMAL;
}

static void draw_row(const struct tui *t, const struct shown *l, size_t from, size_t to, int continued, int y)
{
    int w = getmaxx(t->log), x = 0;
    wmove(t->log, y, 0);
    if (continued && INDENT + 2 <= w)
        for (; x < INDENT; x++)
            waddch(t->log, ' ');
    for (size_t i = from; i < to; i++) {
        x += tui_char_width(l->text[i]);
        if (x > w)
            break; /* never past the edge: curses would go on in the next row */
        short pair;
        attr_t a = attr_of(t, l, i, &pair);
        wchar_t wc[2] = {l->text[i], L'\0'};
        cchar_t cc;
        if (setcchar(&cc, wc, a, pair, NULL) == OK)
            wadd_wch(t->log, &cc);
    }
}

static void draw_log(struct tui *t)
{
    int h = getmaxy(t->log), w = getmaxx(t->log);
    werase(t->log);
    int y = h;
    size_t skip = t->scroll;
    for (size_t k = t->count; k-- > 0 && y > 0;) {
        const struct shown *l = &t->lines[(t->first + k) % SCROLLBACK];
        size_t starts[MAX_ROWS];
        size_t rows = tui_wrap(l->text, l->len, (size_t)w, INDENT, starts, MAX_ROWS);
        if (rows > MAX_ROWS)
            rows = MAX_ROWS;
        for (size_t r = rows; r-- > 0 && y > 0;) {
            if (skip > 0) {
                skip--;
                continue;
            }
            draw_row(t, l, starts[r], r + 1 < rows ? starts[r + 1] : l->len, r > 0, --y);
        }
    }
    if (skip > 0) /* scrolled past the oldest line: stop there */
        t->scroll -= skip;
    wnoutrefresh(t->log);
}

/* ---- the status line and the input line ---- */

static void draw_status(struct tui *t)
{
    char text[1024], online[32] = "";
    char stamp[8];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%H:%M", &tm);
    if (t->room.online >= 0)
        snprintf(online, sizeof online, " | %ld online", t->room.online);
    snprintf(text, sizeof text, " %s | %s%s%s%s | %s%s%s", stamp, t->state, online, t->room.me[0] ? " | you are " : "",
             t->room.me, t->server, t->security[0] ? " | " : "", t->security);
    if (t->scroll > 0)
        strncat(text, " | -- more below (PgDn) --", sizeof text - strlen(text) - 1);
    wchar_t wide[1024];
    size_t n = tui_utf8_to_wide(text, strlen(text), wide, sizeof wide / sizeof wide[0]);
    int w = getmaxx(t->status);
    werase(t->status);
    wbkgdset(t->status, ' ' | A_REVERSE);
    wattrset(t->status, A_REVERSE);
    size_t used = 0, i = 0;
    for (; i < n; i++) {
        used += (size_t)tui_char_width(wide[i]);
        if (used > (size_t)w)
            break;
    }
    mvwaddnwstr(t->status, 0, 0, wide, (int)i);
    for (int x = getcurx(t->status); x < w && x >= 0; x++)
        waddch(t->status, ' ');
    wnoutrefresh(t->status);
}

static void draw_input(struct tui *t)
{
    int w = getmaxx(t->input);
    wchar_t prompt[TUI_ROOM_NICK_MAX + 4];
    size_t plen = 0;
    prompt[plen++] = L'[';
    for (const char *c = t->room.me; *c; c++)
        prompt[plen++] = (wchar_t)(unsigned char)*c;
    if (plen == 1)
        plen = 0;
    else
        prompt[plen++] = L']';
    prompt[plen++] = L'>';
    prompt[plen++] = L' ';
    size_t pw = tui_width(prompt, plen);
    if (pw + 4 > (size_t)w)
        plen = pw = 0; /* too narrow for a prompt */
    size_t avail = (size_t)w > pw ? (size_t)w - pw : 1;
    t->view = tui_view_start(t->in.buf, t->in.cur, t->view, avail);
    werase(t->input);
    if (plen > 0)
        mvwaddnwstr(t->input, 0, 0, prompt, (int)plen);
    size_t used = 0;
    for (size_t i = t->view; i < t->in.len; i++) {
        wchar_t c = t->in.buf[i];
        size_t cw = (size_t)tui_char_width(c);
        if (used + cw > avail)
            break;
        wchar_t wc[2] = {iswprint((wint_t)c) ? c : L'?', L'\0'};
        waddnwstr(t->input, wc, 1);
        used += cw;
    }
    wmove(t->input, 0, (int)(pw + tui_width(t->in.buf + t->view, t->in.cur - t->view)));
    wnoutrefresh(t->input); /* last: the cursor stays in the input line */
}

static void draw(struct tui *t)
{
    draw_log(t);
    draw_status(t);
    draw_input(t);
    doupdate();
    t->dirty = 0;
}

/* ---- windows ---- */

static int layout(struct tui *t)
{
    if (t->log)
        delwin(t->log);
    if (t->status)
        delwin(t->status);
    if (t->input)
        delwin(t->input);
    int h = LINES < 3 ? 3 : LINES, w = COLS < 1 ? 1 : COLS;
    t->log = newwin(h - 2, w, 0, 0);
    t->status = newwin(1, w, h - 2, 0);
    t->input = newwin(1, w, h - 1, 0);
    if (!t->log || !t->status || !t->input)
        return -1;
    keypad(t->input, TRUE);
    nodelay(t->input, TRUE);
    t->dirty = 1;
    return 0;
}

/* ---- standard error, caught ---- */

/* Lines written to standard error since the last call: to the screen (show)
 * or to the real standard error. */
static void drain_errors(struct tui *t, int show)
{
    for (;;) {
        if (t->errlen == sizeof t->errbuf) { /* a line that long: show what there is */
            t->errbuf[sizeof t->errbuf - 1] = '\n';
        } else {
            ssize_t n = read(t->err_pipe, t->errbuf + t->errlen, sizeof t->errbuf - t->errlen);
            if (n <= 0)
                break;
            t->errlen += (size_t)n;
        }
        char *nl;
        while ((nl = memchr(t->errbuf, '\n', t->errlen)) != NULL) {
            size_t len = (size_t)(nl - t->errbuf);
            if (show)
                add_line(t, SYSTEM, t->errbuf, len);
            else if (write(t->real_err, t->errbuf, len + 1) < 0)
                break;
            t->errlen -= len + 1;
            memmove(t->errbuf, nl + 1, t->errlen);
        }
    }
    if (!show && t->errlen > 0 && write(t->real_err, t->errbuf, t->errlen) >= 0)
        t->errlen = 0;
}

static int catch_errors(struct tui *t, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot make a pipe for the terminal interface");
        return -1;
    }
    t->real_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (t->real_err < 0 || dup2(p[1], STDERR_FILENO) < 0) {
        snprintf(err, errlen, "cannot catch standard error for the terminal interface");
        close(p[0]);
        close(p[1]);
        if (t->real_err >= 0)
            close(t->real_err);
        return -1;
    }
    close(p[1]);
    t->err_pipe = p[0];
    return 0;
}

static void release_errors(struct tui *t)
{
    dup2(t->real_err, STDERR_FILENO);
    drain_errors(t, 0);
    close(t->real_err);
    close(t->err_pipe);
}

/* ---- start and end ---- */

/* A UTF-8 locale for wide characters: the user's, else C.UTF-8. */
static int utf8_locale(void)
{
    if (setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
        return 0;
    if (setlocale(LC_CTYPE, "C.UTF-8") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
        return 0;
    return -1;
}

static void start_colors(struct tui *t)
{
    const char *no = getenv("NO_COLOR");
    if (!t->color || (no && *no) || !has_colors() || start_color() == ERR) {
        t->color = 0;
        return;
    }
    short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
    static const short fg[NICK_COLORS] = {COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN};
    for (short i = 0; i < NICK_COLORS; i++)
        init_pair((short)(i + 1), fg[i], bg);
}

struct tui *tui_start(const char *server, int color, const struct tui_hooks *hooks, char *err, size_t errlen)
{
    if (utf8_locale() < 0) {
        snprintf(err, errlen, "no UTF-8 locale (C.UTF-8) for the terminal interface");
        return NULL;
    }
    struct tui *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->hooks = *hooks;
    t->color = color;
    snprintf(t->server, sizeof t->server, "%s", server);
    snprintf(t->state, sizeof t->state, "connected");
    tui_input_init(&t->in);
    tui_room_init(&t->room);
    tui_signals_save_terminal();
    t->screen = newterm(NULL, stdout, stdin);
    if (!t->screen) {
        snprintf(err, errlen, "this terminal (TERM=%s) cannot be driven", getenv("TERM") ? getenv("TERM") : "");
        free(t);
        return NULL;
    }
    raw(); /* Ctrl-C and Ctrl-D are keys: leaving is asked of the server */
    noecho();
    nonl();
    set_escdelay(25);
    start_colors(t);
    if (layout(t) < 0 || catch_errors(t, err, errlen) < 0) {
        if (!err[0])
            snprintf(err, errlen, "the terminal is too small");
        endwin();
        delscreen(t->screen);
        free(t);
        return NULL;
    }
    tui_signals_arm(); /* a kill from outside gives the terminal back first */
    draw(t);
    return t;
}

void tui_end(struct tui *t)
{
    if (!t)
        return;
    tui_signals_disarm();
    endwin();
    delscreen(t->screen);
    release_errors(t);
    for (size_t k = 0; k < t->count; k++)
        free(t->lines[(t->first + k) % SCROLLBACK].text);
    tui_input_free(&t->in);
    free(t);
}

/* ---- lines ---- */

void tui_server_line(struct tui *t, const char *line, size_t len)
{
    tui_room_heard(&t->room, line, len);
    add_line(t, FROM_SERVER, line, len);
}

void tui_system_line(struct tui *t, const char *text)
{
    add_line(t, SYSTEM, text, strlen(text));
}

void tui_set_security(struct tui *t, const char *text)
{
    snprintf(t->security, sizeof t->security, "%s", text);
    t->dirty = 1;
}

void tui_set_state(struct tui *t, const char *state)
{
    snprintf(t->state, sizeof t->state, "%s", state);
    t->dirty = 1;
}

/* Our own line, as the room sees it: "<me> text" ("//x" says "/x");
 * commands are not shown, their answers are. */
static void show_own(struct tui *t, const char *line, size_t len)
{
    if (len > 0 && line[0] == '/' && !(len > 1 && line[1] == '/'))
        return;
    if (len > 0 && line[0] == '/')
        line++, len--;
    static char said[OWN_BYTES + 48];
    int n = snprintf(said, sizeof said, "<%s> %.*s", t->room.me[0] ? t->room.me : "you", (int)len, line);
    if (n > 0)
        add_line(t, OWN, said, (size_t)n < sizeof said ? (size_t)n : sizeof said - 1);
}

static void enter(struct tui *t)
{
    static char line[OWN_BYTES];
    size_t n = tui_input_take(&t->in, line, sizeof line);
    t->view = 0;
    if (n == 0)
        return;
    t->scroll = 0;
    show_own(t, line, n);
    t->hooks.line(t->hooks.ctx, line, n);
}

static void page(struct tui *t, int up)
{
    size_t half = (size_t)(getmaxy(t->log) / 2 + 1);
    if (up)
        t->scroll += half; /* draw_log stops it at the oldest line */
    else
        t->scroll = t->scroll > half ? t->scroll - half : 0;
}

static void function_key(struct tui *t, wint_t k)
{
    switch (k) {
    case KEY_LEFT: tui_input_left(&t->in); break;
    case KEY_RIGHT: tui_input_right(&t->in); break;
    case KEY_HOME: tui_input_home(&t->in); break;
    case KEY_END: tui_input_end(&t->in); break;
    case KEY_BACKSPACE: tui_input_backspace(&t->in); break;
    case KEY_DC: tui_input_delete(&t->in); break;
    case KEY_UP: tui_input_older(&t->in); break;
    case KEY_DOWN: tui_input_newer(&t->in); break;
    case KEY_PPAGE: page(t, 1); break;
    case KEY_NPAGE: page(t, 0); break;
    case KEY_ENTER: enter(t); break;
    case KEY_RESIZE: layout(t); break;
    default: break;
    }
}

static void character(struct tui *t, wint_t c)
{
    switch (c) {
    case L'\r':
    case L'\n': enter(t); break; /* a pasted line break too: each pasted line is sent */
    case L'\t':
        tui_input_complete(&t->in, t->room.list, t->room.count, commands, sizeof commands / sizeof commands[0]);
        break;
    case 0x7f:
    case 0x08: tui_input_backspace(&t->in); break;
    case 0x01: tui_input_home(&t->in); break;  /* Ctrl-A */
    case 0x05: tui_input_end(&t->in); break;   /* Ctrl-E */
    case 0x02: tui_input_left(&t->in); break;  /* Ctrl-B */
    case 0x06: tui_input_right(&t->in); break; /* Ctrl-F */
    case 0x10: tui_input_older(&t->in); break; /* Ctrl-P */
    case 0x0e: tui_input_newer(&t->in); break; /* Ctrl-N */
    case 0x15: tui_input_kill_before(&t->in); break; /* Ctrl-U */
    case 0x17: tui_input_kill_word(&t->in); break;   /* Ctrl-W */
    case 0x0b: tui_input_kill_after(&t->in); break;  /* Ctrl-K */
    case 0x0c: clearok(curscr, TRUE); break;          /* Ctrl-L */
    case 0x03: t->hooks.quit(t->hooks.ctx); break;    /* Ctrl-C */
    case 0x04: /* Ctrl-D: leave on an empty line, else delete */
        if (t->in.len == 0)
            t->hooks.quit(t->hooks.ctx);
        else
            tui_input_delete(&t->in);
        break;
    default:
        if (iswprint(c))
            tui_input_insert(&t->in, (wchar_t)c);
        break;
    }
}

void tui_keys(struct tui *t)
{
    wint_t c;
    int r, budget = 4096; /* a huge paste is taken over several rounds */
    while (budget-- > 0 && (r = wget_wch(t->input, &c)) != ERR) {
        if (r == KEY_CODE_YES)
            function_key(t, c);
        else
            character(t, c);
        t->dirty = 1;
    }
}

void tui_flush(struct tui *t)
{
    tui_keys(t); /* a resize comes as a key, even when no key was pressed */
    drain_errors(t, 1);
    if (t->dirty)
        draw(t);
}
