# SPDX-License-Identifier: ISC
"""The chat room over real sockets: joins, nicks, broadcast, /msg, /who, leave
notices, the CLI client in the room, echo mode, --max-clients, --idle-timeout.
Every test runs over TLS (ChatTLS) and over plaintext (ChatPlain)."""
import re
import time

from harness import TIMEOUT, Case, run, tlschat_argv


class ChatTLS(Case):
    plain = False

    def start(self, *args):
        return self.server(*args, plain=self.plain)

    def member(self, srv, nick=None):
        return self.join(srv, nick, tls=not self.plain)

    def test_several_clients_chat(self):
        srv = self.start()
        alice = self.connect(srv.port, tls=not self.plain)
        m = re.fullmatch(r"\* welcome, (guest\d+): 1 online, /help for commands", alice.readline())
        self.assertTrue(m)
        alice.send("/nick alice")
        self.assertEqual(alice.readline(), f"* {m.group(1)} is now alice")

        bob = self.connect(srv.port, tls=not self.plain)
        m = re.fullmatch(r"\* welcome, (guest\d+): 2 online, /help for commands", bob.readline())
        self.assertTrue(m)
        self.assertEqual(alice.readline(), f"* {m.group(1)} joined")
        bob.send("/nick bob")
        self.assertEqual(bob.readline(), f"* {m.group(1)} is now bob")
        self.assertEqual(alice.readline(), f"* {m.group(1)} is now bob")

        carol = self.connect(srv.port, tls=not self.plain)
        m = re.fullmatch(r"\* welcome, (guest\d+): 3 online, /help for commands", carol.readline())
        self.assertTrue(m)
        for c in (alice, bob):
            self.assertEqual(c.readline(), f"* {m.group(1)} joined")
        carol.send("/nick carol")
        for c in (alice, bob, carol):
            self.assertEqual(c.readline(), f"* {m.group(1)} is now carol")

        # Broadcast: everyone else gets it, the sender does not get it back
        # (its next line is the answer to /who, not its own message).
        alice.send("hello everyone")
        self.assertEqual(bob.readline(), "<alice> hello everyone")
        self.assertEqual(carol.readline(), "<alice> hello everyone")
        alice.send("/who")
        self.assertEqual(alice.readline(), "* 3 online:")
        who = {alice.readline() for _ in range(3)}
        self.assertEqual(who, {"*   alice (you)", "*   bob", "*   carol"})

        # /msg: only the addressee (and an echo to the sender); carol's next
        # line is bob's public one, so she never saw the private one.
        alice.send("/msg bob psst, just you")
        self.assertEqual(bob.readline(), "*private* <alice> psst, just you")
        self.assertEqual(alice.readline(), "*private* to <bob> psst, just you")
        bob.send("said in public")
        self.assertEqual(carol.readline(), "<bob> said in public")
        self.assertEqual(alice.readline(), "<bob> said in public")
        alice.send("/msg BOB case does not matter")
        self.assertEqual(bob.readline(), "*private* <alice> case does not matter")
        self.assertEqual(alice.readline(), "*private* to <bob> case does not matter")
        alice.send("/msg dave hi")
        self.assertEqual(alice.readline(), "! no one called dave is here (/who lists who is)")
        alice.send("/msg bob")
        self.assertEqual(alice.readline(), "! usage: /msg NAME TEXT")

        # Leave notices: "close" and "/quit" answer "closed", then the server closes.
        carol.send("close")
        self.assertEqual(carol.readline(), "closed")
        self.assertIsNone(carol.readline())
        self.assertEqual(alice.readline(), "* carol left (quit)")
        self.assertEqual(bob.readline(), "* carol left (quit)")
        bob.send("/quit see you")
        self.assertEqual(bob.readline(), "closed")
        self.assertIsNone(bob.readline())
        self.assertEqual(alice.readline(), "* bob left (quit)")

        # A client that just vanishes is announced too.
        dave = self.member(srv, "dave")
        self.assertRegex(alice.readline(), r"^\* guest\d+ joined$")
        self.assertRegex(alice.readline(), r"^\* guest\d+ is now dave$")
        dave.close()
        self.assertRegex(alice.readline(), r"^\* dave left \(.+\)$")
        alice.send("/who")
        self.assertEqual(alice.readline(), "* 1 online:")
        self.assertEqual(alice.readline(), "*   alice (you)")
        srv.wait_line(r"disconnect #\d+ \S+ carol: quit")

    def test_nick_rules(self):
        srv = self.start("--nick-rate", "60000")  # many renames: the pacing has its own test
        alice = self.member(srv, "alice")
        bob = self.member(srv, "bob")
        self.assertRegex(alice.readline(), r"^\* guest\d+ joined$")
        self.assertRegex(alice.readline(), r"^\* guest\d+ is now bob$")
        bob.send("/nick ALICE")
        self.assertEqual(bob.readline(), "! the nick ALICE is taken")
        bob.send("/nick bob")
        self.assertEqual(bob.readline(), "! you are already bob")
        bob.send("/nick no spaces")
        self.assertEqual(bob.readline(), "! 'no spaces' is not a valid nick: use 1-32 of A-Z a-z 0-9 _ -")
        bob.send("/nick " + "x" * 33)
        self.assertRegex(bob.readline(), r"^! 'x{33}' is not a valid nick")
        bob.send("/nick caf\u00e9")
        self.assertRegex(bob.readline(), r"^! '.*' is not a valid nick")
        bob.send("/nick")
        self.assertRegex(bob.readline(), r"^! '' is not a valid nick")
        # None of the refusals reached alice; a 32-character nick is fine.
        long_nick = "B_-" + "9" * 29
        bob.send(f"/nick {long_nick}")
        self.assertEqual(bob.readline(), f"* bob is now {long_nick}")
        self.assertEqual(alice.readline(), f"* bob is now {long_nick}")
        bob.send("hi")
        self.assertEqual(alice.readline(), f"<{long_nick}> hi")
        # The old nick is free again, and a change of case of one's own is allowed.
        alice.send("/nick Alice")
        self.assertEqual(alice.readline(), "* alice is now Alice")
        self.assertEqual(bob.readline(), "* alice is now Alice")
        carol = self.member(srv, "bob")
        self.assertEqual(carol.nick, "bob")

    def test_look_alike_nick_is_taken(self):
        srv = self.start("--nick-rate", "60000")  # many renames: the pacing has its own test
        alice = self.member(srv, "alice")
        mallory = self.member(srv)
        self.assertEqual(alice.readline(), f"* {mallory.nick} joined")
        for nick in ("aIice", "a1ice", "ALlCE", "al1ce"):  # capital i, one, capital L
            mallory.send(f"/nick {nick}")
            self.assertEqual(mallory.readline(), f"! the nick {nick} is taken (too like alice)")
        mallory.send("/nick ALICE")
        self.assertEqual(mallory.readline(), "! the nick ALICE is taken")
        # None of it reached alice: the next she hears is mallory's line, under its own nick.
        mallory.send("hi")
        self.assertEqual(alice.readline(), f"<{mallory.nick}> hi")
        # A name is found by its look-alikes too.
        mallory.send("/msg aIice psst")
        self.assertEqual(alice.readline(), f"*private* <{mallory.nick}> psst")
        self.assertEqual(mallory.readline(), "*private* to <alice> psst")
        # O and 0 are one.
        alice.send("/nick 0scar")
        self.assertEqual(alice.readline(), "* alice is now 0scar")
        self.assertEqual(mallory.readline(), "* alice is now 0scar")
        mallory.send("/nick oscar")
        self.assertEqual(mallory.readline(), "! the nick oscar is taken (too like 0scar)")
        # With the name free, its look-alike may be taken.
        mallory.send("/nick aIice")
        self.assertEqual(mallory.readline(), f"* {mallory.nick} is now aIice")
        self.assertEqual(alice.readline(), f"* {mallory.nick} is now aIice")

    def test_commands_and_framing(self):
        srv = self.start()
        alice = self.member(srv, "alice")
        bob = self.member(srv, "bob")
        self.assertRegex(alice.readline(), r"joined$")
        self.assertRegex(alice.readline(), r"is now bob$")
        alice.send("/help")
        self.assertEqual(alice.readline(), "* commands:")
        helps = [alice.readline() for _ in range(6)]
        self.assertTrue(all(h.startswith("* ") for h in helps), helps)
        self.assertTrue(any("/msg NAME TEXT" in h for h in helps), helps)
        alice.send("/frobnicate now")
        self.assertEqual(alice.readline(), "! unknown command /frobnicate (try /help)")
        alice.send("//not a command")
        self.assertEqual(bob.readline(), "<alice> /not a command")
        # Empty lines are ignored; CRLF is accepted; one send may hold several
        # lines, and one line may come in several sends.
        alice.sendraw(b"\n\r\ncrlf line\r\nfirst\nsecond\n")
        self.assertEqual(bob.readline(), "<alice> crlf line")
        self.assertEqual(bob.readline(), "<alice> first")
        self.assertEqual(bob.readline(), "<alice> second")
        alice.sendraw(b"in ")
        alice.sendraw(b"pieces")
        self.assert_quiet(bob, 0.2)
        alice.sendraw(b"\n")
        self.assertEqual(bob.readline(), "<alice> in pieces")
        # A line of exactly the limit passes whole.
        body = "y" * (4096 - len("z"))
        alice.send("z" + body)
        self.assertEqual(bob.readline(), "<alice> z" + body)
        # "close" in any case.
        bob.send("ClOsE")
        self.assertEqual(bob.readline(), "closed")
        self.assertIsNone(bob.readline())
        self.assertEqual(alice.readline(), "* bob left (quit)")

    def test_cli_client_in_the_room(self):
        srv = self.start()
        alice = self.member(srv, "alice")
        dave = self.tlschat(srv.port, "--nick", "dave", plain=self.plain)
        if self.plain:
            dave.wait_line(r"^WARNING: --plain: no encryption")
            dave.wait_line(r"^connected to 127\.0\.0\.1:\d+ .*in PLAINTEXT")
        else:
            dave.wait_line(r"^connected to 127\.0\.0\.1:\d+ .*TLSv1\.3 .*verified by CA ")
        # --nick: dave joins as dave, and no guest name is seen anywhere.
        dave.wait_line(r"^\* welcome, dave: 2 online", "out")
        self.assertEqual(alice.readline(), "* dave joined")
        alice.send("hi dave")
        dave.wait_line(r"^<alice> hi dave$", "out")
        dave.send("hi alice\n/msg alice a secret\n")
        self.assertEqual(alice.readline(), "<dave> hi alice")
        self.assertEqual(alice.readline(), "*private* <dave> a secret")
        dave.wait_line(r"^\*private\* to <alice> a secret$", "out")
        dave.close_stdin()  # end of input: "close", "closed", exit 0
        self.assertEqual(dave.wait(), 0, dave.text())
        dave.wait_line(r"^closed$", "out")
        self.assertEqual(alice.readline(), "* dave left (quit)")
        self.assertNotIn("guest", dave.text("out"))

    def test_echo_mode(self):
        srv = self.start("--mode", "echo")
        self.assertIn("echo mode", srv.text())
        a = self.connect(srv.port, tls=not self.plain)
        b = self.connect(srv.port, tls=not self.plain)
        for line in ("hello", "/who", "/nick x", "with\ttab", "  spaced  "):
            a.send(line)
            self.assertEqual(a.readline(), line)
        b.send("only b")
        self.assertEqual(b.readline(), "only b")
        self.assert_quiet(a)  # no room: no joins, no one else's lines
        a.send("close")
        self.assertEqual(a.readline(), "closed")
        self.assertIsNone(a.readline())
        rc, out, err = self._run_cli(srv, "-m", "ping")
        self.assertEqual((rc, out), (0, "ping\nclosed\n"), err)
        b.send("CLOSE")
        self.assertEqual(b.readline(), "closed")

    def _run_cli(self, srv, *args):
        return run(tlschat_argv(srv.port, *args, plain=self.plain))

    def test_max_clients(self):
        srv = self.start("--max-clients", "2", "--max-per-address", "3")
        alice = self.member(srv, "alice")
        bob = self.member(srv, "bob")
        third = self.connect(srv.port, tls=not self.plain)
        self.assertEqual(third.readline(), "! the server is full (2 users): try again later")
        self.assertIsNone(third.readline())
        srv.wait_line(r"disconnect #3 .*: server full")
        self.assertRegex(alice.readline(), r"joined$")
        self.assertRegex(alice.readline(), r"is now bob$")
        alice.send("/who")
        self.assertEqual(alice.readline(), "* 2 online:")
        self.assertEqual({alice.readline(), alice.readline()}, {"*   alice (you)", "*   bob"})
        # A place freed is a place taken.
        bob.send("close")
        self.assertEqual(bob.readline(), "closed")
        self.assertIsNone(bob.readline())
        carol = self.member(srv, "carol")
        self.assertEqual(alice.readline(), "* bob left (quit)")
        self.assertRegex(alice.readline(), r"^\* guest\d+ joined$")
        self.assertRegex(alice.readline(), r"^\* guest\d+ is now carol$")
        alice.send("hi carol")
        self.assertEqual(carol.readline(), "<alice> hi carol")

    def test_idle_timeout(self):
        srv = self.start("--idle-timeout", "1")
        t0 = time.monotonic()
        quiet = self.member(srv)
        talker = self.member(srv, "talker")
        # The talker speaks every 0.3 s while the quiet one is timed out.
        got = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            talker.send("still here")
            try:
                line = quiet.readline(0.3)
            except AssertionError as e:
                if "no line within" in str(e):
                    continue
                raise
            got.append(line)
            if line is None or line.startswith("!"):
                break
        elapsed = time.monotonic() - t0
        self.assertIn("! disconnected: silent for 1 s", got)
        self.assertGreaterEqual(elapsed, 0.9, "dropped before its second of silence")
        self.assertIsNone(quiet.readline())
        talker.expect(rf"^\* {quiet.nick} left \(idle timeout\)$")
        # The talker, active all along, is still in.
        talker.send("/who")
        talker.expect(r"^\* 1 online:$")
        self.assertEqual(talker.readline(), "*   talker (you)")


class ChatPlain(ChatTLS):
    plain = True
