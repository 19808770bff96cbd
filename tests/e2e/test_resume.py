# SPDX-License-Identifier: ISC
"""Reconnect and resume: tlschat behind a cutting proxy (cutproxy.py) comes
back by itself, and every line arrives exactly once and in order, both ways;
past the history it is told how many lines it missed; a certificate's new
connection takes the place of its stale one; a token is no use to another
connection; and clients that did not opt in see today's lines unchanged."""
import os
import re
import shutil
import signal
import tempfile

from cutproxy import CutProxy
from harness import GEN_CERTS, TLSCHAT, Case, cert, have, run, tlschat_argv, wait_for

LINE = re.compile(r"^<(\w+)> (\S+)$")


class Resume(Case):
    def proxy(self, srv):
        p = CutProxy(srv.port)
        self.addCleanup(p.close)
        return p

    def through(self, proxy, *args):
        """tlschat connected through the proxy, its stdin a pipe we write to."""
        return self.proc(tlschat_argv(proxy.port, *args), name="tlschat")

    def said(self, proc, who):
        """What proc printed of who's lines, in order."""
        out = []
        with proc.cond:
            lines = [x for x in proc.lines["out"] if x is not None]
        for line in lines:
            m = LINE.match(line)
            if m and m.group(1) == who:
                out.append(m.group(2))
        return out

    def read_said(self, conn, who, want, got):
        """Read conn until want lines of who's have come; got collects them."""
        while len(got) < want:
            line = conn.readline()
            self.assertIsNotNone(line, f"closed after {len(got)} of {who}'s lines")
            m = LINE.match(line)
            if m and m.group(1) == who:
                got.append(m.group(2))
        return got

    def test_three_cuts_every_line_once_and_in_order(self):
        srv = self.server("--line-rate", "2000", "--byte-rate", "1048576")
        proxy = self.proxy(srv)
        alice = self.join(srv, "alice")
        bob = self.through(proxy, "--nick", "bob")
        bob.wait_line(r"^\* welcome, bob: ", "out")
        alice.expect(r"^\* bob joined$")
        # Lines wait for the answer to tlschat's opt-in: once one is through,
        # bob holds a session token, and every cut from now on is resumed.
        bob.send("here\n")
        alice.expect(r"^<bob> here$")
        theirs = [f"a{k:03d}" for k in range(300)]
        ours = [f"b{k:03d}" for k in range(100)]
        got_at_alice = []
        for cut in range(3):
            # Alice says 100 lines while bob's pipe gives him 33 or 34 to say.
            alice.sendraw("".join(f"{t}\n" for t in theirs[cut * 100:(cut + 1) * 100]).encode())
            bob.send("".join(f"{t}\n" for t in ours[cut * 34:min(100, (cut + 1) * 34)]))
            # Cut while lines are under way: when bob has half of this batch.
            try:
                wait_for(lambda: len(self.said(bob, "alice")) >= cut * 100 + 50, what=f"half of batch {cut + 1} at bob")
            except AssertionError as e:
                raise AssertionError(f"{e}:\n{bob.text()}\n{bob.text('out')[-1500:]}\n{srv.text()[-3000:]}") from None
            if cut == 1:
                proxy.refuse(True)  # and the Wi-Fi stays away a while
            self.assertGreaterEqual(proxy.cut(), 1)
            wait_for(lambda: len(re.findall(r"(?m)^tlschat: connection lost \(.*\); reconnecting in \d+ s$",
                                            bob.text())) >= cut + 1, what=f"bob telling of cut {cut + 1}")
            if cut == 1:
                proxy.wait_refused(1, timeout=60)
                proxy.refuse(False)
            proxy.wait_accepted(cut + 2, timeout=90)
        wait_for(lambda: len(self.said(bob, "alice")) >= 300, timeout=90, what="all of alice's lines at bob")
        self.read_said(alice, "bob", 100, got_at_alice)
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=60), 0, bob.text())
        self.assertEqual(self.said(bob, "alice"), theirs, "bob lost, doubled or reordered alice's lines")
        self.assertEqual(got_at_alice, ours, "alice lost, doubled or reordered bob's lines")
        self.assertEqual(len(re.findall(r"reconnected to", bob.text())), 3, bob.text())
        self.assertGreaterEqual(len(re.findall(r"resumed the session", bob.text())), 3, bob.text())
        self.assertNotIn("missed while you were away", "\n".join(bob.lines["out"][:-1]))

    def test_past_the_history_the_missed_lines_are_counted(self):
        srv = self.server("--history-lines", "10", "--line-rate", "2000")
        proxy = self.proxy(srv)
        alice = self.join(srv, "alice")
        bob = self.through(proxy, "--nick", "bob")
        alice.expect(r"^\* bob joined$")
        bob.wait_line(r"^\* welcome, bob: ", "out")
        # Lines wait for the answer to tlschat's opt-in: once one is through,
        # bob holds a session token and a cut is resumed.
        bob.send("here\n")
        alice.expect(r"^<bob> here$")
        proxy.refuse(True)
        proxy.cut()
        alice.expect(r"^\* bob left \(")  # the server saw him go
        alice.sendraw("".join(f"gone{k:02d}\n" for k in range(30)).encode())
        alice.send("/who")  # a round trip: all 30 are in the history now
        alice.expect(r"^\* \d+ online:$")
        proxy.wait_refused(1, timeout=60)
        proxy.refuse(False)
        # His own leave and 30 lines are 31; the history holds the last 10.
        bob.wait_line(r"^\* 21 lines were missed while you were away$", "out", timeout=90)
        wait_for(lambda: "gone29" in self.said(bob, "alice"), what="the last line at bob")
        self.assertEqual(self.said(bob, "alice"), [f"gone{k:02d}" for k in range(20, 30)])
        alice.expect(r"^\* bob joined$")
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=30), 0, bob.text())

    def test_stale_certificate_session_is_taken_over_quietly(self):
        srv = self.server("--client-ca", cert("ca.crt"), "--line-rate", "2000")
        proxy = self.proxy(srv)
        carol = self.connect(srv.port, certfile=cert("client-carol.crt"), keyfile=cert("client-carol.key"))
        carol.expect(r"^\* welcome, carol ")
        bob = self.through(proxy, "--cert", cert("client-bob.crt"), "--key", cert("client-bob.key"))
        bob.wait_line(r"^\* welcome, bob \(certificate verified\)", "out")
        carol.expect(r"^\* bob joined$")
        # His side of the link dies; the server's side stays open and silent.
        proxy.cut(client_only=True)
        bob.wait_line(r"^tlschat: reconnected to ")
        srv.wait_line(r"#\d+ \S+ takes the place of #\d+ as bob")
        carol.send("still here, bob?")
        bob.wait_line(r"^<carol> still here, bob\?$", "out")
        bob.send("yes\n")
        self.assertEqual(carol.readline(), "<bob> yes")  # and no one left or joined
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=30), 0, bob.text())
        self.assertEqual(carol.readline(), "* bob left (quit)")

    def test_a_token_is_no_use_to_another_connection(self):
        srv = self.server("--client-ca", cert("ca.crt"))
        alice = self.connect(srv.port, certfile=cert("client-alice.crt"), keyfile=cert("client-alice.key"))
        alice.send("/session new")
        alice.expect(r"^\* welcome, alice ")
        token = re.match(r"^:session new (\S+) \d+$", alice.readline()).group(1)
        # Bob's certificate with alice's token: refused, and bob is bob.
        bob = self.connect(srv.port, certfile=cert("client-bob.crt"), keyfile=cert("client-bob.key"))
        bob.send(f"/session resume {token} {'0' * 64} 0")
        self.assertRegex(bob.readline(), r"^\* welcome, bob ")
        self.assertEqual(bob.readline(), "! that session cannot be resumed (it was given to another client "
                                         "certificate): this is a new one")
        self.assertRegex(bob.readline(), r"^:session new \S+ \d+$")
        # Alice's own certificate on a new connection, without the proof only her
        # first connection's TLS session can give: refused too.
        again = self.connect(srv.port, certfile=cert("client-alice.crt"), keyfile=cert("client-alice.key"))
        again.send(f"/session resume {token} {'0' * 64} 0")
        self.assertRegex(again.readline(), r"^\* welcome, alice ")  # the certificate's own takeover
        self.assertEqual(again.readline(), "! that session cannot be resumed (this connection cannot prove it is "
                                           "the one the token was given to): this is a new one")
        for bad in ("nonsense", "zz.00", "0." + "0" * 32 + " x"):
            c = self.connect(srv.port, certfile=cert("client-carol.crt"), keyfile=cert("client-carol.key"))
            c.send(f"/session resume {bad} - 0")
            c.expect(r"^! (that session cannot be resumed|usage: /session)")
        srv.wait_line(r"resume refused #\d+ \S+: it was given to another client certificate")
        # The server serves on.
        c = self.connect(srv.port, certfile=cert("client-carol.crt"), keyfile=cert("client-carol.key"))
        c.send("/who")
        c.expect(r"^\* \d+ online:$")

    def test_clients_that_did_not_opt_in_see_todays_lines(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        bob = self.connect(srv.port)
        bob.send("/session new")
        bob.expect(r"^:session new ")
        alice.expect(r"^\* guest\d+ joined$")
        bob.send("#1 hello")
        self.assertRegex(alice.readline(), r"^<guest\d+> hello$")
        bob.expect(r"^:ack 1$")  # after its welcome
        bob.send("#1 hello")  # sent again after a cut: taken once
        bob.send("#2 /msg alice psst")
        self.assertRegex(alice.readline(), r"^\*private\* <guest\d+> psst$")
        self.assertRegex(bob.readline(), r"^#\d+ \*private\* to <alice> psst$")
        alice.send("hi all")
        self.assertRegex(bob.readline(), r"^:ack 2$")
        self.assertEqual(bob.readline().split(" ", 1)[1], "<alice> hi all")
        self.assert_quiet(alice)


class Tickets(Case):
    """TLS 1.3 resumption, checked with an independent client (openssl s_client)."""

    def s_client(self, srv, *args):
        rc, out, err = run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-CAfile", cert("ca.crt"),
                            "-servername", "localhost", "-ign_eof", *args], input="close\n")
        m = re.search(r"^(New|Reused), (TLSv[\d.]+)", out, re.M)
        self.assertTrue(m, out + err)
        return m.group(1), m.group(2)

    def test_resumed_with_a_ticket_not_over_tls12_nor_after_a_reload(self):
        if not have("openssl"):
            self.skipTest("no openssl command (apt-get install openssl)")
        d = tempfile.mkdtemp(prefix="tlschat-tickets-")
        self.addCleanup(shutil.rmtree, d, True)
        srv = self.server()
        first, second, third = (os.path.join(d, n) for n in ("s1", "s2", "s3"))
        self.assertEqual(self.s_client(srv, "-sess_out", first), ("New", "TLSv1.3"))
        self.assertEqual(self.s_client(srv, "-sess_in", first, "-sess_out", second), ("Reused", "TLSv1.3"))
        # Each resumed session gets a ticket of its own.
        self.assertEqual(self.s_client(srv, "-sess_in", second, "-sess_out", third), ("Reused", "TLSv1.3"))
        # After SIGHUP (a new certificate or CRL) the old tickets are not taken.
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: reloaded")
        self.assertEqual(self.s_client(srv, "-sess_in", third), ("New", "TLSv1.3"))
        # TLS 1.2 never resumes: no ticket, no session id, nothing to offer.
        t12 = os.path.join(d, "t12")
        self.assertEqual(self.s_client(srv, "-tls1_2", "-sess_out", t12), ("New", "TLSv1.2"))
        self.assertFalse(os.path.exists(t12), "a TLS 1.2 session was handed out to resume")

    def test_tlschat_reconnects_on_a_ticket(self):
        srv = self.server()
        proxy = CutProxy(srv.port)
        self.addCleanup(proxy.close)
        bob = self.proc(tlschat_argv(proxy.port, "--nick", "bob"), name="tlschat")
        bob.wait_line(r"^\* welcome, bob: ", "out")
        proxy.cut()
        bob.wait_line(r"^tlschat: reconnected to 127\.0\.0\.1:\d+ \(\S+\), TLS session resumed$")
        bob.close_stdin()
        self.assertEqual(bob.wait(), 0, bob.text())


