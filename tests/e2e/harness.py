# SPDX-License-Identifier: ISC
"""Shared helpers for the end-to-end tests: real binaries, real sockets,
loopback only, and waits on conditions with deadlines, never bare sleeps."""
import atexit
import os
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
TLSCHATD = os.path.join(BUILD, "tlschatd")
TLSCHAT = os.path.join(BUILD, "tlschat")
EXAMPLES = os.path.join(BUILD, "examples")
GEN_CERTS = os.path.join(ROOT, "scripts", "gen-certs.sh")

# Generous: tests must pass on a loaded 2-core machine, and under ASan.
TIMEOUT = float(os.environ.get("TLSCHAT_TEST_TIMEOUT", "20"))

_certs_dir = None


def certs():
    """A CA, a server certificate and client certificates alice, bob, carol
    and aIice (capital i: alice's look-alike), made once per run by the
    project's own script into a temporary folder."""
    global _certs_dir
    if _certs_dir is None:
        d = tempfile.mkdtemp(prefix="tlschat-certs-")
        atexit.register(shutil.rmtree, d, True)
        subprocess.run([GEN_CERTS, "--dir", d, "--client", "alice", "--client", "bob",
                        "--client", "carol", "--client", "aIice"], check=True, stdout=subprocess.DEVNULL)
        _certs_dir = d
    return _certs_dir


def cert(name):
    return os.path.join(certs(), name)


def free_port():
    """Only for peers that cannot be told port 0 (our own programs can)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose stdout and stderr lines are collected as they come."""

    def __init__(self, argv, stdin=subprocess.PIPE, env=None, cwd=None, name=None):
        self.name = name or os.path.basename(argv[0])
        full_env = dict(os.environ)
        full_env.pop("SSLKEYLOGFILE", None)
        if env:
            full_env.update(env)
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=full_env, cwd=cwd or ROOT)
        self.lines = {"out": [], "err": []}
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._read, args=(self.p.stdout, "out"), daemon=True),
                        threading.Thread(target=self._read, args=(self.p.stderr, "err"), daemon=True)]
        for t in self.threads:
            t.start()

    def _read(self, f, which):
        for raw in iter(f.readline, b""):
            with self.cond:
                self.lines[which].append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines[which].append(None)  # end of stream
            self.cond.notify_all()

    def text(self, which="err"):
        with self.cond:
            return "\n".join(x for x in self.lines[which] if x is not None)

    def wait_line(self, pattern, which="err", timeout=TIMEOUT, start=0):
        """First line (from index start) matching the regex; AssertionError on timeout."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                buf = self.lines[which]
                while i < len(buf):
                    if buf[i] is None:
                        raise AssertionError(f"{self.name}: stream {which} ended without /{pattern}/:\n"
                                             + self.text(which))
                    m = rx.search(buf[i])
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.name}: no line /{pattern}/ on std{which} in {timeout}s:\n"
                                         + self.text(which))
                self.cond.wait(left)

    def count(self, which="err"):
        with self.cond:
            return len([x for x in self.lines[which] if x is not None])

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close_stdin(self):
        if self.p.stdin is None:  # started on a terminal or file of the test's
            return
        try:
            self.p.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def wait(self, timeout=TIMEOUT):
        """Exit status; fails the test when the process does not end in time."""
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not exit within {timeout}s:\n" + self.text("err"))
        for t in self.threads:
            t.join(timeout)
        return rc

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        self.p.send_signal(sig)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def run(argv, input=None, timeout=TIMEOUT, env=None):
    """Run to completion: (status, stdout, stderr) as text."""
    full_env = dict(os.environ)
    full_env.pop("SSLKEYLOGFILE", None)
    if env:
        full_env.update(env)
    r = subprocess.run(argv, input=input.encode() if isinstance(input, str) else input,
                       capture_output=True, timeout=timeout, env=full_env, cwd=ROOT)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


class Server(Proc):
    """tlschatd on 127.0.0.1 and a port of the kernel's choosing."""

    def __init__(self, *args, plain=False, tls=True, env=None, listen="127.0.0.1"):
        argv = [TLSCHATD, "--listen", listen, "--port", "0"]
        if plain:
            argv.append("--plain")
        elif tls and "--cert" not in args:
            argv += ["--cert", cert("server.crt"), "--key", cert("server.key")]
        argv += list(args)
        super().__init__(argv, stdin=subprocess.DEVNULL, env=env, name="tlschatd")
        m = self.wait_line(r"listening on (\S+):(\d+)")
        self.port = int(m.group(2))
        self.host = "127.0.0.1" if listen == "127.0.0.1" else m.group(1).strip("[]")

    def stop(self, sig=signal.SIGTERM):
        if self.alive():
            self.signal(sig)
        return self.wait()


