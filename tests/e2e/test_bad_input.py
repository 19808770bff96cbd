# SPDX-License-Identifier: ISC
"""Hostile and mistaken input: each answered or closed without a hang, and the
server then still serves a good client (checked after every case)."""
import random
import re
import selectors
import socket
import ssl
import time

from harness import TIMEOUT, Case, cert, client_hello, run, tlschat_argv, wait_for

REFUSAL = b"! this server speaks TLS: connect without --plain\n"


class BadInput(Case):
    def setUp(self):
        self.newcomers = 0

    def start(self, *args, plain=False):
        srv = self.server(*args, plain=plain)
        srv.tls = not plain
        alice = self.join(srv, "alice", tls=not plain)
        return srv, alice

    def assert_serving(self, srv, alice):
        """alice, there from the start, and a newcomer chat both ways."""
        self.newcomers += 1
        nick = f"good{self.newcomers}"
        bob = self.join(srv, nick, tls=srv.tls)
        alice.expect(rf"^\* \S+ is now {nick}$")
        bob.send("hello alice")
        alice.expect(rf"^<{nick}> hello alice$")
        alice.send(f"hello {nick}")
        self.assertEqual(bob.readline(), f"<alice> hello {nick}")
        bob.send("close")
        self.assertEqual(bob.readline(), "closed")
        alice.expect(rf"^\* {nick} left \(quit\)$")

    def raw(self, srv, source=None):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT,
                                     source_address=(source, 0) if source else None)
        self.addCleanup(s.close)
        return s

    def read_to_end(self, s, timeout=TIMEOUT):
        """Everything the server sends until it closes (EOF or reset); fails on a hang."""
        data = b""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, f"the server did not close the connection (got {data[:200]!r})")
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return data
            except socket.timeout:
                continue
            if not chunk:
                return data
            data += chunk

    # ---- garbage ----

    def test_random_bytes_on_the_tls_port(self):
        srv, alice = self.start()
        rnd = random.Random(1)
        junk = bytes([0x42]) + rnd.randbytes(4095)  # not a TLS record
        s = self.raw(srv)
        s.sendall(junk)
        self.assertEqual(self.read_to_end(s), REFUSAL)
        # Random bytes behind a TLS handshake record header.
        s = self.raw(srv)
        try:
            s.sendall(b"\x16\x03\x01\x01\x00" + rnd.randbytes(4096))
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = self.read_to_end(s)
        self.assertTrue(data == b"" or data[0] == 0x15, f"expected nothing or a TLS alert, got {data[:50]!r}")
        srv.wait_line(r"handshake failed #\d+ ")
        self.assert_serving(srv, alice)

    def test_random_bytes_on_the_plain_port(self):
        srv, alice = self.start(plain=True)
        rnd = random.Random(2)
        junk = bytes([0x42]) + rnd.randbytes(8191)
        # Short lines: random bytes hold a newline in about every 256.
        junk = re.sub(rb"[^\n]{1000,}", lambda m: m.group(0)[:900] + b"\n" + m.group(0)[900:], junk)
        bad = self.connect(srv.port, tls=False)
        self.assertRegex(bad.readline(), r"^\* welcome, guest\d+")
        bad.sendraw(junk + b"\nEND-OF-JUNK\n")
        joined = alice.expect(r"^\* guest\d+ joined$")
        guest = joined.split()[1]
        seen = 0
        while True:
            line = alice.readline()
            self.assertIsNotNone(line)
            if line == f"<{guest}> END-OF-JUNK":
                break
            self.assertTrue(line.startswith(f"<{guest}> "), line)
            seen += 1
            # What others get is valid UTF-8 with no control characters but tab.
            self.assertNotIn("\ufffd", line)
            self.assertIsNone(re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]", line), repr(line))
        self.assertGreater(seen, 5)
        bad.close()
        alice.expect(rf"^\* {guest} left \(")
        self.assert_serving(srv, alice)

    def test_http_request_on_the_tls_port(self):
        srv, alice = self.start()
        s = self.raw(srv)
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n")
        self.assertEqual(self.read_to_end(s), REFUSAL)
        srv.wait_line(r"handshake failed #\d+ .*a plaintext client connected to this TLS port")
        self.assert_serving(srv, alice)

    def test_sslv2_hello_gets_a_tls_alert(self):
        """An SSLv2-format ClientHello (as very old clients and scanners send) is
        answered with a TLS protocol_version alert, not the plaintext line."""
        srv, alice = self.start()
        cipher_specs = bytes.fromhex("0700c0" "050080" "030080" "010080")
        challenge = bytes(range(16))
        body = b"\x01\x00\x02" + len(cipher_specs).to_bytes(2, "big") + b"\x00\x00" + \
            len(challenge).to_bytes(2, "big") + cipher_specs + challenge
        s = self.raw(srv)
        s.sendall(bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body)
        self.assertEqual(self.read_to_end(s), bytes([21, 3, 1, 0, 2, 2, 70]))
        srv.wait_line(r"handshake failed #\d+ .*SSLv2-format hello: refused with a protocol_version alert")
        self.assert_serving(srv, alice)

    def test_truncated_client_hello(self):
        srv, alice = self.start("--handshake-timeout", "1")
        hello = client_hello()
        self.assertEqual(hello[0], 0x16)
        # Half a ClientHello, then silence: the handshake timeout closes it.
        s = self.raw(srv)
        t0 = time.monotonic()
        s.sendall(hello[: len(hello) // 2])
        self.assertEqual(self.read_to_end(s), b"")
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        srv.wait_line(r"handshake timeout #\d+ .*no TLS handshake within 1 s")
        self.assert_serving(srv, alice)
        # Half a ClientHello, then a close: the server notices at once.
        s = self.raw(srv)
        s.sendall(hello[:40])
        s.close()
        srv.wait_line(r"handshake failed #\d+ .*closed the connection during the TLS handshake")
        self.assert_serving(srv, alice)

    def test_hundreds_of_idle_connections_closed_by_handshake_timeout(self):
        # From 40 addresses, as many machines would be: one address may have
        # only 8 handshakes in progress (test_door covers that).
        srv, alice = self.start("--handshake-timeout", "1", "--max-handshakes", "400")
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        opened, got = {}, {}
        for i in range(300):
            s = self.raw(srv, source=f"127.0.1.{1 + i % 40}")
            s.setblocking(False)
            opened[s] = time.monotonic()
            got[s] = b""
            sel.register(s, selectors.EVENT_READ)
        # While they sit there, the room works.
        self.assert_serving(srv, alice)
        closed = {}
        deadline = time.monotonic() + TIMEOUT
        while len(closed) < len(opened) and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.5):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                except BlockingIOError:
                    continue
                if data:
                    got[s] += data
                    continue
                closed[s] = time.monotonic()
                sel.unregister(s)
        self.assertEqual(len(closed), 300, f"only {len(closed)} of 300 idle connections were closed")
        early = [closed[s] - opened[s] for s in closed if closed[s] - opened[s] < 0.9]
        self.assertEqual(early, [], "closed before the handshake timeout")
        # Having said nothing, each may be a plaintext client waiting to be
        # greeted: it is told so, in the one line, before the close.
        self.assertEqual({got[s] for s in got}, {REFUSAL})
        wait_for(lambda: srv.text().count("(it sent nothing: told it this port speaks TLS)") >= 300,
                 what="300 handshake timeouts logged")
        self.assert_serving(srv, alice)

    def _long_line(self, plain):
        srv, alice = self.start(plain=plain)
        bad = self.connect(srv.port, tls=not plain)
        guest = re.match(r"\* welcome, (\S+):", bad.readline()).group(1)
        alice.expect(rf"^\* {guest} joined$")
        try:
            bad.sendraw(b"A" * (2 * 1024 * 1024))  # 2 MB, no newline
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            pass  # the server may close while it is still being sent
        self.assertEqual(bad.readline(), "! line too long (the limit is 4096 bytes)")
        self.assert_closed(bad)
        self.assertEqual(alice.readline(), f"* {guest} left (line too long)")
        srv.wait_line(rf"disconnect #\d+ \S+ {guest}: line too long")
        self.assert_serving(srv, alice)

    def test_two_megabyte_line_tls(self):
        self._long_line(plain=False)

    def test_two_megabyte_line_plain(self):
        self._long_line(plain=True)

    def _escapes(self, plain):
        srv, alice = self.start(plain=plain)
        bob = self.join(srv, "bob", tls=not plain)
        alice.expect(r"is now bob$")
        # ESC [ 2 J (clear screen), C1 CSI as UTF-8 (C2 9B), BEL, an OSC title,
        # DEL, a backspace; tab and non-ASCII text stay.
        bob.sendraw(b"a\x1b[2Jb \xc2\x9b31mc \x07d \x1b]0;owned\x07e \x7ff\x08g\th \xc3\xa9\r\n")
        self.assertEqual(alice.readline(), "<bob> a[2Jb 31mc d ]0;ownede fg\th \u00e9")
        bob.sendraw(b"/msg alice \x1b[31mred\x1b[0m\n")
        self.assertEqual(alice.readline(), "*private* <bob> [31mred[0m")
        self.assertEqual(bob.readline(), "*private* to <alice> [31mred[0m")
        self.assert_serving(srv, alice)

    def test_terminal_escapes_stripped_tls(self):
        self._escapes(plain=False)

    def test_terminal_escapes_stripped_plain(self):
        self._escapes(plain=True)

    def test_terminal_escapes_stripped_in_echo_mode(self):
        srv = self.server("--mode", "echo")
        c = self.connect(srv.port)
        c.sendraw(b"x\x1b[2Jy\xc2\x9bz\x07\n")
        self.assertEqual(c.readline(), "x[2Jyz")

    # ---- plaintext and TLS mixed up ----

    def test_plaintext_client_on_the_tls_port(self):
        # A long handshake timeout: only the refusal can end these quickly.
        srv, alice = self.start("--handshake-timeout", "60")
        s = self.raw(srv)
        s.sendall(b"hello\n")
        self.assertEqual(self.read_to_end(s, timeout=10), REFUSAL)
        srv.wait_line(r"a plaintext client connected to this TLS port \(it was told to connect without --plain\)")
        for how in ({"args": ["-m", "hi"]}, {"args": [], "input": "hi\n"}):
            t0 = time.monotonic()
            rc, out, err = run(tlschat_argv(srv.port, *how["args"], plain=True), input=how.get("input", ""),
                               timeout=10)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "! this server speaks TLS: connect without --plain\n")
            self.assertIn("WARNING: --plain", err)
            self.assertEqual(err.strip().splitlines()[-1], "tlschat: the server speaks TLS: connect without --plain")
        self.assert_serving(srv, alice)

    def test_silent_plaintext_client_on_the_tls_port(self):
        # A plaintext client that waits to be greeted sends nothing: it is
        # told at the handshake timeout, in the same line.
        srv, alice = self.start("--handshake-timeout", "1")
        t0 = time.monotonic()
        cli = self.tlschat(srv.port, plain=True)  # stdin left open: says nothing
        cli.wait_line(r"^! this server speaks TLS: connect without --plain$", "out")
        self.assertEqual(cli.wait(), 1, cli.text())
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.assertEqual(cli.text().splitlines()[-1], "tlschat: the server speaks TLS: connect without --plain")
        srv.wait_line(r"handshake timeout #\d+ .*\(it sent nothing: told it this port speaks TLS\)")
        self.assert_serving(srv, alice)

    def test_tls_client_on_the_plain_port(self):
        srv, alice = self.start(plain=True)
        told = r"handshake failed #\d+ .*a TLS client connected to this plaintext server \(--plain\)"
        for attempt in range(1, 4):
            t0 = time.monotonic()
            rc, out, err = run(tlschat_argv(srv.port, "-m", "hi"), timeout=10)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(rc, 1, err)
            self.assertEqual(err.strip(), "tlschat: the server closed the connection during the TLS handshake: "
                                          "is it a plaintext server (--plain)?")
            self.assertEqual(out, "")
            wait_for(lambda: len(re.findall(told, srv.text())) >= attempt, what="the server's log line")
        # Python's ssl fails at once too. (The context first: its ClientHello
        # must follow the connect closely, within the server's sniffing pause.)
        ctx = ssl.create_default_context(cafile=cert("ca.crt"))
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        self.addCleanup(raw.close)
        with self.assertRaises((ssl.SSLError, ConnectionResetError)):
            ctx.wrap_socket(raw, server_hostname="localhost")
        wait_for(lambda: len(re.findall(told, srv.text())) >= 4, what="the server's log line")
        # They never joined: alice heard of none of them.
        self.assert_quiet(alice)
        self.assert_serving(srv, alice)
