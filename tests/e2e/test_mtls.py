# SPDX-License-Identifier: ISC
"""Mutual TLS (--client-ca): no certificate, no entry; the certificate's CN is
the nick, for good; /who shows who is certificate-verified; the CLI client
works with --cert/--key."""
import datetime
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile

from harness import GEN_CERTS, TIMEOUT, TLSCHAT, TLSCHATD, Case, cert, run, tlschat_argv, wait_for


class MutualTLS(Case):
    def start(self):
        srv = self.server("--client-ca", cert("ca.crt"))
        self.assertIn("client certificates required", srv.text())
        return srv

    def member(self, srv, name):
        c = self.connect(srv.port, certfile=cert(f"client-{name}.crt"), keyfile=cert(f"client-{name}.key"))
        return c

    def refused(self, srv, **kw):
        """A Python client that the server must refuse: the handshake or the
        first read fails with a TLS alert, and no line ever arrives."""
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        self.addCleanup(raw.close)
        ctx = ssl.create_default_context(cafile=cert("ca.crt"))
        if kw:
            ctx.load_cert_chain(kw["certfile"], kw["keyfile"])
        with self.assertRaises(ssl.SSLError) as cm:
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            self.addCleanup(s.close)
            s.recv(1024)  # TLS 1.3: the client finishes first; the alert comes next
        return str(cm.exception)

    def test_no_certificate_is_refused(self):
        srv = self.start()
        err = self.refused(srv)
        self.assertIn("CERTIFICATE_REQUIRED", err)
        srv.wait_line(r"handshake failed #1 .*the client sent no certificate, and this server requires one \(--client-ca\)")
        for args, stdin in ((["-m", "hi"], None), ([], "hello\n"), ([], "")):
            rc, out, err = run(tlschat_argv(srv.port, *args), input=stdin)
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "")
            # The whole of stderr: no "connected to" line first, though TLS 1.3
            # ends the client's handshake before the server says no.
            self.assertEqual(err.strip(), "tlschat: the server requires a client certificate: pass --cert and --key")
        # Still serving those who have one.
        alice = self.member(srv, "alice")
        self.assertRegex(alice.readline(), r"^\* welcome, alice \(certificate verified\)")

    def test_certificate_from_another_ca_is_refused(self):
        other = tempfile.mkdtemp(prefix="tlschat-other-ca-")
        self.addCleanup(shutil.rmtree, other, True)
        subprocess.run([GEN_CERTS, "--dir", other, "--client", "alice"], check=True, capture_output=True)
        srv = self.start()
        forged = {"certfile": os.path.join(other, "client-alice.crt"),
                  "keyfile": os.path.join(other, "client-alice.key")}
        self.assertIn("UNKNOWN_CA", self.refused(srv, **forged))
        srv.wait_line(r"handshake failed #1 .*client certificate verify failed")
        rc, out, err = run(tlschat_argv(srv.port, "--cert", forged["certfile"], "--key", forged["keyfile"], "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertIn("the server rejected our certificate", err)
        self.assertIn("--client-ca", err)
        self.assertNotRegex(srv.text(), r"connect #\d+ .*cn=alice")

    def test_certificate_cn_is_the_nick(self):
        srv = self.start()
        alice = self.member(srv, "alice")
        self.assertEqual(alice.readline(), "* welcome, alice (certificate verified): 1 online, /help for commands")
        srv.wait_line(r"connect #1 127\.0\.0\.1:\d+ TLSv1\.3 \S+ \S+ cn=alice$")
        bob = self.member(srv, "bob")
        self.assertEqual(bob.readline(), "* welcome, bob (certificate verified): 2 online, /help for commands")
        self.assertEqual(alice.readline(), "* bob joined")
        # The nick is bound to the certificate.
        alice.send("/nick mallory")
        self.assertEqual(alice.readline(), "! your nick is bound to your certificate: you are alice")
        alice.send("/nick bob")
        self.assertEqual(alice.readline(), "! your nick is bound to your certificate: you are alice")
        alice.send("hello bob")
        self.assertEqual(bob.readline(), "<alice> hello bob")
        bob.send("/who")
        self.assertEqual(bob.readline(), "* 2 online:")
        self.assertEqual({bob.readline(), bob.readline()},
                         {"*   alice [certificate]", "*   bob [certificate] (you)"})
        bob.send("/msg alice only you")
        self.assertEqual(alice.readline(), "*private* <bob> only you")
        # One certificate, one seat: a second alice takes the place of the
        # first (a stale connection after a Wi-Fi drop), and the room hears of
        # no one leaving or joining.
        alice2 = self.member(srv, "alice")
        self.assertRegex(alice2.readline(), r"^\* welcome, alice \(certificate verified\): 2 online")
        self.assertEqual(alice.readline(), "! you connected again from elsewhere: this connection is closed")
        self.assertIsNone(alice.readline())
        self.assertEqual(bob.readline(), "*private* to <alice> only you")
        self.assert_quiet(bob)
        bob.send("/msg alice still you")
        self.assertEqual(alice2.readline(), "*private* <bob> still you")
        # Once alice leaves, her certificate gets her seat back.
        alice2.send("close")
        self.assertEqual(alice2.readline(), "closed")
        self.assertEqual(bob.readline(), "*private* to <alice> still you")
        self.assertEqual(bob.readline(), "* alice left (quit)")
        alice3 = self.member(srv, "alice")
        self.assertRegex(alice3.readline(), r"^\* welcome, alice \(certificate verified\)")
        self.assertEqual(bob.readline(), "* alice joined")

    def test_look_alike_certificate_is_refused(self):
        srv = self.start()
        alice = self.member(srv, "alice")
        self.assertRegex(alice.readline(), r"^\* welcome, alice ")
        # A certificate for aIice (capital i) from the same CA: too like alice.
        mallory = self.member(srv, "aIice")
        self.assertEqual(mallory.readline(), "! aIice is too like alice, who is already connected: "
                                             "ask for a certificate with another name")
        self.assertIsNone(mallory.readline())
        srv.wait_line(r"disconnect #2 \S+: aIice is too like alice, who is already connected")
        # Alice heard of no one, and the room serves on.
        bob = self.member(srv, "bob")
        self.assertRegex(bob.readline(), r"^\* welcome, bob \(certificate verified\): 2 online")
        self.assertEqual(alice.readline(), "* bob joined")
        # With alice gone, the name is free.
        alice.send("close")
        self.assertEqual(alice.readline(), "closed")
        self.assertEqual(bob.readline(), "* alice left (quit)")
        mallory = self.member(srv, "aIice")
        self.assertRegex(mallory.readline(), r"^\* welcome, aIice \(certificate verified\): 2 online")
        self.assertEqual(bob.readline(), "* aIice joined")

    def test_cli_client_with_cert_and_key(self):
        srv = self.start()
        alice = self.member(srv, "alice")
        self.assertRegex(alice.readline(), r"^\* welcome, alice ")
        carol = self.tlschat(srv.port, "--cert", cert("client-carol.crt"), "--key", cert("client-carol.key"),
                             "--nick", "notcarol")
        carol.wait_line(r"^connected to 127\.0\.0\.1:\d+ .*TLSv1\.3 .*; verified by CA ")
        carol.wait_line(r"^\* welcome, carol \(certificate verified\): 2 online", "out")
        carol.wait_line(r"^! your nick is bound to your certificate: you are carol$", "out")
        self.assertEqual(alice.readline(), "* carol joined")
        carol.send("hi from the command line\n")
        self.assertEqual(alice.readline(), "<carol> hi from the command line")
        alice.send("hi carol")
        carol.wait_line(r"^<alice> hi carol$", "out")
        carol.close_stdin()
        self.assertEqual(carol.wait(), 0, carol.text())
        carol.wait_line(r"^closed$", "out")
        self.assertEqual(alice.readline(), "* carol left (quit)")
        # -m with a certificate.
        rc, out, err = run(tlschat_argv(srv.port, "--cert", cert("client-bob.crt"), "--key", cert("client-bob.key"),
                                        "-m", "/who"))
        self.assertEqual(rc, 0, err)
        self.assertIn("* welcome, bob (certificate verified)", out)
        self.assertIn("*   bob [certificate] (you)\n", out)
        self.assertIn("*   alice [certificate]\n", out)
        self.assertTrue(out.endswith("closed\n"), out)


class ClientCertificateCauses(Case):
    """A refused client certificate is refused for its real cause, on both
    sides: an expired one is not blamed on the CA, nor a server certificate
    offered as a client's."""

    def start(self):
        return self.server("--client-ca", cert("ca.crt"))

    def test_expired_client_certificate(self):
        from test_foundation_errors import make_expired
        d = tempfile.mkdtemp(prefix="tlschat-expired-client-")
        self.addCleanup(shutil.rmtree, d, True)
        crt, key = make_expired(d, eku="clientAuth", cn="late")
        srv = self.start()
        rc, _, err = run(tlschat_argv(srv.port, "--cert", crt, "--key", key, "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertIn("the server rejected our certificate (sslv3 alert certificate expired): it has expired "
                      "or is not valid yet", err)
        self.assertNotIn("CA", err.split("rejected our certificate")[1])
        srv.wait_line(r"client certificate verify failed: certificate has expired \(the client needs a new "
                      r"certificate, or a clock is wrong\)")
        self.join(srv, poke=False, certfile=cert("client-alice.crt"), keyfile=cert("client-alice.key"))

    def test_server_certificate_offered_as_a_client_certificate(self):
        srv = self.start()
        rc, _, err = run(tlschat_argv(srv.port, "--cert", cert("server.crt"), "--key", cert("server.key"),
                                      "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertIn("it is not made for this use (a client certificate needs clientAuth)", err)
        srv.wait_line(r"client certificate verify failed: unsuitable certificate purpose \(it is not a client "
                      r"certificate\)")


class Revocation(Case):
    """tlschatd --crl: a client certificate that gen-certs.sh --revoke listed is
    refused with a sentence on both sides; SIGHUP takes a new list for new
    connections while sessions that exist stay; a bad list stops the start."""

    def make_dir(self):
        d = tempfile.mkdtemp(prefix="tlschat-crl-")
        self.addCleanup(shutil.rmtree, d, True)
        subprocess.run([GEN_CERTS, "--dir", d, "--client", "alice", "--client", "bob", "--client", "carol"],
                       check=True, capture_output=True)
        return d

    def revoke(self, d, *args):
        r = subprocess.run([GEN_CERTS, "--dir", d, *args], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def start(self, d, *args):
        return self.server("--cert", os.path.join(d, "server.crt"), "--key", os.path.join(d, "server.key"),
                           "--client-ca", os.path.join(d, "ca.crt"), "--crl", os.path.join(d, "crl.pem"), *args)

    def tlschat(self, d, port, name, *args):
        return [TLSCHAT, "--ca", os.path.join(d, "ca.crt"), "--cert", os.path.join(d, f"client-{name}.crt"),
                "--key", os.path.join(d, f"client-{name}.key"), *args, "127.0.0.1", str(port)]

    def member(self, d, srv, name):
        return self.connect(srv.port, ca=os.path.join(d, "ca.crt"), certfile=os.path.join(d, f"client-{name}.crt"),
                            keyfile=os.path.join(d, f"client-{name}.key"))

    def test_revoked_client_is_refused_and_sighup_takes_a_new_list(self):
        d = self.make_dir()
        self.assertIn("Revoked", self.revoke(d, "--revoke", "alice"))
        srv = self.start(d)
        rc, out, err = run(self.tlschat(d, srv.port, "alice", "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertIn("tlschat: the server refused our certificate: it has been revoked (ask for a new one)", err)
        self.assertNotIn("welcome", out)
        srv.wait_line(r"handshake failed #\d+ .*client certificate verify failed: certificate revoked "
                      r"\(it was revoked\)")
        bob = self.member(d, srv, "bob")
        self.assertRegex(bob.readline(), r"^\* welcome, bob \(certificate verified\)")
        # Revoke bob too: after SIGHUP he is refused on reconnect, while the
        # session he has stays.
        self.revoke(d, "--revoke", "bob")
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: reloaded .* and the CRL .*crl\.pem; new connections get them")
        rc, out, err = run(self.tlschat(d, srv.port, "bob", "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertIn("it has been revoked", err)
        bob.send("still here")
        carol = self.member(d, srv, "carol")
        self.assertRegex(carol.readline(), r"^\* welcome, carol \(certificate verified\)")
        bob.send("/who")
        self.assertEqual(bob.readline(), "* carol joined")
        self.assertEqual(bob.readline(), "* 2 online:")

    def test_bad_list_on_sighup_keeps_the_old_one(self):
        d = self.make_dir()
        self.revoke(d, "--revoke", "alice")
        srv = self.start(d)
        with open(os.path.join(d, "crl.pem"), "w") as f:
            f.write("garbage\n")
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: kept the old certificate: the revocation list \(CRL\) '.*crl\.pem' is not valid PEM")
        rc, _, err = run(self.tlschat(d, srv.port, "alice", "-m", "hi"))
        self.assertEqual(rc, 1, err)
        self.assertIn("it has been revoked", err)
        rc, out, err = run(self.tlschat(d, srv.port, "bob", "-m", "hi"))
        self.assertEqual(rc, 0, err)

    def test_bad_crl_options_stop_the_start(self):
        d = self.make_dir()
        other = self.make_dir()
        self.revoke(d, "--crl")
        self.revoke(other, "--crl")
        base = [TLSCHATD, "--listen", "127.0.0.1", "--port", "0", "--cert", os.path.join(d, "server.crt"),
                "--key", os.path.join(d, "server.key")]
        ca = os.path.join(d, "ca.crt")
        rc, _, err = run(base + ["--crl", os.path.join(d, "crl.pem")])
        self.assertEqual(rc, 2)
        self.assertEqual(err.strip(), "tlschatd: --crl needs --client-ca: the revocation list checks client certificates")
        garbage = os.path.join(d, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("not a CRL\n")
        for crl, want in ((os.path.join(d, "missing.pem"), r"cannot read the revocation list \(CRL\) '.*missing\.pem': "
                           r"No such file or directory"),
                          (garbage, r"the revocation list \(CRL\) '.*garbage\.pem' is not valid PEM .*--crl\?"),
                          (ca, r"the revocation list \(CRL\) '.*ca\.crt' is not valid PEM"),
                          (os.path.join(other, "crl.pem"), r"the revocation list '.*crl\.pem' is not signed by the "
                           r"client CA '.*ca\.crt'")):
            rc, _, err = run(base + ["--client-ca", ca, "--crl", crl])
            self.assertEqual(rc, 1, err)
            self.assertRegex(err, want)
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_expired_list_refuses_clients_and_warns(self):
        d = self.make_dir()
        # A list that expires a second after it is made.
        cnf = os.path.join(d, "short.cnf")
        with open(cnf, "w") as f:
            f.write(f"[ca]\ndefault_ca = c\n[c]\ndatabase = {d}/index.txt\ncrlnumber = {d}/crlnumber\n"
                    f"certificate = {d}/ca.crt\nprivate_key = {d}/ca.key\ndefault_md = sha256\n")
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "crlnumber"), "w") as f:
            f.write("01\n")
        subprocess.run(["openssl", "ca", "-batch", "-config", cnf, "-gencrl", "-crlsec", "1",
                        "-out", os.path.join(d, "crl.pem")], check=True, capture_output=True)
        wait_for(lambda: _expired(d), what="the CRL to expire")
        srv = self.start(d)
        srv.wait_line(r"WARNING: the revocation list '.*crl\.pem' has expired: every client certificate is refused")
        rc, _, err = run(self.tlschat(d, srv.port, "bob", "-m", "hi"))
        self.assertEqual(rc, 1, err)
        srv.wait_line(r"client certificate verify failed: CRL has expired \(this server's revocation list has "
                      r"expired: make a new one and reload it with SIGHUP\)")
        # A fresh list, and SIGHUP: bob is served again.
        self.revoke(d, "--crl")
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"SIGHUP: reloaded ")
        rc, out, err = run(self.tlschat(d, srv.port, "bob", "-m", "hi"))
        self.assertEqual(rc, 0, err)


def _expired(d):
    """crl.pem's nextUpdate has passed (by more than a second)."""
    r = subprocess.run(["openssl", "crl", "-in", os.path.join(d, "crl.pem"), "-noout", "-nextupdate"],
                       capture_output=True, text=True)
    when = datetime.datetime.strptime(r.stdout.strip().split("=", 1)[1].replace(" GMT", ""), "%b %d %H:%M:%S %Y")
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) > when + datetime.timedelta(seconds=1)
