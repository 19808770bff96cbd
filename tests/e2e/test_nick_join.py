# SPDX-License-Identifier: ISC
"""Joining under your own name: tlschatd holds a newcomer's join until its
first line (src/server/chat_hold.c), so a client that asks for a nick first
joins under it: the room hears "* bob joined" once and never a guest name.
A taken nick is told to the client, which in a pipe exits 1 with the server's
sentence and on a terminal asks for the next choice (bob_)."""
import os
import pty
import re

from harness import Case, run, tlschat_argv


class NickJoin(Case):
    def test_nick_join_is_seen_under_that_nick_only(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        bob = self.tlschat(srv.port, "--nick", "bob")
        bob.wait_line(r"^\* welcome, bob: 2 online, /help for commands$", "out")
        self.assertEqual(alice.readline(), "* bob joined")
        bob.send("hi alice\n")
        self.assertEqual(alice.readline(), "<bob> hi alice")
        alice.send("/who")
        self.assertEqual(alice.readline(), "* 2 online:")
        self.assertEqual({alice.readline(), alice.readline()}, {"*   alice (you)", "*   bob"})
        bob.close_stdin()
        self.assertEqual(bob.wait(), 0, bob.text())
        self.assertEqual(alice.readline(), "* bob left (quit)")
        self.assertNotIn("guest", bob.text("out"))
        self.assertNotIn("guest", srv.text())
        # -m with --nick: the same, and the line is said under the nick.
        rc, out, err = run(tlschat_argv(srv.port, "--nick", "carol", "-m", "hello"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "* welcome, carol: 2 online, /help for commands\nclosed\n")
        for want in ("* carol joined", "<carol> hello", "* carol left (quit)"):
            self.assertEqual(alice.readline(), want)

    def test_taken_nick_in_a_pipe_exits_1_with_the_sentence(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        rc, out, err = run(tlschat_argv(srv.port, "--nick", "ALICE"), input="not to be said\n")
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.splitlines()[-1], "tlschat: the server refused --nick ALICE: the nick ALICE is taken")
        self.assertEqual(out, "! the nick ALICE is taken\n")
        rc, out, err = run(tlschat_argv(srv.port, "--nick", "a1ice", "-m", "nor this"))
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.splitlines()[-1],
                         "tlschat: the server refused --nick a1ice: the nick a1ice is taken (too like alice)")
        rc, out, err = run(tlschat_argv(srv.port, "--nick", "no way", "-m", "nor this"))
        self.assertEqual(rc, 1, err)
        self.assertIn("'no way' is not a valid nick", err)
        # The room heard of none of them, and nothing they would have said.
        alice.send("/who")
        self.assertEqual(alice.readline(), "* 1 online:")
        self.assertEqual(alice.readline(), "*   alice (you)")
        srv.wait_line(r"disconnect #4 ")
        self.assert_quiet(alice)

    def test_taken_nick_on_a_terminal_takes_the_next_choice(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        self.join(srv, "bob")
        self.assertEqual(alice.readline(), "* guest2 joined")
        self.assertEqual(alice.readline(), "* guest2 is now bob")
        # Standard input a terminal (standard output a pipe: line mode).
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        p = self.proc(tlschat_argv(srv.port, "--nick", "bob"), stdin=slave, name="tlschat")
        os.close(slave)
        p.wait_line(r"^\* welcome, bob_: 3 online", "out")
        p.wait_line(r"the nick bob is taken: trying bob_$")
        self.assertEqual(alice.readline(), "* bob_ joined")
        os.write(master, b"/quit\n")
        self.assertEqual(alice.readline(), "* bob_ left (quit)")
        self.assertEqual(p.wait(), 0, p.text())

    def test_a_silent_newcomer_joins_as_a_guest_after_the_hold(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        quiet = self.connect(srv.port)  # says nothing: welcomed within 2 s as a guest
        m = re.fullmatch(r"\* welcome, (guest\d+): 2 online, /help for commands", quiet.readline())
        self.assertTrue(m)
        self.assertEqual(alice.readline(), f"* {m.group(1)} joined")
        quiet.send("/nick quiet")
        self.assertEqual(alice.readline(), f"* {m.group(1)} is now quiet")
