#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""capture_report.py - the eavesdropper's report of scripts/capture.sh.

Reads what tshark printed about the two captures (tab-separated fields, one
packet a line; capture.sh runs tshark and saves them into one directory) and
prints sections 1 to 4 of the report: the plaintext run, the TLS run, both
side by side, and what TLS does not hide.

  DIR/plain.tsv      plain.pcapng, packets with a TCP payload:
                     frame.time_relative tcp.srcport tcp.dstport tcp.len tcp.payload
  DIR/tls.tsv        tls.pcapng, TLS packets (lists joined with ","):
                     frame.time_relative tcp.srcport tcp.dstport tls.record.content_type
                     tls.record.opaque_type tls.record.length tls.handshake.type
  DIR/decrypted.tsv  tls-decrypted.pcapng, TLS packets:
                     frame.time_relative tcp.srcport tcp.dstport tls.record.content_type
                     tls.record.length data.data
  DIR/facts.tsv      tls.pcapng, first SYNs, ClientHello, ServerHello, Certificate:
                     tcp.flags.syn ip.src tcp.srcport ip.dst tcp.dstport tls.handshake.type
                     tls.handshake.extensions_server_name
                     tls.handshake.extensions.supported_version tls.handshake.version
                     tls.handshake.ciphersuite x509sat.uTF8String x509sat.printableString
                     x509ce.dNSName tls.handshake.extensions_alpn_str
                     (the last, ALPN, may be missing: captures saved before
                     capture.sh asked for it; the report then says nothing of it)

Payload bytes are kept one character per byte (Latin-1) from input to output,
so column widths count bytes, as the report always has, and any UTF-8 in a
message reaches the terminal unchanged.

