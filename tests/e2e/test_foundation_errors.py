# SPDX-License-Identifier: ISC
"""Every failure of the foundation (net, tls, conn) as the example programs
report it: exit status 1 and one sentence that says what happened and what to
try. Loopback only; certificates made in temporary folders."""
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading

from harness import EXAMPLES, GEN_CERTS, TIMEOUT, Case, cert, free_port, have, line_conn, run

ECHO_SERVER = os.path.join(EXAMPLES, "echo-server")
ECHO_CLIENT = os.path.join(EXAMPLES, "echo-client")
HELLO_SERVER = os.path.join(EXAMPLES, "hello-server")
HELLO_CLIENT = os.path.join(EXAMPLES, "hello-client")

SANITIZER = r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer"


def unexpected_sanitizer_report(err):
    """The sanitizer report in err (a leak, memory error or UB), or None."""
    return err if re.search(SANITIZER, err) else None

CA_CONF = """\
[ca]
default_ca = CA_default
[CA_default]
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
default_md = sha256
policy = policy_any
x509_extensions = leaf
unique_subject = no
[policy_any]
commonName = supplied
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = {eku}
subjectAltName = DNS:localhost, IP:127.0.0.1
"""


def make_expired(d, eku="serverAuth", cn="localhost"):
    """A server (or, with eku="clientAuth", client) certificate signed by the
    test CA, valid only on 1-2 Jan 2020.
    OpenSSL 3.0 has no -not_before for x509/req; `openssl ca` takes explicit
    -startdate/-enddate, which needs a tiny CA configuration."""
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(CA_CONF.format(d=d, eku=eku))
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    key, csr, crt = (os.path.join(d, n) for n in ("expired.key", "expired.csr", "expired.crt"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-subj", f"/CN={cn}", "-out", csr],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "ca", "-batch", "-config", os.path.join(d, "ca.cnf"), "-cert", cert("ca.crt"),
                    "-keyfile", cert("ca.key"), "-in", csr, "-out", crt, "-notext",
                    "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"],
                   check=True, capture_output=True)
    return crt, key


