# SPDX-License-Identifier: ISC
"""--tls-min and --tls-max on both programs: the version asked for is the
version spoken, and contradictions are usage errors."""
from harness import TLSCHATD, Case, LineConn, run, tlschat_argv


class Versions(Case):
    def test_client_tls_max_12(self):
        srv = self.server()
        rc, out, err = run(tlschat_argv(srv.port, "--tls-max", "1.2", "-m", "hi"))
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"\): TLSv1\.2 ECDHE-ECDSA-AES\d+-GCM-SHA\d+ ")
        srv.wait_line(r"connect #1 \S+ TLSv1\.2 ")

    def test_server_tls_max_12_and_a_client_that_wants_13(self):
        srv = self.server("--tls-max", "1.2")
        c = LineConn(srv.port)  # Python's default: up to TLS 1.3
        self.addCleanup(c.close)
        self.assertEqual(c.sock.version(), "TLSv1.2")
        rc, _, err = run(tlschat_argv(srv.port, "--tls-min", "1.3", "-m", "hi"))
        self.assertEqual(rc, 1)
        self.assertIn("does not support this TLS version (check --tls-min on both sides)", err)

    def test_contradictions_are_usage_errors(self):
        for argv in (tlschat_argv(9, "--tls-min", "1.3", "--tls-max", "1.2"),
                     [TLSCHATD, "--tls-min", "1.3", "--tls-max", "1.2"]):
            rc, _, err = run(argv)
            self.assertEqual(rc, 2, err)
            self.assertIn("--tls-max is below --tls-min", err)
        rc, _, err = run(tlschat_argv(9, "--tls-max", "1.1"))
        self.assertEqual(rc, 2)
        self.assertIn("--tls-max takes 1.2 or 1.3, not '1.1'", err)
