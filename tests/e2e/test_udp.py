# SPDX-License-Identifier: ISC
"""The tutorials' UDP example (build/examples/udp-server, udp-client): plain
UDP and DTLS 1.2 (--dtls), against each other and against independent peers
(a plain Python UDP socket, openssl s_client -dtls1_2); the cookie exchange
that keeps a forged source from using the server as an amplifier; every
mismatch told in a sentence. Loopback only."""
import os
import socket
import subprocess

from harness import EXAMPLES, TIMEOUT, Case, cert, have, run

UDP_SERVER = os.path.join(EXAMPLES, "udp-server")
UDP_CLIENT = os.path.join(EXAMPLES, "udp-client")
SANITIZER = r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer"


class Udp(Case):
    def server(self, dtls=False):
        argv = [UDP_SERVER, "--port", "0"]
        if dtls:
            argv += ["--dtls", "--cert", cert("server.crt"), "--key", cert("server.key")]
        p = self.proc(argv, name="udp-server")
        m = p.wait_line(r"^listening on 127\.0\.0\.1:(\d+) \(UDP, (plaintext|DTLS 1\.2)\)$", which="out")
        self.assertEqual(m.group(2), "DTLS 1.2" if dtls else "plaintext")
        p.port = int(m.group(1))
        return p

    def client(self, port, lines, dtls=False, env=None):
        argv = [UDP_CLIENT, "--port", str(port)]
        if dtls:
            argv += ["--dtls", "--ca", cert("ca.crt"), "--servername", "localhost"]
        return run(argv, input="".join(line + "\n" for line in lines), env=env)

    def finish(self, p, want_rc=0):
        rc = p.wait()
        self.assertNotRegex(p.text("err"), SANITIZER)
        self.assertEqual(rc, want_rc, p.text("err") + p.text("out"))

    def test_plain_udp(self):
        srv = self.server()
        rc, out, err = self.client(srv.port, ["hi", "the password is swordfish"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "received: accepted\nreceived: accepted\nreceived: closed\n")
        self.assertIn("WARNING: plain UDP: no encryption", err)
        self.finish(srv)
        self.assertIn("received: the password is swordfish", srv.text("out"))

    def test_dtls(self):
        srv = self.server(dtls=True)
        rc, out, err = self.client(srv.port, ["hi", "the password is swordfish"], dtls=True)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "received: accepted\nreceived: accepted\nreceived: closed\n")
        self.assertRegex(err, r"DTLS with 127\.0\.0\.1 port \d+: DTLSv1\.2 ECDHE-\S+, peer /CN=localhost verified")
        self.finish(srv)
        self.assertRegex(srv.text("out"), r"DTLS association with 127\.0\.0\.1:\d+: DTLSv1\.2 ")
        self.assertIn("received: the password is swordfish", srv.text("out"))

    def test_dtls_key_log(self):
        srv = self.server(dtls=True)
        keylog = os.path.join(self.tmpdir(), "keys.log")
        rc, _, err = self.client(srv.port, ["hi"], dtls=True, env={"SSLKEYLOGFILE": keylog})
        self.assertEqual(rc, 0, err)
        self.assertIn("WARNING: writing TLS session keys", err)
        with open(keylog) as f:
            self.assertRegex(f.read(), r"(?m)^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$")
        self.finish(srv)

    def tmpdir(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix="tlschat-udp-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_plain_client_to_dtls_server_is_told(self):
        srv = self.server(dtls=True)
        rc, out, err = self.client(srv.port, ["hi"])
        self.assertEqual(rc, 1, out)
        self.assertRegex(err, r"no answer from UDP 127\.0\.0\.1 port \d+ within 5 s: is udp-server running "
                              r"there, with --dtls on both sides or on neither\?")
        # The server ignored the stray datagram and still serves a DTLS client.
        rc, out, err = self.client(srv.port, ["after"], dtls=True)
        self.assertEqual(rc, 0, err)
        self.finish(srv)

    def test_dtls_client_to_plain_server_is_told(self):
        srv = self.server()
        rc, out, err = self.client(srv.port, [], dtls=True)
        self.assertEqual(rc, 1, out)
        self.assertIn("the DTLS handshake did not finish in time: is the server running, with DTLS (--dtls) "
                      "on this port?", err)
        srv.kill()

    def test_nothing_listening(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rc, _, err = self.client(port, ["hi"])
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"cannot hear from UDP 127\.0\.0\.1 port \d+: Connection refused \(is udp-server "
                              r"running there\?\)|no answer from UDP")

    def test_a_plain_python_peer(self):
        srv = self.server()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(TIMEOUT)
            s.sendto(b"from python\n", ("127.0.0.1", srv.port))
            self.assertEqual(s.recvfrom(100)[0], b"accepted\n")
            s.sendto(b"CLOSE\n", ("127.0.0.1", srv.port))
            self.assertEqual(s.recvfrom(100)[0], b"closed\n")
        self.finish(srv)

    def test_openssl_s_client_dtls(self):
        if not have("openssl"):
            self.skipTest("no openssl command: apt-get install openssl")
        srv = self.server(dtls=True)
        sc = self.proc(["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{srv.port}", "-CAfile",
                        cert("ca.crt"), "-verify_return_error", "-servername", "localhost", "-quiet"],
                       name="s_client")
        sc.send("hello from s_client\n")
        sc.wait_line(r"^accepted$", "out")
        sc.send("close\n")
        sc.wait_line(r"^closed$", "out")
        self.finish(srv)
        self.assertIn("received: hello from s_client", srv.text("out"))

    def test_cookie_exchange_answers_a_forged_hello_with_a_small_cookie_only(self):
        """A ClientHello from an address that never returns the cookie (as a
        forged source would not) gets one small HelloVerifyRequest, never the
        certificate flight: no amplification."""
        if not have("openssl"):
            self.skipTest("no openssl command: apt-get install openssl")
        # A real DTLS ClientHello, caught from openssl s_client.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as trap:
            trap.bind(("127.0.0.1", 0))
            trap.settimeout(TIMEOUT)
            sc = subprocess.Popen(["openssl", "s_client", "-dtls1_2", "-connect",
                                   f"127.0.0.1:{trap.getsockname()[1]}", "-quiet"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                hello = trap.recvfrom(4096)[0]
            finally:
                sc.kill()
                sc.wait()
        self.assertEqual((hello[0], hello[13]), (22, 1))  # handshake record, ClientHello
        srv = self.server(dtls=True)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as forged:
            forged.settimeout(TIMEOUT)
            forged.sendto(hello, ("127.0.0.1", srv.port))
            answer = forged.recvfrom(4096)[0]
            self.assertEqual((answer[0], answer[13]), (22, 3))  # handshake record, HelloVerifyRequest
            self.assertLess(len(answer), len(hello))
            # Sent again, the same hello (without the cookie) gets the same small answer.
            forged.sendto(hello, ("127.0.0.1", srv.port))
            self.assertEqual(forged.recvfrom(4096)[0][13], 3)
        # The server still serves a real client.
        rc, out, err = self.client(srv.port, ["real"], dtls=True)
        self.assertEqual(rc, 0, err)
        self.finish(srv)