class FoundationErrors(Case):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tlschat-errors-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        # A second, unrelated CA with its own server certificate.
        cls.other = os.path.join(cls.tmp, "other")
        subprocess.run([GEN_CERTS, "--dir", cls.other], check=True, stdout=subprocess.DEVNULL)
        cls.expired_crt, cls.expired_key = make_expired(cls.tmp)
        cls.garbage = os.path.join(cls.tmp, "garbage.pem")
        with open(cls.garbage, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")

    # ---- helpers ----

    def example_server(self, path, *args, plain=False):
        argv = [path, "--host", "127.0.0.1", "--port", "0"]
        if plain:
            argv.append("--plain")
        elif "--cert" not in args:
            argv += ["--cert", cert("server.crt"), "--key", cert("server.key")]
        argv += list(args)
        p = self.proc(argv, name=os.path.basename(path))
        p.port = int(p.wait_line(r"^listening on 127\.0\.0\.1:(\d+) ", which="out").group(1))
        return p

    def assert_fails(self, argv, sentence, input=None, regex=False):
        """Exit status 1, and stderr is one sentence (after any --plain warning)."""
        rc, out, err = run(argv, input=input)
        self.assertIsNone(unexpected_sanitizer_report(err), err)
        self.assertEqual(rc, 1, f"exit {rc}, stderr:\n{err}")
        lines = [x for x in err.splitlines() if not x.startswith("WARNING:")]
        self.assertEqual(len(lines), 1, f"expected one sentence, got:\n{err}")
        if regex:
            self.assertRegex(lines[0], sentence)
        else:
            self.assertEqual(lines[0], sentence)
        return lines[0]

    def assert_server_failed(self, srv, pattern):
        """The example server logged pattern on stderr and exited 1."""
        srv.wait_line(pattern)
        rc = srv.wait()
        self.assertIsNone(unexpected_sanitizer_report(srv.text("err")), srv.text("err"))
        self.assertEqual(rc, 1, srv.text("err"))

    def hello_client(self, port, *args, ca=None):
        return [HELLO_CLIENT, "--port", str(port), "--ca", ca or cert("ca.crt")] + list(args)

    # ---- names and addresses ----

    def test_unknown_host(self):
        self.assert_fails(self.hello_client(8000, "--host", "no-such-host.invalid"),
                          r"^cannot resolve host 'no-such-host\.invalid': .+ \(check the spelling, or use an IP address\)$",
                          regex=True)

    def test_connection_refused(self):
        port = free_port()  # nobody listens there
        self.assert_fails(self.hello_client(port),
                          f"connection refused by 127.0.0.1:{port} (is the server running, and on that port?)")

    def test_bad_port(self):
        self.assert_fails(self.hello_client("no-such-port"),
                          r"^'no-such-port' is not a port number", regex=True)

    # ---- verification ----

    def test_wrong_ca(self):
        srv = self.example_server(HELLO_SERVER)
        msg = self.assert_fails(self.hello_client(srv.port, ca=os.path.join(self.other, "ca.crt")),
                                r"^certificate verify failed: .+ \(does --ca name the CA that signed the server\?\)$",
                                regex=True)
        self.assertIn("issuer", msg)  # "unable to get local issuer certificate"
        self.assert_server_failed(srv, r"rejected our certificate")

    def test_wrong_ca_openssl_s_client(self):
        if not have("openssl"):
            self.skipTest("no openssl command")
        srv = self.example_server(ECHO_SERVER)
        rc, out, err = run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-verify_return_error",
                            "-CAfile", os.path.join(self.other, "ca.crt"), "-quiet"], input="hello\n")
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assert_server_failed(srv, r"the client rejected our certificate \(tlsv1 alert unknown ca\)")

    def test_name_mismatch(self):
        srv = self.example_server(HELLO_SERVER)
        self.assert_fails(self.hello_client(srv.port, "--host", "127.0.0.1", "--servername", "wrong.example"),
                          "certificate verify failed: hostname mismatch (connect by a name the certificate lists "
                          "(scripts/show-cert.sh shows them), pass --servername, or remake it with scripts/gen-certs.sh --san)")
        self.assert_server_failed(srv, r"the client rejected our certificate")

    def test_ip_mismatch(self):
        # The server is reached at 127.0.0.1 but told to be 127.0.0.2.
        srv = self.example_server(HELLO_SERVER)
        self.assert_fails(self.hello_client(srv.port, "--servername", "127.0.0.2"),
                          r"^certificate verify failed: IP address mismatch \(.*--servername", regex=True)
        self.assert_server_failed(srv, r"the client rejected our certificate")

    def test_expired_certificate(self):
        srv = self.example_server(HELLO_SERVER, "--cert", self.expired_crt, "--key", self.expired_key)
        self.assert_fails(self.hello_client(srv.port, "--servername", "localhost"),
                          "certificate verify failed: certificate has expired (make a new certificate with "
                          "scripts/gen-certs.sh or 'make certs', or check this machine's clock)")
        self.assert_server_failed(srv, r"the client rejected our certificate \(sslv3 alert certificate expired\)")

    def test_self_signed_server(self):
        # Trusting the other CA's *server* certificate as if it were a CA.
        srv = self.example_server(HELLO_SERVER, "--cert", os.path.join(self.other, "server.crt"),
                                  "--key", os.path.join(self.other, "server.key"))
        self.assert_fails(self.hello_client(srv.port), r"^certificate verify failed: .*--ca", regex=True)
        self.assert_server_failed(srv, r"the client rejected our certificate")

    # ---- plaintext and TLS mixed up ----

    def test_plaintext_client_on_tls_port(self):
        srv = self.example_server(ECHO_SERVER)
        c = self.connect(srv.port, tls=False)
        c.send("hello")
        self.assertEqual(c.readline(), "! this server speaks TLS: connect without --plain")
        self.assert_closed(c)
        self.assert_server_failed(srv, r"a plaintext client connected to this TLS port "
                                       r"\(it was told to connect without --plain\)")

    def test_plain_echo_client_on_tls_port(self):
        srv = self.example_server(ECHO_SERVER)
        rc, out, err = run([ECHO_CLIENT, "--plain", "--port", str(srv.port)], input="hello\n")
        self.assertEqual(rc, 1, err)
        # The client prints the server's one line like any answer.
        self.assertEqual(out.splitlines(), ["received: ! this server speaks TLS: connect without --plain"])
        self.assert_server_failed(srv, r"a plaintext client connected to this TLS port")

    def test_tls_client_on_plaintext_server(self):
        srv = self.example_server(HELLO_SERVER, plain=True)
        self.assert_fails(self.hello_client(srv.port),
                          "the server closed the connection during the TLS handshake: "
                          "is it a plaintext server (--plain)?")
        self.assert_server_failed(srv, r"a TLS client connected to this plaintext server \(--plain\)")

    def test_tls_client_gets_plaintext_answer(self):
        # A plaintext server that speaks first, in Python.
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)
        got = []

        def serve():
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(TIMEOUT)
                conn.sendall(b"hello, this is a plaintext server\n")
                try:
                    while True:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        got.append(chunk)
                except OSError:
                    pass

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.addCleanup(t.join, TIMEOUT)
        self.assert_fails([ECHO_CLIENT, "--port", str(lsock.getsockname()[1]), "--ca", cert("ca.crt")],
                          "the server answered in plaintext: is it running with --plain?", input="hi\n")
        t.join(TIMEOUT)
        self.assertTrue(got and got[0][0] == 0x16, "the client should have sent a TLS record")

    def test_server_cuts_session_without_close_notify(self):
        """Mid-session, the server drops TCP with no close_notify: a cut session,
        not a plaintext server (the handshake was long over)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert("server.crt"), cert("server.key"))
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)
        got = []

        def serve():
            try:
                conn, _ = lsock.accept()
                conn.settimeout(TIMEOUT)
                s = ctx.wrap_socket(conn, server_side=True)
                got.append(line_conn(s).readline())
                s.shutdown(socket.SHUT_RDWR)  # TCP FIN, no TLS close_notify
                s.close()
            except Exception as e:  # the test reads it
                got.append(e)

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.addCleanup(t.join, TIMEOUT)
        self.assert_fails([ECHO_CLIENT, "--port", str(lsock.getsockname()[1]), "--ca", cert("ca.crt")],
                          "the server closed the connection without a TLS close_notify (it may have been cut)",
                          input="hello\n")
        t.join(TIMEOUT)
        self.assertEqual(got, ["hello"])

    # ---- certificates and keys ----

    def test_key_does_not_match_certificate(self):
        key = os.path.join(self.other, "server.key")
        self.assert_fails([ECHO_SERVER, "--port", "0", "--cert", cert("server.crt"), "--key", key],
                          f"the key '{key}' does not match the certificate '{cert('server.crt')}' "
                          "(use the key that was made with it)")

    def test_missing_certificate(self):
        path = os.path.join(self.tmp, "no-such-dir", "server.crt")
        msg = self.assert_fails([ECHO_SERVER, "--port", "0", "--cert", path, "--key", cert("server.key")],
                                r"^cannot read the certificate '.*': No such file or directory", regex=True)
        self.assertIn(path, msg)
        self.assertIn("gen-certs.sh", msg)
        self.assertIn("--cert", msg)

    def test_missing_key(self):
        path = os.path.join(self.tmp, "no-such.key")
        msg = self.assert_fails([HELLO_SERVER, "--port", "0", "--cert", cert("server.crt"), "--key", path],
                                r"^cannot read the private key", regex=True)
        self.assertIn(path, msg)
        self.assertIn("--key", msg)

    def test_garbage_key(self):
        msg = self.assert_fails([ECHO_SERVER, "--port", "0", "--cert", cert("server.crt"), "--key", self.garbage],
                                r"^the private key '.*' is not valid PEM", regex=True)
        self.assertIn(self.garbage, msg)
        self.assertIn("--key", msg)

    def test_directory_as_key(self):
        # chmod 000 means nothing to root; a directory is unreadable as a key for everyone.
        self.assert_fails([ECHO_SERVER, "--port", "0", "--cert", cert("server.crt"), "--key", self.tmp],
                          f"the private key '{self.tmp}' is a directory: name the file itself with --key")
        self.assert_fails([HELLO_CLIENT, "--port", "1", "--ca", self.tmp],
                          f"the CA certificate '{self.tmp}' is a directory: name the file itself with --ca")

    def test_missing_ca(self):
        path = os.path.join(self.tmp, "no-such-ca.crt")
        msg = self.assert_fails([HELLO_CLIENT, "--port", "1", "--ca", path],
                                r"^cannot read the CA certificate", regex=True)
        self.assertIn(path, msg)
        self.assertIn("--ca", msg)

    def test_port_in_use(self):
        srv = self.example_server(ECHO_SERVER)
        msg = self.assert_fails([HELLO_SERVER, "--port", str(srv.port), "--cert", cert("server.crt"),
                                 "--key", cert("server.key")],
                                r"^cannot listen on 127\.0\.0\.1:\d+: Address already in use", regex=True)
        self.assertIn("pick another port", msg)
        srv.kill()


if __name__ == "__main__":
    import unittest
    unittest.main()
