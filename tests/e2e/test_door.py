# SPDX-License-Identifier: ISC
"""Hold the door: no single host takes the chat away from others. One address
holds at most its share of connections and of handshakes in progress; seats are
for members; the oldest stalled handshake gives way; a refused user is told one
true sentence; dead peers are found by TCP keepalive; no session tickets."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import TIMEOUT, TLSCHATD, Case, cert, run, tlschat_argv, wait_for

FLOODER = "127.0.0.1"
REFUSED = "! too many connections from your address: close some, or try again later"


class Door(Case):
    def tcp(self, srv, source=FLOODER):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT, source_address=(source, 0))
        self.addCleanup(s.close)
        return s

    def tls_session(self, srv, source=FLOODER):
        """A TLS session that finishes its handshake and then says nothing."""
        c = self.connect(srv.port, source=source)
        return c

    def hold_tcp(self, srv, n, source=FLOODER):
        """n silent TCP connections from one address; those the server closes at
        once (past its share and the slack for telling) are fine: we only hold."""
        held = []
        for _ in range(n):
            try:
                held.append(self.tcp(srv, source))
            except OSError:
                break
        return held

    def assert_served(self, srv, source="127.0.0.2", nick="newcomer"):
        """A user from another address joins and talks within seconds."""
        t0 = time.monotonic()
        c = self.join(srv, nick, source=source)
        c.send("/who")
        c.expect(r"^\* \d+ online:")
        self.assertLess(time.monotonic() - t0, TIMEOUT)
        return c

    def assert_refused_tls(self, srv, source=FLOODER):
        """A new TLS connection from source meets the access_denied alert."""
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT, source_address=(source, 0))
        self.addCleanup(raw.close)
        ctx = ssl.create_default_context(cafile=cert("ca.crt"))
        with self.assertRaises(ssl.SSLError) as e:
            ctx.wrap_socket(raw, server_hostname="localhost")
        self.assertIn("ACCESS_DENIED", str(e.exception))

    def test_one_address_cannot_lock_others_out(self):
        srv = self.server()
        silent = [self.tls_session(srv) for _ in range(4)]
        held = self.hold_tcp(srv, 400)
        self.assertGreater(len(held), 32)
        self.assert_served(srv)
        wait_for(lambda: "refused 127.0.0.1:" in srv.text(), what="the refusal logged")
        self.assertIn("--max-per-address 32", srv.text())
        del silent

    def test_tlschat_says_why_it_was_refused(self):
        srv = self.server("--max-per-address", "2")
        keep = [self.tls_session(srv) for _ in range(2)]
        rc, _, err = run(tlschat_argv(srv.port, "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.strip().splitlines()[-1],
                         "tlschat: the server refused the connection (access denied), as tlschatd does when this "
                         "address has too many connections: close some, or try again later")
        self.assertNotIn("plaintext", err)
        del keep
        self.assert_served(srv)

    def test_small_max_clients(self):
        """--max-clients 10: one address may hold only half the seats."""
        srv = self.server("--max-clients", "10")
        members = [self.join(srv, f"m{i}") for i in range(5)]
        self.hold_tcp(srv, 3)  # turned away, each told why
        self.assert_refused_tls(srv)
        self.assert_served(srv, nick="fromafar")
        self.assertEqual(len(members), 5)

    def test_plaintext_refusal_is_a_line(self):
        srv = self.server("--max-per-address", "2", plain=True)
        a = self.join(srv, "a", tls=False, poke=True)
        b = self.join(srv, "b", tls=False, poke=True)
        third = self.connect(srv.port, tls=False)
        self.assertEqual(third.readline(), REFUSED)
        self.assertIsNone(third.readline())
        c = self.join(srv, "c", tls=False, poke=True, source="127.0.0.2")
        c.send("hi")
        self.assertEqual(a.expect(r"^<c>"), "<c> hi")
        del b

    def test_full_server_says_so(self):
        srv = self.server("--max-clients", "2")
        self.join(srv, "a", source="127.0.0.2")
        self.join(srv, "b", source="127.0.0.3")
        late = self.connect(srv.port, source="127.0.0.4")
        self.assertEqual(late.readline(), "! the server is full (2 users): try again later")
        self.assertIsNone(late.readline())

    def test_handshakes_per_address_are_bounded(self):
        """Eight silent handshakes from one address; the ninth is turned away,
        and someone else still gets in."""
        srv = self.server("--handshake-timeout", "30", "-v")
        self.hold_tcp(srv, 8)
        wait_for(lambda: srv.text().count("accept #") >= 8, what="eight handshakes in progress")
        self.assert_refused_tls(srv)
        self.assert_served(srv)

    def test_oldest_handshake_gives_way_to_one_from_its_own_address(self):
        """The review's use-after-free: the handshake that gives way was its
        address's only connection, and the newcomer comes from that address."""
        srv = self.server("--max-handshakes", "1", "--handshake-timeout", "30", "-v")
        self.tcp(srv, source="127.0.3.1")
        wait_for(lambda: srv.text().count("accept #") >= 1, what="a stalled handshake")
        self.assert_served(srv, source="127.0.3.1")
        srv.wait_line(r"handshake #1 127\.0\.3\.1:\d+ gave way to a newer one")

    def test_quiet_plaintext_reader_gets_everything(self):
        """A plaintext client greeted after its silence (as tlschat --plain is)
        still gets its output when the socket fills: readiness is not stuck on a
        handshake plaintext never has."""
        srv = self.server("--mode", "echo", plain=True)
        c = self.connect(srv.port, tls=False)
        srv.wait_line(r"connect #1 \S+ plaintext")  # taken in before it said a word
        n, body = 200, "z" * 4000
        sender = threading.Thread(target=c.sendraw, daemon=True,
                                  args=(b"".join(f"{i:04d} {body}\n".encode() for i in range(n)),))
        sender.start()
        for i in range(n):
            self.assertEqual(c.readline(), f"{i:04d} {body}")
        sender.join(TIMEOUT)

    def test_oldest_stalled_handshake_gives_way(self):
        srv = self.server("--max-handshakes", "4", "--handshake-timeout", "30", "-v")
        stalled = [self.tcp(srv, source=f"127.0.2.{i}") for i in range(1, 5)]
        wait_for(lambda: srv.text().count("accept #") >= 4, what="four stalled handshakes")
        self.assert_served(srv, source="127.0.2.9")
        srv.wait_line(r"handshake #1 127\.0\.2\.1:\d+ gave way to a newer one")
        stalled[0].settimeout(TIMEOUT)
        try:
            self.assertEqual(stalled[0].recv(100), b"")  # closed
        except ConnectionResetError:
            pass

    def test_keepalive_on_client_connections(self):
        if not shutil.which("ss"):
            self.skipTest("needs ss (iproute2) to see the server's socket timers")
        srv = self.server()
        c = self.join(srv, "k")

        def timers():
            return subprocess.run(["ss", "-tnoH", "state", "established", f"( sport = :{srv.port} )"],
                                  capture_output=True, text=True, timeout=TIMEOUT).stdout
        # Until what was sent is acknowledged, ss shows the retransmit timer.
        wait_for(lambda: "timer:(keepalive" in timers(), what="a keepalive timer on the server's socket")
        del c

    def test_session_tickets_only_in_tls13(self):
        # TLS 1.3 resumes from a ticket (a reconnect after a cut costs less);
        # TLS 1.2 tickets would carry the master secret itself: none.
        srv = self.server()
        for version, tickets in ((ssl.TLSVersion.TLSv1_2, False), (ssl.TLSVersion.TLSv1_3, True)):
            ctx = ssl.create_default_context(cafile=cert("ca.crt"))
            ctx.minimum_version = ctx.maximum_version = version
            with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.recv(100)  # the welcome: any ticket would have come before it
                    self.assertEqual(s.session.has_ticket, tickets, f"{version}: session ticket")


