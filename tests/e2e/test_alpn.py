# SPDX-License-Identifier: ISC
"""ALPN: tlschatd selects tlschat/1, serves a client that offers no protocol,
and refuses with a no_application_protocol alert one that offers only others
(cross-protocol confusion, as ALPACA showed); tlschat offers tlschat/1 and
still talks to a server that selects nothing. Independent peers: Python's ssl
and openssl s_client."""
import socket
import ssl
import threading

from harness import TIMEOUT, Case, cert, have, line_conn, run, tlschat_argv

REFUSED_LOG = (r"handshake failed #\d+ \S+: the client asked for another application protocol \(ALPN\), "
               r"not tlschat/1: it is not a tlschat client, so it was refused \(no_application_protocol alert\)")


class Alpn(Case):
    def py_client(self, srv, protocols):
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        self.addCleanup(raw.close)
        ctx = ssl.create_default_context(cafile=cert("ca.crt"))
        if protocols is not None:
            ctx.set_alpn_protocols(protocols)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(s.close)
        return s

    def test_python_clients_offering_tlschat_or_nothing_are_served(self):
        srv = self.server()
        for protocols, selected in ((["tlschat/1"], "tlschat/1"), (["h2", "tlschat/1"], "tlschat/1"),
                                    (None, None)):
            with self.subTest(protocols=protocols):
                s = self.py_client(srv, protocols)
                self.assertEqual(s.selected_alpn_protocol(), selected)
                c = line_conn(s)
                self.assertRegex(c.readline(), r"^\* welcome, guest\d+")
                c.send("close")
                self.assertEqual(c.readline(), "closed")

    def test_a_client_offering_only_other_protocols_is_refused_and_the_server_serves_on(self):
        srv = self.server()
        with self.assertRaisesRegex(ssl.SSLError, "(?i)no.application.protocol"):
            self.py_client(srv, ["http/1.1"])
        srv.wait_line(REFUSED_LOG)
        s = self.py_client(srv, ["tlschat/1"])
        self.assertRegex(line_conn(s).readline(), r"^\* welcome, ")

    def _s_client(self, srv, *extra):
        return run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-CAfile", cert("ca.crt"),
                    "-verify_return_error", "-servername", "localhost", "-ign_eof", *extra], input="close\n")

    def test_openssl_s_client_with_and_without_alpn(self):
        if not have("openssl"):
            self.skipTest("no openssl command: apt-get install openssl")
        srv = self.server()
        rc, out, err = self._s_client(srv, "-alpn", "tlschat/1")
        self.assertEqual(rc, 0, err)
        self.assertIn("ALPN protocol: tlschat/1", out)
        self.assertIn("closed", out)
        rc, out, err = self._s_client(srv)
        self.assertEqual(rc, 0, err)
        self.assertIn("No ALPN negotiated", out)
        self.assertIn("closed", out)
        rc, out, err = self._s_client(srv, "-alpn", "http/1.1")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("no application protocol", err)
        self.assertNotIn("welcome", out)
        srv.wait_line(REFUSED_LOG)

    def test_tlschat_offers_tlschat_1(self):
        seen = {}
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert("server.crt"), cert("server.key"))
        ctx.set_alpn_protocols(["tlschat/1"])

        def serve():
            conn, _ = lsock.accept()
            conn.settimeout(TIMEOUT)
            with ctx.wrap_socket(conn, server_side=True) as s:
                seen["alpn"] = s.selected_alpn_protocol()
                buf = b""
                while b"close\n" not in buf:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                s.sendall(b"closed\n")
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        rc, out, err = run(tlschat_argv(lsock.getsockname()[1], "-m", "hi"))
        t.join(TIMEOUT)
        self.assertEqual(rc, 0, err)
        self.assertEqual(seen.get("alpn"), "tlschat/1")

    def test_tlschat_explains_a_server_that_refuses_tlschat_1(self):
        # A server that answers the ClientHello with a fatal
        # no_application_protocol alert (120), as a server of another protocol
        # that checks ALPN does.
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)

        def serve():
            conn, _ = lsock.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                conn.recv(65536)
                conn.sendall(bytes([21, 3, 3, 0, 2, 2, 120]))
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        rc, out, err = run(tlschat_argv(lsock.getsockname()[1], "-m", "hi"))
        t.join(TIMEOUT)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.strip().splitlines()[-1],
                         "tlschat: the server does not speak tlschat/1, the application protocol (ALPN) this "
                         "client offered: is it a tlschat server, on the right port?")
