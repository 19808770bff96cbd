# SPDX-License-Identifier: ISC
"""tlschat's terminal interface, driven as a user would: the real client in a
tmux pane (a real terminal), its screen read with tmux capture-pane. Lines
arriving while someone types scroll above the input line and never touch it;
editing, history, completion, paste, resize, wide characters, colours, and
leaving. Waits are on what the screen shows, with generous deadlines."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile

from harness import TIMEOUT, TLSCHAT, Case, have, tlschat_argv, wait_for

ROW = re.compile(r"^\d\d:\d\d ")  # a line of its own starts with its time stamp


def processes():
    """(pid, command line) of every process still there when read."""
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                yield int(p), f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError):
            continue  # gone meanwhile, or not a process


class Pane:
    """One tmux server of the test's own (its own socket) with one pane running argv."""

    def __init__(self, case, argv, width=80, height=20, env=None):
        self.dir = tempfile.mkdtemp(prefix="tlschat-tmux-")
        case.addCleanup(shutil.rmtree, self.dir, True)
        self.sock = os.path.join(self.dir, "sock")
        full_env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        full_env.update(env or {})
        envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in full_env.items())
        # After tlschat ends, the pane says how, and stays for the test to read.
        cmd = f"env -u NO_COLOR {envs} {shlex.join(argv)}; echo tlschat-exit=$?; exec sleep 600"
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), cmd)
        case.addCleanup(self.close)

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True, timeout=TIMEOUT)
        if r.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {r.stderr}")
        return r.stdout

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=TIMEOUT)

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "t")

    def rows(self):
        return self.screen().split("\n")

    def wait(self, pattern, what=None):
        rx = re.compile(pattern, re.M)
        try:
            return wait_for(lambda: rx.search(self.screen()), what=what or f"/{pattern}/ on the screen")
        except AssertionError as e:
            raise AssertionError(f"{e}\nthe screen:\n{self.screen()}")

    def type(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)

    def keys(self, *names):
        self.tmux("send-keys", "-t", "t", *names)

    def input_line(self):
        """The bottom row: the prompt and what is being typed."""
        rows = [r for r in self.rows()]
        while rows and rows[-1] == "":
            rows.pop()
        return rows[-1] if rows else ""

    def wait_input(self, text):
        try:
            wait_for(lambda: self.input_line().rstrip() == text.rstrip(), what=f"the input line {text!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}\nthe screen:\n{self.screen()}")


