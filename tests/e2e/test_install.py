# SPDX-License-Identifier: ISC
"""Installed use, and where the programs find their certificates.

make install into a temporary PREFIX; then, in an empty directory with a HOME
and XDG_CONFIG_HOME of its own and PREFIX/bin on PATH, tlschat-gen-certs makes
the certificates and tlschatd and tlschat find them with no path arguments, the
client verifying the server. The search order ($TLSCHAT_CERTS alone when set;
else $CREDENTIALS_DIRECTORY, ./certs, $XDG_CONFIG_HOME/tlschat or
~/.config/tlschat, /etc/tlschat) is the same for the build's programs: its
precedence and every wrong place are tested on them."""
import os
import re
import shutil
import stat
import subprocess
import tempfile

from harness import GEN_CERTS, ROOT, TIMEOUT, TLSCHAT, TLSCHATD, Case, Proc, cert, have

# The environment variables of the search order, cleared (empty means unset).
CLEAN = {"TLSCHAT_CERTS": "", "CREDENTIALS_DIRECTORY": "", "XDG_CONFIG_HOME": ""}


def run_in(cwd, argv, env, input=None, timeout=TIMEOUT):
    full = dict(os.environ)
    full.pop("SSLKEYLOGFILE", None)
    full.update(env)
    r = subprocess.run(argv, input=input, capture_output=True, text=True, cwd=cwd, env=full, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def fingerprint(path):
    r = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-fingerprint", "-sha256"],
                       capture_output=True, text=True, check=True)
    return "sha256:" + r.stdout.strip().split("=", 1)[1].replace(":", "").lower()


