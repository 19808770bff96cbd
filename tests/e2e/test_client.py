# SPDX-License-Identifier: ISC
"""tlschat's behaviour as a program: -m, piped input, the connect line, --pin,
--insecure, --plain, verification failures, received text sanitized, usage
errors; and tlschatd's own usage and start-up errors."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import (GEN_CERTS, TLSCHAT, TLSCHATD, Case, PyTLSServer, cert, fingerprint_pem, free_port, run,
                     tlschat_argv)


class Client(Case):
    def test_message_prints_the_replies_and_exits_0(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        rc, out, err = run(tlschat_argv(srv.port, "-m", "hello there"))
        self.assertEqual(rc, 0, err)
        m = re.fullmatch(r"\* welcome, (guest\d+): 2 online, /help for commands\nclosed\n", out)
        self.assertTrue(m, out)
        self.assertEqual(alice.readline(), f"* {m.group(1)} joined")
        self.assertEqual(alice.readline(), f"<{m.group(1)}> hello there")
        self.assertEqual(alice.readline(), f"* {m.group(1)} left (quit)")
        rc, out, err = run(tlschat_argv(srv.port, "--nick", "bob", "-m", "/who"))
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[-1], "closed")
        self.assertIn("* 2 online:", lines)
        self.assertIn("*   bob (you)", lines)
        self.assertIn("*   alice", lines)

    def test_piped_input_sends_each_line_then_close(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        # The last line has no newline: it is sent all the same.
        rc, out, err = run(tlschat_argv(srv.port, "--nick", "piper"), input="one\ntwo\n\nthree")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith("closed\n"), out)
        # --nick joins under that nick: the room never hears a guest name.
        for want in ("* piper joined", "<piper> one", "<piper> two", "<piper> three", "* piper left (quit)"):
            self.assertEqual(alice.readline(), want)
        # Empty input: just close.
        rc, out, err = run(tlschat_argv(srv.port), input="")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith("closed\n"), out)

    def test_connect_line(self):
        srv = self.server()
        rc, out, err = run(tlschat_argv(srv.port, "-m", "x"))
        self.assertEqual(rc, 0, err)
        fp = fingerprint_pem(cert("server.crt"))
        line = err.strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        m = re.fullmatch(rf"connected to 127\.0\.0\.1:{srv.port} \(127\.0\.0\.1:{srv.port}\): "
                         r"TLSv1\.3 (TLS_[A-Z0-9_]+) (\S+); server /CN=localhost (sha256:[0-9a-f]{64}); "
                         r"verified by CA (.+)", line)
        self.assertTrue(m, line)
        self.assertIn(m.group(1), ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"))
        self.assertEqual(m.group(3), fp)
        self.assertEqual(m.group(4), cert("ca.crt"))
        # -q: no connect line.
        rc, out, err = run(tlschat_argv(srv.port, "-q", "-m", "x"))
        self.assertEqual((rc, err), (0, ""))

    def test_pin(self):
        srv = self.server()
        fp = fingerprint_pem(cert("server.crt"))
        # The pin alone (no --ca) is enough, in either form.
        for pin in (fp, fp[len("sha256:"):].upper()):
            rc, out, err = run([TLSCHAT, "--pin", pin, "-m", "x", "127.0.0.1", str(srv.port)])
            self.assertEqual(rc, 0, err)
            self.assertIn("; verified by pin (certificate)", err)
        rc, out, err = run(tlschat_argv(srv.port, "--pin", fp, "-m", "x"))
        self.assertEqual(rc, 0, err)
        self.assertIn(f"; verified by CA {cert('ca.crt')} and pin (certificate)", err)
        # A wrong pin: refused, and told what the certificate really is.
        wrong = "sha256:" + "0" * 64
        log_from = srv.count()
        for argv in ([TLSCHAT, "--pin", wrong, "-m", "x", "127.0.0.1", str(srv.port)],
                     tlschat_argv(srv.port, "--pin", wrong, "-m", "x")):
            rc, out, err = run(argv)
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "")
            self.assertRegex(err.strip(), "^" + re.escape(f"tlschat: the server does not match --pin: its certificate is {fp} "
                                          "and its public key sha256:") + "[0-9a-f]{64} "
                                          + re.escape("(check who you are talking to)") + "$")
        srv.wait_line(r"handshake failed #5 ", start=log_from)
        # never in the room (an earlier client's "disconnect" may still be logged here)
        self.assertNotRegex("\n".join(srv.text().splitlines()[log_from:]), r"tlschatd: connect #")

    def test_insecure_warns_and_verifies_nothing(self):
        srv = self.server()
        other = tempfile.mkdtemp(prefix="tlschat-other-ca-")
        self.addCleanup(shutil.rmtree, other, True)
        subprocess.run([GEN_CERTS, "--dir", other], check=True, capture_output=True)
        # The wrong CA fails verification...
        rc, out, err = run([TLSCHAT, "--ca", os.path.join(other, "ca.crt"), "-m", "x", "127.0.0.1", str(srv.port)])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err.strip(), r"^tlschat: certificate verify failed: .+ \(does --ca name the CA that signed "
                                      r"the server\?\)$")
        # ...as does a name the certificate does not list...
        rc, out, err = run(tlschat_argv(srv.port, "--servername", "wrong.example", "-m", "x"))
        self.assertEqual(rc, 1, err)
        self.assertIn("certificate verify failed: hostname mismatch", err)
        # ...but --insecure goes ahead, loudly.
        rc, out, err = run([TLSCHAT, "--insecure", "--ca", os.path.join(other, "ca.crt"), "-m", "x",
                            "127.0.0.1", str(srv.port)])
        self.assertEqual(rc, 0, err)
        self.assertTrue(err.startswith("WARNING: --insecure: the server is NOT verified."), err)
        self.assertIn("; verified by NOTHING (--insecure)", err)

    def test_plain_warns(self):
        srv = self.server(plain=True)
        rc, out, err = run(tlschat_argv(srv.port, "-m", "x", plain=True))
        self.assertEqual(rc, 0, err)
        self.assertTrue(err.startswith("WARNING: --plain: no encryption."), err)
        self.assertRegex(err, r"connected to 127\.0\.0\.1:\d+ .*in PLAINTEXT: anyone on the network can read")
        self.assertTrue(out.endswith("closed\n"))

    def test_keylog(self):
        srv = self.server()
        d = tempfile.mkdtemp(prefix="tlschat-keylog-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "keys.log")
        rc, out, err = run(tlschat_argv(srv.port, "--keylog", path, "-m", "x"))
        self.assertEqual(rc, 0, err)
        self.assertIn("WARNING: writing TLS session keys to", err)
        with open(path) as f:
            self.assertRegex(f.read(), r"(?m)^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]+$")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    def test_received_escape_sequences_are_stripped(self):
        peer = PyTLSServer(greeting=b"\x1b[2Jcleared\x07 \xc2\x9b31mred\x1b]0;title\x07 \xff ok\n",
                           answer=lambda line: b"\x1b[31m" + line + b"\x1b[0m\r\n")
        self.addCleanup(peer.close)
        r = subprocess.run(tlschat_argv(peer.port, "-m", "hi"), capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"[2Jcleared 31mred]0;title ? ok\n[31mhi[0m\nclosed\n")
        for bad in (b"\x1b", b"\x07", b"\xc2\x9b", b"\r"):
            self.assertNotIn(bad, r.stdout)

    def test_server_gone(self):
        port = free_port()  # nothing listens there
        rc, out, err = run(tlschat_argv(port, "-m", "x"))
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.strip(), f"tlschat: connection refused by 127.0.0.1:{port} "
                                      "(is the server running, and on that port?)")

    def test_tlschat_usage_errors_exit_2(self):
        cases = [
            ([], r"^tlschat: which server\? give its HOST \(and PORT\)"),
            (["localhost", "70000"], r"^tlschat: PORT wants a whole number from 1 to 65535, not '70000'$"),
            (["localhost", "http"], r"^tlschat: PORT wants a whole number"),
            (["--cert", cert("client-alice.crt"), "localhost"], r"^tlschat: --cert and --key go together: give both$"),
            (["--key", cert("client-alice.key"), "localhost"], r"^tlschat: --cert and --key go together"),
            (["--pin", "sha256:abc", "localhost"], r"^tlschat: --pin 'sha256:abc' is not a SHA-256 fingerprint"),
            (["--insecure", "--pin", "sha256:" + "0" * 64, "localhost"], r"contradict each other"),
            (["--plain", "--ca", cert("ca.crt"), "localhost"], r"^tlschat: --plain cannot go with TLS options"),
            (["--tls-min", "1.1", "localhost"], r"^tlschat: --tls-min takes 1\.2 or 1\.3, not '1\.1'$"),
            (["--bogus", "localhost"], r"^tlschat: unknown option '--bogus'"),
            (["-m"], r"^tlschat: -m needs a value"),
            (["localhost", "8443", "extra"], r"^tlschat: unexpected argument 'extra'"),
        ]
        for args, rx in cases:
            with self.subTest(args=args):
                rc, out, err = run([TLSCHAT] + args)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertRegex(err.strip(), rx)
        rc, out, err = run([TLSCHAT, "--help"])
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("usage: tlschat [options] HOST [PORT]"))

    def test_tlschatd_usage_and_startup_errors(self):
        cases = [
            (["--mode", "bogus"], 2, r"^tlschatd: --mode takes chat or echo, not 'bogus'$"),
            (["--port", "70000"], 2, r"^tlschatd: --port wants a whole number from 0 to 65535, not '70000'$"),
            (["--port", "-1"], 2, r"^tlschatd: --port wants a whole number"),
            (["--max-clients", "0"], 2, r"^tlschatd: --max-clients wants a whole number from 1"),
            (["--handshake-timeout", "x"], 2, r"^tlschatd: --handshake-timeout wants a whole number"),
            (["--plain", "--client-ca", cert("ca.crt")], 2, r"^tlschatd: --plain cannot go with --client-ca"),
            (["--bogus"], 2, r"^tlschatd: unknown option '--bogus'"),
            (["--port"], 2, r"^tlschatd: --port needs a value \(see tlschatd --help\)$"),
            (["stray"], 2, r"^tlschatd: unexpected argument 'stray'"),
            (["--cert", cert("server.crt")], 2, r"^tlschatd: --cert and --key go together: give both, or neither"),
            (["--listen", "127.0.0.1", "--port", "0", "--cert", "/nonexistent/server.crt",
              "--key", "/nonexistent/server.key"], 1,
             r"tlschatd: cannot read the certificate '/nonexistent/server\.crt': No such file or directory"),
            (["--listen", "127.0.0.1", "--port", "0", "--cert", cert("server.crt"), "--key", cert("client-alice.key")],
             1, r"tlschatd: the key '.*client-alice\.key' does not match the certificate '.*server\.crt'"),
            (["--listen", "127.0.0.1", "--port", "0", "--cert", cert("server.crt"), "--key", cert("server.key"),
              "--client-ca", "/nonexistent/ca.crt"], 1, r"tlschatd: cannot read the client CA '/nonexistent/ca\.crt'"),
        ]
        for args, status, rx in cases:
            with self.subTest(args=args):
                rc, out, err = run([TLSCHATD] + args)
                self.assertEqual(rc, status, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertRegex(err.strip(), rx)
        # A port that is taken: exit 1 with a sentence, not a crash.
        srv = self.server()
        rc, out, err = run([TLSCHATD, "--listen", "127.0.0.1", "--port", str(srv.port), "--plain"])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, rf"127\.0\.0\.1.*{srv.port}")
        rc, out, err = run([TLSCHATD, "--help"])
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("usage: tlschatd [options]"))
