# SPDX-License-Identifier: ISC
"""Trust without copying files: pins of the public key (SPKI) beside pins of
the certificate, computed independently by openssl; the words of the key,
identical in tlschatd, tlschat and show-cert.sh; known hosts on first use
(refused without a terminal unless --tofu, stored, accepted next time, a
renewed certificate with the same key accepted, a changed key refused with the
file untouched, --forget); the terminal question in a pty; join addresses
(tlschat://HOST:PORT/?pin=...) read off the server's log and its QR code, from
a second loopback address; /whois-server answered locally."""
import os
import pty
import re
import select
import shutil
import stat
import subprocess
import tempfile
import time

from harness import (GEN_CERTS, ROOT, TIMEOUT, TLSCHAT, TLSCHATD, Case, cert, have, wait_for)

SHOW_CERT = os.path.join(ROOT, "scripts", "show-cert.sh")


def openssl_pins(path):
    """(certificate pin, public-key pin) as openssl computes them."""
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "der"], capture_output=True, check=True).stdout
    cert_fp = subprocess.run(["sha256sum"], input=der, capture_output=True, check=True).stdout.split()[0].decode()
    pub = subprocess.run(["openssl", "x509", "-in", path, "-pubkey", "-noout"], capture_output=True, check=True).stdout
    spki_der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, capture_output=True,
                              check=True).stdout
    dgst = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=spki_der, capture_output=True,
                          check=True).stdout.split()[0].decode()
    return "sha256:" + cert_fp, "sha256:" + dgst


