# SPDX-License-Identifier: ISC
"""A crowd: in a room of more than 64 members (CHAT_CROWD in src/server/chat.h)
joins and leaves are told together, once a second ("* 36 joined: a, b, c, d, e
and 31 more", "* 30 left: ..."), so a crowd arriving costs each member a line
a second instead of a line a newcomer. Every member still learns of every join
and every leave, all in one order; the server serves on. Up to 64 members,
each join is a line of its own, at once (test_chat.py pins those lines).
Each test runs over TLS (CrowdTLS) and over plaintext (CrowdPlain)."""
import re
import threading

from harness import TIMEOUT, Case

CROWD = 64  # CHAT_CROWD
SHOWN = 5   # CHAT_NAMES_SHOWN: the names a line spells out
NEWCOMERS = 36
LEAVERS = 30
JOINED = re.compile(r"^\* (?:(\d+) joined: (.+)|(\S+) joined)$")
LEFT = re.compile(r"^\* (?:(\d+) left: (.+)|(\S+) left \((.+)\))$")


def spelled_out(listing):
    """"a, b, c and 7 more" -> (["a", "b", "c"], 7)"""
    m = re.fullmatch(r"(.+?)(?: and (\d+) more)?", listing)
    return m.group(1).split(", "), int(m.group(2) or 0)


class CrowdTLS(Case):
    plain = False

    def start(self):
        # The crowd comes from one host: lift its share (a real one comes from many).
        return self.server("--max-per-address", "1000", plain=self.plain)

    def arrive(self, srv, source):
        """A newcomer from its own address; its welcome is left unread."""
        c = self.connect(srv.port, tls=not self.plain, source=source)
        if self.plain:
            c.sendraw(b"\n")  # speak first: a plaintext server then greets at once
        return c

    def news(self, c, pattern, want):
        """Read lines of joins (or leaves) on c until they add up to want.
        Returns the lines and, per line, (how many it tells of, names spelled out)."""
        lines, batches, told = [], [], 0
        while told < want:
            line = c.readline()
            self.assertIsNotNone(line, f"closed after {lines}")
            m = pattern.match(line)
            self.assertTrue(m, f"expected news of who came or went, got {line!r} after {lines}")
            if m.group(1):
                n = int(m.group(1))
                names, more = spelled_out(m.group(2))
                self.assertGreater(n, 1, line)  # one alone is told as "* NAME joined"
                self.assertEqual(len(names), min(n, SHOWN), line)
                self.assertEqual(len(names) + more, n, line)
            else:
                n, names = 1, [m.group(3)]
            lines.append(line)
            batches.append((n, names))
            told += n
        self.assertEqual(told, want, f"told of more than happened: {lines}")
        return lines, batches

    def assert_in_order(self, batches, order):
        """Each line names the first of its batch, the batches follow order."""
        at = 0
        for n, names in batches:
            self.assertEqual(names, order[at:at + len(names)])
            at += n
        self.assertEqual(at, len(order))

    def test_crowd_hears_of_joins_and_leaves_together(self):
        srv = self.start()
        base = [self.join(srv, tls=not self.plain, poke=True) for _ in range(CROWD)]
        for i, c in enumerate(base):  # a room of up to 64: one line per join, at once
            for later in base[i + 1:]:
                self.assertEqual(c.readline(), f"* {later.nick} joined")

        # A crowd arrives at once, each from an address of its own.
        newcomers = [None] * NEWCOMERS
        errors = []
        barrier = threading.Barrier(NEWCOMERS, timeout=TIMEOUT)

        def arrive(k):
            try:
                barrier.wait()
                newcomers[k] = self.arrive(srv, f"127.0.1.{k + 1}")
            except Exception as e:  # reported by the main thread
                errors.append(f"newcomer {k}: {e!r}")

        threads = [threading.Thread(target=arrive, args=(k,), daemon=True) for k in range(NEWCOMERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT * 2)
            self.assertFalse(t.is_alive(), "a newcomer hung")
        self.assertEqual(errors, [])
        # Their welcomes give the order they joined in.
        seat = {}
        for c in newcomers:
            m = re.fullmatch(r"\* welcome, (guest\d+): (\d+) online, /help for commands", c.readline())
            self.assertTrue(m)
            c.nick, seat[c.nick] = m.group(1), int(m.group(2))
        order = sorted(seat, key=seat.get)
        self.assertEqual(sorted(seat.values()), list(range(CROWD + 1, CROWD + NEWCOMERS + 1)))

        # Every member learns of every newcomer, all in one order. The joins
        # took far less than the 35 seconds it would take to give each its
        # own tick, so at least one line tells of several.
        seen = None
        for c in base:
            lines, batches = self.news(c, JOINED, NEWCOMERS)
            self.assert_in_order(batches, order)
            self.assertEqual(lines, seen or lines, "two members heard different news")
            seen = lines
        self.assertTrue(any(n > 1 for n, _ in batches), f"no line told of several joins: {seen}")

        # The crowd talks as ever: the news came first.
        newcomers[0].send("hello, crowd")
        for c in base:
            self.assertEqual(c.readline(), f"<{newcomers[0].nick}> hello, crowd")
        newcomers[-1].expect(r"^<%s> hello, crowd$" % newcomers[0].nick)

        # Most of the newcomers leave at once.
        leavers = newcomers[:LEAVERS]
        for c in leavers:
            c.send("close")
        for c in leavers:
            c.expect(r"^closed$")
        names = {c.nick for c in leavers}
        for c in base:
            lines, batches = self.news(c, LEFT, LEAVERS)
            for _, spelled in batches:
                self.assertLessEqual(set(spelled), names, lines)
            for line in lines:
                self.assertRegex(line, r"^\* (\d+ left: .+|\S+ left \(quit\))$")

        # Still serving: one more joins the crowd, is told of, and is heard.
        here = CROWD + NEWCOMERS - LEAVERS + 1
        late = self.arrive(srv, "127.0.2.1")
        m = re.fullmatch(r"\* welcome, (guest\d+): %d online, /help for commands" % here, late.readline())
        self.assertTrue(m)
        for c in (base[0], base[-1]):
            self.assertEqual(self.news(c, JOINED, 1)[0], [f"* {m.group(1)} joined"])
        late.send("hi all")
        self.assertEqual(base[0].readline(), f"<{m.group(1)}> hi all")
        base[0].send("/who")
        self.assertEqual(base[0].readline(), f"* {here} online:")


class CrowdPlain(CrowdTLS):
    plain = True
