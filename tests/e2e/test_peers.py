# SPDX-License-Identifier: ISC
"""Independent peers: Python's ssl module and openssl s_client chat with
tlschatd; tlschat talks to openssl s_server and to a Python ssl server."""
import socket
import ssl

from harness import (TIMEOUT, Case, PyTLSServer, cert, free_port, have, line_conn, run,
                     tlschat_argv)


class Peers(Case):
    def py_client(self, srv, max_version=None):
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        self.addCleanup(raw.close)
        ctx = ssl.create_default_context(cafile=cert("ca.crt"))
        if max_version:
            ctx.maximum_version = max_version
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(s.close)
        return s

    def test_python_ssl_clients_tls13_and_tls12(self):
        srv = self.server()
        s13 = self.py_client(srv)
        self.assertEqual(s13.version(), "TLSv1.3")
        peer = s13.getpeercert()  # verified against the CA, name checked
        self.assertIn(("DNS", "localhost"), peer["subjectAltName"])
        self.assertIn(("IP Address", "127.0.0.1"), peer["subjectAltName"])
        a = line_conn(s13)
        self.assertRegex(a.readline(), r"^\* welcome, guest1: 1 online")
        s12 = self.py_client(srv, ssl.TLSVersion.TLSv1_2)
        self.assertEqual(s12.version(), "TLSv1.2")
        self.assertRegex(s12.cipher()[0], r"^ECDHE-(ECDSA|RSA)-(AES\d+-GCM|CHACHA20-POLY1305)")
        b = line_conn(s12)
        self.assertRegex(b.readline(), r"^\* welcome, guest2: 2 online")
        self.assertEqual(a.readline(), "* guest2 joined")
        srv.wait_line(r"connect #2 \S+ TLSv1\.2 ECDHE-")
        a.send("from one point three")
        self.assertEqual(b.readline(), "<guest1> from one point three")
        b.send("from one point two")
        self.assertEqual(a.readline(), "<guest2> from one point two")
        b.send("close")
        self.assertEqual(b.readline(), "closed")
        self.assertIsNone(b.readline())  # a clean close_notify, not an error

    def test_tls_min_13_refuses_a_tls12_client(self):
        srv = self.server("--tls-min", "1.3")
        with self.assertRaises(ssl.SSLError):
            self.py_client(srv, ssl.TLSVersion.TLSv1_2)
        srv.wait_line(r"handshake failed #1 .*does not support this TLS version")
        c = line_conn(self.py_client(srv))
        self.assertRegex(c.readline(), r"^\* welcome, ")

    def _s_client(self, srv, *extra):
        return self.proc(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-CAfile", cert("ca.crt"),
                          "-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost",
                          "-quiet", *extra], name="s_client")

    def test_openssl_s_client_chats_with_tlschatd(self):
        if not have("openssl"):
            self.skipTest("no openssl command")
        srv = self.server()
        alice = self.join(srv, "alice")
        for extra, version in (([], "TLSv1.3"), (["-tls1_2"], "TLSv1.2")):
            with self.subTest(version=version):
                log_from = srv.count()
                sc = self._s_client(srv, *extra)
                nick = sc.wait_line(r"^\* welcome, (guest\d+): 2 online", "out").group(1)
                srv.wait_line(rf"connect #\d+ \S+ {version} ", start=log_from)
                self.assertEqual(alice.readline(), f"* {nick} joined")
                sc.send("hello from s_client\n")
                self.assertEqual(alice.readline(), f"<{nick}> hello from s_client")
                alice.send("hello s_client")
                sc.wait_line(r"^<alice> hello s_client$", "out")
                sc.send("/msg alice psst\n")
                self.assertEqual(alice.readline(), f"*private* <{nick}> psst")
                sc.send("close\n")
                sc.wait_line(r"^closed$", "out")
                self.assertEqual(sc.wait(), 0, sc.text())  # the server closed; s_client ends
                self.assertIn("verify return:1", sc.text())
                self.assertEqual(alice.readline(), f"* {nick} left (quit)")

    def test_tlschat_talks_to_openssl_s_server(self):
        if not have("openssl"):
            self.skipTest("no openssl command")
        port = free_port()
        ss = self.proc(["openssl", "s_server", "-accept", str(port), "-cert", cert("server.crt"),
                        "-key", cert("server.key"), "-naccept", "1"], name="s_server")
        ss.wait_line(r"^ACCEPT$", "out")
        c = self.tlschat(port)
        c.wait_line(r"^connected to 127\.0\.0\.1:\d+ .*TLSv1\.3 .*sha256:[0-9a-f]{64}; verified by CA ")
        c.send("hello s_server\n")
        ss.wait_line(r"^hello s_server$", "out")
        ss.send("hello tlschat\n")
        c.wait_line(r"^hello tlschat$", "out")
        c.close_stdin()  # tlschat sends "close" and waits for "closed"
        ss.wait_line(r"^close$", "out")
        ss.send("closed\n")
        self.assertEqual(c.wait(), 0, c.text())
        self.assertEqual(ss.wait(), 0, ss.text())

    def test_tlschat_talks_to_a_python_ssl_server(self):
        peer = PyTLSServer(greeting=b"hello from python\n")
        self.addCleanup(peer.close)
        rc, out, err = run(tlschat_argv(peer.port), input="first\nsecond line\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "hello from python\ngot: first\ngot: second line\nclosed\n")
        self.assertIn("TLSv1.3", err)
        peer.close()
        self.assertIsNone(peer.error)
        self.assertEqual(peer.received, ["first", "second line", "close"])
        self.assertEqual(peer.version, "TLSv1.3")
        self.assertTrue(peer.clean_close)
        # -m: one line, the replies, exit 0.
        peer = PyTLSServer()
        self.addCleanup(peer.close)
        rc, out, err = run(tlschat_argv(peer.port, "-m", "ping"))
        self.assertEqual((rc, out), (0, "got: ping\nclosed\n"), err)
        peer.close()
        self.assertEqual(peer.received, ["ping", "close"])

    def test_tlschat_and_a_tls12_python_server(self):
        peer = PyTLSServer(max_version=ssl.TLSVersion.TLSv1_2)
        self.addCleanup(peer.close)
        rc, out, err = run(tlschat_argv(peer.port, "-m", "over 1.2"))
        self.assertEqual((rc, out), (0, "got: over 1.2\nclosed\n"), err)
        self.assertRegex(err, r"TLSv1\.2 ECDHE-")
        peer.close()
        self.assertEqual(peer.version, "TLSv1.2")
        # --tls-min 1.3 refuses it, in a sentence.
        peer = PyTLSServer(max_version=ssl.TLSVersion.TLSv1_2)
        self.addCleanup(peer.close)
        rc, out, err = run(tlschat_argv(peer.port, "--tls-min", "1.3", "-m", "x"))
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.strip(), "tlschat: the server does not support this TLS version (check --tls-min on both sides)")
        peer.close()
        self.assertEqual(peer.received, [])