class TerminalInterface(Case):
    def setUp(self):
        if not have("tmux"):
            self.skipTest("no tmux (scripts/install-deps.sh installs it)")

    def bob(self, srv, *args, **kw):
        """tlschat --nick bob in a terminal, with alice (a Python client) in the room."""
        pane = Pane(self, tlschat_argv(srv.port, "--nick", "bob", *args), **kw)
        pane.wait(r"^\d\d:\d\d \* welcome, bob: \d+ online")
        pane.wait_input("[bob]>")
        return pane

    def test_typing_is_never_garbled_by_arriving_lines(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv, width=160)
        self.assertEqual(alice.readline(), "* bob joined")
        pane.wait(r"^\d\d:\d\d \*   alice$")  # on joining, /who: who is here
        pane.type("half-typed te")
        pane.wait_input("[bob]> half-typed te")
        alice.send("another message arrives while bob types")
        pane.wait(r"^\d\d:\d\d <alice> another message arrives while bob types$")
        # The input line is exactly what was typed; the arriving line is above it.
        self.assertEqual(pane.input_line().rstrip(), "[bob]> half-typed te")
        rows = pane.rows()
        self.assertEqual([r for r in rows if "half-typed" in r], ["[bob]> half-typed te"])
        self.assertEqual([r for r in rows if "another message" in r],
                         [r for r in rows if ROW.match(r) and "<alice> another message" in r])
        pane.type("xt")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> half-typed text")
        pane.wait(r"^\d\d:\d\d <bob> half-typed text$")  # our own line, as the room sees it
        pane.wait_input("[bob]>")
        # The status line: state, head count, nick, server, TLS version, what verified it.
        pane.wait(rf"^ \d\d:\d\d \| connected \| 2 online \| you are bob \| 127\.0\.0\.1:{srv.port} \| "
                  r"TLSv1\.3, verified by CA \S+ca\.crt *$")
        self.assertNotIn("guest", pane.screen())

    def test_whois_server_is_answered_here_and_never_sent(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv, width=160)
        self.assertEqual(alice.readline(), "* bob joined")
        pane.type("/whois-server")
        pane.keys("Enter")
        # tlschat's own lines: the server's key, its words, what verified it.
        pane.wait(r"key [^,]+, words (\d{5} ){4}\d{5}")
        pane.wait(r"verified by CA \S+ca\.crt")
        # The room never hears it: the next line alice gets is bob's next one.
        pane.type("after whois")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> after whois")

    def test_editing_history_and_completion(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv)
        self.assertEqual(alice.readline(), "* bob joined")
        pane.type("helo")
        pane.keys("Left")
        pane.type("l")
        pane.wait_input("[bob]> hello")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> hello")
        pane.keys("Up")  # history
        pane.wait_input("[bob]> hello")
        pane.keys("Home")
        pane.type("oh ")
        pane.keys("End", "BSpace")
        pane.wait_input("[bob]> oh hell")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> oh hell")
        pane.type("junk words")
        pane.keys("C-w")
        pane.wait_input("[bob]> junk")
        pane.keys("C-u")
        pane.wait_input("[bob]>")
        pane.type("first second")
        pane.keys("Home", "C-k")
        pane.wait_input("[bob]>")
        pane.type("one two")
        pane.keys("Left", "Left", "Left", "DC")
        pane.wait_input("[bob]> one wo")
        pane.keys("C-u")
        pane.keys("Up", "Up", "Down")
        pane.wait_input("[bob]> oh hell")
        pane.keys("C-u")
        # Tab: nicks (": " at the start of a line) and commands.
        pane.type("al")
        pane.keys("Tab")
        pane.wait_input("[bob]> alice:")
        pane.type("hi")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> alice: hi")
        pane.type("/wh")
        pane.keys("Tab")
        pane.wait_input("[bob]> /who")
        pane.keys("Enter")
        pane.wait(r"^\d\d:\d\d \* 2 online:$")
        pane.wait(r"^\d\d:\d\d \*   alice$")

    def test_paste_sends_each_line(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv)
        self.assertEqual(alice.readline(), "* bob joined")
        pane.tmux("set-buffer", "-b", "p", "first pasted\nsecond pasted\nthird pasted\n")
        pane.tmux("paste-buffer", "-b", "p", "-t", "t")
        for want in ("first pasted", "second pasted", "third pasted"):
            self.assertEqual(alice.readline(), f"<bob> {want}")
        pane.wait(r"^\d\d:\d\d <bob> third pasted$")
        pane.wait_input("[bob]>")

    def test_resize_and_wrapped_lines(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv, width=80, height=20)
        self.assertEqual(alice.readline(), "* bob joined")
        pane.type("typing on")
        pane.tmux("resize-window", "-t", "t", "-x", "40", "-y", "12")
        wait_for(lambda: pane.tmux("display", "-p", "-t", "t", "#{pane_width}").strip() == "40", what="the resize")
        pane.wait_input("[bob]> typing on")
        # A line longer than the screen wraps; its continuation is indented,
        # so a message padded to wrap cannot pose as a line from someone else.
        alice.send("padded" + " " * 40 + "<carol> I am not carol")
        pane.wait(r"^ {8}<carol> I am not carol")
        for row in pane.rows():
            self.assertLessEqual(len(row), 40)
            if "<carol>" in row:
                self.assertIsNone(ROW.match(row), row)
        pane.wait_input("[bob]> typing on")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> typing on")

    def test_utf8_and_wide_characters(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv)
        self.assertEqual(alice.readline(), "* bob joined")
        pane.type("naïve 漢字 ok")
        pane.wait_input("[bob]> naïve 漢字 ok")
        pane.keys("Left", "Left", "Left", "BSpace")  # deletes 字, a character that takes two columns
        pane.wait_input("[bob]> naïve 漢 ok")
        pane.keys("Enter")
        self.assertEqual(alice.readline(), "<bob> naïve 漢 ok")
        alice.send("日本語のテキスト")
        pane.wait(r"^\d\d:\d\d <alice> 日本語のテキスト$")

    def test_colours_per_nick_and_no_color(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        pane = self.bob(srv)
        self.assertEqual(alice.readline(), "* bob joined")
        alice.send("in colour")
        pane.wait(r"<alice> in colour")
        coloured = [r for r in pane.screen(escapes=True).split("\n") if "in colour" in r][0]
        self.assertRegex(coloured, r"<\x1b\[[0-9;]*3[1-6]m")  # the nick in one of six colours
        for env, args in (({"NO_COLOR": "1"}, ()), ({}, ("--no-color",))):
            other = Pane(self, tlschat_argv(srv.port, *args), env=env)
            other.wait(r"^\d\d:\d\d \* welcome, guest\d+")
            alice.send("plain now")
            other.wait(r"<alice> plain now")
            row = [r for r in other.screen(escapes=True).split("\n") if "plain now" in r][0]
            self.assertNotRegex(row, r"\x1b\[[0-9;]*3[0-7]m", row)

    def test_taken_nick_takes_the_next_choice_and_ctrl_d_leaves(self):
        srv = self.server()
        alice = self.join(srv, "alice")
        self.join(srv, "bob")
        self.assertEqual(alice.readline(), "* guest2 joined")
        self.assertEqual(alice.readline(), "* guest2 is now bob")
        pane = Pane(self, tlschat_argv(srv.port, "--nick", "bob"))
        pane.wait(r"^\d\d:\d\d \* welcome, bob_: 3 online")
        pane.wait(r"-!- tlschat: the nick bob is taken: trying bob_")
        self.assertEqual(alice.readline(), "* bob_ joined")
        pane.wait_input("[bob_]>")
        pane.keys("C-d")  # on an empty line: leave
        self.assertEqual(alice.readline(), "* bob_ left (quit)")
        pane.wait(r"^tlschat-exit=0$")

    def test_server_gone_says_why_after_the_screen_is_given_back(self):
        srv = self.server()
        pane = Pane(self, tlschat_argv(srv.port))
        pane.wait(r"\* welcome, guest\d+: 1 online")  # greeted at once: it sends an empty line first
        srv.stop()
        pane.wait(r"^tlschat: the server shut down$")
        pane.wait(r"^tlschat-exit=1$")

    def test_killed_from_outside_gives_the_terminal_back(self):
        srv = self.server()
        argv = tlschat_argv(srv.port, "--nick", "bob")
        # After tlschat, the same shell reports how it ended and how the terminal is set.
        pane = Pane(self, ["sh", "-c", shlex.join(argv) + '; echo "ended=$?"; stty -a'])
        pane.wait(r"\* welcome, bob: 1 online")
        rx = re.compile(rf"^{re.escape(TLSCHAT)} .*--nick bob 127\.0\.0\.1 {srv.port}$")
        pids = [pid for pid, cmd in processes() if rx.match(cmd)]
        self.assertEqual(len(pids), 1, pids)
        os.kill(pids[0], signal.SIGTERM)
        pane.wait(r"^ended=143$")  # SIGTERM ended it, as before
        screen = pane.wait(r"(^|\s)icanon(\s|;|$)") and pane.screen()
        # The terminal is as it was found: line editing, echo and signals back.
        for flag in ("icanon", "echo", "isig"):
            self.assertRegex(screen, rf"(^|\s){flag}(\s|;|$)")
            self.assertNotRegex(screen, rf"(^|\s)-{flag}(\s|;|$)")
