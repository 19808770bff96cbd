#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""capture_picture.py - the picture of scripts/capture.sh: compare.png.

The same conversation as three timelines, one above the other: the
plaintext run (each message with its words and its size), the TLS run (each
record's size: the length leaks) and a TLS run with --pad (every record of
one size). Each bar is one message on the wire, in the order sent; its
height is the bytes an eavesdropper sees (the TCP payload in plaintext, the
TLS record's length over TLS); the colour says which way it went.

Input: what tshark printed about the captures, as scripts/capture_report.py
reads it (its fields are listed at its top): DIR/plain.tsv, and the
decrypted.tsv of each TLS run, named by --tls and --padded. Only the
messages of the scripted conversation are drawn: the client's (alice's)
three lines and their echo (or relay to bob).

Prints what it drew, one row a line: "NAME: SIZE SIZE ...".

Exit status: 0 drawn; 1 bad input (one sentence on stderr); 2 usage error or
no matplotlib (Debian: python3-matplotlib).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capture_report as cr  # noqa: E402  (beside this script)

PROG = "capture_picture.py"
COLOURS = {"to server": "#1f77b4", "from server": "#ff7f0e"}


class Msg:
    def __init__(self, time, to_server, size, text):
        self.time, self.to_server, self.size, self.text = time, to_server, size, text


def wanted_lines(args):
    return [cr.line_bytes("hi"), cr.line_bytes(args.message), cr.line_bytes(args.long_line)]


def which_line(data, lines):
    """The scripted line a payload carries (alone, or relayed as "<nick> LINE"), or None."""
    for line in lines:
        if data == line or (data.startswith(b"<") and data.endswith(b"> " + line)):
            return line
    return None


def plain_messages(segments, port, lines):
    out = []
    for s in segments:
        line = which_line(s.payload, lines)
        if line is not None:
            out.append(Msg(s.time, s.dst == port, s.length, cr.wire_text(s.payload)))
    return out


def tls_messages(packets, port, lines):
    out = []
    for p in packets:
        data = iter(p.data)
        for t, length in zip(p.types, p.lengths):
            if t != cr.APPLICATION_DATA:
                continue
            payload = next(data, b"")
            line = which_line(payload, lines)
            if line is not None:
                out.append(Msg(p.time, p.dst == port, length, cr.wire_text(payload)))
    return out


def draw(rows, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    n = max(len(msgs) for _, msgs, _ in rows)
    top = max((m.size for _, msgs, _ in rows for m in msgs), default=1)
    fig, axes = plt.subplots(len(rows), 1, figsize=(9, 2.3 * len(rows) + 0.8), sharex=True, sharey=True)
    for ax, (name, msgs, words) in zip(axes, rows):
        xs = list(range(len(msgs)))
        ax.bar(xs, [m.size for m in msgs], color=[COLOURS["to server" if m.to_server else "from server"]
                                                  for m in msgs], width=0.6)
        for x, m in zip(xs, msgs):
            short = cr.shorten(m.text.replace("\\n", ""), 16)
            label = f'"{short}"\n{m.size} B' if words else f"{m.size} B"
            ax.annotate(label, (x, m.size), xytext=(0, 3), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8)
        ax.set_title(name, loc="left", fontsize=10)
        ax.set_ylabel("bytes on the wire")
        ax.set_ylim(0, top * 1.35)
        ax.grid(axis="y", alpha=0.3)
    axes[-1].set_xticks(range(n))
    axes[-1].set_xticklabels([f"{i + 1}" for i in range(n)])
    axes[-1].set_xlabel("messages in the order sent")
    fig.legend(handles=[Patch(color=COLOURS["to server"], label="client -> server"),
                        Patch(color=COLOURS["from server"], label="server -> client")],
               loc="upper right", fontsize=8)
    fig.suptitle(title, x=0.02, ha="left", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(out, dpi=80)
    plt.close(fig)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{PROG}: {message} (see {PROG} --help).\n")


def parse_args(argv):
    p = Parser(prog=PROG, description="Draw compare.png from tshark's output saved in DIR.")
    p.add_argument("dir", metavar="DIR", help="the directory with plain.tsv and the decrypted .tsv files")
    p.add_argument("--out", required=True, help="the PNG file to write")
    p.add_argument("--plain-port", type=int, required=True, help="the plaintext server's port")
    p.add_argument("--tls", nargs=3, metavar=("FILE", "PORT", "NAME"), required=True,
                   help="the unpadded TLS run: its decrypted .tsv in DIR, its port, its name in the picture")
    p.add_argument("--padded", nargs=3, metavar=("FILE", "PORT", "NAME"), required=True,
                   help="the padded TLS run, as --tls")
    p.add_argument("--message", required=True, help="the secret message of the run")
    p.add_argument("--long-line", required=True, help="the 100-character line of the run")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"{PROG}: matplotlib is not installed: install the Debian package python3-matplotlib "
              "(sudo apt-get install python3-matplotlib).", file=sys.stderr)
        return 2
    d = Path(args.dir)
    lines = wanted_lines(args)
    try:
        plain = plain_messages(cr.read_plain(d / "plain.tsv"), args.plain_port, lines)
        runs = []
        for f, port, name in (args.tls, args.padded):
            runs.append((name, tls_messages(cr.read_decrypted(d / f), int(port), lines)))
    except (cr.InputError, ValueError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    if not plain or any(not msgs for _, msgs in runs):
        print(f"{PROG}: a capture holds none of the conversation's lines: nothing to draw.", file=sys.stderr)
        return 1
    rows = [("plaintext: the words themselves, and their lengths", plain, True)]
    rows += [(name, msgs, False) for name, msgs in runs]
    draw(rows, args.out, "The same conversation, as an eavesdropper sees it")
    for name, msgs, _ in rows:  # what was drawn, for a reader without eyes (and the tests)
        print(f"{name}: " + " ".join(str(m.size) for m in msgs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
