#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""pty_answer.py ANSWER COMMAND...: runs COMMAND with its stdin and stderr on a
terminal of its own (stdout stays where it was), waits for its "(yes/no)"
question, answers ANSWER, then (on yes) waits for the connect line, types one
chat line and ends the input (^D). What the terminal showed goes to stderr
(CR LF as LF); the exit status is COMMAND's. Every wait is bounded."""
import os
import pty
import re
import select
import subprocess
import sys
import time

WAIT = float(os.environ.get("TLSCHAT_TEST_TIMEOUT", "60"))


def main():
    answer, cmd = sys.argv[1].encode(), sys.argv[2:]
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdin=slave, stderr=slave)
    os.close(slave)
    seen = b""

    def read_until(pattern):
        nonlocal seen
        deadline = time.monotonic() + WAIT
        while not re.search(pattern, seen) and time.monotonic() < deadline:
            if select.select([master], [], [], max(0.0, deadline - time.monotonic()))[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    return False
                if not chunk:
                    return False
                seen += chunk
        return re.search(pattern, seen) is not None

    if read_until(rb"\(yes/no\) "):
        os.write(master, answer + b"\n")
        if answer == b"yes" and read_until(rb"connected to [^\n]*\n"):
            os.write(master, b"hello from the README test\n")
            os.write(master, b"\x04")
    try:
        rc = p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    while True:
        try:
            if not select.select([master], [], [], 0.2)[0]:
                break
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    sys.stderr.write(seen.decode("utf-8", "replace").replace("\r\n", "\n"))
    sys.exit(rc)


if __name__ == "__main__":
    main()
