#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Tests for scripts/capture_report.py, the report of scripts/capture.sh, on
tshark output saved as text: no root, no tshark, no network.

fixtures/capture_report/*/ are real runs (see the README there): the report
must print exactly their expected.txt. The other cases are made here, line by
line as tshark prints them. Prints "ok - WHAT" or "not ok - WHAT" per test
(details on stderr, as "#" lines), then "N passed, N failed"; exits 1 if any
test failed. Python 3 standard library only.
"""

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REPORT = ROOT / "scripts" / "capture_report.py"
FIXTURES = HERE / "fixtures" / "capture_report"

PLAIN_PORT, TLS_PORT = 5000, 6000
CLIENT, CLIENT2 = 40000, 40001
LONG_LINE = "A line of exactly one hundred characters: its record is far longer than the one that carried the hi."


# ---------------------------------------------------------------------------
# Lines as tshark prints them (-T fields -E separator=/t -E occurrence=a -E aggregator=,)


def joined(values):
    return ",".join(str(v) for v in values)


def plain_line(time, src, dst, payload):
    return f"{time}\t{src}\t{dst}\t{len(payload)}\t{payload.hex()}"


def tls_line(time, src, dst, clear=(), opaque=(), lengths=(), handshakes=()):
    return f"{time}\t{src}\t{dst}\t{joined(clear)}\t{joined(opaque)}\t{joined(lengths)}\t{joined(handshakes)}"


def decrypted_line(time, src, dst, types=(), lengths=(), data=()):
    return f"{time}\t{src}\t{dst}\t{joined(types)}\t{joined(lengths)}\t{joined(d.hex() for d in data)}"


def syn_line(src_port, dst_port, flag="1"):
    return "\t".join([flag, "127.0.0.1", str(src_port), "127.0.0.1", str(dst_port)] + [""] * 8)


def hello_line(src_port, dst_port, handshakes, sni="", supported="", version="", suites="",
               utf8="", printable="", dns=""):
    return "\t".join(["0", "127.0.0.1", str(src_port), "127.0.0.1", str(dst_port), joined(handshakes),
                      sni, supported, version, suites, utf8, printable, dns])


# A small TLS 1.3 echo run: "hi" and back, then close.
HI = b"hi\n"
PLAIN = [plain_line("0.001", CLIENT, PLAIN_PORT, HI), plain_line("0.002", PLAIN_PORT, CLIENT, HI)]
TLS = [tls_line("0.001", CLIENT, TLS_PORT, clear=[22], lengths=[264], handshakes=[1]),
       tls_line("0.002", TLS_PORT, CLIENT, clear=[22, 20], opaque=[23, 23], lengths=[122, 1, 23, 505],
                handshakes=[2]),
       tls_line("0.003", CLIENT, TLS_PORT, opaque=[23], lengths=[20]),
       tls_line("0.004", TLS_PORT, CLIENT, opaque=[23], lengths=[20])]
DECRYPTED = [decrypted_line("0.001", CLIENT, TLS_PORT, [22], [264]),
             decrypted_line("0.002", TLS_PORT, CLIENT, [22, 20, 22, 22], [122, 1, 23, 505]),
             decrypted_line("0.003", CLIENT, TLS_PORT, [23], [20], [HI]),
             decrypted_line("0.004", TLS_PORT, CLIENT, [23], [20], [HI])]
FACTS = [syn_line(CLIENT, TLS_PORT),
         hello_line(CLIENT, TLS_PORT, [1], sni="localhost", supported="0x0304,0x0303", version="0x0303",
                    suites="0x1302,0x1303,0x1301"),
         hello_line(TLS_PORT, CLIENT, [2], supported="0x0304", version="0x0303", suites="0x1302")]


class Run:
    """One run of capture_report.py: exit status, stdout lines and stderr."""

    def __init__(self, directory, args):
        argv = [sys.executable, str(REPORT), *args, str(directory)]
        p = subprocess.run(argv, capture_output=True, timeout=30)
        self.rc = p.returncode
        self.out = p.stdout.decode("latin-1")
        self.lines = self.out.split("\n")
        self.err = p.stderr.decode("utf-8", "replace")


def report(plain=PLAIN, tls=TLS, decrypted=DECRYPTED, facts=FACTS, args=(), raw=None):
    """Writes the four files (each a list of lines; RAW maps a file name to
    its exact text) into a new directory and runs the report on them."""
    files = {"plain.tsv": plain, "tls.tsv": tls, "decrypted.tsv": decrypted, "facts.tsv": facts}
    with tempfile.TemporaryDirectory() as d:
        for name, lines in files.items():
            if lines is not None:
                text = "".join(f"{line}\n" for line in lines)
                Path(d, name).write_text((raw or {}).get(name, text), encoding="latin-1")
        return Run(d, ["--plain-port", str(PLAIN_PORT), "--tls-port", str(TLS_PORT), "--message=hi there",
                       f"--long-line={LONG_LINE}", *args])


def section(run, number):
    """The lines of section NUMBER (1 to 4) under its title and underline."""
    start = next(i for i, line in enumerate(run.lines) if line.startswith(f"{number}. "))
    return run.lines[start + 2:run.lines.index("", start)]


def table(run, number):
    """The rows of the table of section NUMBER (1 to 3), without its column heads."""
    return section(run, number)[1:]


def direction(row):
    """The "from -> to" of a row of section 1 or 2."""
    return " ".join(row.split()[1:4])


def side_by_side(run):
    """Section 3 as (direction, TLS column) pairs."""
    return [(line[2:18].strip(), line.split(" | ", 1)[1]) for line in table(run, 3)]


# ---------------------------------------------------------------------------


class RealRuns(unittest.TestCase):
    """Saved output of real capture.sh runs gives exactly the report they printed."""

    def check_fixture(self, name):
        d = FIXTURES / name
        args = (d / "args").read_text(encoding="utf-8").splitlines()
        run = Run(d, args)
        self.assertEqual(run.rc, 0, run.err)
        self.assertEqual(run.err, "")
        self.assertEqual(run.out, (d / "expected.txt").read_bytes().decode("latin-1"))

    def test_echo_tls13(self):
        """real run, echo mode, TLS 1.3: the report is the one capture.sh printed"""
        self.check_fixture("echo-tls13")

    def test_tls12(self):
        """real run, --tls 1.2: the certificate in clear, with its names"""
        self.check_fixture("tls12")

    def test_chat_pad256(self):
        """real run, chat mode with --pad 256: bob and alice, every record 272 bytes"""
        self.check_fixture("chat-pad256")

    def test_pad64(self):
        """real run, --pad 64: the long line still shows in its record's size"""
        self.check_fixture("pad64")

    def test_utf8(self):
        """real run, a UTF-8 message: its bytes pass through, widths count bytes"""
        self.check_fixture("utf8")

    def test_alpn_tls13(self):
        """real run with ALPN, TLS 1.3: the ClientHello offers tlschat/1 in clear"""
        self.check_fixture("alpn-tls13")

    def test_alpn_tls12(self):
        """real run with ALPN, TLS 1.2: the offer and the ServerHello's choice in clear"""
        self.check_fixture("alpn-tls12")


class SideBySide(unittest.TestCase):
    def test_one_record_per_segment(self):
        """side by side: each segment with the record that carried it, both directions"""
        self.assertEqual(side_by_side(report()), [("client -> server", "application_data, 20 bytes"),
                                                  ("server -> client", "application_data, 20 bytes")])

    def test_segment_in_two_records(self):
        """side by side: a segment carried by two records lists both sizes"""
        line = b"hello world\n"
        run = report(plain=[plain_line("0.1", CLIENT, PLAIN_PORT, line)],
                     decrypted=[decrypted_line("0.1", CLIENT, TLS_PORT, [23, 23], [23, 25],
                                               [line[:6], line[6:]])])
        self.assertEqual(side_by_side(run), [("client -> server", "2 application_data records, 23 + 25 bytes")])

    def test_two_segments_in_one_record(self):
        """side by side: two segments sent in one record both map to it"""
        run = report(plain=[plain_line("0.1", CLIENT, PLAIN_PORT, b"a\n"),
                            plain_line("0.2", CLIENT, PLAIN_PORT, b"b\n")],
                     decrypted=[decrypted_line("0.1", CLIENT, TLS_PORT, [23], [21], [b"a\nb\n"])])
        self.assertEqual(side_by_side(run), [("client -> server", "application_data, 21 bytes")] * 2)

    def test_offsets_per_direction(self):
        """side by side: stream offsets count per direction, handshake and alert records add none"""
        run = report(plain=[plain_line("0.1", CLIENT, PLAIN_PORT, b"ab\n"),
                            plain_line("0.2", PLAIN_PORT, CLIENT, b"ab\n"),
                            plain_line("0.3", CLIENT, PLAIN_PORT, b"cd\n")],
                     decrypted=[decrypted_line("0.1", CLIENT, TLS_PORT, [22, 23], [53, 20], [b"ab\n"]),
                                decrypted_line("0.2", TLS_PORT, CLIENT, [23, 21], [30, 19], [b"ab\n"]),
                                decrypted_line("0.3", CLIENT, TLS_PORT, [23], [40], [b"cd\n"])])
        self.assertEqual(side_by_side(run), [("client -> server", "application_data, 20 bytes"),
                                             ("server -> client", "application_data, 30 bytes"),
                                             ("client -> server", "application_data, 40 bytes")])

    def test_no_record(self):
        """side by side: bytes no application-data record carried are said to be so"""
        run = report(decrypted=[decrypted_line("0.1", TLS_PORT, CLIENT, [23], [20], [HI])])
        self.assertEqual(side_by_side(run), [("client -> server", "(no TLS record carried these bytes)"),
                                             ("server -> client", "application_data, 20 bytes")])

    def test_text_escaped_and_shortened(self):
        """side by side and section 1: control bytes escaped, long text cut to 34 characters"""
        payload = b"tab\there\r\\ \x00\x7f and a long tail to cut off\n"
        run = report(plain=[plain_line("0.1", CLIENT, PLAIN_PORT, payload)])
        self.assertEqual(table(run, 1), [
            "    0.1000  client -> server    41  tab\\there\\r\\\\ \\x00\\x7f and a long tail to cut off\\n"])
        self.assertEqual(table(run, 3)[0].split(" | ")[0],
                         '  client -> server "tab\\there\\r\\\\ \\x00\\x7f and a lo..."  41 bytes')


class Sections(unittest.TestCase):
    def test_names(self):
        """clients are named in the order they first appear, beyond the known names client2..."""
        run = report(plain=[plain_line("0.1", CLIENT, PLAIN_PORT, HI), plain_line("0.2", CLIENT2, PLAIN_PORT, HI),
                            plain_line("0.3", PLAIN_PORT, CLIENT2, HI)])
        self.assertEqual([direction(line) for line in table(run, 1)],
                         ["client -> server", "client2 -> server", "server -> client2"])
        chat = report(plain=PLAIN[:1] + [plain_line("0.3", CLIENT2, PLAIN_PORT, HI)], args=["--mode", "chat"])
        self.assertEqual([direction(line) for line in table(chat, 1)], ["bob -> server", "alice -> server"])

    def test_record_notes(self):
        """TLS records: handshake messages named when in clear, everything else encrypted"""
        run = report(tls=[
            tls_line("0.1", CLIENT, TLS_PORT, clear=[22], lengths=[264], handshakes=[1]),
            tls_line("0.2", TLS_PORT, CLIENT, clear=[22], lengths=[700], handshakes=[2, 11, 14]),
            tls_line("0.3", CLIENT, TLS_PORT, clear=[22, 20, 22], lengths=[37, 1, 40], handshakes=[16]),
            tls_line("0.4", CLIENT, TLS_PORT, clear=[22, 99], lengths=[40, 5]),
            tls_line("0.5", TLS_PORT, CLIENT, clear=[22], opaque=[23], lengths=[9, 30], handshakes=[99]),
            tls_line("0.6", CLIENT, TLS_PORT, clear=[23, 21], lengths=[27, 26]),
        ])
        self.assertEqual([line[29:].rstrip() for line in table(run, 2)], [
            "handshake (22)             264  ClientHello, in clear",
            "handshake (22)             700  ServerHello, Certificate, ServerHelloDone, in clear",
            "handshake (22)              37  ClientKeyExchange, in clear",
            "change_cipher_spec (20)      1",
            "handshake (22)              40",
            "handshake (22)              40  encrypted handshake",
            "type 99 (99)                 5",
            "handshake (22)               9  handshake type 99, in clear",
            "application_data (23)       30  encrypted",
            "application_data (23)       27  encrypted",
            "alert (21)                  26",
        ])

    def test_sni_version_cipher(self):
        """what TLS does not hide: connections, SNI, version and cipher of a TLS 1.3 run"""
        lines = section(report(facts=FACTS + [syn_line(CLIENT2, TLS_PORT, flag="True")]), 4)
        self.assertEqual(lines[:6], [
            "  - who talks to whom, and when: addresses and ports are never encrypted:",
            f"      127.0.0.1:{CLIENT} -> 127.0.0.1:{TLS_PORT}",
            f"      127.0.0.1:{CLIENT2} -> 127.0.0.1:{TLS_PORT}",
            "  - the server name the client asked for (SNI, in the ClientHello): localhost",
            "  - the protocol version and cipher: TLS 1.3, TLS_AES_256_GCM_SHA384",
            "  - the server certificate: not visible here, TLS 1.3 encrypts it;",
        ])

    def test_alpn_none_offered(self):
        """ALPN recorded but not offered: said so; not recorded (older runs): not mentioned"""
        facts = [syn_line(CLIENT, TLS_PORT) + "\t",
                 hello_line(CLIENT, TLS_PORT, [1], sni="localhost", supported="0x0304,0x0303",
                            version="0x0303", suites="0x1302") + "\t",
                 hello_line(TLS_PORT, CLIENT, [2], supported="0x0304", version="0x0303", suites="0x1302") + "\t"]
        self.assertIn("  - the application protocol (ALPN, in the ClientHello): none offered",
                      section(report(facts=facts), 4))
        self.assertFalse([line for line in section(report(), 4) if "ALPN" in line])

    def test_no_sni(self):
        """what TLS does not hide: a ClientHello without SNI says none was sent"""
        facts = [FACTS[0], hello_line(CLIENT, TLS_PORT, [1], supported="0x0304"), FACTS[2]]
        self.assertIn("  - the server name the client asked for (SNI, in the ClientHello): none sent",
                      section(report(facts=facts), 4))

    def test_certificate_in_clear(self):
        """what TLS does not hide: a TLS 1.2 certificate in clear, with its names"""
        facts = [FACTS[0], FACTS[1],
                 hello_line(TLS_PORT, CLIENT, [2, 11, 12, 14], version="0x0303", suites="0xc02c",
                            utf8="tlschat local CA,localhost", printable="Example", dns="localhost,chat.example")]
        lines = section(report(facts=facts, args=["--tls", "1.2"]), 4)
        self.assertIn("  - the protocol version and cipher: TLS 1.2, cipher suite 0xc02c", lines)
        self.assertIn("  - the server certificate: IN CLEAR, with its names: tlschat local CA, localhost, Example;"
                      " DNS names: localhost, chat.example", lines)
        self.assertIn("    plus 17 bytes, so its size gives the length away (TLS 1.3 with --pad 256 hides it)", lines)

    def test_no_handshake_seen(self):
        """what TLS does not hide: with no handshake in the capture, unknowns are '?'"""
        lines = section(report(facts=[]), 4)
        self.assertIn("  - the protocol version and cipher: ?, ?", lines)
        self.assertIn("  - the server certificate: not visible here, it was not sent in clear;", lines)

    def test_lengths(self):
        """message lengths: the records of "hi", the secret and the long line, and the overhead"""
        secret, long = b"hi there\n", LONG_LINE.encode() + b"\n"
        decrypted = DECRYPTED + [decrypted_line("0.5", CLIENT, TLS_PORT, [23], [26], [secret]),
                                 decrypted_line("0.6", CLIENT, TLS_PORT, [23], [118], [long])]
        lines = section(report(decrypted=decrypted), 4)
        self.assertEqual(lines[-4:-1], [
            '  - message lengths: "hi" went in a record of 20 bytes, the secret (8 characters)',
            "    in one of 26, the 100-character line in one of 118: each record is the line",
            "    plus 17 bytes, so its size gives the length away (--pad 256 hides it)",
        ])

    def test_lengths_unknown(self):
        """message lengths: records not found are '?', not a guess"""
        lines = section(report(decrypted=[]), 4)
        self.assertIn('  - message lengths: "hi" went in a record of ? bytes, the secret (8 characters)', lines)
        self.assertIn("    plus ? bytes, so its size gives the length away (--pad 256 hides it)", lines)


class BadInput(unittest.TestCase):
    """Bad input: status 1 (2 for usage), one sentence on stderr, no report."""

    def check_refused(self, run, *words, rc=1):
        self.assertEqual(run.rc, rc, run.err)
        self.assertEqual(run.out, "")
        self.assertEqual(len(run.err.splitlines()), 1, run.err)
        self.assertTrue(run.err.startswith("capture_report.py: "), run.err)
        self.assertTrue(run.err.rstrip().endswith("."), run.err)
        for w in words:
            self.assertIn(w, run.err)

    def test_missing_file(self):
        """bad input: a missing file is named"""
        self.check_refused(report(facts=None), "cannot read ", "facts.tsv", "No such file")

    def test_empty_plain(self):
        """bad input: no plaintext payload means the capture missed the conversation"""
        self.check_refused(report(plain=[]), "the plaintext capture holds no payload")

    def test_empty_tls(self):
        """bad input: no TLS records means the capture missed the conversation"""
        self.check_refused(report(tls=[]), "the TLS capture holds no TLS records")

    def test_not_tab_separated(self):
        """bad input: a line that is not tshark's tab-separated fields"""
        self.check_refused(report(raw={"plain.tsv": "0.1 40000 5000 3 68690a\n"}),
                           "plain.tsv, line 1 has 1 tab-separated fields where tshark -T fields prints 5.")

    def test_blank_line(self):
        """bad input: a blank line in the middle"""
        self.check_refused(report(tls=TLS[:1] + [""] + TLS[1:]), "tls.tsv, line 2 has 1 tab-separated fields")

    def test_bad_numbers(self):
        """bad input: ports, times and lengths that are not numbers"""
        self.check_refused(report(plain=[plain_line("0.1", "x", PLAIN_PORT, HI)]),
                           "plain.tsv, line 1", "source port 'x'")
        self.check_refused(report(decrypted=[decrypted_line("soon", CLIENT, TLS_PORT)]),
                           "decrypted.tsv, line 1", "time 'soon'")
        self.check_refused(report(tls=[tls_line("0.1", CLIENT, TLS_PORT, clear=["22;20"], lengths=[1])]),
                           "tls.tsv, line 1", "'22;20' is not a list of whole numbers")

    def test_bad_hex(self):
        """bad input: a payload that is not hexadecimal"""
        self.check_refused(report(raw={"plain.tsv": "0.1\t40000\t5000\t2\thi\n"}),
                           "plain.tsv, line 1", "not hexadecimal")

    def test_records_and_lengths_disagree(self):
        """bad input: as many record lengths as records, or it is not tshark's"""
        self.check_refused(report(tls=[tls_line("0.1", CLIENT, TLS_PORT, clear=[22, 20], lengths=[264])]),
                           "tls.tsv, line 1: 1 record lengths for 2 records")

    def test_usage(self):
        """usage error: one sentence, status 2"""
        with tempfile.TemporaryDirectory() as d:
            self.check_refused(Run(d, ["--plain-port", "1"]), "--tls-port", rc=2)


# ---------------------------------------------------------------------------


class Result(unittest.TestResult):
    """"ok - WHAT" or "not ok - WHAT" per test; a failure's details on stderr."""

    def __init__(self):
        super().__init__()
        self.passed = 0

    @staticmethod
    def what(test):
        return test.shortDescription() or test.id()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        print(f"ok - {self.what(test)}", flush=True)

    def not_ok(self, test, err):
        print(f"not ok - {self.what(test)}", flush=True)
        for line in self._exc_info_to_string(err, test).splitlines():
            print(f"#   {line}", file=sys.stderr, flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.not_ok(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self.not_ok(test, err)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = Result()
    suite.run(result)
    failed = len(result.failures) + len(result.errors)
    print(f"{result.passed} passed, {failed} failed")
    return 0 if failed == 0 and result.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
