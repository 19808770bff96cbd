#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""make_pcap.py OUT SERVER_PORT < SCRIPT: a pcap of one TCP connection on
loopback, made by hand (no capture rights needed), for the dissector tests.
Each line of SCRIPT is "c TEXT" (the client sends TEXT) or "s TEXT" (the
server sends it), one segment each; TEXT is a Python string literal, so a
segment can end mid-line or hold several lines ("s '<alice> hel'"); a bytes
literal is sent as it is.
Sequence numbers follow the bytes sent; checksums are left 0 (Wireshark does
not check them by default)."""
import ast
import struct
import sys

CLIENT_PORT = 40000


def packet(src_port, dst_port, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    return b"\0" * 12 + b"\x08\x00" + ip + tcp  # Ethernet, addresses 0


def main():
    out, server_port = sys.argv[1], int(sys.argv[2])
    seq = {"c": 1000, "s": 5000}
    frames = [(CLIENT_PORT, server_port, seq["c"], 0, 0x02, b""),
              (server_port, CLIENT_PORT, seq["s"], seq["c"] + 1, 0x12, b""),
              (CLIENT_PORT, server_port, seq["c"] + 1, seq["s"] + 1, 0x10, b"")]
    seq = {"c": seq["c"] + 1, "s": seq["s"] + 1}
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        who, text = line[0], ast.literal_eval(line[2:])
        text = text if isinstance(text, bytes) else text.encode()
        other = "s" if who == "c" else "c"
        ports = (CLIENT_PORT, server_port) if who == "c" else (server_port, CLIENT_PORT)
        frames.append((*ports, seq[who], seq[other], 0x18, text))
        seq[who] += len(text)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (sp, dp, s, a, fl, pl) in enumerate(frames):
            data = packet(sp, dp, s, a, fl, pl)
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(data), len(data)) + data)


if __name__ == "__main__":
    main()