class ServerKeyAcrossACut(Case):
    """A reconnect goes only to the server key of the first connection. Found
    in review: the certificate was compared, so a renewal with the same key
    during the cut ended the session."""

    def test_renewed_during_a_cut_is_the_same_server_a_new_key_is_not(self):
        d = tempfile.mkdtemp(prefix="tlschat-rekey-")
        self.addCleanup(shutil.rmtree, d, True)
        certs = os.path.join(d, "certs")
        shutil.copytree(os.path.dirname(cert("ca.crt")), certs)
        crt, key = os.path.join(certs, "server.crt"), os.path.join(certs, "server.key")
        srv = self.server("--cert", crt, "--key", key)
        proxy = CutProxy(srv.port)
        self.addCleanup(proxy.close)
        bob = self.proc([TLSCHAT, "--ca", os.path.join(certs, "ca.crt"), "--nick", "bob", "127.0.0.1",
                         str(proxy.port)], name="tlschat")
        bob.wait_line(r"^\* welcome, bob: ", "out")

        def reload():
            at = srv.count()
            srv.signal(signal.SIGHUP)
            srv.wait_line(r"SIGHUP: reloaded", start=at)

        # Renewed with the same key (the same CA) while bob is cut off: he comes back.
        r = run([GEN_CERTS, "--dir", certs, "--renew"])
        self.assertEqual(r[0], 0, r[2])
        reload()
        proxy.cut()
        bob.wait_line(r"^tlschat: reconnected to 127\.0\.0\.1:\d+ ")
        # A new key from the same CA: the chain verifies, but it is not the server he joined.
        os.remove(crt)
        os.remove(key)
        r = run([GEN_CERTS, "--dir", certs])
        self.assertEqual(r[0], 0, r[2])
        reload()
        proxy.cut()
        bob.wait_line(r"^tlschat: the server now shows another key \(sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64} "
                      r"as when we first connected\): not reconnecting; connect again yourself if that is expected$")
        self.assertEqual(bob.wait(), 1, bob.text())
