/* chat: commands, nick rules, and who gets what. */
#include "chat.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#define OUT_MAX (CHAT_LINE_MAX + 128)

void chat_room_init(struct chat_room *r, enum chat_mode mode, const struct chat_ops *ops, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->ops = ops;
    r->ctx = ctx;
    r->next_guest = 1;
}

/* Format one line into out; its length (truncated to fit). */
static size_t format_line(char *out, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(out, cap, fmt, ap);
    return n <= 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* One line to one member. */
__attribute__((format(printf, 3, 4))) static void tell(struct chat_room *r, struct chat_member *to,
                                                       const char *fmt, ...)
{
    char out[OUT_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(out, sizeof out, fmt, ap);
    va_end(ap);
    r->ops->send(r->ctx, to, out, n);
}

/* One line to everyone but except. */
__attribute__((format(printf, 3, 4))) static void announce(struct chat_room *r, const struct chat_member *except,
                                                           const char *fmt, ...)
{
    char out[OUT_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(out, sizeof out, fmt, ap);
    va_end(ap);
    r->ops->broadcast(r->ctx, except, out, n);
}

int chat_nick_valid(const char *s, size_t len)
{
    if (len == 0 || len > CHAT_NICK_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

/* Nicks are unique without regard to case, so no one can pose as "Alice". */
struct chat_member *chat_find(const struct chat_room *r, const char *nick, size_t len)
{
    for (struct chat_member *m = r->head; m; m = m->next)
        if (strlen(m->nick) == len && strncasecmp(m->nick, nick, len) == 0)
            return m;
    return NULL;
}

static void link_member(struct chat_room *r, struct chat_member *m)
{
    m->prev = NULL;
    m->next = r->head;
    if (r->head)
        r->head->prev = m;
    r->head = m;
    r->count++;
    m->joined = 1;
}

int chat_join(struct chat_room *r, struct chat_member *m, const char *cert_cn, char *why, size_t whylen)
{
    m->cert_bound = 0;
    if (r->mode == CHAT_MODE_ECHO) {
        snprintf(m->nick, sizeof m->nick, "echo");
        m->joined = 0;
        return 0;
    }
    if (cert_cn) {
        size_t len = strlen(cert_cn);
        if (!chat_nick_valid(cert_cn, len)) {
            snprintf(why, whylen, "your certificate name is not a valid nick (use 1-%d of A-Z a-z 0-9 _ -)",
                     CHAT_NICK_MAX);
            return -1;
        }
        if (chat_find(r, cert_cn, len)) {
            snprintf(why, whylen, "%s is already connected", cert_cn);
            return -1;
        }
        snprintf(m->nick, sizeof m->nick, "%s", cert_cn);
        m->cert_bound = 1;
    } else {
        do
            snprintf(m->nick, sizeof m->nick, "guest%lu", r->next_guest++);
        while (chat_find(r, m->nick, strlen(m->nick)));
    }
    link_member(r, m);
    tell(r, m, "* welcome, %s%s: %zu online, /help for commands", m->nick,
         m->cert_bound ? " (certificate verified)" : "", r->count);
    announce(r, m, "* %s joined", m->nick);
    return 0;
}

void chat_leave(struct chat_room *r, struct chat_member *m, const char *reason)
{
    if (!m->joined)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else
        r->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    m->prev = m->next = NULL;
    m->joined = 0;
    r->count--;
    if (reason)
        announce(r, NULL, "* %s left (%s)", m->nick, reason);
}

static void cmd_help(struct chat_room *r, struct chat_member *m)
{
    static const char *const lines[] = {
        "* commands:",
        "*   /nick NAME       change your nick (1-32 of A-Z a-z 0-9 _ -)",
        "*   /who             list who is here",
        "*   /msg NAME TEXT   send TEXT to NAME only",
        "*   /quit            leave (so does: close)",
        "*   /help            this list",
        "* anything else is said to everyone; start a line with // to say one starting with /",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        r->ops->send(r->ctx, m, lines[i], strlen(lines[i]));
}

static void cmd_nick(struct chat_room *r, struct chat_member *m, const char *arg, size_t len)
{
    if (m->cert_bound) {
        tell(r, m, "! your nick is bound to your certificate: you are %s", m->nick);
    } else if (!chat_nick_valid(arg, len)) {
        tell(r, m, "! '%.*s' is not a valid nick: use 1-%d of A-Z a-z 0-9 _ -", (int)(len > 64 ? 64 : len), arg,
             CHAT_NICK_MAX);
    } else if (strlen(m->nick) == len && memcmp(m->nick, arg, len) == 0) {
        tell(r, m, "! you are already %s", m->nick);
    } else {
        struct chat_member *other = chat_find(r, arg, len);
        if (other && other != m) {
            tell(r, m, "! the nick %.*s is taken", (int)len, arg);
            return;
        }
        char old[CHAT_NICK_MAX + 1];
        memcpy(old, m->nick, sizeof old);
        snprintf(m->nick, sizeof m->nick, "%.*s", (int)len, arg);
        announce(r, NULL, "* %s is now %s", old, m->nick);
    }
}

static void cmd_who(struct chat_room *r, struct chat_member *m)
{
    tell(r, m, "* %zu online:", r->count);
    for (struct chat_member *o = r->head; o; o = o->next)
        tell(r, m, "*   %s%s%s", o->nick, o->cert_bound ? " [certificate]" : "", o == m ? " (you)" : "");
}

static void cmd_msg(struct chat_room *r, struct chat_member *m, const char *arg, size_t len)
{
    size_t nlen = 0;
    while (nlen < len && arg[nlen] != ' ')
        nlen++;
    const char *text = arg + nlen;
    size_t tlen = len - nlen;
    while (tlen > 0 && *text == ' ')
        text++, tlen--;
    if (nlen == 0 || tlen == 0) {
        tell(r, m, "! usage: /msg NAME TEXT");
        return;
    }
    struct chat_member *to = chat_find(r, arg, nlen);
    if (!to) {
        tell(r, m, "! no one called %.*s is here (/who lists who is)", (int)(nlen > 64 ? 64 : nlen), arg);
        return;
    }
    tell(r, to, "*private* <%s> %.*s", m->nick, (int)tlen, text);
    if (to != m)
        tell(r, m, "*private* to <%s> %.*s", to->nick, (int)tlen, text);
}

static void quit(struct chat_room *r, struct chat_member *m)
{
    r->ops->send(r->ctx, m, "closed", 6);
    r->ops->quit(r->ctx, m);
}

/* "/cmd rest": 1 when line is that command, with *arg and *alen set. */
static int is_cmd(const char *line, size_t len, const char *cmd, const char **arg, size_t *alen)
{
    size_t n = strlen(cmd);
    if (len < n || strncasecmp(line, cmd, n) != 0 || (len > n && line[n] != ' '))
        return 0;
    *arg = line + n;
    *alen = len - n;
    while (*alen > 0 && **arg == ' ')
        (*arg)++, (*alen)--;
    while (*alen > 0 && (*arg)[*alen - 1] == ' ')
        (*alen)--;
    return 1;
}

int chat_is_rename(const char *line, size_t len)
{
    const char *arg;
    size_t alen;
    return is_cmd(line, len, "/nick", &arg, &alen);
}

void chat_line(struct chat_room *r, struct chat_member *m, char *line, size_t len)
{
    len = text_sanitize(line, len);
    if (len == 5 && strncasecmp(line, "close", 5) == 0) {
        quit(r, m);
        return;
    }
    if (r->mode == CHAT_MODE_ECHO) {
        r->ops->send(r->ctx, m, line, len);
        return;
    }
    const char *arg;
    size_t alen;
    if (len == 0)
        return;
    if (line[0] != '/' || (len > 1 && line[1] == '/')) {
        if (line[0] == '/')
            line++, len--; /* "//text" says "/text" */
        announce(r, m, "<%s> %.*s", m->nick, (int)len, line);
        return;
    }
    if (is_cmd(line, len, "/quit", &arg, &alen))
        quit(r, m);
    else if (is_cmd(line, len, "/nick", &arg, &alen))
        cmd_nick(r, m, arg, alen);
    else if (is_cmd(line, len, "/who", &arg, &alen))
        cmd_who(r, m);
    else if (is_cmd(line, len, "/msg", &arg, &alen))
        cmd_msg(r, m, arg, alen);
    else if (is_cmd(line, len, "/help", &arg, &alen))
        cmd_help(r, m);
    else {
        size_t n = 0;
        while (n < len && n < 32 && line[n] != ' ')
            n++;
        tell(r, m, "! unknown command %.*s (try /help)", (int)n, line);
    }
}
