# SPDX-License-Identifier: ISC
"""SNI is sent for names and never for IP literals. (make install: test_install.py.)"""
import socket
import ssl
import threading

from harness import TIMEOUT, Case, cert, run, tlschat_argv


class SniServer:
    """A Python TLS server that records the SNI name each handshake carried."""

    def __init__(self):
        self.names = []
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert("server.crt"), cert("server.key"))
        self.ctx.sni_callback = lambda sock, name, ctx: self.names.append(name)
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.lsock.accept()
        with self.ctx.wrap_socket(conn, server_side=True) as s:
            s.settimeout(TIMEOUT)
            buf = b""
            while b"close\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    return
                buf += chunk
            s.sendall(b"closed\n")

    def close(self):
        self.lsock.close()
        self.thread.join(TIMEOUT)


class Sni(Case):
    def sni_of(self, *args, host="127.0.0.1"):
        srv = SniServer()
        self.addCleanup(srv.close)
        rc, out, err = run(tlschat_argv(srv.port, "-m", "hi", *args, host=host))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[-1], "closed")
        srv.thread.join(TIMEOUT)
        self.assertEqual(len(srv.names), 1)
        return srv.names[0]

    def test_name_is_sent(self):
        self.assertEqual(self.sni_of(host="localhost"), "localhost")

    def test_ip_literal_is_never_sent(self):
        self.assertIsNone(self.sni_of(host="127.0.0.1"))

    def test_servername_is_sent_for_an_address(self):
        self.assertEqual(self.sni_of("--servername", "localhost", host="127.0.0.1"), "localhost")