Exit status: 0 done; 1 an input file is missing, empty or not what tshark
prints (one sentence on stderr); 2 usage error. Python 3 standard library only.
"""

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROG = "capture_report.py"

CONTENT_TYPES = {
    20: "change_cipher_spec",
    21: "alert",
    22: "handshake",
    23: "application_data",
    24: "heartbeat",
}

HANDSHAKE_TYPES = {
    1: "ClientHello",
    2: "ServerHello",
    4: "NewSessionTicket",
    8: "EncryptedExtensions",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
}

VERSIONS = {"0x0304": "TLS 1.3", "0x0303": "TLS 1.2", "0x0302": "TLS 1.1", "0x0301": "TLS 1.0"}

CIPHER_SUITES = {
    "0x1301": "TLS_AES_128_GCM_SHA256",
    "0x1302": "TLS_AES_256_GCM_SHA384",
    "0x1303": "TLS_CHACHA20_POLY1305_SHA256",
}

HANDSHAKE = 22
APPLICATION_DATA = 23


class InputError(Exception):
    """An input file that is missing, empty or malformed: the message is one sentence."""


# ---------------------------------------------------------------------------
# Reading tshark's output


@dataclass
class Segment:  # plain.tsv: one TCP segment with a payload
    time: float
    src: int
    dst: int
    length: int
    payload: bytes


@dataclass
class TlsPacket:  # tls.tsv: the records of one packet, as the eavesdropper sees them
    time: float
    src: int
    dst: int
    clear_types: list  # content types of the records in clear
    opaque_types: list  # outer types of the encrypted records (TLS 1.3)
    lengths: list  # every record's length: the clear ones first
    handshakes: list  # handshake message types readable in clear


@dataclass
class DecryptedPacket:  # decrypted.tsv: the same packets, decrypted
    time: float
    src: int
    dst: int
    types: list  # inner content types
    lengths: list
    data: list  # the application data, one bytes per record that has some


@dataclass
class Fact:  # facts.tsv: a connection's first SYN, or a handshake message in clear
    syn: bool
    src: str
    src_port: int
    dst: str
    dst_port: int
    handshakes: list
    sni: str
    supported_version: str
    version: str
    cipher_suites: str
    utf8_names: str
    printable_names: str
    dns_names: str
    alpn: str = None  # None: the column was not recorded


class Fields:
    """The fields of one line of a file, with the place to name in errors."""

    def __init__(self, path, number, line, count):
        self.where = f"{path.name}, line {number}"
        self.values = line.split("\t")
        counts = count if isinstance(count, tuple) else (count,)
        if len(self.values) not in counts:
            count = " or ".join(str(c) for c in counts)
            raise InputError(f"{self.where} has {len(self.values)} tab-separated fields "
                             f"where tshark -T fields prints {count}.")

    def text(self, i):
        return self.values[i]

    def number(self, i, what):
        try:
            return int(self.values[i])
        except ValueError:
            raise InputError(f"{self.where}: the {what} '{self.values[i]}' is not a whole number.") from None

    def time(self, i):
        try:
            return float(self.values[i])
        except ValueError:
            raise InputError(f"{self.where}: the time '{self.values[i]}' is not a number of seconds.") from None

    def numbers(self, i, what):
        """A list tshark joined with commas ("22,20,23"); empty for no value."""
        value = self.values[i]
        if value == "":
            return []
        try:
            return [int(v) for v in value.split(",")]
        except ValueError:
            raise InputError(f"{self.where}: the {what} '{value}' is not a list of whole numbers.") from None

    def hex_list(self, i, what):
        """Hex strings joined with commas, as bytes; empty for no value."""
        value = self.values[i]
        if value == "":
            return []
        try:
            return [bytes.fromhex(v) for v in value.split(",")]
        except ValueError:
            raise InputError(f"{self.where}: the {what} is not hexadecimal bytes.") from None


def read_lines(path, count):
    """Each line of PATH split into COUNT fields (a number, or a tuple of the
    numbers allowed); the file must exist."""
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}.") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [Fields(path, n, line, count) for n, line in enumerate(lines, 1)]


def read_plain(path):
    segments = []
    for f in read_lines(path, 5):
        payloads = f.hex_list(4, "payload")
        if len(payloads) != 1:
            raise InputError(f"{f.where}: a segment needs one payload, as hexadecimal bytes.")
        segments.append(Segment(f.time(0), f.number(1, "source port"), f.number(2, "destination port"),
                                f.number(3, "length"), payloads[0]))
    return segments


def read_tls(path):
    packets = []
    for f in read_lines(path, 7):
        p = TlsPacket(f.time(0), f.number(1, "source port"), f.number(2, "destination port"),
                      f.numbers(3, "record types"), f.numbers(4, "opaque record types"),
                      f.numbers(5, "record lengths"), f.numbers(6, "handshake types"))
        records = len(p.clear_types) + len(p.opaque_types)
        if records != len(p.lengths):
            raise InputError(f"{f.where}: {len(p.lengths)} record lengths for {records} records.")
        packets.append(p)
    return packets


def read_decrypted(path):
    packets = []
    for f in read_lines(path, 6):
        p = DecryptedPacket(f.time(0), f.number(1, "source port"), f.number(2, "destination port"),
                            f.numbers(3, "record types"), f.numbers(4, "record lengths"),
                            f.hex_list(5, "application data"))
        if len(p.types) != len(p.lengths):
            raise InputError(f"{f.where}: {len(p.lengths)} record lengths for {len(p.types)} records.")
        packets.append(p)
    return packets


def read_facts(path):
    facts = []
    for f in read_lines(path, (13, 14)):
        # tshark 4.0 prints a flag as 1 or 0, later versions as True or False.
        facts.append(Fact(f.text(0) in ("1", "True"), f.text(1), f.number(2, "source port"),
                          f.text(3), f.number(4, "destination port"), f.numbers(5, "handshake types"),
                          *(f.text(i) for i in range(6, len(f.values)))))
    return facts


# ---------------------------------------------------------------------------
# Text as the eavesdropper reads it


def wire_text(payload):
    """Bytes as text: printable ASCII and bytes from 0x80 as they are, the rest escaped."""
    out = []
    for b in payload:
        if b == 10:
            out.append("\\n")
        elif b == 13:
            out.append("\\r")
        elif b == 9:
            out.append("\\t")
        elif b == 92:
            out.append("\\\\")
        elif b >= 32 and b != 127:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def shorten(s, n):
    return s if len(s) <= n else s[:n - 3] + "..."


def header(title):
    return ["", title, "-" * len(title)]


class Names:
    """Ports to names: the server's port is "server"; the clients are named in
    the order they first appear (client, or bob then alice in chat mode)."""

    def __init__(self, server_port, clients):
        self.server_port = server_port
        self.clients = clients
        self.given = {}

    def who(self, port):
        if port == self.server_port:
            return "server"
        if port not in self.given:
            n = len(self.given) + 1
            self.given[port] = self.clients[n - 1] if n <= len(self.clients) else f"client{n}"
        return self.given[port]

    def direction(self, src, dst):
        return f"{self.who(src)} -> {self.who(dst)}"


# ---------------------------------------------------------------------------
# The sections


def plain_section(segments, names):
    lines = header("1. Plaintext run (plain.pcapng): the eavesdropper reads every byte")
    lines.append("  %8s  %-16s %5s  %s" % ("time (s)", "from -> to", "bytes", "payload, as read off the wire"))
    for s in segments:
        lines.append("  %8.4f  %-16s %5d  %s" % (s.time, names.direction(s.src, s.dst), s.length,
                                                 wire_text(s.payload)))
    return lines


def record_notes(p):
    """What to say after each record of a TLS packet: the handshake messages
    readable in clear, or that a record is encrypted."""
    one_each = p.clear_types.count(HANDSHAKE) == len(p.handshakes)
    messages = iter(p.handshakes)
    first = True
    notes = []
    for t in p.clear_types:
        note = ""
        if t == HANDSHAKE:
            if one_each:
                note = f"{handshake_name(next(messages))}, in clear"
            elif not p.handshakes:
                note = "encrypted handshake"
            elif first:  # messages and records do not pair up: all of them on the first
                note = ", ".join(handshake_name(h) for h in p.handshakes) + ", in clear"
            first = False
        elif t == APPLICATION_DATA:
            note = "encrypted"
        notes.append(note)
    # Records in clear come first in a packet, the encrypted ones (TLS 1.3:
    # opaque type 23) after them.
    notes += ["encrypted"] * len(p.opaque_types)
    return notes


def handshake_name(t):
    return HANDSHAKE_TYPES.get(t, f"handshake type {t}")


def content_type_name(t):
    return CONTENT_TYPES.get(t, f"type {t}")


def tls_section(packets, names):
    lines = header("2. TLS run (tls.pcapng): the eavesdropper sees record types and sizes only")
    lines.append("  %8s  %-16s %-24s %5s" % ("time (s)", "from -> to", "TLS record type", "bytes"))
    for p in packets:
        types = p.clear_types + p.opaque_types
        if not types:
            continue
        direction = names.direction(p.src, p.dst)
        for t, length, note in zip(types, p.lengths, record_notes(p)):
            lines.append("  %8.4f  %-16s %-24s %5d%s" % (p.time, direction, f"{content_type_name(t)} ({t})",
                                                        length, f"  {note}" if note else ""))
    return lines


@dataclass
class Stretch:  # a stretch of one direction's byte stream: [start, end)
    direction: str
    start: int
    end: int
    size: int  # what the eavesdropper sees: the segment's or the record's length


def plain_stretches(segments, names):
    """Each plaintext segment as the stretch of its direction's stream it carried."""
    position = {}
    stretches = []
    for s in segments:
        d = names.direction(s.src, s.dst)
        start = position.get(d, 0)
        position[d] = start + s.length
        stretches.append(Stretch(d, start, start + s.length, s.length))
    return stretches


