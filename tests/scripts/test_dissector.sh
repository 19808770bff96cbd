#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Tests for scripts/tlschat.lua, the Wireshark dissector of the chat protocol,
# with tshark on captures made by hand (tests/scripts/lib/make_pcap.py): no
# capture rights needed. The real captures (plain and decrypted TLS) are
# checked in test_capture.sh. Prints "ok - WHAT" / "not ok - WHAT", then
# "N passed, N failed" (", N skipped"); exits 1 if any check failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
LUA=$root/scripts/tlschat.lua
MAKE_PCAP=$here/lib/make_pcap.py

# shellcheck source=tap.sh
. "$here/tap.sh"

if ! command -v tshark >/dev/null 2>&1; then
    skip "the dissector" "tshark is not installed (scripts/install-deps.sh installs it)"
    tap_summary
    exit
fi
if ! tshark -v 2>/dev/null | grep -q 'with Lua'; then
    skip "the dissector" "this tshark is built without Lua (Debian's is built with it)"
    tap_summary
    exit
fi

# fields PCAP [TSHARK ARGS...]: frame, direction, kind, nick, text of each tlschat packet.
fields() {
    local pcap=$1
    shift
    tshark -n -r "$pcap" -X "lua_script:$LUA" "$@" -T fields -E occurrence=a -E aggregator='|' \
        -e frame.number -e tlschat.direction -e tlschat.kind -e tlschat.nick -e tlschat.text 2>"$work/tshark.err"
}

expect() { # WHAT WANT GOT
    if [[ $2 == "$3" ]]; then
        ok "$1"
    else
        not_ok "$1" "expected:" "$2" "got:" "$3" "$(grep -v '^Running as' "$work/tshark.err")"
    fi
}

# A conversation on port 5555: alice's client, the server's lines, a line
# split over two segments, several lines in one segment.
python3 "$MAKE_PCAP" "$work/chat.pcap" 5555 <<'SCRIPT'
c '/nick alice\n'
s '* welcome, guest1: 1 online, /help for commands\n* guest1 is now alice\n'
c 'hello '
c 'world\nsecond line\n'
s '<alice> hello world\n<alice> second line\n*private* <bob> psst\n! no such nick: carol\n<bo'
s 'b> split across segments\n'
s '* bob left (quit)\n'
c 'close\n'
s 'closed\n'
SCRIPT

got=$(fields "$work/chat.pcap" -d tcp.port==5555,tlschat -Y tlschat)
want=$'4\tclient -> server\tcommand\t\t/nick alice
5\tserver -> client|server -> client\tjoin|join\tguest1|guest1\twelcome, guest1: 1 online, /help for commands|guest1 is now alice
7\tclient -> server|client -> server\tchat|chat\talice|alice\thello world|second line
8\tserver -> client|server -> client|server -> client|server -> client\tchat|chat|private|error\talice|alice|bob|\thello world|second line|psst|no such nick: carol
9\tserver -> client\tchat\tbob\tsplit across segments
10\tserver -> client\tjoin\tbob\tbob left (quit)
11\tclient -> server\tcommand\talice\tclose
12\tserver -> client\tclosed\t\tclosed'
expect "Decode As tlschat: each line with its direction, kind, nick and text" "$want" "$got"
check "a line split across two segments is read once it is whole" grep -q $'^9\t.*split across segments' <<<"$got"
check "several lines in one segment are each an item" grep -q $'^8\t.*|.*|.*|' <<<"$got"
check "a client's line gets the nick the server gave that connection" grep -q $'^7\tclient -> server|client -> server\tchat|chat\talice|alice' <<<"$got"

got=$(fields "$work/chat.pcap" -d tcp.port==5555,tlschat -Y 'tlschat.nick == "alice"' | cut -f1 | tr '\n' ' ')
expect 'tlschat.nick == "alice" selects the lines alice sent and their copies' "7 8 11 " "$got"
got=$(fields "$work/chat.pcap" -d tcp.port==5555,tlschat -Y 'tlschat.kind == "private"' | cut -f1)
expect 'tlschat.kind == "private" selects the private line' "8" "$got"

# Without Decode As: the first segment, "/nick alice", is a form only tlschat
# uses, so the heuristic takes the connection.
got=$(fields "$work/chat.pcap" -Y tlschat | cut -f1 | tr '\n' ' ')
expect "without Decode As the heuristic recognises the connection" "4 5 7 8 9 10 11 12 " "$got"

# Text that is no tlschat on another port is left alone.
python3 "$MAKE_PCAP" "$work/http.pcap" 5556 <<'SCRIPT'
c 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
s 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
SCRIPT
got=$(fields "$work/http.pcap" -d tcp.port==5556,data -Y tlschat)
expect "an unrelated text protocol is not taken for tlschat" "" "$got"

# Port 8443 is tlschatd's default, plain or TLS: a TLS record there goes to TLS.
hello=$(python3 -c 'import ssl
ctx = ssl.create_default_context()
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
s = ctx.wrap_bio(i, o, server_hostname="localhost")
try:
    s.do_handshake()
except ssl.SSLWantReadError:
    pass
print(repr(o.read()))')
printf 'c %s\n' "$hello" | python3 "$MAKE_PCAP" "$work/tls8443.pcap" 8443
got=$(tshark -n -r "$work/tls8443.pcap" -X "lua_script:$LUA" -Y 'tls.handshake.type == 1' -T fields -e frame.number 2>/dev/null)
expect "on port 8443 a TLS ClientHello is read as TLS" "4" "$got"
python3 "$MAKE_PCAP" "$work/plain8443.pcap" 8443 <<'SCRIPT'
c 'hi there\n'
SCRIPT
got=$(fields "$work/plain8443.pcap" -Y tlschat)
expect "on port 8443 a plaintext line is read as tlschat" $'4\tclient -> server\tchat\t\thi there' "$got"

tap_summary
