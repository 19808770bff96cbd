# SPDX-License-Identifier: ISC
"""The tutorials' example programs (build/examples), TLS and plaintext, against
each other and against independent peers: Python's ssl module, a plain Python
socket, openssl s_client and openssl s_server. Loopback only."""
import os
import socket
import ssl

from harness import EXAMPLES, TIMEOUT, Case, PyTLSServer, cert, free_port, have, run

ECHO_SERVER = os.path.join(EXAMPLES, "echo-server")
ECHO_CLIENT = os.path.join(EXAMPLES, "echo-client")
HELLO_SERVER = os.path.join(EXAMPLES, "hello-server")
HELLO_CLIENT = os.path.join(EXAMPLES, "hello-client")

SANITIZER = r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer"


def ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def py_plain_server(host="127.0.0.1"):
    """A one-connection plaintext peer: "accepted" to each line, "closed" to close."""
    return PyTLSServer(plain=True, host=host, answer=lambda line: b"accepted\n")


class Examples(Case):
    def example_server(self, path, *args, plain=False, host="127.0.0.1"):
        """Start an example server on a port of the kernel's choosing."""
        argv = [path, "--host", host, "--port", "0"]
        if plain:
            argv.append("--plain")
        elif "--cert" not in args:
            argv += ["--cert", cert("server.crt"), "--key", cert("server.key")]
        argv += list(args)
        p = self.proc(argv, name=os.path.basename(path))
        m = p.wait_line(r"^listening on (\S+):(\d+) \((TLS|plaintext)\)$", which="out")
        p.where = m.group(1)
        p.port = int(m.group(2))
        self.assertEqual(m.group(3), "plaintext" if plain else "TLS")
        return p

    def finish(self, p, want_rc=0):
        rc = p.wait()
        err = p.text("err")
        self.assertNotRegex(err, SANITIZER)
        self.assertEqual(rc, want_rc, f"{p.name} exited {rc}:\n{err}")
        return rc

    def py_server(self, srv):
        self.addCleanup(srv.close)
        return srv

    # ---- echo-server ----

    def test_echo_server_tls_with_python_ssl_client(self):
        srv = self.example_server(ECHO_SERVER)
        c = self.connect(srv.port)  # verifies the chain and the name "localhost"
        self.assertEqual(c.sock.version(), "TLSv1.3")
        self.assertIn(("DNS", "localhost"), c.sock.getpeercert()["subjectAltName"])
        c.send("hello")
        self.assertEqual(c.readline(), "accepted")
        c.send("second line")
        self.assertEqual(c.readline(), "accepted")
        c.sendraw(b"third\r\nfourth\n")
        self.assertEqual(c.readline(), "accepted")
        self.assertEqual(c.readline(), "accepted")
        c.send("CLOSE")  # any case
        self.assertEqual(c.readline(), "closed")
        self.assertIsNone(c.readline())  # a clean close_notify: no SSL error
        self.finish(srv)
        out = srv.text("out")
        self.assertRegex(out, r"accepted connection from 127\.0\.0\.1:\d+")
        for line in ("received: hello", "received: second line", "received: third", "received: fourth",
                     "connection to client closed"):
            self.assertIn(line, out.splitlines())

    def test_echo_server_with_openssl_s_client(self):
        if not have("openssl"):
            self.skipTest("no openssl command")
        srv = self.example_server(ECHO_SERVER)
        rc, out, err = run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}",
                            "-verify_return_error", "-CAfile", cert("ca.crt"),
                            "-verify_hostname", "localhost", "-quiet"],
                           input="hello from s_client\nclose\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["accepted", "closed"])
        self.assertIn("verify return:1", err)
        self.finish(srv)
        self.assertIn("received: hello from s_client", srv.text("out").splitlines())

    def test_echo_server_plain_with_python_socket(self):
        srv = self.example_server(ECHO_SERVER, plain=True)
        self.assertIn("--plain", srv.wait_line(r"WARNING").string)
        c = self.connect(srv.port, tls=False)
        c.send("in the clear")
        self.assertEqual(c.readline(), "accepted")
        c.send("close")
        self.assertEqual(c.readline(), "closed")
        self.assertIsNone(c.readline())
        self.finish(srv)
        self.assertIn("received: in the clear", srv.text("out").splitlines())

    # ---- echo-client ----

    def test_echo_client_with_openssl_s_server(self):
        if not have("openssl"):
            self.skipTest("no openssl command")
        port = free_port()
        s = self.proc(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert("server.crt"),
                       "-key", cert("server.key"), "-naccept", "1"], name="s_server")
        s.wait_line(r"^ACCEPT$", which="out")
        c = self.proc([ECHO_CLIENT, "--port", str(port), "--ca", cert("ca.crt")], name="echo-client")
        c.send("hi from echo-client\n")
        c.close_stdin()  # then it says "close" by itself
        # s_server prints what it receives and sends what is on its stdin.
        s.wait_line(r"^hi from echo-client$", which="out")
        s.send("accepted\n")
        c.wait_line(r"^received: accepted$", which="out")
        s.wait_line(r"^close$", which="out")
        s.send("closed\n")
        self.finish(c)
        self.assertEqual(c.text("out").splitlines(), ["received: accepted", "received: closed"])
        s.wait_line(r"^CONNECTION CLOSED$", which="out")
        self.assertEqual(s.wait(), 0)

    def test_echo_client_with_python_ssl_server(self):
        srv = self.py_server(PyTLSServer(answer=lambda line: b"accepted\n"))
        rc, out, err = run([ECHO_CLIENT, "--port", str(srv.port), "--ca", cert("ca.crt")],
                           input="first\nsecond\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["received: accepted", "received: accepted", "received: closed"])
        srv.thread.join(TIMEOUT)
        self.assertIsNone(srv.error)
        self.assertEqual(srv.received, ["first", "second", "close"])
        self.assertEqual(srv.version, "TLSv1.3")
        self.assertTrue(srv.clean_close)

    def test_echo_client_python_ssl_server_tls12(self):
        srv = self.py_server(PyTLSServer(answer=lambda line: b"accepted\n",
                                         max_version=ssl.TLSVersion.TLSv1_2))
        rc, out, err = run([ECHO_CLIENT, "--port", str(srv.port), "--ca", cert("ca.crt")], input="one\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["received: accepted", "received: closed"])
        srv.thread.join(TIMEOUT)
        self.assertEqual(srv.version, "TLSv1.2")

    def test_echo_client_plain_with_python_socket_server(self):
        srv = self.py_server(py_plain_server())
        rc, out, err = run([ECHO_CLIENT, "--plain", "--port", str(srv.port)], input="plain one\nplain two\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("WARNING: --plain", err)
        self.assertEqual(out.splitlines(), ["received: accepted", "received: accepted", "received: closed"])
        srv.thread.join(TIMEOUT)
        self.assertIsNone(srv.error)
        self.assertEqual(srv.received, ["plain one", "plain two", "close"])

    def test_echo_client_and_echo_server(self):
        srv = self.example_server(ECHO_SERVER)
        rc, out, err = run([ECHO_CLIENT, "--port", str(srv.port), "--ca", cert("ca.crt")],
                           input="a\n\u00e9t\u00e9 \u65e5\u672c\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["received: accepted", "received: accepted", "received: closed"])
        self.finish(srv)

    # ---- hello-server / hello-client ----

    def hello_pair(self, *extra, plain=False, host="127.0.0.1", client_host=None):
        srv = self.example_server(HELLO_SERVER, plain=plain, host=host)
        argv = [HELLO_CLIENT, "--host", client_host or host, "--port", str(srv.port),
                "-m", "Hi from the test"] + list(extra)
        if plain:
            argv.append("--plain")
        else:
            argv += ["--ca", cert("ca.crt")]
        rc, out, err = run(argv)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^connected to \S+:%d$" % srv.port)
        self.assertEqual(lines[1:], ["received: accepted"])
        self.finish(srv)
        sout = srv.text("out").splitlines()
        self.assertIn("received: Hi from the test", sout)
        self.assertEqual(sout[-1], "connection closed")
        return srv, out, err

    def test_hello_tls(self):
        srv, out, err = self.hello_pair()
        self.assertNotIn("WARNING", err)
        self.assertRegex(srv.text("out"), r"connection accepted from 127\.0\.0\.1:\d+")

    def test_hello_tls_by_name(self):
        # "localhost" may resolve to ::1 first; the server listens on 127.0.0.1 only.
        self.hello_pair(host="127.0.0.1", client_host="localhost")

    def test_hello_tls_servername(self):
        self.hello_pair("--servername", "localhost")

    def test_hello_plain(self):
        srv, out, err = self.hello_pair(plain=True)
        self.assertIn("WARNING: --plain", err)
        self.assertIn("WARNING: --plain", srv.text("err"))

    def test_hello_server_with_python_ssl_client(self):
        srv = self.example_server(HELLO_SERVER)
        c = self.connect(srv.port)
        c.send("from python")
        self.assertEqual(c.readline(), "accepted")
        self.assertIsNone(c.readline())  # closed with a close_notify
        self.finish(srv)
        self.assertIn("received: from python", srv.text("out").splitlines())

    def test_hello_client_plain_with_python_socket_server(self):
        srv = self.py_server(py_plain_server())
        rc, out, err = run([HELLO_CLIENT, "--plain", "--port", str(srv.port), "-m", "plain hello"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[1:], ["received: accepted"])
        srv.thread.join(TIMEOUT)
        self.assertEqual(srv.received, ["plain hello"])

    # ---- IPv6 ----

    def test_ipv6_echo_server_with_python_client(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback")
        srv = self.example_server(ECHO_SERVER, host="::1")
        self.assertEqual(srv.where, "[::1]")
        # Verified against the certificate's IP address ::1.
        c = self.connect(srv.port, host="::1", server_hostname="::1")
        c.send("over v6")
        self.assertEqual(c.readline(), "accepted")
        c.send("close")
        self.assertEqual(c.readline(), "closed")
        self.finish(srv)
        self.assertRegex(srv.text("out"), r"accepted connection from \[::1\]:\d+")

    def test_ipv6_hello_tls(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback")
        srv, out, err = self.hello_pair(host="::1")
        self.assertEqual(srv.where, "[::1]")
        self.assertRegex(out, r"connected to \[::1\]:\d+")

    def test_ipv6_echo_plain(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback")
        srv = self.example_server(ECHO_SERVER, plain=True, host="::1")
        rc, out, err = run([ECHO_CLIENT, "--plain", "--host", "::1", "--port", str(srv.port)], input="six\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["received: accepted", "received: closed"])
        self.finish(srv)

    def test_ipv6_echo_client_with_python_plain_server(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback")
        srv = self.py_server(py_plain_server(host="::1"))
        rc, out, err = run([ECHO_CLIENT, "--plain", "--host", "::1", "--port", str(srv.port)], input="v6\n")
        self.assertEqual(rc, 0, err)
        srv.thread.join(TIMEOUT)
        self.assertEqual(srv.received, ["v6", "close"])

    # ---- options ----

    def test_help_and_usage_errors(self):
        for path in (ECHO_SERVER, ECHO_CLIENT, HELLO_SERVER, HELLO_CLIENT):
            rc, out, err = run([path, "--help"])
            self.assertEqual(rc, 0, err)
            self.assertIn("usage:", err)
            self.assertIn("--plain", err)
            rc, out, err = run([path, "--bogus", "x"])
            self.assertEqual(rc, 2)
            self.assertIn("unknown option: --bogus", err)
            rc, out, err = run([path, "--port"])  # missing value
            self.assertEqual(rc, 2)
            self.assertIn("missing value: --port", err)


if __name__ == "__main__":
    import unittest
    unittest.main()