def record_stretches(packets, names):
    """Each application-data record as the stretch of its direction's stream it
    carried (known from the decrypted copy), with the record's size on the wire."""
    position = {}
    stretches = []
    for p in packets:
        data = iter(p.data)
        for t, length in zip(p.types, p.lengths):
            if t != APPLICATION_DATA:
                continue
            d = names.direction(p.src, p.dst)
            start = position.get(d, 0)
            position[d] = start + len(next(data, b""))
            stretches.append(Stretch(d, start, position[d], length))
    return stretches


def carried_by(segment, records):
    """The records that carried any byte of the segment."""
    return [r for r in records
            if r.direction == segment.direction and r.start < segment.end and r.end > segment.start]


def tls_column(records):
    sizes = " + ".join(str(r.size) for r in records)
    if len(records) == 1:
        return f"application_data, {sizes} bytes"
    if records:
        return f"{len(records)} application_data records, {sizes} bytes"
    return "(no TLS record carried these bytes)"


def side_by_side_section(segments, plain_names, decrypted, tls_names):
    lines = header("3. Side by side: each message as the eavesdropper reads it")
    lines.append("  %-16s %-36s %9s | %s" % ("from -> to", "plaintext run", "", "TLS run"))
    records = record_stretches(decrypted, tls_names)
    for s, stretch in zip(segments, plain_stretches(segments, plain_names)):
        text = '"' + shorten(wire_text(s.payload), 34) + '"'
        lines.append("  %-16s %-36s %3d bytes | %s" % (stretch.direction, text, s.length,
                                                       tls_column(carried_by(stretch, records))))
    return lines


