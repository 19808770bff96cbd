/* SPDX-License-Identifier: ISC */
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

/* One line to one member; a private one is kept for it to resume, where the
 * server does. */
__attribute__((format(printf, 4, 0))) static void tell_v(struct chat_room *r, struct chat_member *to, int private,
                                                         const char *fmt, va_list ap)
{
    char out[OUT_MAX];
    size_t n = format_line(out, sizeof out, fmt, ap);
    if (private && r->ops->private_line)
        r->ops->private_line(r->ctx, to, out, n);
    else
        r->ops->send(r->ctx, to, out, n);
}

__attribute__((format(printf, 3, 4))) static void tell(struct chat_room *r, struct chat_member *to,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tell_v(r, to, 0, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void tell_private(struct chat_room *r, struct chat_member *to,
                                                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tell_v(r, to, 1, fmt, ap);
    va_end(ap);
}

/* One line to everyone but except. */
__attribute__((format(printf, 3, 0))) static void say_to_all(struct chat_room *r, const struct chat_member *except,
                                                             const char *fmt, va_list ap)
{
    char out[OUT_MAX];
    size_t n = format_line(out, sizeof out, fmt, ap);
    r->ops->broadcast(r->ctx, except, out, n);
}

/* The same, with the arguments here. */
__attribute__((format(printf, 3, 4))) static void tell_all(struct chat_room *r, const struct chat_member *except,
                                                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_to_all(r, except, fmt, ap);
    va_end(ap);
}

static void tell_news(struct chat_room *r);

/* One line to everyone but except, after the news of who came and went: no
 * one reads a newcomer's words before hearing that it joined. */
__attribute__((format(printf, 3, 4))) static void announce(struct chat_room *r, const struct chat_member *except,
                                                           const char *fmt, ...)
{
    tell_news(r);
    va_list ap;
    va_start(ap, fmt);
    say_to_all(r, except, fmt, ap);
    va_end(ap);
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

/* Look-alikes within the nick alphabet (A-Z a-z 0-9 _ -) fold into one
 * skeleton character: case first (so "ALICE" is "alice", as it always was),
 * then I, l, 1 (and |, for certificate names) are all l, and O, 0 are o.
 * Case folding joins i to I, so i is l too: "nick" and "nlck" are one nick.
 * Not folded: "rn" and "m", "vv" and "w", "cl" and "d": a terminal shows every
 * character in a cell of its own, so the pairs differ in width; nor 5/S, 2/Z,
 * 8/B, 6/G, 9/g, which terminal fonts draw apart. */
static char look_alike(char c)
{
    c = (char)tolower((unsigned char)c);
    switch (c) {
    case 'i':
    case '1':
    case '|':
        return 'l';
    case '0':
        return 'o';
    default:
        return c;
    }
}

void chat_nick_skeleton(const char *nick, size_t len, char *out)
{
    if (len > CHAT_NICK_MAX)
        len = CHAT_NICK_MAX;
    for (size_t i = 0; i < len; i++)
        out[i] = look_alike(nick[i]);
    out[len] = '\0';
}

/* The nick index: members chained by a hash (FNV-1a) of their skeleton, so
 * finding a name costs the same in a room of ten or of ten thousand. */
static size_t bucket_of(const char *skeleton)
{
    unsigned h = 2166136261u;
    for (const char *c = skeleton; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h & (CHAT_INDEX_SIZE - 1);
}

static void index_add(struct chat_room *r, struct chat_member *m)
{
    struct chat_member **b = &r->index[bucket_of(m->skeleton)];
    m->same_bucket = *b;
    *b = m;
}

static void index_remove(struct chat_room *r, struct chat_member *m)
{
    struct chat_member **p = &r->index[bucket_of(m->skeleton)];
    while (*p && *p != m)
        p = &(*p)->same_bucket;
    if (*p)
        *p = m->same_bucket;
    m->same_bucket = NULL;
}

struct chat_member *chat_find(const struct chat_room *r, const char *nick, size_t len)
{
    if (len > CHAT_NICK_MAX)
        return NULL;
    char skeleton[CHAT_NICK_MAX + 1];
    chat_nick_skeleton(nick, len, skeleton);
    struct chat_member *m = r->index[bucket_of(skeleton)];
    while (m && strcmp(m->skeleton, skeleton) != 0)
        m = m->same_bucket;
    return m;
}

/* 1 when nick (len bytes) is m's nick but for case: taken outright, not only
 * too like it. */
static int same_but_case(const struct chat_member *m, const char *nick, size_t len)
{
    return strlen(m->nick) == len && strncasecmp(m->nick, nick, len) == 0;
}

static void set_nick(struct chat_member *m, const char *nick, size_t len)
{
    snprintf(m->nick, sizeof m->nick, "%.*s", (int)len, nick);
    chat_nick_skeleton(m->nick, strlen(m->nick), m->skeleton);
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
    index_add(r, m);
}

/* ---- who came and went ----
 * In a small room each join and leave is a line of its own, at once. In a
 * crowd (more than CHAT_CROWD members) they wait for the tick, which tells
 * them in one line each: "* 37 joined: a, b, c, d, e and 32 more", "* 5
 * left: ...". Once some wait, all do until the tick, so the lines keep their
 * order. Leaves are told before joins: someone who left and came back is
 * "left", then "joined"; someone who came and went between two ticks is told
 * as neither. Any other line to everyone first tells what waits. */

/* 1 when a join or leave in r now waits for the tick. */
static int in_a_crowd(const struct chat_room *r)
{
    return r->count > CHAT_CROWD || r->unannounced > 0 || r->leaves.count > 0;
}

static void wait_to_announce(struct chat_room *r, struct chat_member *m)
{
    m->unannounced = 1;
    m->later = NULL;
    m->earlier = r->last_unannounced;
    if (r->last_unannounced)
        r->last_unannounced->later = m;
    else
        r->first_unannounced = m;
    r->last_unannounced = m;
    r->unannounced++;
}

static void stop_waiting(struct chat_room *r, struct chat_member *m)
{
    if (m->earlier)
        m->earlier->later = m->later;
    else
        r->first_unannounced = m->later;
    if (m->later)
        m->later->earlier = m->earlier;
    else
        r->last_unannounced = m->earlier;
    m->earlier = m->later = NULL;
    m->unannounced = 0;
    r->unannounced--;
}

static void note_leave(struct chat_room *r, const struct chat_member *m, const char *reason)
{
    struct chat_leaves *l = &r->leaves;
    if (l->count < CHAT_NAMES_SHOWN)
        memcpy(l->names[l->count], m->nick, sizeof l->names[0]);
    if (l->count == 0)
        snprintf(l->reason, sizeof l->reason, "%s", reason);
    l->count++;
}

/* "a, b, c" of the first names, then " and 7 more" for the rest. */
static void list_names(char *out, size_t cap, const char *const *names, size_t shown, size_t total)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < shown && used < cap; i++) {
        int n = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (total > shown && used < cap)
        snprintf(out + used, cap - used, " and %zu more", total - shown);
}

static void tell_leaves(struct chat_room *r)
{
    struct chat_leaves *l = &r->leaves;
    if (l->count == 1) {
        tell_all(r, NULL, "* %s left (%s)", l->names[0], l->reason);
    } else if (l->count > 1) {
        const char *names[CHAT_NAMES_SHOWN];
        size_t shown = 0;
        while (shown < CHAT_NAMES_SHOWN && shown < l->count) {
            names[shown] = l->names[shown];
            shown++;
        }
        char list[CHAT_NAMES_SHOWN * (CHAT_NICK_MAX + 2) + 32];
        list_names(list, sizeof list, names, shown, l->count);
        tell_all(r, NULL, "* %zu left: %s", l->count, list);
    }
    l->count = 0;
}

static void tell_joins(struct chat_room *r)
{
    if (r->unannounced == 1) {
        tell_all(r, r->first_unannounced, "* %s joined", r->first_unannounced->nick);
    } else if (r->unannounced > 1) {
        const char *names[CHAT_NAMES_SHOWN];
        size_t shown = 0;
        for (const struct chat_member *m = r->first_unannounced; m && shown < CHAT_NAMES_SHOWN; m = m->later)
            names[shown++] = m->nick;
        char list[CHAT_NAMES_SHOWN * (CHAT_NICK_MAX + 2) + 32];
        list_names(list, sizeof list, names, shown, r->unannounced);
        tell_all(r, NULL, "* %zu joined: %s", r->unannounced, list);
    }
    while (r->first_unannounced)
        stop_waiting(r, r->first_unannounced);
}

static void tell_news(struct chat_room *r)
{
    tell_leaves(r);
    tell_joins(r);
}

void chat_tick(struct chat_room *r)
{
    chat_hold_tick(r);
    tell_news(r);
}

/* The newcomer's nick, or a sentence in why. */
static int take_certificate_name(struct chat_room *r, struct chat_member *m, const char *cn, char *why,
                                 size_t whylen)
{
    size_t len = strlen(cn);
    if (!chat_nick_valid(cn, len)) {
        snprintf(why, whylen, "your certificate name is not a valid nick (use 1-%d of A-Z a-z 0-9 _ -)",
                 CHAT_NICK_MAX);
        return -1;
    }
    const struct chat_member *other = chat_find(r, cn, len);
    if (other && same_but_case(other, cn, len)) {
        snprintf(why, whylen, "%s is already connected", cn);
        return -1;
    }
    if (other) {
        snprintf(why, whylen, "%s is too like %s, who is already connected: ask for a certificate with another name",
                 cn, other->nick);
        return -1;
    }
    set_nick(m, cn, len);
    m->cert_bound = 1;
    return 0;
}

int chat_join(struct chat_room *r, struct chat_member *m, const char *cert_cn, char *why, size_t whylen)
{
    m->cert_bound = 0;
    m->unannounced = 0;
    if (r->mode == CHAT_MODE_ECHO) {
        set_nick(m, "echo", 4);
        m->joined = 0;
        return 0;
    }
    m->nick[0] = '\0';
    if (cert_cn && take_certificate_name(r, m, cert_cn, why, whylen) < 0)
        return -1;
    chat_admit(r, m);
    return 0;
}

void chat_admit(struct chat_room *r, struct chat_member *m)
{
    if (m->held)
        chat_unhold(r, m);
    if (!m->nick[0]) {
        char guest[CHAT_NICK_MAX + 1];
        do
            snprintf(guest, sizeof guest, "guest%lu", r->next_guest++);
        while (chat_find(r, guest, strlen(guest)));
        set_nick(m, guest, strlen(guest));
    }
    link_member(r, m);
    tell(r, m, "* welcome, %s%s: %zu online, /help for commands", m->nick,
         m->cert_bound ? " (certificate verified)" : "", r->count);
    if (in_a_crowd(r))
        wait_to_announce(r, m);
    else
        tell_all(r, m, "* %s joined", m->nick);
}

int chat_arrive(struct chat_room *r, struct chat_member *m, const char *cert_cn, char *why, size_t whylen)
{
    if (cert_cn || r->mode == CHAT_MODE_ECHO)
        return chat_join(r, m, cert_cn, why, whylen);
    m->cert_bound = 0;
    m->unannounced = 0;
    m->nick[0] = '\0';
    chat_hold(r, m);
    return 0;
}

int chat_join_as(struct chat_room *r, struct chat_member *m, const char *nick)
{
    size_t len = strlen(nick);
    chat_unhold(r, m); /* a session come back, not a newcomer */
    if (r->mode == CHAT_MODE_ECHO || !chat_nick_valid(nick, len) || chat_find(r, nick, len)) {
        char why[8];
        chat_join(r, m, NULL, why, sizeof why); /* a guest never fails */
        return 0;
    }
    m->cert_bound = 0;
    m->unannounced = 0;
    set_nick(m, nick, len);
    link_member(r, m);
    tell(r, m, "* welcome back, %s: %zu online, /help for commands", m->nick, r->count);
    if (in_a_crowd(r))
        wait_to_announce(r, m);
    else
        tell_all(r, m, "* %s joined", m->nick);
    return 1;
}

void chat_replace(struct chat_room *r, struct chat_member *old, struct chat_member *fresh)
{
    int unannounced = old->unannounced;
    chat_unhold(r, fresh);
    fresh->cert_bound = old->cert_bound;
    set_nick(fresh, old->nick, strlen(old->nick));
    chat_leave(r, old, NULL); /* quietly: fresh stands where it stood */
    link_member(r, fresh);
    fresh->unannounced = 0;
    tell(r, fresh, "* welcome, %s%s: %zu online, /help for commands", fresh->nick,
         fresh->cert_bound ? " (certificate verified)" : "", r->count);
    if (unannounced) /* the others have yet to hear of it: they will, once */
        wait_to_announce(r, fresh);
}

size_t chat_seats_taken(const struct chat_room *r)
{
    return r->count + r->held;
}

void chat_leave(struct chat_room *r, struct chat_member *m, const char *reason)
{
    if (m->held)
        chat_unhold(r, m); /* never in the room: no one is told */
    if (!m->joined)
        return;
    int crowd = in_a_crowd(r);
    int unannounced = m->unannounced;
    if (unannounced)
        stop_waiting(r, m); /* the others never heard of it: nor will they of its leaving */
    index_remove(r, m);
    if (m->prev)
        m->prev->next = m->next;
    else
        r->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    m->prev = m->next = NULL;
    m->joined = 0;
    r->count--;
    if (!reason || unannounced)
        return;
    if (crowd)
        note_leave(r, m, reason);
    else
        tell_all(r, NULL, "* %s left (%s)", m->nick, reason);
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

static void rename_member(struct chat_room *r, struct chat_member *m, const char *nick, size_t len)
{
    char old[CHAT_NICK_MAX + 1];
    memcpy(old, m->nick, sizeof old);
    index_remove(r, m);
    set_nick(m, nick, len);
    index_add(r, m);
    if (m->unannounced) /* the others will hear of it by its new name */
        tell(r, m, "* %s is now %s", old, m->nick);
    else
        announce(r, NULL, "* %s is now %s", old, m->nick);
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
        const struct chat_member *other = chat_find(r, arg, len);
        if (other && other != m && same_but_case(other, arg, len))
            tell(r, m, "! the nick %.*s is taken", (int)len, arg);
        else if (other && other != m)
            tell(r, m, "! the nick %.*s is taken (too like %s)", (int)len, arg, other->nick);
        else if (m->held) { /* its first name: the room hears of it by this one */
            set_nick(m, arg, len);
            chat_admit(r, m);
        } else
            rename_member(r, m, arg, len);
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
    tell_private(r, to, "*private* <%s> %.*s", m->nick, (int)tlen, text);
    if (to != m)
        tell_private(r, m, "*private* to <%s> %.*s", to->nick, (int)tlen, text);
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
    /* A held newcomer's first line: any but a nick or a goodbye admits it as a guest. */
    if (m->held && !is_cmd(line, len, "/nick", &arg, &alen) && !is_cmd(line, len, "/quit", &arg, &alen))
        chat_admit(r, m);
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