class Trust(Case):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="tlschat-trust-")
        self.addCleanup(shutil.rmtree, self.top, True)
        self.home = os.path.join(self.top, "home")
        self.cwd = os.path.join(self.top, "empty")  # no ./certs: no CA applies
        os.makedirs(self.home)
        os.makedirs(self.cwd)
        self.kh = os.path.join(self.top, "kh", "known_hosts")
        # A server pair of its own, so that renewing and rekeying touch nobody else.
        self.certs = os.path.join(self.top, "certs")
        shutil.copytree(os.path.dirname(cert("ca.crt")), self.certs)

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("TLSCHAT_CERTS", "CREDENTIALS_DIRECTORY", "XDG_CONFIG_HOME", "SSLKEYLOGFILE")}
        env["HOME"] = self.home
        return env

    def client(self, *args, input="hello\n", known_hosts=True):
        argv = [TLSCHAT] + (["--known-hosts", self.kh] if known_hosts else []) + list(args)
        r = subprocess.run(argv, input=input.encode(), capture_output=True, timeout=TIMEOUT, env=self.env(),
                           cwd=self.cwd)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def my_server(self, *args, listen="127.0.0.1"):
        return self.server("--cert", os.path.join(self.certs, "server.crt"),
                           "--key", os.path.join(self.certs, "server.key"), *args, listen=listen)

    def reload(self, srv):
        at = srv.count()
        srv.signal(1)  # SIGHUP
        srv.wait_line(r"SIGHUP: reloaded", start=at)
        srv.wait_line(r"words: ", start=at)

    def server_words(self, srv, start=0):
        return srv.wait_line(r"tlschatd: words: (\d{5}( \d{5}){4})$", start=start).group(1)

    def assert_said_nothing(self, srv, member, **kw):
        """Nothing the refused client typed reached the room: the next thing
        said there is a marker from someone else."""
        marker = self.join(srv, "marker", **kw)
        marker.send("the marker")
        while True:
            line = member.readline()
            self.assertNotRegex(line, r"^<(?!marker>)", f"a line reached the room before the marker: {line!r}")
            if line == "<marker> the marker":
                return

    # ---- pins ----

    def test_pins_agree_with_openssl_and_both_are_accepted(self):
        crt = os.path.join(self.certs, "server.crt")
        cert_pin, spki_pin = openssl_pins(crt)
        rc, out, err = self.client("--show-cert", crt, known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"certificate pin: {cert_pin}\n", out)
        self.assertIn(f"public-key pin: {spki_pin}\n", out)
        srv = self.my_server()
        srv.wait_line(re.escape(f"server key ECDSA P-256 {spki_pin} (certificate {cert_pin}"))
        for pin, kind in ((spki_pin, "public key"), (cert_pin, "certificate"), (spki_pin.upper().replace("SHA256", "sha256"), "public key")):
            rc, out, err = self.client("--pin", pin, "-m", "x", "127.0.0.1", str(srv.port), known_hosts=False)
            self.assertEqual(rc, 0, err)
            self.assertIn(f"; verified by pin ({kind})\n", err)
        # With the CA too: both checks.
        rc, out, err = self.client("--ca", cert("ca.crt"), "--pin", spki_pin, "-m", "x", "127.0.0.1",
                                   str(srv.port), known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"; verified by CA {cert('ca.crt')} and pin (public key)\n", err)
        self.assertFalse(os.path.exists(self.kh))

    def test_renewal_keeps_the_public_key_pin_not_the_certificate_pin(self):
        crt = os.path.join(self.certs, "server.crt")
        old_cert, old_spki = openssl_pins(crt)
        srv = self.my_server()
        words = self.server_words(srv)
        r = subprocess.run([GEN_CERTS, "--dir", self.certs, "--renew"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        new_cert, new_spki = openssl_pins(crt)
        self.assertNotEqual(new_cert, old_cert)
        self.assertEqual(new_spki, old_spki)
        at = srv.count()
        self.reload(srv)
        self.assertEqual(self.server_words(srv, at), words)
        rc, out, err = self.client("--pin", old_spki, "-m", "x", "127.0.0.1", str(srv.port), known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn(new_cert, err)  # the connect line shows the new certificate
        rc, out, err = self.client("--pin", old_cert, "-m", "x", "127.0.0.1", str(srv.port), known_hosts=False)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"tlschat: the server does not match --pin: its certificate is {new_cert} and its public key "
                      f"{new_spki}", err)

    def test_server_warns_30_days_before_expiry_at_start_and_on_sighup(self):
        short = os.path.join(self.top, "short")
        r = subprocess.run([GEN_CERTS, "--dir", short, "--days", "10"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        srv = self.server("--cert", os.path.join(short, "server.crt"), "--key", os.path.join(short, "server.key"))
        warning = (r"tlschatd: WARNING: the certificate '.*short/server\.crt' expires in (9|10) days: renew it with the "
                   r"same key \(.*gen-certs.* --renew: pins and known hosts stay valid\) and reload it \(SIGHUP\)")
        srv.wait_line(warning)
        at = srv.count()
        srv.signal(1)
        srv.wait_line(warning, start=at)
        # A renewal for the full 397 days: no warning after the reload, the same words.
        words = self.server_words(srv)
        r = subprocess.run([GEN_CERTS, "--dir", short, "--renew"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        at = srv.count()
        self.reload(srv)
        self.assertEqual(self.server_words(srv, at), words)
        srv.wait_line(r"listening on|SIGHUP: reloaded", start=at)
        self.assertNotIn("WARNING", "\n".join(srv.text().splitlines()[at:]))

    # ---- known hosts ----

    def test_first_use_needs_tofu_without_a_terminal_then_is_known(self):
        srv = self.my_server()
        alice = self.join(srv, "alice")
        _, spki = openssl_pins(os.path.join(self.certs, "server.crt"))
        words = self.server_words(srv)
        rc, out, err = self.client("-m", "secret", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertEqual(err, f"tlschat: the server 127.0.0.1 port {srv.port} is not known (words {words}, key "
                              f"{spki}) and there is no terminal to ask: compare the words with the server's, then "
                              f"connect again with --tofu to remember it, or with --pin {spki}\n")
        self.assertFalse(os.path.exists(self.kh))
        # --tofu: stored (0600 in a 0700 directory), the words in the -v connect line.
        rc, out, err = self.client("--tofu", "-v", "-m", "first", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)
        self.assertIn(f"; verified by first use (--tofu), stored in {self.kh}; words {words}\n", err)
        with open(self.kh) as f:
            self.assertEqual(f.read(), f"127.0.0.1 {srv.port} {spki}\n")
        self.assertEqual(stat.S_IMODE(os.stat(self.kh).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.kh)).st_mode), 0o700)
        # Known: silent, and says where.
        rc, out, err = self.client("-m", "second", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)
        self.assertIn(f"; verified by known host ({self.kh}:1)\n", err)
        # The refused client said nothing to the room; the others did.
        alice.expect(r"^<guest\d+> first$")
        line = alice.expect(r"^<guest\d+> ")
        self.assertRegex(line, r"^<guest\d+> second$")

    def test_renewed_certificate_same_key_is_still_known(self):
        srv = self.my_server()
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)
        r = subprocess.run([GEN_CERTS, "--dir", self.certs, "--renew", "--san", "chat.example.lan"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.reload(srv)
        rc, _, err = self.client("-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)
        self.assertIn(f"; verified by known host ({self.kh}:1)\n", err)

    def test_changed_key_is_refused_loudly_and_the_file_is_untouched(self):
        srv = self.my_server()
        alice = self.join(srv, "alice")
        old_words = self.server_words(srv)
        _, old_spki = openssl_pins(os.path.join(self.certs, "server.crt"))
        os.makedirs(os.path.dirname(self.kh), mode=0o700)
        with open(self.kh, "w") as f:
            f.write("# my servers\n")
        os.chmod(self.kh, 0o600)
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)
        alice.expect(r"^\* guest\d+ left")
        # A new key in place of the old (an attacker's, or a rekeyed server).
        other = os.path.join(self.top, "other")
        r = subprocess.run([GEN_CERTS, "--dir", other], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("server.crt", "server.key"):
            shutil.copy(os.path.join(other, name), os.path.join(self.certs, name))
        at = srv.count()
        self.reload(srv)
        new_words = self.server_words(srv, at)
        self.assertNotEqual(new_words, old_words)
        _, new_spki = openssl_pins(os.path.join(self.certs, "server.crt"))
        before = open(self.kh, "rb").read()
        st = os.stat(self.kh)
        rc, out, err = self.client("--tofu", "-m", "secret", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertIn("WARNING: THE SERVER'S KEY HAS CHANGED", err)
        self.assertIn(f"known key:   {old_spki} (words {old_words})\n               in {self.kh}:2\n", err)
        self.assertIn(f"offered key: {new_spki} (words {new_words})\n", err)
        self.assertIn(f"tlschat --known-hosts {self.kh} --forget 127.0.0.1:{srv.port}\n", err)
        self.assertTrue(err.endswith(f"tlschat: refused 127.0.0.1:{srv.port}: its key is not the one known in "
                                     f"{self.kh}:2\n"), err)
        self.assertEqual(open(self.kh, "rb").read(), before)
        self.assertEqual((os.stat(self.kh).st_ino, os.stat(self.kh).st_mtime_ns), (st.st_ino, st.st_mtime_ns))
        self.assert_said_nothing(srv, alice, ca=os.path.join(other, "ca.crt"))  # "secret" never left the client
        # --forget, as the message says; then the new key can be taken.
        rc, out, err = self.client("--forget", f"127.0.0.1:{srv.port}", input="")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, f"forgot 127.0.0.1 port {srv.port} (1 entry) in {self.kh}\n")
        with open(self.kh) as f:
            self.assertEqual(f.read(), "# my servers\n")
        rc, out, err = self.client("--forget", f"127.0.0.1:{srv.port}", input="")
        self.assertEqual(rc, 1)
        self.assertIn("nothing to forget", err)
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)

    def test_changed_key_of_an_ipv6_server_names_the_forget_that_works(self):
        # Found in review: the hint said "--forget ::1:PORT", which --forget reads
        # as a bare IPv6 address with no port, and forgot nothing.
        srv = self.my_server(listen="::1")
        rc, _, err = self.client("--tofu", "-m", "x", "::1", str(srv.port))
        self.assertEqual(rc, 0, err)
        other = os.path.join(self.top, "other")
        r = subprocess.run([GEN_CERTS, "--dir", other], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("server.crt", "server.key"):
            shutil.copy(os.path.join(other, name), os.path.join(self.certs, name))
        self.reload(srv)
        rc, _, err = self.client("-m", "secret", "::1", str(srv.port))
        self.assertEqual(rc, 1, err)
        self.assertIn(f"tlschat --known-hosts {self.kh} --forget [::1]:{srv.port}\n", err)
        rc, out, err = self.client("--forget", f"[::1]:{srv.port}", input="")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, f"forgot ::1 port {srv.port} (1 entry) in {self.kh}\n")

    def test_bad_known_hosts_files_are_refused_with_the_line(self):
        srv = self.my_server()
        os.makedirs(os.path.dirname(self.kh), mode=0o700)
        good = "localhost 8443 sha256:" + "ab" * 32
        for bad, why in ((f"{good}\nlocalhost 8443\n", "is not 'HOST PORT sha256:HEX'"),
                         (f"{good}\nlocalhost 99999 sha256:{'ab' * 32}\n", "has a port"),
                         (f"{good}\nlocalhost 8443 sha256:{'AB' * 32}\n", "has a key"),
                         (f"{good}\nLocalHost 8443 sha256:{'ab' * 32}\n", "has a host"),
                         (f"{good}\nlocalhost 8443 sha256:{'ab' * 32} extra\n", "is not 'HOST PORT")):
            with open(self.kh, "w") as f:
                f.write(bad)
            os.chmod(self.kh, 0o600)
            rc, out, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
            self.assertEqual(rc, 1, err)
            self.assertTrue(err.startswith(f"tlschat: {self.kh}:2: this line {why}"), err)
            self.assertEqual(open(self.kh).read(), bad)
        # A symbolic link, a file others can write, a directory: refused.
        real = os.path.join(self.top, "real")
        with open(real, "w") as f:
            f.write(good + "\n")
        os.chmod(real, 0o600)
        os.remove(self.kh)
        os.symlink(real, self.kh)
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 1)
        self.assertIn("is a symbolic link", err)
        os.remove(self.kh)
        shutil.copy(real, self.kh)
        os.chmod(self.kh, 0o666)
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 1)
        self.assertIn("can be changed by other users", err)
        self.assertEqual(open(real).read(), good + "\n")
        # A directory every user can write: nothing written there.
        shared = os.path.join(self.top, "shared")
        os.makedirs(shared)
        os.chmod(shared, 0o777)
        r = subprocess.run([TLSCHAT, "--known-hosts", os.path.join(shared, "kh"), "--tofu", "-m", "x", "127.0.0.1",
                            str(srv.port)], capture_output=True, text=True, timeout=TIMEOUT, env=self.env(),
                           cwd=self.cwd)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("can be written by every user", r.stderr)
        self.assertEqual(os.listdir(shared), [])
        # The server served on through all of it.
        os.chmod(self.kh, 0o600)
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertEqual(rc, 0, err)

    def test_default_file_under_xdg_config_home(self):
        if os.path.exists("/etc/tlschat/ca.crt") and os.environ.get("CI") != "true":
            self.skipTest("/etc/tlschat/ca.crt exists here: the CA found there applies, not the known hosts")
        srv = self.my_server()
        rc, _, err = self.client("--tofu", "-m", "x", "127.0.0.1", str(srv.port), known_hosts=False)
        self.assertEqual(rc, 0, err)
        path = os.path.join(self.home, ".config", "tlschat", "known_hosts")
        self.assertIn(f"stored in {path}\n", err)
        rc, _, err = self.client("-m", "x", "127.0.0.1", str(srv.port), known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"; verified by known host ({path}:1)", err)
        # A CA found by the search still verifies as before: no known hosts then.
        os.makedirs(os.path.join(self.cwd, "certs"))
        shutil.copy(os.path.join(self.certs, "ca.crt"), os.path.join(self.cwd, "certs", "ca.crt"))
        rc, _, err = self.client("-m", "x", "localhost", str(srv.port), known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn("; verified by CA certs/ca.crt\n", err)

    def test_usage_errors_are_one_sentence(self):
        cases = (([TLSCHAT, "--known-hosts", "", "localhost"], "tlschat: --known-hosts is empty: name a file"),
                 ([TLSCHAT, "--tofu", "--pin", "sha256:" + "0" * 64, "localhost"], "tlschat: --tofu is for servers"),
                 ([TLSCHAT, "--tofu", "--insecure", "localhost"], "tlschat: --tofu is for servers"),
                 ([TLSCHAT, "--forget", "localhost", "extra"], "tlschat: --forget takes one HOST"),
                 ([TLSCHAT, "--forget", "a", "--show-cert", "b"], "tlschat: --forget and --show-cert are two"),
                 ([TLSCHAT, "--forget", "[::1"], "tlschat: --forget '[::1' is not HOST, HOST:PORT or [IPv6]:PORT"),
                 ([TLSCHAT, "--forget", "localhost:"], "tlschat: --forget 'localhost:' has an empty port"),
                 ([TLSCHAT, "--forget", "[::1]:"], "tlschat: --forget '[::1]:' has an empty port"),
                 ([TLSCHAT, "--show-cert", "x.crt", "h", "99999"], "tlschat: PORT"),
                 ([TLSCHAT, "tlschat://127.0.0.1:8443/", "9000"], "tlschat: a join address names the port itself"),
                 ([TLSCHAT, "--pin", "sha256:" + "1" * 64, f"tlschat://h/?pin=sha256:{'2' * 64}"],
                  "tlschat: --pin and the join address's pin differ"),
                 ([TLSCHATD, "--plain", "--qr"], "tlschatd: --qr and --join-host give the join address"),
                 ([TLSCHATD, "--join-host", "a/b"], "tlschatd: --join-host 'a/b' is not a host name"))
        for argv, want in cases:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=self.env(), cwd=self.cwd)
            self.assertEqual(r.returncode, 2, (argv, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1, (argv, r.stderr))
            self.assertTrue(r.stderr.startswith(want), (argv, r.stderr))
        r = subprocess.run([TLSCHAT, "--show-cert", os.path.join(self.top, "none.crt")], capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read the certificate", r.stderr)
        r = subprocess.run([TLSCHAT, "--show-cert", os.path.join(self.certs, "server.key")], capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not a certificate in PEM or DER form", r.stderr)

    # ---- the terminal question ----

    def ask_in_pty(self, port, answer, then=b"hello from a terminal\n"):
        """tlschat with its stdin and stderr on a terminal: answers the question."""
        master, slave = pty.openpty()
        p = subprocess.Popen([TLSCHAT, "--known-hosts", self.kh, "-v", "127.0.0.1", str(port)], stdin=slave,
                             stderr=slave, stdout=subprocess.PIPE, env=self.env(), cwd=self.cwd)
        os.close(slave)
        self.addCleanup(p.kill)
        seen = b""

        def read_until(pattern):
            nonlocal seen
            deadline = time.monotonic() + TIMEOUT
            while not re.search(pattern, seen):
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"no {pattern!r} on the terminal: {seen!r}")
                if select.select([master], [], [], left)[0]:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        break
                    seen += chunk
        read_until(rb"\(yes/no\) ")
        os.write(master, answer + b"\n")
        if answer == b"yes":
            read_until(rb"connected to ")
            os.write(master, then)
            os.write(master, b"\x04")  # end of input: close
        out = p.communicate(timeout=TIMEOUT)[0].decode()
        try:
            while select.select([master], [], [], 0.2)[0]:
                chunk = os.read(master, 4096)
                if not chunk:
                    break
                seen += chunk
        except OSError:
            pass
        os.close(master)
        return p.returncode, out, seen.decode().replace("\r\n", "\n")

    def test_terminal_asks_and_remembers_on_yes_only(self):
        srv = self.my_server()
        alice = self.join(srv, "alice")
        words = self.server_words(srv)
        _, spki = openssl_pins(os.path.join(self.certs, "server.crt"))
        rc, out, tty = self.ask_in_pty(srv.port, b"no")
        self.assertEqual(rc, 1, tty)
        self.assertIn(f"The server 127.0.0.1 port {srv.port} is not known yet (first use):\n", tty)
        self.assertIn(f"  words:       {words}\n", tty)
        self.assertIn(f"  key pin:     {spki}", tty)
        self.assertIn("  subject:     /CN=localhost\n", tty)
        self.assertIn("  key:         ECDSA P-256\n", tty)
        self.assertIn("tlschat: not trusted, nothing sent", tty)
        self.assertFalse(os.path.exists(self.kh))
        self.assert_said_nothing(srv, alice)
        rc, out, tty = self.ask_in_pty(srv.port, b"yes")
        self.assertEqual(rc, 0, tty)
        self.assertIn(f"; verified by first use, stored in {self.kh}; words {words}\n", tty)
        self.assertTrue(out.endswith("closed\n"), out)
        alice.expect(r"^<guest\d+> hello from a terminal$")
        with open(self.kh) as f:
            self.assertEqual(f.read(), f"127.0.0.1 {srv.port} {spki}\n")

    # ---- words, join addresses, QR ----

    def test_words_are_the_same_in_server_client_and_show_cert(self):
        crt = os.path.join(self.certs, "server.crt")
        srv = self.my_server()
        words = self.server_words(srv)
        rc, out, err = self.client("--show-cert", crt, known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"\nwords: {words}\n", out)
        r = subprocess.run([SHOW_CERT, crt], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"\nwords: {words}\n", r.stdout)
        rc, out, err = self.client("--tofu", "-v", "-m", "x", "127.0.0.1", str(srv.port))
        self.assertTrue(err.rstrip().endswith(f"; words {words}"), err)
        # /whois-server is answered by the client, never sent.
        alice = self.join(srv, "alice")
        rc, out, err = self.client("127.0.0.1", str(srv.port), input="/whois-server\nafter\n")
        self.assertEqual(rc, 0, err)
        self.assertIn(f"* key ECDSA P-256, words {words}\n", err)
        self.assertIn(f"* verified by known host ({self.kh}:1)\n", err)
        self.assertRegex(alice.expect(r"^<guest\d+> "), r"^<guest\d+> after$")
        self.assertNotIn("unknown command", out)

    def test_second_machine_joins_with_the_join_address_only(self):
        """The server on 127.0.0.2 (another machine), the client with nothing but
        the join line off the server's terminal: no CA, no known hosts."""
        srv = self.my_server("--qr", listen="127.0.0.2")
        join = srv.wait_line(r"tlschatd: join: (tlschat://127\.0\.0\.2:(\d+)/\?pin=(sha256:[0-9a-f]{64}))$")
        _, spki = openssl_pins(os.path.join(self.certs, "server.crt"))
        self.assertEqual((join.group(2), join.group(3)), (str(srv.port), spki))
        rc, out, err = self.client("-m", "hi", join.group(1), known_hosts=False)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"connected to 127.0.0.2:{srv.port} (127.0.0.2:{srv.port})", err)
        self.assertIn("; verified by pin (public key)\n", err)
        self.assertFalse(os.path.exists(os.path.join(self.home, ".config")))
        # A wrong pin in the address: refused, nothing sent.
        wrong = join.group(1)[:-4] + ("0000" if not join.group(1).endswith("0000") else "1111")
        rc, out, err = self.client("-m", "hi", wrong, known_hosts=False)
        self.assertEqual(rc, 1, err)
        self.assertIn("tlschat: the server does not match --pin", err)
        # Bad addresses: usage errors.
        for bad, why in ((join.group(1).replace("pin=", "pim="), "has a query other than"),
                         (f"tlschat://127.0.0.2:99999/?pin={spki}", "has a port"),
                         (f"tlschat://127.0.0.2:{srv.port}/?pin=sha256:abc", "has a pin that is not"),
                         (f"tlschat://127.0.0.2:{srv.port}/room", "has a path")):
            rc, out, err = self.client(bad, known_hosts=False)
            self.assertEqual(rc, 2, err)
            self.assertIn(why, err)
        # The QR code the server drew decodes to the same address.
        if not have("zbarimg"):
            self.skipTest("zbarimg is not installed (Debian: zbar-tools, scripts/install-deps.sh)")
        self.assertEqual(decode_qr(srv.text(), self.top), join.group(1))


def decode_qr(text, tmp):
    """The QR code drawn in UTF-8 half blocks (qrencode -t UTF8: a full block is
    two light modules) as a PBM image, read by zbarimg."""
    rows = [ln for ln in text.splitlines() if ln and set(ln) <= set("█▀▄ ")]
    assert rows, "no QR code in:\n" + text
    light = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}
    modules = []
    for ln in rows:
        top = [light[c][0] for c in ln]
        bottom = [light[c][1] for c in ln]
        modules += [top, bottom]
    scale, quiet = 4, 4
    width = max(len(r) for r in modules)
    pix = []
    for r in [[1] * width] * quiet + modules + [[1] * width] * quiet:
        row = [1] * quiet + r + [1] * (width - len(r)) + [1] * quiet
        line = " ".join("0" if v else "1" for v in row for _ in range(scale))
        pix += [line] * scale
    path = os.path.join(tmp, "qr.pbm")
    with open(path, "w") as f:
        f.write(f"P1\n{(width + 2 * quiet) * scale} {len(pix)}\n" + "\n".join(pix) + "\n")
    r = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()