class KeyLogFiles(Case):
    """The key log as a root tool must open it: tlschatd refuses a FIFO at once
    (no hang, no blocked SIGTERM) and never touches a device's mode."""

    def server_argv(self, *args):
        return [TLSCHATD, "--listen", "127.0.0.1", "--port", "0", "--cert", cert("server.crt"),
                "--key", cert("server.key")] + list(args)

    def test_fifo_is_refused_at_once(self):
        d = tempfile.mkdtemp(prefix="tlschat-fifo-")
        self.addCleanup(shutil.rmtree, d)
        fifo = os.path.join(d, "keys.fifo")
        os.mkfifo(fifo, 0o600)
        rc, _, err = run(self.server_argv("--keylog", fifo), timeout=TIMEOUT)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"the key log '{fifo}' is not a regular file", err)

    def test_device_from_environment_is_refused(self):
        before = os.stat("/dev/null").st_mode
        rc, _, err = run(self.server_argv(), env={"SSLKEYLOGFILE": "/dev/null"})
        self.assertEqual(rc, 1, err)
        self.assertIn("the key log '/dev/null' is not a regular file", err)
        self.assertIn("unset SSLKEYLOGFILE", err)
        self.assertEqual(os.stat("/dev/null").st_mode, before)

    def test_symlink_is_refused_and_its_target_untouched(self):
        d = tempfile.mkdtemp(prefix="tlschat-link-")
        self.addCleanup(shutil.rmtree, d)
        target, link = os.path.join(d, "notes.txt"), os.path.join(d, "keys.log")
        with open(target, "w") as f:
            f.write("mine\n")
        os.chmod(target, 0o644)
        os.symlink(target, link)
        rc, _, err = run(tlschat_argv(9, "--keylog", link, "-m", "x"))
        self.assertEqual(rc, 1, err)
        self.assertIn("is a symbolic link", err)
        self.assertEqual(os.stat(target).st_mode & 0o777, 0o644)
        with open(target) as f:
            self.assertEqual(f.read(), "mine\n")