def make_install(prefix, *extra):
    build = os.environ.get("BUILD", "build")
    return subprocess.run(["make", "-s", f"BUILD={build}", "install", f"PREFIX={prefix}", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


class Installed(Case):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="tlschat-prefix-")
        r = make_install(cls.prefix)
        if r.returncode != 0:
            shutil.rmtree(cls.prefix, True)
            raise AssertionError("make install failed:\n" + r.stdout + r.stderr)
        cls.bin = os.path.join(cls.prefix, "bin")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, True)

    def user(self):
        """An empty directory to stand in, a HOME and XDG_CONFIG_HOME of its own,
        and the installed commands on PATH."""
        top = tempfile.mkdtemp(prefix="tlschat-user-")
        self.addCleanup(shutil.rmtree, top, True)
        for d in ("home", "xdg", "here"):
            os.mkdir(os.path.join(top, d))
        env = {**CLEAN, "HOME": os.path.join(top, "home"), "XDG_CONFIG_HOME": os.path.join(top, "xdg"),
               "PATH": self.bin + os.pathsep + os.environ.get("PATH", "")}
        return os.path.join(top, "here"), env

    def test_files_are_installed(self):
        for path, mode in [("bin/tlschatd", 0o755), ("bin/tlschat", 0o755), ("bin/tlschat-gen-certs", 0o755),
                           ("bin/tlschat-show-cert", 0o755), ("share/man/man1/tlschatd.1", 0o644),
                           ("share/man/man1/tlschat.1", 0o644), ("lib/systemd/system/tlschatd.service", 0o644),
                           ("lib/wireshark/plugins/tlschat.lua", 0o644)]:
            full = os.path.join(self.prefix, path)
            self.assertTrue(os.path.isfile(full), path)
            self.assertEqual(stat.S_IMODE(os.stat(full).st_mode), mode, path)
        self.assertFalse(os.path.exists(os.path.join(self.bin, "tlschat-bench")), "tlschat-bench has no man page")
        with open(os.path.join(self.prefix, "lib/systemd/system/tlschatd.service")) as f:
            unit = f.read()
        self.assertIn(f"ExecStart={self.bin}/tlschatd ", unit)
        self.assertNotIn("@BINDIR@", unit)
        rc, out, _ = run_in(self.prefix, [os.path.join(self.bin, "tlschat"), "--version"], CLEAN)
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^tlschat \d+\.\d+\.\d+")

    def test_make_certs_run_and_join_with_no_path_arguments(self):
        here, env = self.user()
        rc, out, err = run_in(here, ["tlschat-gen-certs"], env)
        self.assertEqual(rc, 0, err)
        own = os.path.join(env["XDG_CONFIG_HOME"], "tlschat")
        for f in ("ca.crt", "ca.key", "server.crt", "server.key"):
            self.assertTrue(os.path.isfile(os.path.join(own, f)), f)
        self.assertEqual(os.listdir(here), [], "nothing is written where the user stands")
        self.assertIn(f"tlschat-show-cert {own}/server.crt", out)
        self.assertNotIn("scripts/", out + err)

        srv = Proc(["tlschatd", "--port", "0"], stdin=subprocess.DEVNULL, env=env, cwd=here, name="tlschatd")
        self.addCleanup(srv.kill)
        port = srv.wait_line(r"listening on \S+:(\d+)").group(1)
        rc, out, err = run_in(here, ["tlschat", "localhost", port], env, input="hi\n")
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, rf"^connected to localhost:{port} .*; verified by CA {re.escape(own)}/ca\.crt$")
        self.assertEqual(out.splitlines()[-1], "closed")
        srv.signal(15)
        self.assertEqual(srv.wait(), 0, srv.text())

    def test_hints_name_the_installed_commands(self):
        here, env = self.user()
        rc, _, err = run_in(here, ["tlschatd", "--port", "0"], env)
        self.assertEqual(rc, 1)
        home = env["XDG_CONFIG_HOME"]
        self.assertRegex(err.strip(), rf"^tlschatd: found no server\.crt in \./certs, {re.escape(home)}/tlschat "
                                      r"or /etc/tlschat: make certificates with tlschat-gen-certs, or name the files "
                                      r"with --cert and --key$")
        # With no CA anywhere tlschat goes on to the known hosts; a certificate
        # directory named and empty is where the hint shows.
        empty = os.path.join(here, "empty-certs")
        os.makedirs(empty, exist_ok=True)
        rc, _, err = run_in(here, ["tlschat", "localhost"], {**env, "TLSCHAT_CERTS": empty})
        self.assertEqual(rc, 1)
        self.assertIn("(tlschat-gen-certs makes it)", err)
        for argv in (["tlschatd", "--help"], ["tlschat", "--help"], ["tlschat-gen-certs", "--help"],
                     ["tlschat-show-cert", "--help"]):
            rc, out, err = run_in(here, argv, env)
            self.assertEqual(rc, 0, argv)
            self.assertNotIn("scripts/", out, argv)
            self.assertNotIn("make certs", out, argv)
        # A verification failure's hint, from the library.
        self.assertEqual(run_in(here, ["tlschat-gen-certs"], env)[0], 0)
        srv = Proc(["tlschatd", "--port", "0", "--listen", "127.0.0.1"], stdin=subprocess.DEVNULL, env=env, cwd=here,
                   name="tlschatd")
        self.addCleanup(srv.kill)
        port = srv.wait_line(r"listening on \S+:(\d+)").group(1)
        rc, _, err = run_in(here, ["tlschat", "--servername", "wrong.example", "-m", "x", "127.0.0.1", port], env)
        self.assertEqual(rc, 1)
        self.assertIn("(tlschat-show-cert shows them), pass --servername, or remake it with tlschat-gen-certs --san",
                      err)

    def test_installed_man_pages_read_with_man(self):
        if not have("man"):
            self.skipTest("no man command to read the installed pages (scripts/install-deps.sh installs man-db)")
        for page, option in (("tlschatd.1", "--client-ca"), ("tlschat.1", "--pin")):
            r = subprocess.run(["man", "-l", os.path.join(self.prefix, "share/man/man1", page)], capture_output=True,
                               text=True, timeout=60, env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "200"})
            self.assertEqual(r.returncode, 0, r.stderr)
            text = r.stdout.replace("\u2010", "-")
            for needle in (option, "TLSCHAT_CERTS", "CREDENTIALS_DIRECTORY", "./certs", "XDG_CONFIG_HOME",
                           "/etc/tlschat", "tlschat-gen-certs"):
                self.assertIn(needle, text, f"{page}: {needle}")