def client_record_sizes(decrypted, server_port, wanted):
    """For each wanted line (bytes), the size of the first record from a
    client that carried exactly it; None when none did."""
    sizes = [None] * len(wanted)
    for p in decrypted:
        if p.src == server_port:
            continue
        data = iter(p.data)
        for t, length in zip(p.types, p.lengths):
            if t != APPLICATION_DATA:
                continue
            d = next(data, b"")
            for k, want in enumerate(wanted):
                if sizes[k] is None and d == want:
                    sizes[k] = length
    return sizes


def version_name(v):
    return VERSIONS.get(v, v)


def cipher_name(c):
    return CIPHER_SUITES.get(c, f"cipher suite {c}")


@dataclass
class HandshakeFacts:
    connections: list
    sni: str = ""
    version: str = ""
    cipher: str = ""
    cert: str = ""
    alpn_offered: str = None  # None: not recorded; "": none offered
    alpn_chosen: str = None  # None: not seen in clear


def handshake_facts(facts):
    """The connections, SNI, ALPN, version, cipher and certificate line from
    the first of each kind of packet."""
    h = HandshakeFacts([])
    for f in facts:
        if f.syn:
            h.connections.append(f"{f.src}:{f.src_port} -> {f.dst}:{f.dst_port}")
            continue
        if 1 in f.handshakes and h.sni == "":
            h.sni = f.sni
        if 1 in f.handshakes and h.alpn_offered is None and f.alpn is not None:
            h.alpn_offered = f.alpn.replace(",", ", ")
        if 2 in f.handshakes and h.version == "":
            h.version = version_name(f.supported_version or f.version)
            h.cipher = cipher_name(f.cipher_suites)
            if f.alpn:
                h.alpn_chosen = f.alpn
        if 11 in f.handshakes and h.cert == "":
            names = ",".join(n for n in (f.utf8_names, f.printable_names) if n)
            h.cert = "IN CLEAR, with its names: " + names.replace(",", ", ")
            if f.dns_names:
                h.cert += "; DNS names: " + f.dns_names.replace(",", ", ")
    return h


def alpn_lines(h):
    """What the eavesdropper reads of the application protocol (ALPN)."""
    if h.alpn_offered is None:
        return []
    if not h.alpn_offered:
        return ["  - the application protocol (ALPN, in the ClientHello): none offered"]
    lines = [f"  - the application protocol the client asked for (ALPN, in the ClientHello): {h.alpn_offered}"]
    if h.alpn_chosen:
        lines.append(f"    and the server's choice, in the ServerHello, also in clear: {h.alpn_chosen}")
    elif h.version == "TLS 1.3":
        lines.append("    (the server's choice travels encrypted in TLS 1.3: the offer names the protocol anyway)")
    return lines


def lengths_lines(sizes, overhead, message, pad, tls):
    hi, secret, long = (("?" if s is None else s) for s in sizes)
    if pad is not None:
        if hi == long and hi == secret:
            return [f'  - message lengths: hidden by --pad {pad}: "hi", the secret and the 100-character line all',
                    f"    went in records of {hi} bytes; every record now carries a multiple of {pad} bytes (plus",
                    "    the 16-byte tag), so only a message longer than that shows in the size"]
        return [f'  - message lengths: even with --pad {pad}, "hi" went in a record of {hi} bytes, the secret',
                f"    in one of {secret} and the 100-character line in one of {long}: the padding block is",
                "    smaller than the longest line; a larger one, such as --pad 256, hides them"]
    hides = "TLS 1.3 with --pad 256 hides it" if tls == "1.2" else "--pad 256 hides it"
    return [f'  - message lengths: "hi" went in a record of {hi} bytes, the secret ({len(message)} characters)',
            f"    in one of {secret}, the 100-character line in one of {long}: each record is the line",
            f"    plus {overhead} bytes, so its size gives the length away ({hides})"]


