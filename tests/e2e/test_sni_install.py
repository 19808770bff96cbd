"""SNI is sent for names and never for IP literals; make install puts the
programs, man pages and scripts where PREFIX and DESTDIR say."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading

from harness import ROOT, TIMEOUT, Case, cert, have, run, tlschat_argv


class SniServer:
    """A Python TLS server that records the SNI name each handshake carried."""

    def __init__(self):
        self.names = []
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert("server.crt"), cert("server.key"))
        self.ctx.sni_callback = lambda sock, name, ctx: self.names.append(name)
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.lsock.accept()
        with self.ctx.wrap_socket(conn, server_side=True) as s:
            s.settimeout(TIMEOUT)
            buf = b""
            while b"close\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    return
                buf += chunk
            s.sendall(b"closed\n")

    def close(self):
        self.lsock.close()
        self.thread.join(TIMEOUT)


class Sni(Case):
    def sni_of(self, *args, host="127.0.0.1"):
        srv = SniServer()
        self.addCleanup(srv.close)
        rc, out, err = run(tlschat_argv(srv.port, "-m", "hi", *args, host=host))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[-1], "closed")
        srv.thread.join(TIMEOUT)
        self.assertEqual(len(srv.names), 1)
        return srv.names[0]

    def test_name_is_sent(self):
        self.assertEqual(self.sni_of(host="localhost"), "localhost")

    def test_ip_literal_is_never_sent(self):
        self.assertIsNone(self.sni_of(host="127.0.0.1"))

    def test_servername_is_sent_for_an_address(self):
        self.assertEqual(self.sni_of("--servername", "localhost", host="127.0.0.1"), "localhost")


class Install(Case):
    def install(self):
        """make install into a temporary DESTDIR with PREFIX=/opt/tc: the prefix."""
        dest = tempfile.mkdtemp(prefix="tlschat-install-")
        self.addCleanup(shutil.rmtree, dest, True)
        build = os.environ.get("BUILD", "build")
        r = subprocess.run(["make", "-s", f"BUILD={build}", "install", f"DESTDIR={dest}", "PREFIX=/opt/tc"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return os.path.join(dest, "opt/tc")

    def test_make_install_with_prefix_and_destdir(self):
        root = self.install()
        for path, mode in [("bin/tlschatd", 0o755), ("bin/tlschat", 0o755),
                           ("share/man/man1/tlschatd.1", 0o644), ("share/man/man1/tlschat.1", 0o644),
                           ("share/tlschat/gen-certs.sh", 0o755), ("share/tlschat/show-cert.sh", 0o755)]:
            full = os.path.join(root, path)
            self.assertTrue(os.path.isfile(full), path)
            self.assertEqual(os.stat(full).st_mode & 0o777, mode, path)
        rc, out, _ = run([os.path.join(root, "bin/tlschat"), "--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^tlschat \d+\.\d+\.\d+")

    def test_installed_man_pages_read_with_man(self):
        if not have("man"):
            self.skipTest("no man command to read the installed pages (scripts/install-deps.sh installs man-db)")
        root = self.install()
        for page, option in [("tlschatd.1", "--client-ca"), ("tlschat.1", "--pin")]:
            man = subprocess.run(["man", "-l", os.path.join(root, "share/man/man1", page)],
                                 capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"})
            self.assertEqual(man.returncode, 0, man.stderr)
            self.assertIn(option, man.stdout.replace("\u2010", "-"), page)
