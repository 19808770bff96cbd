# SPDX-License-Identifier: ISC
"""Many clients at once, and one that stops reading: nothing lost, one common
order, and a stalled reader dropped with a notice while memory stays bounded.
Each test runs over TLS (LoadTLS) and over plaintext (LoadPlain)."""
import re
import socket
import ssl
import threading
import time

from harness import TIMEOUT, Case, cert, sanitized, vmrss_kb

CLIENTS = 20
LINES = 100
LINE_RX = re.compile(r"^<(guest\d+)> c(\d\d) n(\d\d\d) x+$")


class LoadTLS(Case):
    plain = False

    def start(self, *args):
        return self.server(*args, plain=self.plain)

    def test_twenty_clients_hundred_lines_each(self):
        srv = self.start()
        conns = []
        for _ in range(CLIENTS):
            conns.append(self.join(srv, tls=not self.plain, poke=True))
        # Each has seen everyone who joined after it: the room is quiet now.
        for i, c in enumerate(conns):
            for later in conns[i + 1:]:
                self.assertEqual(c.readline(), f"* {later.nick} joined")
        nick_of = {i: c.nick for i, c in enumerate(conns)}

        barrier = threading.Barrier(CLIENTS, timeout=TIMEOUT)
        received = [None] * CLIENTS
        errors = []

        def client(i):
            c = conns[i]
            try:
                barrier.wait()
                for n in range(LINES):  # one send per line: they interleave at the server
                    c.send(f"c{i:02d} n{n:03d} " + "x" * 40)
                got = []
                while len(got) < (CLIENTS - 1) * LINES:
                    line = c.readline(TIMEOUT * 2)
                    if line is None:
                        raise AssertionError(f"client {i}: closed after {len(got)} lines")
                    got.append(line)
                received[i] = got
            except Exception as e:  # reported by the main thread
                errors.append(f"client {i}: {e!r}")
                barrier.abort()

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT * 4)
            self.assertFalse(t.is_alive(), "a client thread hung")
        self.assertEqual(errors, [])

        orders = []
        for i, got in enumerate(received):
            seq = []
            for line in got:
                m = LINE_RX.match(line)
                self.assertTrue(m, f"client {i} got an unexpected line {line!r}")
                sender, n = int(m.group(2)), int(m.group(3))
                self.assertEqual(m.group(1), nick_of[sender], "a line under the wrong nick")
                self.assertNotEqual(sender, i, "a client got its own line back")
                seq.append((sender, n))
            # None lost, none doubled: every other client's 100 lines, each once...
            self.assertEqual(sorted(seq), sorted((s, n) for s in range(CLIENTS) if s != i for n in range(LINES)))
            # ...and each sender's lines in the order it sent them.
            for s in range(CLIENTS):
                if s != i:
                    self.assertEqual([n for (x, n) in seq if x == s], list(range(LINES)))
            orders.append(seq)
        # One order for everyone: any two clients saw the lines they both got
        # (those of the 18 others) in the same relative order.
        for a in range(CLIENTS):
            for b in range(a + 1, CLIENTS):
                sa = [x for x in orders[a] if x[0] != b]
                sb = [x for x in orders[b] if x[0] != a]
                self.assertEqual(sa, sb, f"clients {a} and {b} saw different orders")
        for c in conns:
            c.send("close")
        for c in conns:
            c.expect(r"^closed$")

    def _stalled_client(self, srv):
        """A client with a tiny receive buffer that joins, takes a nick, and never reads again."""
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(TIMEOUT)
        raw.connect(("127.0.0.1", srv.port))
        sock = raw
        if not self.plain:
            ctx = ssl.create_default_context(cafile=cert("ca.crt"))
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(sock.close)
        sock.sendall(b"/nick slowpoke\n")
        return sock

    def test_stalled_reader_is_dropped_others_get_everything(self):
        srv = self.start("--max-queue", "65536")
        sender = self.join(srv, "sender", tls=not self.plain)
        reader = self.join(srv, "reader", tls=not self.plain)
        self.assertRegex(sender.readline(), r"^\* guest\d+ joined$")
        self.assertRegex(sender.readline(), r"^\* guest\d+ is now reader$")
        slow = self._stalled_client(srv)
        for c in (sender, reader):  # its first line named it: it joins as slowpoke
            self.assertEqual(c.readline(), "* slowpoke joined")
        rss_before = vmrss_kb(srv.p.pid)

        # The sender says 32 lines of 1 kB at a time; the reader reads each batch
        # before the next, so only the stalled client falls behind. The kernel's
        # socket buffers take a few MB first (loopback autotuning); after the
        # drop, 1 MB more goes by. At most 16 MB in all.
        payload = "x" * 1000
        max_batches, after_drop = 512, 32
        notice = None
        notice_at = None
        for k in range(max_batches):
            if notice_at is not None and k >= notice_at + after_drop:
                break
            batch = [f"m{k:03d}-{j:02d} {payload}" for j in range(32)]
            sender.sendraw("".join(line + "\n" for line in batch).encode())
            want = 0
            while want < len(batch):
                line = reader.readline()
                self.assertIsNotNone(line, "the reader was disconnected")
                if line.startswith("* slowpoke left"):
                    self.assertIsNone(notice, "two leave notices")
                    notice, notice_at = line, k
                    continue
                self.assertEqual(line, "<sender> " + batch[want], "the reader lost or reordered a line")
                want += 1
        self.assertIsNotNone(notice, "the stalled client was never dropped")
        self.assertRegex(notice, r"^\* slowpoke left \(too slow: \d+ bytes waited unread\)$")
        queued = int(re.search(r"(\d+) bytes", notice).group(1))
        # Dropped at --max-queue (its bytes plus the queue's own slots), not
        # before and not well after.
        self.assertGreater(queued, 65536 - 2048)
        self.assertLess(queued, 65536 + 2048, "dropped only well past --max-queue")
        self.assertEqual(sender.readline(), notice)  # the sender is told too
        srv.wait_line(r"disconnect #\d+ \S+ slowpoke: too slow: \d+ bytes waited unread")

        # Memory: megabytes went through the room; a queue that kept them would show.
        rss_after = vmrss_kb(srv.p.pid)
        bound_kb = 6 * 1024 if not sanitized() else 64 * 1024
        self.assertLess(rss_after - rss_before, bound_kb,
                        f"tlschatd grew from {rss_before} kB to {rss_after} kB")

        # The stalled client's connection was closed: draining it ends.
        slow.settimeout(TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        ended = False
        while time.monotonic() < deadline:
            try:
                if not slow.recv(65536):
                    ended = True
                    break
            except (ssl.SSLError, ConnectionResetError):
                ended = True
                break
        self.assertTrue(ended, "the stalled client's connection was left open")
        reader.send("still fine")
        self.assertEqual(sender.readline(), "<reader> still fine")


class LoadPlain(LoadTLS):
    plain = True