class InstallDestdir(Case):
    def test_wireshark_loads_the_dissector_from_a_home_prefix(self):
        """make install PREFIX=~/.local puts tlschat.lua into Wireshark's personal Lua plugin folder"""
        if not have("tshark"):
            self.skipTest("tshark is not installed (scripts/install-deps.sh installs it)")
        r = subprocess.run(["tshark", "-v"], capture_output=True, text=True, timeout=60)
        if "with Lua" not in r.stdout:
            self.skipTest("this tshark is built without Lua, so it loads no Lua dissector")
        home = tempfile.mkdtemp(prefix="tlschat-home-")
        self.addCleanup(shutil.rmtree, home, True)
        r = make_install(os.path.join(home, ".local"))
        self.assertEqual(r.returncode, 0, r.stderr)
        env = {**CLEAN, "HOME": home}
        rc, out, err = run_in(home, ["tshark", "-G", "folders"], env)
        self.assertIn(os.path.join(home, ".local/lib/wireshark/plugins"), out)
        rc, out, err = run_in(home, ["tshark", "-G", "fields"], env, timeout=120)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"(?m)^F\tNick\ttlschat\.nick\t")

    def test_make_install_with_prefix_and_destdir(self):
        dest = tempfile.mkdtemp(prefix="tlschat-install-")
        self.addCleanup(shutil.rmtree, dest, True)
        r = make_install("/opt/tc", f"DESTDIR={dest}")
        self.assertEqual(r.returncode, 0, r.stderr)
        root = os.path.join(dest, "opt/tc")
        for path in ("bin/tlschatd", "bin/tlschat", "bin/tlschat-gen-certs", "bin/tlschat-show-cert",
                     "share/man/man1/tlschatd.1", "lib/systemd/system/tlschatd.service",
                     "lib/wireshark/plugins/tlschat.lua"):
            self.assertTrue(os.path.isfile(os.path.join(root, path)), path)
        with open(os.path.join(root, "lib/systemd/system/tlschatd.service")) as f:
            self.assertIn("ExecStart=/opt/tc/bin/tlschatd ", f.read())
        r = subprocess.run(["make", "-s", f"BUILD={os.environ.get('BUILD', 'build')}", "uninstall", f"DESTDIR={dest}",
                            "PREFIX=/opt/tc"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        left = [os.path.join(d, f) for d, _, files in os.walk(dest) for f in files]
        self.assertEqual(left, [])


class SearchOrder(Case):
    """The build's programs: which directory wins, and what each wrong place says."""

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="tlschat-search-")
        self.addCleanup(shutil.rmtree, self.top, True)
        p = lambda *a: os.path.join(self.top, *a)  # noqa: E731
        self.dirs = {"env": p("env"), "creds": p("creds"), "local": p("here", "certs"),
                     "xdg": p("xdg", "tlschat"), "home": p("home", ".config", "tlschat")}
        for d in self.dirs.values():
            os.makedirs(d)
        self.here = p("here")
        self.elsewhere = p("elsewhere")
        os.mkdir(self.elsewhere)
        self.env = {"TLSCHAT_CERTS": self.dirs["env"], "CREDENTIALS_DIRECTORY": self.dirs["creds"],
                    "XDG_CONFIG_HOME": p("xdg"), "HOME": p("home")}

    def copy_ca(self, *where):
        for w in where:
            shutil.copy(cert("ca.crt"), self.dirs[w])

    def ca_used(self, port, cwd=None, env=None, extra=()):
        rc, _, err = run_in(cwd or self.here, [TLSCHAT, *extra, "-m", "hi", "localhost", str(port)], env or self.env)
        self.assertEqual(rc, 0, err)
        return re.search(r"verified by CA (\S+)$", err.splitlines()[0]).group(1)

    def test_client_precedence(self):
        srv = self.server()
        self.copy_ca("env", "creds", "local", "xdg", "home")
        self.assertEqual(self.ca_used(srv.port), os.path.join(self.dirs["env"], "ca.crt"))
        self.assertEqual(self.ca_used(srv.port, extra=["--ca", cert("ca.crt")]), cert("ca.crt"), "--ca first")
        env = {**self.env, "TLSCHAT_CERTS": ""}  # empty: as if unset
        self.assertEqual(self.ca_used(srv.port, env=env), os.path.join(self.dirs["creds"], "ca.crt"))
        env["CREDENTIALS_DIRECTORY"] = ""
        self.assertEqual(self.ca_used(srv.port, env=env), "certs/ca.crt")
        self.assertEqual(self.ca_used(srv.port, env=env, cwd=self.elsewhere), os.path.join(self.dirs["xdg"], "ca.crt"))
        for xdg in ("", "relative/dir"):  # unset or relative: ~/.config, as the XDG rules say
            env["XDG_CONFIG_HOME"] = xdg
            self.assertEqual(self.ca_used(srv.port, env=env, cwd=self.elsewhere),
                             os.path.join(self.dirs["home"], "ca.crt"), xdg)

    def test_a_directory_without_the_file_is_passed_over(self):
        srv = self.server()
        self.copy_ca("xdg")  # creds and ./certs exist, empty
        env = {**self.env, "TLSCHAT_CERTS": ""}
        self.assertEqual(self.ca_used(srv.port, env=env), os.path.join(self.dirs["xdg"], "ca.crt"))

    def make_server_certs(self, where):
        """A server certificate of its own in that directory, from the test CA."""
        d = self.dirs[where]
        for f in ("ca.crt", "ca.key"):
            shutil.copy(cert(f), d)
        subprocess.run([GEN_CERTS, "--dir", d], check=True, capture_output=True, env={**os.environ, **CLEAN})
        os.remove(os.path.join(d, "ca.key"))
        return fingerprint(os.path.join(d, "server.crt"))

    def served(self, env, cwd=None):
        srv = Proc([TLSCHATD, "--listen", "127.0.0.1", "--port", "0"], stdin=subprocess.DEVNULL,
                   env=env, cwd=cwd or self.here, name="tlschatd")
        self.addCleanup(srv.kill)
        port = srv.wait_line(r"listening on \S+:(\d+)").group(1)
        rc, _, err = run_in(self.here, [TLSCHAT, "--ca", cert("ca.crt"), "-m", "hi", "localhost", port], CLEAN)
        self.assertEqual(rc, 0, err)
        srv.signal(15)
        self.assertEqual(srv.wait(), 0, srv.text())
        return re.search(r"server /CN=localhost (sha256:[0-9a-f]{64})", err).group(1)

    def test_server_precedence_and_the_key_beside_the_certificate(self):
        fp = {w: self.make_server_certs(w) for w in ("env", "local", "xdg")}
        self.assertEqual(self.served(self.env), fp["env"])
        env = {**self.env, "TLSCHAT_CERTS": ""}
        self.assertEqual(self.served(env), fp["local"])
        # A server.key alone earlier in the order is not paired with a later server.crt.
        shutil.copy(os.path.join(self.dirs["local"], "server.key"), self.dirs["creds"])
        self.assertEqual(self.served(env, cwd=self.elsewhere), fp["xdg"])

    def fails(self, argv, env, cwd=None):
        rc, out, err = run_in(cwd or self.here, argv, env)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        return err.strip()

    def test_bad_places_say_what_to_do(self):
        missing = os.path.join(self.top, "missing")
        a_file = os.path.join(self.top, "a-file")
        open(a_file, "w").close()
        server = [TLSCHATD, "--listen", "127.0.0.1", "--port", "0"]
        client = [TLSCHAT, "-m", "hi", "localhost", "1"]
        self.assertEqual(self.fails(server, {**self.env, "TLSCHAT_CERTS": missing}),
                         f"tlschatd: TLSCHAT_CERTS is '{missing}', which does not exist: make certificates with "
                         "scripts/gen-certs.sh or 'make certs', or name the files with --cert and --key, "
                         "or unset TLSCHAT_CERTS")
        self.assertEqual(self.fails(client, {**self.env, "TLSCHAT_CERTS": a_file}),
                         f"tlschat: TLSCHAT_CERTS is '{a_file}', which is not a directory: set it to the directory "
                         "that holds ca.crt, or unset it")
        self.assertEqual(self.fails(client, self.env),
                         f"tlschat: TLSCHAT_CERTS is '{self.dirs['env']}', which holds no ca.crt: copy the server's "
                         "ca.crt there (scripts/gen-certs.sh makes it), name it with --ca FILE, or pin the server's "
                         "public key with --pin, or unset TLSCHAT_CERTS")
        # Nowhere: every place is named, and what to do.
        if os.path.exists("/etc/tlschat"):
            self.skipTest("this machine has /etc/tlschat")
        env = {**CLEAN, "HOME": os.path.join(self.top, "nohome")}
        msg = self.fails(server, env, cwd=self.elsewhere)
        self.assertEqual(msg, f"tlschatd: found no server.crt in ./certs, {self.top}/nohome/.config/tlschat or "
                              "/etc/tlschat: make certificates with scripts/gen-certs.sh or 'make certs', or name the "
                              "files with --cert and --key")
        # The client with no CA anywhere: the known hosts (tests/e2e/test_trust.py), here a
        # server not known and no terminal to ask.
        msg = self.fails(client, {**env, "CREDENTIALS_DIRECTORY": self.dirs["creds"]}, cwd=self.elsewhere)
        self.assertRegex(msg, r"^tlschat: connection refused by ")
        # Found, but not usable: the file is a directory; the key is missing beside it.
        os.mkdir(os.path.join(self.dirs["local"], "server.crt"))
        msg = self.fails(server, {**self.env, "TLSCHAT_CERTS": ""})
        self.assertRegex(msg, r"tlschatd: the certificate 'certs/server\.crt' is a directory: name the file itself "
                              r"with --cert$")
        os.rmdir(os.path.join(self.dirs["local"], "server.crt"))
        shutil.copy(cert("server.crt"), self.dirs["local"])
        msg = self.fails(server, {**self.env, "TLSCHAT_CERTS": ""})
        self.assertRegex(msg, r"tlschatd: cannot read the private key 'certs/server\.key': No such file or "
                              r"directory \(make certificates with scripts/gen-certs\.sh or 'make certs', or name "
                              r"the file with --key\)$")

    def test_options_need_no_search(self):
        """--pin, --insecure and --plain need no ca.crt; --plain needs no certificate."""
        env = {**CLEAN, "HOME": os.path.join(self.top, "nohome")}
        srv = self.server()
        rc, _, err = run_in(self.elsewhere, [TLSCHAT, "--pin", fingerprint(cert("server.crt")), "-m", "hi",
                                             "localhost", str(srv.port)], env)
        self.assertEqual(rc, 0, err)
        self.assertIn("verified by pin (certificate)", err)
        plain = Proc([TLSCHATD, "--plain", "--listen", "127.0.0.1", "--port", "0"], stdin=subprocess.DEVNULL,
                     env=env, cwd=self.elsewhere, name="tlschatd")
        self.addCleanup(plain.kill)
        plain.wait_line(r"listening on")
        plain.signal(15)
        self.assertEqual(plain.wait(), 0)