class Flood(Case):
    """Per-sender rates slow a flooder by reading it more slowly (TCP holds the
    rest): none of its lines is lost, and readers that keep up stay."""

    def lines_within(self, conn, prefix, seconds):
        """How many lines starting with prefix arrive within seconds."""
        n, deadline = 0, time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = conn.readline(left)
            except AssertionError as e:
                if "no line within" in str(e):
                    break
                raise
            self.assertIsNotNone(line, "the reader was disconnected")
            n += line.startswith(prefix)
        return n

    def test_flooder_is_slowed_not_dropped(self):
        srv = self.server("--line-rate", "50")  # 250 at once, then 50 a second
        reader = self.join(srv, "reader", source="127.0.0.2")
        flooder = self.join(srv, "flood", source="127.0.0.3")
        reader.expect(r"is now flood$")
        flooder.sendraw(b"".join(b"line %d\n" % i for i in range(400)))
        early = self.lines_within(reader, "<flood> line ", 0.3)
        self.assertLess(early, 400, "all 400 lines passed at once: no rate limit")
        for i in range(early, 400):
            self.assertEqual(reader.expect(r"^<flood> line "), f"<flood> line {i}")
        flooder.send("/who")
        flooder.expect(r"^\* 2 online:")
        self.assertNotIn("too slow", srv.text())

    def test_reader_that_keeps_up_is_never_dropped(self):
        """The review's case: 4000-byte lines pushed hard while a reader pauses."""
        srv = self.server("--line-rate", "1000", "--byte-rate", "300000")
        reader = self.join(srv, "reader", source="127.0.0.2")
        flooder = self.join(srv, "flood", source="127.0.0.3")
        reader.expect(r"is now flood$")
        n, body = 600, "y" * 3990
        payload = b"".join(f"{i:05d} {body}\n".encode() for i in range(n))
        sender = threading.Thread(target=flooder.sendraw, args=(payload,), daemon=True)
        sender.start()
        time.sleep(0.5)  # the reader looks away for a moment, as a person does
        for i in range(n):
            line = reader.readline()
            self.assertIsNotNone(line, f"the reader was dropped after {i} lines:\n{srv.text()}")
            self.assertEqual(line, f"<flood> {i:05d} {body}")
        sender.join(TIMEOUT)
        self.assertNotIn("too slow", srv.text())

    def test_nick_changes_are_paced(self):
        srv = self.server("--nick-rate", "60")  # one a second, three at once
        watcher = self.join(srv, "watcher", source="127.0.0.2")
        renamer = self.join(srv, "r0", source="127.0.0.3")
        watcher.expect(r"is now r0$")
        renamer.sendraw(b"".join(b"/nick r%d\n" % i for i in range(1, 7)))
        early = self.lines_within(watcher, "* r", 0.3)
        self.assertLess(early, 6, "six renames passed at once: no rate limit")
        for i in range(early + 1, 7):
            self.assertEqual(watcher.expect(r"^\* r\d is now"), f"* r{i - 1} is now r{i}")