class LineConn:
    """A Python peer: a socket (TLS through Python's ssl module, or plain) read
    line by line with deadlines."""

    def __init__(self, port, tls=True, host="127.0.0.1", ca=None, certfile=None, keyfile=None,
                 server_hostname="localhost", handshake=True, source=None):
        """source: the loopback address to connect from (127.0.0.2, ...), as
        another machine would; the server limits connections per address."""
        raw = socket.create_connection((host, port), timeout=TIMEOUT,
                                       source_address=(source, 0) if source else None)
        if tls:
            ctx = ssl.create_default_context(cafile=ca or cert("ca.crt"))
            if certfile:
                ctx.load_cert_chain(certfile, keyfile)
            self.sock = ctx.wrap_socket(raw, server_hostname=server_hostname,
                                        do_handshake_on_connect=handshake)
        else:
            self.sock = raw
        self.buf = b""
        self.at_eof = False

    def send(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.sock.sendall(line if line.endswith(b"\n") else line + b"\n")

    def sendraw(self, data):
        self.sock.sendall(data)

    def readline(self, timeout=TIMEOUT):
        """The next line as text, or None at end of stream (the socket is then
        closed, as a real client would: a server lingering for our close is
        not kept waiting)."""
        deadline = time.monotonic() + timeout
        if self.at_eof and not self.buf:
            return None
        while b"\n" not in self.buf and not self.at_eof:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line within {timeout}s (have {self.buf[:200]!r})")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ssl.SSLError, ConnectionResetError) as e:
                if self.buf:
                    break
                raise AssertionError(f"connection failed: {e}")
            if not chunk:
                self.at_eof = True
                self.close()
                if not self.buf:
                    return None
                break
            self.buf += chunk
        line, sep, rest = self.buf.partition(b"\n")
        self.buf = rest
        return line.decode("utf-8", "replace").rstrip("\r")

    def expect(self, pattern, timeout=TIMEOUT, skip=True):
        """Read lines until one matches (skip=True) or the next one must match."""
        rx = re.compile(pattern)
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.readline(max(0.01, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"connection closed before /{pattern}/; saw {seen}")
            if rx.search(line):
                return line
            seen.append(line)
            if not skip:
                raise AssertionError(f"expected /{pattern}/, got {line!r}")

    def closed(self, timeout=TIMEOUT):
        """True when the peer closes (lines before the close are dropped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.readline(max(0.01, deadline - time.monotonic())) is None:
                    return True
            except AssertionError as e:
                if "connection failed" in str(e):
                    return True
                raise
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def wait_for(cond, timeout=TIMEOUT, what="condition", step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def have(cmd):
    return shutil.which(cmd) is not None


# ---- helpers for the test_*.py files (added with the chat/e2e tests) ----

import hashlib  # noqa: E402
import unittest  # noqa: E402


def sanitized():
    """True when the binaries under test were built with AddressSanitizer
    (make asan): slower, and memory figures include ASan's own."""
    try:
        with open(TLSCHATD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def vmrss_kb(pid):
    """Resident memory of a process in kB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def fingerprint_der(der):
    """The "sha256:HEX" form tlschat prints and --pin takes."""
    return "sha256:" + hashlib.sha256(der).hexdigest()


def fingerprint_pem(path):
    with open(path) as f:
        return fingerprint_der(ssl.PEM_cert_to_DER_cert(f.read()))


def client_hello(server_hostname="localhost"):
    """The bytes of a real TLS ClientHello, made with Python's ssl over memory BIOs."""
    ctx = ssl.create_default_context(cafile=cert("ca.crt"))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def tlschat_argv(port, *args, plain=False, host="127.0.0.1"):
    """tlschat against 127.0.0.1:port, verifying with the test CA (or --plain)."""
    base = [TLSCHAT, "--plain"] if plain else [TLSCHAT, "--ca", cert("ca.crt")]
    return base + list(args) + [host, str(port)]


SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")


class Case(unittest.TestCase):
    """A TestCase whose servers, clients and sockets are cleaned up after it.
    A server still running at the end is stopped with SIGTERM and must exit 0
    with no sanitizer report: every test also checks that the server survived."""

    def server(self, *args, **kw):
        s = Server(*args, **kw)
        self.addCleanup(self._finish_server, s)
        return s

    def _finish_server(self, s):
        if s.alive():
            s.signal(signal.SIGTERM)
        rc = s.wait()
        log = s.text()
        self.assertIsNone(SANITIZER_REPORT.search(log), "tlschatd: sanitizer report:\n" + log)
        self.assertEqual(rc, 0, "tlschatd did not exit 0 after the test:\n" + log)

    def proc(self, argv, **kw):
        p = Proc(argv, **kw)
        self.addCleanup(p.kill)
        self.addCleanup(p.close_stdin)
        return p

    def tlschat(self, port, *args, plain=False, **kw):
        return self.proc(tlschat_argv(port, *args, plain=plain), name="tlschat", **kw)

    def connect(self, port, **kw):
        c = LineConn(port, **kw)
        self.addCleanup(c.close)
        return c

    def join(self, srv, nick=None, tls=True, poke=True, **kw):
        """A Python client in the room as a guest: welcome read, then the nick
        set (the rename read back). poke: speak first (an empty line, which
        the room ignores), so that the server greets at once: a plaintext
        server after its sniffing pause, and any server before the hold for a
        newcomer's first line (src/server/chat_hold.c) runs out."""
        c = self.connect(srv.port, tls=tls, **kw)
        if poke:
            c.sendraw(b"\n")
        welcome = c.readline()
        m = re.match(r"\* welcome, ([A-Za-z0-9_-]+)[ :]", welcome or "")
        self.assertTrue(m, f"expected a welcome line, got {welcome!r}")
        c.nick = m.group(1)
        if nick and nick != c.nick:
            c.send(f"/nick {nick}")
            self.assertEqual(c.readline(), f"* {c.nick} is now {nick}")
            c.nick = nick
        return c

    def assert_quiet(self, conn, seconds=0.3):
        """Nothing arrives on conn for a short, bounded while."""
        try:
            line = conn.readline(seconds)
        except AssertionError as e:
            if "no line within" in str(e):
                return
            raise
        self.fail(f"expected nothing, got {line!r}")

    def assert_closed(self, conn, timeout=TIMEOUT):
        """The peer closes conn (EOF or reset) within timeout; lines before are ignored."""
        self.assertTrue(conn.closed(timeout), f"the connection was not closed within {timeout}s")


def line_conn(sock):
    """A LineConn around a socket the test connected (and wrapped) itself."""
    c = LineConn.__new__(LineConn)
    c.sock = sock
    c.buf = b""
    c.at_eof = False
    return c


class PyTLSServer:
    """An independent peer: a one-connection TLS server written with Python's
    ssl (plain=True: a plain socket), in a thread. It sends greeting, then
    answers each line with answer(line) (bytes); "close" gets "closed", a
    close_notify (TLS), and the end. received holds the lines it got; version
    the TLS version it negotiated."""

    def __init__(self, greeting=b"", answer=None, max_version=None, certfile=None, keyfile=None,
                 plain=False, host="127.0.0.1"):
        self.plain = plain
        if not plain:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certfile or cert("server.crt"), keyfile or cert("server.key"))
            if max_version:
                self.ctx.maximum_version = max_version
        self.greeting = greeting
        self.answer = answer or (lambda line: b"got: " + line + b"\n")
        self.lsock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.lsock.bind((host, 0))
        self.lsock.listen(4)
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.received = []
        self.version = None
        self.error = None
        self.clean_close = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.lsock.accept()
            conn.settimeout(TIMEOUT)
            with conn if self.plain else self.ctx.wrap_socket(conn, server_side=True) as s:
                self.version = None if self.plain else s.version()
                if self.greeting:
                    s.sendall(self.greeting)
                buf = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        line = line.rstrip(b"\r")
                        self.received.append(line.decode("utf-8", "replace"))
                        if line.lower() == b"close":
                            s.sendall(b"closed\n")
                            if not self.plain:
                                try:
                                    s.unwrap()  # close_notify (and the peer's, when it sends one)
                                except (ssl.SSLError, OSError):
                                    pass
                            self.clean_close = True
                            return
                        s.sendall(self.answer(line))
        except Exception as e:  # the test reads it
            self.error = e

    def close(self):
        try:
            self.lsock.close()
        except OSError:
            pass
        self.thread.join(TIMEOUT)
