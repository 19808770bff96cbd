# SPDX-License-Identifier: ISC
"""Fixes from the security review, each held by a test: a paste of thousands of
short lines does not cost anyone else their seat; a client that half-closes
still gets its last lines; no name means no connection; a certificate whose
CN is ambiguous does not get a nick."""
import os
import socket
import subprocess
import tempfile
import shutil

from harness import EXAMPLES, TIMEOUT, Case, cert, certs, run, tlschat_argv


class Flood(Case):
    def test_paste_of_short_lines_keeps_a_reading_client(self):
        """32,768 two-byte lines from one client become ~1.5 MB of output for
        another: far past the default --max-queue if handled in one go."""
        srv = self.server("--line-rate", "1000000", "--byte-rate", "1073741824")  # no pacing: the round quota alone
        victim = self.join(srv, nick="v")
        flooder = self.join(srv, nick="N" * 32)
        victim.expect(r"^\* " + "N" * 32 + " joined|is now " + "N" * 32)
        n = 32768
        flooder.sendraw(b"x\n" * n)
        got = 0
        while got < n:
            line = victim.readline()
            self.assertIsNotNone(line, f"victim was disconnected after {got} lines:\n{srv.text()}")
            self.assertNotIn("too slow", line)
            if line == "<" + "N" * 32 + "> x":
                got += 1
        self.assertNotIn("too slow", srv.text())
        # the flooder is still served too
        flooder.send("/msg v done")
        self.assertEqual(victim.expect(r"^\*private\*"), "*private* <" + "N" * 32 + "> done")


class HalfClose(Case):
    def test_client_that_half_closes_gets_its_last_lines(self):
        """printf '/who\nclose\n' | nc -N: the FIN arrives right behind the lines."""
        srv = self.server(plain=True)
        c = self.connect(srv.port, tls=False)
        c.sendraw(b"/who\nclose\n")
        c.sock.shutdown(socket.SHUT_WR)
        lines = []
        while (line := c.readline()) is not None:
            lines.append(line)
        self.assertEqual(lines[-1], "closed", lines)
        self.assertIn("* 1 online:", lines)


class NoNameNoConnection(Case):
    def test_empty_servername_is_a_usage_error(self):
        rc, _, err = run(tlschat_argv(9, "--servername", "", "-m", "x"))
        self.assertEqual(rc, 2)
        self.assertIn("--servername is empty", err)

    def test_empty_host_is_a_usage_error(self):
        rc, _, err = run(tlschat_argv(9, host=""))
        self.assertEqual(rc, 2)
        self.assertIn("HOST is empty", err)

    def test_library_fails_closed_without_a_name(self):
        """Through the examples, which pass --servername straight to conn_connect."""
        srv = self.proc([os.path.join(EXAMPLES, "echo-server"), "--port", "0", "--cert", cert("server.crt"),
                         "--key", cert("server.key")], name="echo-server")
        port = srv.wait_line(r"listening on 127\.0\.0\.1:(\d+)", which="out").group(1)
        rc, _, err = run([os.path.join(EXAMPLES, "hello-client"), "--port", port, "--ca", cert("ca.crt"),
                          "--servername", ""])
        self.assertEqual(rc, 1)
        self.assertEqual(err.strip(), "no server name to verify the certificate against: pass --servername NAME")


class AmbiguousCertificateName(Case):
    def client_cert(self, subj):
        d = tempfile.mkdtemp(prefix="tlschat-cn-")
        self.addCleanup(shutil.rmtree, d, True)
        key, csr, crt, ext = (os.path.join(d, n) for n in ("c.key", "c.csr", "c.crt", "ext"))
        with open(ext, "w") as f:
            f.write("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", csr, "-subj", subj, "-multivalue-rdn"],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", cert("ca.crt"), "-CAkey",
                        os.path.join(certs(), "ca.key"), "-set_serial", "7", "-days", "2", "-out", crt,
                        "-extfile", ext], check=True, capture_output=True)
        return crt, key

    def test_two_common_names_get_no_nick(self):
        crt, key = self.client_cert("/CN=alice/CN=mallory")
        srv = self.server("--client-ca", cert("ca.crt"))
        c = self.connect(srv.port, certfile=crt, keyfile=key)
        line = c.readline()
        self.assertEqual(line, "! your certificate name is not a valid nick (use 1-32 of A-Z a-z 0-9 _ -)")
        self.assertTrue(c.closed())
        good = self.join(srv, certfile=cert("client-alice.crt"), keyfile=cert("client-alice.key"))
        self.assertEqual(good.nick, "alice")


class BigPipe(Case):
    def test_large_piped_input_is_sent_whole_and_in_order(self):
        """tlschat queues what stdin gives faster than the server takes it:
        every line must still leave once, in order, one record each."""
        srv = self.server("--mode", "echo")
        lines = [f"line {i:05d} " + "x" * (i % 50) for i in range(20000)]
        rc, out, err = run(tlschat_argv(srv.port, "-q"), input="\n".join(lines) + "\n", timeout=120)
        self.assertEqual(rc, 0, err[-2000:])
        got = out.splitlines()
        self.assertEqual(got[-1], "closed")
        self.assertEqual(got[:-1], lines)
