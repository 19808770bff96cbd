# SPDX-License-Identifier: ISC
"""Signals: SIGTERM and SIGINT tell every client, send close_notify and exit 0;
SIGHUP reloads the certificate and key without dropping anyone, and keeps the
old ones when the new files are broken."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile

from harness import GEN_CERTS, TIMEOUT, Case, cert, fingerprint_der, fingerprint_pem, line_conn, run, tlschat_argv

BYE = "* the server is shutting down"


class Signals(Case):
    def strict_tls_client(self, port, cafile=None):
        """A Python client that tells a close_notify from a bare TCP close:
        with suppress_ragged_eofs=False the latter raises SSLEOFError."""
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.addCleanup(raw.close)
        ctx = ssl.create_default_context(cafile=cafile or cert("ca.crt"))
        s = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
        self.addCleanup(s.close)
        c = line_conn(s)
        self.assertRegex(c.readline(), r"^\* welcome, ")
        return c

    def _stop(self, sig, name):
        srv = self.server()
        alice = self.strict_tls_client(srv.port)
        bob = self.strict_tls_client(srv.port)
        self.assertRegex(alice.readline(), r"^\* guest\d+ joined$")
        cli = self.tlschat(srv.port)
        cli.wait_line(r"^\* welcome, ", "out")
        self.assertRegex(alice.readline(), r"^\* guest\d+ joined$")
        self.assertRegex(bob.readline(), r"^\* guest\d+ joined$")
        # One more that connected but never started its handshake.
        idle = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        self.addCleanup(idle.close)
        srv.signal(sig)
        for c in (alice, bob):
            self.assertEqual(c.readline(), BYE)
            # No "left" notices for a stopping server; then close_notify: recv
            # returns b"" (a bare close would raise SSLEOFError here).
            self.assertIsNone(c.readline())
        self.assertEqual(idle.recv(100), b"")
        cli.wait_line(rf"^\{BYE}$", "out")
        # The CLI client shows the notice and ends on its own: the session
        # was cut short by the server, so status 1 with a sentence.
        self.assertEqual(cli.wait(), 1, cli.text())
        self.assertEqual(cli.text().splitlines()[-1], "tlschat: the server shut down")
        self.assertEqual(srv.wait(), 0, srv.text())
        srv.wait_line(rf"{name}: stopping; telling 4 clients")
        srv.wait_line(r"tlschatd: stopped$")

    def test_sigterm_tells_clients_and_sends_close_notify(self):
        self._stop(signal.SIGTERM, "SIGTERM")

    def test_sigint_does_the_same(self):
        self._stop(signal.SIGINT, "SIGINT")

    def test_sigterm_plain(self):
        srv = self.server(plain=True)
        alice = self.join(srv, tls=False)
        bob = self.join(srv, tls=False)
        alice.readline()
        srv.signal(signal.SIGTERM)
        for c in (alice, bob):
            self.assertEqual(c.readline(), BYE)
            self.assertIsNone(c.readline())
        self.assertEqual(srv.wait(), 0, srv.text())

    def test_sigterm_with_no_clients(self):
        srv = self.server()
        srv.signal(signal.SIGTERM)
        self.assertEqual(srv.wait(), 0)
        srv.wait_line(r"SIGTERM: stopping; telling 0 clients")

    # ---- SIGHUP ----

    def _cert_dir(self):
        """A copy of the test CA and server certificate the server can be pointed at."""
        d = tempfile.mkdtemp(prefix="tlschat-hup-")
        self.addCleanup(shutil.rmtree, d, True)
        for name in ("ca.crt", "ca.key", "server.crt", "server.key"):
            shutil.copy(cert(name), os.path.join(d, name))
        return d

    def _new_server_cert(self):
        """A second server certificate from the same CA, made by gen-certs.sh."""
        d = self._cert_dir()
        # gen-certs.sh keeps an existing server pair: remove it to have a new one.
        for name in ("server.crt", "server.key"):
            os.remove(os.path.join(d, name))
        subprocess.run([GEN_CERTS, "--dir", d], check=True, capture_output=True)
        return d

    def _fingerprint(self, port):
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
            ctx = ssl.create_default_context(cafile=cert("ca.crt"))
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                return fingerprint_der(s.getpeercert(binary_form=True))

    def test_sighup_reloads_the_certificate(self):
        live = self._cert_dir()
        crt, key = os.path.join(live, "server.crt"), os.path.join(live, "server.key")
        srv = self.server("--cert", crt, "--key", key)
        old_fp = fingerprint_pem(crt)
        alice = self.strict_tls_client(srv.port)
        self.assertEqual(fingerprint_der(alice.sock.getpeercert(binary_form=True)), old_fp)
        self.assertEqual(self._fingerprint(srv.port), old_fp)

        fresh = self._new_server_cert()
        new_fp = fingerprint_pem(os.path.join(fresh, "server.crt"))
        self.assertNotEqual(new_fp, old_fp)
        shutil.copy(os.path.join(fresh, "server.crt"), crt)
        shutil.copy(os.path.join(fresh, "server.key"), key)
        log_from = srv.count()
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: reloaded .*server\.crt and .*server\.key; new connections get them", start=log_from)

        # New connections see the new certificate; the old one keeps working.
        self.assertEqual(self._fingerprint(srv.port), new_fp)
        rc, out, err = run(tlschat_argv(srv.port, "-m", "after reload"))
        self.assertEqual(rc, 0, err)
        self.assertIn(new_fp, err)
        alice.expect(r"^<guest\d+> after reload$")
        bob = self.strict_tls_client(srv.port)
        self.assertEqual(fingerprint_der(bob.sock.getpeercert(binary_form=True)), new_fp)
        alice.expect(r"^\* guest\d+ joined$")
        alice.send("still here")
        self.assertEqual(bob.readline(), "<guest1> still here")
        bob.send("welcome back")
        alice.expect(r"^<guest\d+> welcome back$")
        self.assertNotIn("disconnect #1 ", srv.text())

    def test_sighup_with_a_broken_certificate_keeps_the_old_one(self):
        live = self._cert_dir()
        crt, key = os.path.join(live, "server.crt"), os.path.join(live, "server.key")
        srv = self.server("--cert", crt, "--key", key)
        old_fp = fingerprint_pem(crt)
        alice = self.strict_tls_client(srv.port)

        with open(crt, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        log_from = srv.count()
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: kept the old certificate: .*server\.crt", start=log_from)
        self.assertEqual(self._fingerprint(srv.port), old_fp)

        # A certificate whose key does not match: kept again.
        fresh = self._new_server_cert()
        shutil.copy(os.path.join(fresh, "server.crt"), crt)
        log_from = srv.count()
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: kept the old certificate: the key .* does not match", start=log_from)
        self.assertEqual(self._fingerprint(srv.port), old_fp)

        # Still serving, old and new clients alike.
        bob = self.strict_tls_client(srv.port)
        alice.expect(r"^\* guest\d+ joined$")
        alice.send("all well")
        bob.expect(r"^<guest1> all well$")
        self.assertTrue(srv.alive())

    def test_sighup_plain_has_nothing_to_reload(self):
        srv = self.server(plain=True)
        alice = self.join(srv, tls=False)
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: nothing to reload \(--plain\)")
        bob = self.join(srv, tls=False)
        self.assertEqual(alice.readline(), f"* {bob.nick} joined")