def not_hidden_section(facts, decrypted, args):
    h = handshake_facts(facts)
    connections, sni, version, cipher, cert = h.connections, h.sni, h.version, h.cipher, h.cert
    lines = header("4. What TLS does not hide")
    lines.append("  - who talks to whom, and when: addresses and ports are never encrypted:")
    lines += [f"      {c}" for c in connections]
    lines.append(f"  - the server name the client asked for (SNI, in the ClientHello): {sni or 'none sent'}")
    lines += alpn_lines(h)
    lines.append(f"  - the protocol version and cipher: {version or '?'}, {cipher or '?'}")
    if cert:
        lines.append(f"  - the server certificate: {cert}")
    else:
        why = "TLS 1.3 encrypts it" if version == "TLS 1.3" else "it was not sent in clear"
        lines.append(f"  - the server certificate: not visible here, {why};")
        lines.append("    with TLS 1.2 it crosses in clear (names, issuer, validity)")
    # The three lines the client (alice) sent, and the TLS overhead from "hi".
    wanted = [line_bytes("hi"), line_bytes(args.message), line_bytes(args.long_line)]
    sizes = client_record_sizes(decrypted, args.tls_port, wanted)
    overhead = "?" if sizes[0] is None else sizes[0] - len(wanted[0])
    lines += lengths_lines(sizes, overhead, args.message, args.pad, args.tls)
    lines.append("  - timing: when each message was sent and how soon it was answered (the time column above)")
    return lines


def line_bytes(text):
    """A chat line as it crosses the wire: the argument's own bytes and a newline."""
    return os.fsencode(text) + b"\n"


# ---------------------------------------------------------------------------


def report(args):
    """The report's lines, or InputError."""
    d = Path(args.dir)
    plain = read_plain(d / "plain.tsv")
    tls = read_tls(d / "tls.tsv")
    decrypted = read_decrypted(d / "decrypted.tsv")
    facts = read_facts(d / "facts.tsv")
    if not plain:
        raise InputError("the plaintext capture holds no payload: the capture missed the conversation.")
    if not tls:
        raise InputError("the TLS capture holds no TLS records: the capture missed the conversation.")
    clients = ["bob", "alice"] if args.mode == "chat" else ["client"]
    # Each section names the clients afresh, in the order its own input shows them.
    return (plain_section(plain, Names(args.plain_port, clients))
            + tls_section(tls, Names(args.tls_port, clients))
            + side_by_side_section(plain, Names(args.plain_port, clients), decrypted,
                                   Names(args.tls_port, clients))
            + not_hidden_section(facts, decrypted, args))


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{PROG}: {message} (see {PROG} --help).\n")


def parse_args(argv):
    p = Parser(prog=PROG, description="Print sections 1-4 of scripts/capture.sh's report from tshark's "
                                      "output saved in DIR (plain.tsv, tls.tsv, decrypted.tsv, facts.tsv).")
    p.add_argument("dir", metavar="DIR", help="the directory with the four .tsv files")
    p.add_argument("--plain-port", type=int, required=True, help="the plaintext server's port")
    p.add_argument("--tls-port", type=int, required=True, help="the TLS server's port")
    p.add_argument("--mode", choices=("echo", "chat"), default="echo", help="names the clients (default echo)")
    p.add_argument("--message", required=True, help="the secret message of the run")
    p.add_argument("--long-line", required=True, help="the 100-character line of the run")
    p.add_argument("--pad", type=int, help="the --pad BYTES of the run, if any")
    p.add_argument("--tls", choices=("1.2", "1.3"), default="1.3", help="the TLS version of the run")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        lines = report(args)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(("\n".join(lines) + "\n").encode("latin-1"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
