# SPDX-License-Identifier: ISC
"""tlschat -m and pipes against line servers that are not tlschatd: once the
line is delivered, the replies are printed until the server closes or has
been quiet for 2 s (QUIET_MS in src/client/client.c, tlschat(1)), and tlschat
exits 0. Against tlschatd nothing changes: close, closed, exit 0. Exit 1
stays for network and TLS failures."""
import socket
import ssl
import threading

from harness import TIMEOUT, Case, cert, free_port, have, run, tlschat_argv


class LineServer:
    """A one-connection TLS line server in Python that is not tlschatd: it
    answers each line with "echo: LINE" (or nothing), never says "closed",
    and after close_after lines hangs up (None: never; it waits for the
    client to go)."""

    def __init__(self, answer=True, close_after=None, greeting=b""):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert("server.crt"), cert("server.key"))
        self.answer, self.close_after, self.greeting = answer, close_after, greeting
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.received = []
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.lsock.accept()
            conn.settimeout(TIMEOUT)
            with self.ctx.wrap_socket(conn, server_side=True) as s:
                if self.greeting:
                    s.sendall(self.greeting)
                buf = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        self.received.append(line.decode())
                        if self.answer:
                            s.sendall(b"echo: " + line + b"\n")
                        if self.close_after and len(self.received) >= self.close_after:
                            s.unwrap()
                            return
        except (ssl.SSLError, OSError) as e:
            self.error = e

    def close(self):
        self.lsock.close()
        self.thread.join(TIMEOUT)


class FinishedAndLineTogether(LineServer):
    """A one-connection TLS 1.2 server whose Finished and first line leave in
    one TCP segment (memory BIOs), so that a client reading ahead gets the line
    in the same read(2) as the end of its handshake. Then it waits for the
    client to go."""

    def __init__(self, line):
        self.line = line
        super().__init__()
        self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # before anyone connects

    def _serve(self):
        try:
            conn, _ = self.lsock.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls = self.ctx.wrap_bio(incoming, outgoing, server_side=True)
                while True:
                    try:
                        tls.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        conn.sendall(outgoing.read())
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        incoming.write(chunk)
                tls.write(self.line)
                conn.sendall(outgoing.read())  # the Finished and the line, together
                while conn.recv(65536):
                    pass
        except (ssl.SSLError, OSError) as e:
            self.error = e


class AnyLineServer(Case):
    def peer(self, **kw):
        p = LineServer(**kw)
        self.addCleanup(p.close)
        return p

    def test_message_to_a_python_server_that_stays_quiet_after_answering(self):
        p = self.peer(greeting=b"hello from python\n")
        rc, out, err = run(tlschat_argv(p.port, "-q", "-m", "hi there"))
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "hello from python\necho: hi there\necho: close\n")
        p.close()
        self.assertEqual(p.received, ["hi there", "close"])

    def test_a_line_that_came_with_the_handshake_is_printed_at_once(self):
        # Found in review: with read-ahead, the line waited unseen in OpenSSL's
        # buffer until the user typed something.
        p = FinishedAndLineTogether(b"hello behind the Finished\n")
        self.addCleanup(p.close)
        c = self.proc(tlschat_argv(p.port, "-q", "--tls-max", "1.2"), name="tlschat")
        c.wait_line(r"^hello behind the Finished$", "out")
        c.close_stdin()
        self.assertEqual(c.wait(), 0, c.text())
        self.assertIsNone(p.error)

    def test_message_to_a_python_server_that_says_nothing(self):
        p = self.peer(answer=False)
        rc, out, err = run(tlschat_argv(p.port, "-q", "-m", "into the void"))
        self.assertEqual((rc, out, err), (0, "", ""))
        p.close()
        self.assertEqual(p.received, ["into the void", "close"])

    def test_message_to_a_python_server_that_hangs_up(self):
        p = self.peer(close_after=1)
        rc, out, err = run(tlschat_argv(p.port, "-q", "-m", "bye"))
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.startswith("echo: bye\n"), out)

    def test_pipe_to_a_python_server(self):
        p = self.peer()
        rc, out, err = run(tlschat_argv(p.port, "-q"), input="one\ntwo\n")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "echo: one\necho: two\necho: close\n")

    def test_nick_to_a_python_server_is_just_a_first_line(self):
        p = self.peer(answer=False)
        rc, out, err = run(tlschat_argv(p.port, "-q", "--nick", "bob", "-m", "hi"))
        self.assertEqual((rc, out, err), (0, "", ""))
        p.close()
        self.assertEqual(p.received, ["/nick bob", "hi", "close"])

    def test_message_to_openssl_s_server(self):
        if not have("openssl"):
            self.skipTest("no openssl command (apt-get install openssl)")
        port = free_port()
        ss = self.proc(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert("server.crt"),
                        "-key", cert("server.key"), "-naccept", "1"], name="s_server")
        ss.wait_line(r"^ACCEPT$", "out")
        rc, out, err = run(tlschat_argv(port, "-m", "hello s_server"))
        self.assertEqual(rc, 0, err)
        self.assertIn("TLSv1.3", err)
        ss.wait_line(r"^hello s_server$", "out")
        ss.wait_line(r"^close$", "out")

    def test_failures_still_exit_1(self):
        # Nothing listening: a network failure.
        rc, out, err = run(tlschat_argv(free_port(), "-m", "x"))
        self.assertEqual(rc, 1, err)
        # The wrong certificate: a TLS failure, whatever the server.
        p = self.peer()
        rc, out, err = run(tlschat_argv(p.port, "--servername", "wrong.example", "-m", "x"))
        self.assertEqual(rc, 1, err)
        self.assertIn("certificate verify failed", err)

    def test_tlschatd_still_answers_close(self):
        srv = self.server()
        rc, out, err = run(tlschat_argv(srv.port, "-q", "-m", "hi"))
        self.assertEqual((rc, err), (0, ""))
        self.assertRegex(out, r"^\* welcome, guest\d+: 1 online, /help for commands\nclosed\n$")
        srv.stop()
