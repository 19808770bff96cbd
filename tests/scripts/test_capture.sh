#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Tests for scripts/capture.sh, the Wireshark lab.
# Prints "ok - WHAT" or "not ok - WHAT" per check (details of failures go to
# stderr), then "N passed, N failed" (", N skipped"); exits 1 if any check failed.
# What cannot run here is skipped with the reason: everything without tshark;
# the capture runs without capture rights (root or dumpcap's capabilities), as
# for a user without sudo. CI runs it as root, where nothing is skipped.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
CAPTURE=$root/scripts/capture.sh
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$root/$BUILD
export BUILD

# shellcheck source=tap.sh
. "$here/tap.sh"
chmod 755 "$work"

if ! command -v tshark >/dev/null 2>&1; then
    skip "capture.sh" "tshark is not installed (scripts/install-deps.sh installs it)"
    tap_summary
    exit
fi

hex_of() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# ---------------------------------------------------------------------------
# watch_run NAME ARGS...: run capture.sh in the background, as ${runner[@]}
# (if set), with its own TMPDIR; record every process below it while it runs
# (pid and command line, into $work/NAME.pids); send it SIGINT once its stderr
# matches $interrupt_on (if set). Sets rc; output in $work/NAME.out/.err.
runner=()
interrupt_on=
watch_run() {
    local name=$1 pid end sent=0
    shift
    rc=
    mkdir -p "$work/$name.tmp"
    chmod 1777 "$work/$name.tmp"
    : >"$work/$name.pids"
    # A background job of a script starts with SIGINT ignored, and bash cannot
    # trap a signal ignored at entry: give capture.sh the default back.
    "${runner[@]}" env --default-signal=INT TMPDIR="$work/$name.tmp" "$CAPTURE" "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    bg_pids+=("$pid")
    end=$((SECONDS + 240))
    while pid_running "$pid"; do
        # Every descendant of $pid, with its command line.
        ps -e -o pid=,ppid=,args= | awk -v top="$pid" '
            { p[NR] = $1; pp[NR] = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); a[NR] = $0 }
            END {
                want[top] = 1
                do { more = 0
                    for (i = 1; i <= NR; i++) if ((pp[i] in want) && !(p[i] in want)) { want[p[i]] = 1; more = 1 }
                } while (more)
                for (i = 1; i <= NR; i++) if ((p[i] in want) && p[i] != top) printf "%s\t%s\n", p[i], a[i]
            }' >>"$work/$name.pids"
        if [[ -n $interrupt_on && $sent == 0 ]] && grep -q -- "$interrupt_on" "$work/$name.err"; then
            kill -INT "$pid"
            sent=1
        fi
        if ((SECONDS >= end)); then
            not_ok "$name: capture.sh finished within 240 s"
            stop_pid --name capture.sh "$pid" TERM 10
            rc=$?
            break
        fi
        sleep 0.05
    done
    if [[ -z $rc ]]; then
        wait "$pid"
        rc=$?
    fi
    sort -u -o "$work/$name.pids" "$work/$name.pids"
}

# run_environ_procs NAME: "PID<tab>command line" of every process whose
# environment holds run NAME's own TMPDIR: everything the run started inherits
# it, even a process too short-lived for watch_run to record.
run_environ_procs() {
    local f now
    grep -lzxF -- "TMPDIR=$work/$1.tmp" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
        now=$(tr '\0' ' ' <"${f%/environ}/cmdline" 2>/dev/null)
        f=${f#/proc/}
        printf '%s\t%s\n' "${f%/environ}" "${now% }"
    done
}

# leftovers NAME [PID...]: processes of run NAME still alive (same pid, same
# command line, not a zombie), except the PIDs given: those recorded while it
# ran and those with its TMPDIR.
leftovers() {
    local name=$1 pid args st now k
    shift
    while IFS=$'\t' read -r pid args; do
        for k in "$@"; do [[ $k == "$pid" ]] && continue 2; done
        [[ -r /proc/$pid/stat ]] || continue
        st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null)
        [[ $st == Z || -z $st ]] && continue
        now=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
        [[ ${now% } == "$args" ]] && printf '%s %s\n' "$pid" "$args"
    done < <({ cat "$work/$name.pids" && run_environ_procs "$name"; } | sort -u)
}

# check_clean NAME WHAT [PID...]: nothing of run NAME is left running (waiting
# up to a second for the kernel to finish), and its temporary files are gone.
check_clean() {
    local name=$1 what=$2 left end
    shift 2
    end=$((SECONDS + 1))
    while left=$(leftovers "$name" "$@") && [[ -n $left ]] && ((SECONDS <= end)); do
        sleep 0.1
    done
    if [[ -n $left ]]; then
        not_ok "$what: no process of the run is left" "still running: $left"
    else
        ok "$what: no process of the run is left"
    fi
    # Its TMPDIR holds only the --dir of the test ("out"), if that.
    local f extra=
    for f in "$work/$name.tmp"/* "$work/$name.tmp"/.[!.]*; do
        [[ -e $f && $f != "$work/$name.tmp/out" ]] && extra+=" ${f##*/}"
    done
    if [[ -n $extra ]]; then
        not_ok "$what: its temporary files are removed" "left:$extra"
    else
        ok "$what: its temporary files are removed"
    fi
}

expect_rc() { # WHAT WANT NAME
    if [[ $rc == "$2" ]]; then
        ok "$1"
    else
        not_ok "$1" "exit status $rc, expected $2" "stdout: $(tail -n 20 "$work/$3.out")" "stderr: $(cat "$work/$3.err")"
    fi
}

tls_port_of() { sed -n 's/^  TLS: *tlschatd on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/$1.out" | head -n 1; }

# payload_hex FILE: every TCP payload of a capture, as one hex string per line.
payload_hex() { tshark -n -r "$1" -Y tcp.payload -T fields -e tcp.payload 2>/dev/null; }

# decrypted_hex FILE PORT [TSHARK OPTIONS...]: the decrypted application data.
decrypted_hex() {
    local f=$1 port=$2
    shift 2
    tshark -n -r "$f" -d "tcp.port==$port,tls" "$@" -T fields -e data.data 2>/dev/null
}

# app_record_len FILE PORT HEX: the TLS record length of the client's
# application-data record that decrypts to HEX (from the embedded keys).
app_record_len() {
    tshark -n -r "$1" -d "tcp.port==$2,tls" -Y 'tls.record.content_type == 23' -T fields \
        -E occurrence=a -E aggregator=, -e tcp.dstport -e tls.record.content_type -e tls.record.length \
        -e data.data 2>/dev/null | awk -F '\t' -v port="$2" -v want="$3" '
        $1 == port {
            n = split($2, ct, ","); split($3, len, ","); split($4, data, ",")
            d = 0
            for (i = 1; i <= n; i++) if (ct[i] == 23) { d++; if (data[d] == want) { print len[i]; exit } }
        }'
}

# ---------------------------------------------------------------------------
# Prerequisites of the test itself

for p in "$BUILD/tlschatd" "$BUILD/tlschat"; do
    if [[ ! -x $p ]]; then
        not_ok "the programs are built" "$p is missing: run make first"
        printf '%d passed, %d failed\n' "$passed" "$failed"
        exit 1
    fi
done

# ---------------------------------------------------------------------------
# Usage

"$CAPTURE" --help >"$work/help.out" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -q -- '--keep-servers' "$work/help.out" && grep -q -- '--pad BYTES' "$work/help.out"; then
    ok "--help prints the options and exits 0"
else
    not_ok "--help prints the options and exits 0" "exit $rc" "$(head -n 5 "$work/help.out")"
fi

for args in "--message|"$'two\nlines' "--message|close" "--message|" "--mode|loud" "--port|65535" "--tls-port|0" "--pad|0" "--tls|1.1" "--bogus|"; do
    opt=${args%%|*}
    val=${args#*|}
    argv=("$opt")
    [[ $opt == --bogus ]] || argv+=("$val")
    "$CAPTURE" "${argv[@]}" --dir "$work/usage.out" >"$work/usage.stdout" 2>"$work/usage.err"
    rc=$?
    shown=$(printf '%q ' "${argv[@]}")
    if [[ $rc == 2 && $(wc -l <"$work/usage.err") == 1 && ! -e $work/usage.out ]]; then
        ok "usage error ${shown% }: one sentence, status 2, nothing made"
    else
        not_ok "usage error ${shown% }: one sentence, status 2, nothing made" "exit $rc" "$(cat "$work/usage.err")"
    fi
done

"$CAPTURE" --tls 1.2 --pad 256 --dir "$work/usage.out" >"$work/usage.stdout" 2>"$work/usage.err"
rc=$?
if [[ $rc == 2 ]] && grep -q 'TLS 1.3 records only' "$work/usage.err" && [[ ! -e $work/usage.out ]]; then
    ok "usage error --tls 1.2 --pad 256: padding is TLS 1.3 only, status 2"
else
    not_ok "usage error --tls 1.2 --pad 256: padding is TLS 1.3 only, status 2" "exit $rc" "$(cat "$work/usage.err")"
fi

"$CAPTURE" --udp --mode chat --dir "$work/usage.out" >"$work/usage.stdout" 2>"$work/usage.err"
rc=$?
if [[ $rc == 2 ]] && grep -q -- '--udp runs the tutorials' "$work/usage.err" && [[ ! -e $work/usage.out ]]; then
    ok "usage error --udp --mode chat: the UDP example has no chat mode, status 2"
else
    not_ok "usage error --udp --mode chat: the UDP example has no chat mode, status 2" "exit $rc" "$(cat "$work/usage.err")"
fi

TSHARK=/nonexistent/tshark "$CAPTURE" --dir "$work/notshark" >/dev/null 2>"$work/notshark.err"
rc=$?
if [[ $rc == 2 ]] && grep -q 'apt-get install tshark' "$work/notshark.err" && [[ $(wc -l <"$work/notshark.err") == 1 ]]; then
    ok "without tshark: one sentence naming the package tshark, status 2"
else
    not_ok "without tshark: one sentence naming the package tshark, status 2" "exit $rc" "$(cat "$work/notshark.err")"
fi
EDITCAP=/nonexistent/editcap "$CAPTURE" --dir "$work/noeditcap" >/dev/null 2>"$work/noeditcap.err"
rc=$?
if [[ $rc == 2 ]] && grep -q 'wireshark-common' "$work/noeditcap.err"; then
    ok "without editcap: names the package wireshark-common, status 2"
else
    not_ok "without editcap: names the package wireshark-common, status 2" "exit $rc" "$(cat "$work/noeditcap.err")"
fi
PYTHON=/nonexistent/python3 "$CAPTURE" --dir "$work/nopython" >/dev/null 2>"$work/nopython.err"
rc=$?
if [[ $rc == 2 ]] && grep -q 'apt-get install python3' "$work/nopython.err" && [[ $(wc -l <"$work/nopython.err") == 1 ]]; then
    ok "without python3: one sentence naming the package python3, status 2"
else
    not_ok "without python3: one sentence naming the package python3, status 2" "exit $rc" "$(cat "$work/nopython.err")"
fi

# ---------------------------------------------------------------------------
# Without capture rights: one sentence, status 2, nothing started.

may_capture() { dumpcap -i lo -L >/dev/null 2>&1; }

if ((EUID != 0)) && ! may_capture; then
    # A user without capture rights, as most are: the case itself.
    watch_run norights --dir "$work/norights.tmp/out"
elif ((EUID == 0)) && command -v setpriv >/dev/null 2>&1; then
    script=$CAPTURE
    if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$CAPTURE"; then
        # capture.sh reads files beside it (lib/procs.sh and more): copy the folder
        cp -R -- "$root/scripts" "$work/scripts" && chmod -R a+rX "$work/scripts"
        script=$work/scripts/capture.sh
    fi
    runner=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    CAPTURE_SAVED=$CAPTURE
    CAPTURE=$script
    watch_run norights --dir "$work/norights.tmp/out"
    CAPTURE=$CAPTURE_SAVED
    runner=()
fi
if [[ -e $work/norights.err ]]; then
    if [[ $rc == 2 && $(wc -l <"$work/norights.err") == 1 ]] &&
        grep -q 'dpkg-reconfigure wireshark-common' "$work/norights.err" && grep -q 'root' "$work/norights.err"; then
        ok "without capture rights: one sentence on how to get them, status 2"
    else
        not_ok "without capture rights: one sentence on how to get them, status 2" "exit $rc" "$(cat "$work/norights.err")"
    fi
    # By program name: the clone's own path may well contain "tlschat".
    if awk -F '\t' '{ split($2, a, " "); n = a[1]; sub(/.*\//, "", n) }
        n == "tlschatd" || n == "tlschat" || (n == "dumpcap" && $2 ~ / -w /) { found = 1 }
        END { exit !found }' "$work/norights.pids"; then
        not_ok "without capture rights: no server or capture was started" "$(cat "$work/norights.pids")"
    else
        ok "without capture rights: no server or capture was started"
    fi
    check_clean norights "without capture rights"
elif ((EUID == 0)); then
    skip "without capture rights" "dropping root's rights needs setpriv (Debian: util-linux)"
else
    skip "without capture rights" "this user may capture; root (to drop to nobody) or a user without capture rights runs it"
fi

# The rest needs capture rights.
if ! may_capture; then
    skip "the capture runs (echo, TLS 1.2, chat with --pad, occupied port, SIGINT)" \
        "they need capture rights on lo: run this suite as root (sudo bash tests/scripts/test_capture.sh), or let this user capture (sudo dpkg-reconfigure wireshark-common, answer Yes; sudo usermod -aG wireshark \$USER; log in again)"
    tap_summary
    exit
fi

# ---------------------------------------------------------------------------
# Under sudo, capture.sh hands what it made to the user who ran it (SUDO_UID,
# SUDO_GID), and that user may write into --dir. Links planted there must
# not make it write, chmod or chown anything else. The runs below are made as
# if under sudo by nobody, into a --dir holding such links, each to a
# root-owned file of its own.

sudo_as_nobody=(env SUDO_UID="$(id -u nobody)" SUDO_GID="$(id -g nobody)")
nobody_owner="$(id -u nobody):$(id -g nobody)"

target_of() { printf '%s/target.%s.%s' "$work" "$(basename "$(dirname "$1")")" "$2"; } # DIR NAME

# plant DIR NAME...: DIR/NAME is a symbolic link to a root-owned file, mode 600.
plant() {
    local d=$1 f t
    shift
    mkdir -p -- "$d"
    for f in "$@"; do
        t=$(target_of "$d" "$f")
        printf 'root only: %s\n' "$f" >"$t" && chown 0:0 "$t" && chmod 600 "$t" && ln -s -- "$t" "$d/$f"
    done
}

# targets_untouched WHAT DIR NAME...: each planted link's target kept its owner, mode and bytes.
targets_untouched() {
    local what=$1 d=$2 f t bad=
    shift 2
    for f in "$@"; do
        t=$(target_of "$d" "$f")
        if [[ $(stat -c %u:%g:%a "$t") != 0:0:600 || $(cat "$t") != "root only: $f" ]]; then
            bad+=" $f -> $(stat -c '%U:%G %a' "$t"): $(head -c 60 "$t")"
        fi
    done
    if [[ -z $bad ]]; then
        ok "$what: the links planted in --dir left their root-owned targets alone"
    else
        not_ok "$what: the links planted in --dir left their root-owned targets alone" "changed:$bad"
    fi
}

# ---------------------------------------------------------------------------
# The default run (echo mode): plain shows the secret, TLS hides it, the
# decrypted copy shows it again. As if under sudo, into a --dir with links
# where this run writes (plain.pcapng, keys.log) and where it does not
# (ca.crt and the servers' logs: only --keep-servers writes those).

secret="the password is swordfish $$"
secret_hex=$(hex_of "$secret")
out=$work/echo.tmp/out
echo_links=(plain.pcapng keys.log ca.crt tlschatd-plain.log tlschatd-tls.log)
plant "$out" "${echo_links[@]}"
runner=("${sudo_as_nobody[@]}")
watch_run echo --dir "$out" --message "$secret"
runner=()
expect_rc "echo run: exits 0" 0 echo
targets_untouched "echo run under sudo" "$out" "${echo_links[@]}"
made_as=$(stat -c '%F %u:%g' "$out/plain.pcapng" "$out/tls.pcapng" "$out/keys.log" "$out/tls-decrypted.pcapng" | sort -u)
check "echo run under sudo: what it made is regular files of the user who ran sudo" \
    test "$made_as" = "regular file $nobody_owner"
for f in ca.crt tlschatd-plain.log tlschatd-tls.log; do
    check "echo run under sudo: $f, which it did not make, is left as it was" test -L "$out/$f"
done
for f in plain.pcapng tls.pcapng keys.log tls-decrypted.pcapng; do
    check "echo run: made $f" test -s "$out/$f"
done
is_png() { [[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; }
check "echo run: made compare.png, a PNG picture" is_png "$out/compare.png"
check "echo run: compare.png belongs to the user who ran sudo" test "$(stat -c %u:%g "$out/compare.png")" = "$nobody_owner"
check "echo output: names compare.png and its padded third run" grep -q 'compare.png: .*with --pad 256' "$work/echo.out"
check "echo run: keys.log holds TLS 1.3 traffic secrets" grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$out/keys.log"
check "echo run: keys.log is readable by its owner only" test "$(stat -c %a "$out/keys.log")" = 600
port=$(tls_port_of echo)
check "echo run: reports the TLS port" test -n "$port"

if payload_hex "$out/plain.pcapng" | tr -d '\n' | grep -q "$secret_hex"; then
    ok "plain.pcapng: tshark reads the secret in the TCP payload"
else
    not_ok "plain.pcapng: tshark reads the secret in the TCP payload" "hex $secret_hex not in the payloads"
fi
check "plain.pcapng: the secret is in the file's bytes" grep -aqF -- "$secret" "$out/plain.pcapng"
if grep -aqF -- "$secret" "$out/tls.pcapng"; then
    not_ok "tls.pcapng: the secret is nowhere in the file's bytes"
else
    ok "tls.pcapng: the secret is nowhere in the file's bytes"
fi
if payload_hex "$out/tls.pcapng" | tr -d '\n' | grep -q "$secret_hex"; then
    not_ok "tls.pcapng: tshark finds no secret in the TCP payload"
else
    ok "tls.pcapng: tshark finds no secret in the TCP payload"
fi
if decrypted_hex "$out/tls.pcapng" "$port" -o tls.keylog_file: | grep -q "$secret_hex"; then
    not_ok "tls.pcapng: without the key log tshark decrypts nothing"
else
    ok "tls.pcapng: without the key log tshark decrypts nothing"
fi
if decrypted_hex "$out/tls-decrypted.pcapng" "$port" | grep -q "$secret_hex"; then
    ok "tls-decrypted.pcapng: tshark reads the secret with no key log option"
else
    not_ok "tls-decrypted.pcapng: tshark reads the secret with no key log option" \
        "$(decrypted_hex "$out/tls-decrypted.pcapng" "$port" | head -n 5)"
fi
if decrypted_hex "$out/tls.pcapng" "$port" -o "tls.keylog_file:$out/keys.log" | grep -q "$secret_hex"; then
    ok "tls.pcapng + keys.log: tshark -o tls.keylog_file: reads the secret"
else
    not_ok "tls.pcapng + keys.log: tshark -o tls.keylog_file: reads the secret"
fi

check "echo output: the plaintext section shows the secret verbatim" \
    grep -qF -- "$secret\\n" "$work/echo.out"
check "echo output: TLS records are listed by type and size" \
    grep -qE 'application_data \(23\) +[0-9]+' "$work/echo.out"
check "echo output: says the SNI name" grep -q 'SNI.*localhost' "$work/echo.out"
check "echo output: says what TLS 1.3 does with the certificate" grep -q 'TLS 1.3 encrypts it' "$work/echo.out"
check "echo output: tells how to Decode As TLS" grep -qF -- "-d tcp.port==$port,tls" "$work/echo.out"
check "echo output: tells how to use the key log" grep -qF -- "-o tls.keylog_file:" "$work/echo.out"
check "echo output: warns to delete keys.log" grep -q 'WARNING: .*keys.log' "$work/echo.out"
hi_len=$(app_record_len "$out/tls-decrypted.pcapng" "$port" "$(hex_of $'hi\n')")
long_hex=$(decrypted_hex "$out/tls-decrypted.pcapng" "$port" | tr ',' '\n' | awk 'length($0) == 202' | head -n 1)
long_len=$(app_record_len "$out/tls-decrypted.pcapng" "$port" "$long_hex")
if [[ -n $hi_len && -n $long_len && $hi_len != "$long_len" ]]; then
    ok "without --pad: \"hi\" and the 100-character line give records of different sizes ($hi_len, $long_len)"
else
    not_ok "without --pad: \"hi\" and the 100-character line give records of different sizes" "got '$hi_len' and '$long_len'"
fi
certs_seen() { tshark -n -r "$1" -d "tcp.port==$2,tls" -Y tls.handshake.certificate 2>/dev/null | wc -l; }
check "echo run (TLS 1.3): no certificate in clear in tls.pcapng" test "$(certs_seen "$out/tls.pcapng" "$port")" = 0
# ALPN: the ClientHello offers tlschat/1 in clear; TLS 1.3 encrypts the server's choice.
alpn_of() { # FILE PORT HANDSHAKE-TYPE
    tshark -n -r "$1" -d "tcp.port==$2,tls" -Y "tls.handshake.type == $3" -T fields \
        -e tls.handshake.extensions_alpn_str 2>/dev/null | sort -u
}
check "echo run: the ClientHello offers ALPN tlschat/1, in clear" test "$(alpn_of "$out/tls.pcapng" "$port" 1)" = tlschat/1
check "echo output: names the ALPN offered among what TLS does not hide" \
    grep -q 'application protocol the client asked for (ALPN, in the ClientHello): tlschat/1' "$work/echo.out"
check_clean echo "echo run"

# ---------------------------------------------------------------------------
# --tls 1.2: the server certificate crosses the network in clear.

out=$work/tls12.tmp/out
watch_run tls12 --dir "$out" --tls 1.2 --message "$secret"
expect_rc "TLS 1.2 run: exits 0" 0 tls12
port=$(tls_port_of tls12)
check "TLS 1.2 run: the server certificate is in tls.pcapng, in clear" test "$(certs_seen "$out/tls.pcapng" "$port")" -ge 1
if grep -aqF -- "$secret" "$out/tls.pcapng"; then
    not_ok "TLS 1.2 run: the secret is not in tls.pcapng"
else
    ok "TLS 1.2 run: the secret is not in tls.pcapng"
fi
check "TLS 1.2 output: says the certificate went in clear" grep -q 'the server certificate: IN CLEAR' "$work/tls12.out"
check "TLS 1.2 run: the ServerHello selects ALPN tlschat/1, in clear" test "$(alpn_of "$out/tls.pcapng" "$port" 2)" = tlschat/1
check "TLS 1.2 output: says the server's ALPN choice went in clear" \
    grep -q "the server's choice, in the ServerHello, also in clear: tlschat/1" "$work/tls12.out"
check_clean tls12 "TLS 1.2 run"

# ---------------------------------------------------------------------------
# Chat mode with --pad 256 and --keep-servers.

# As if under sudo, into a --dir with links where the kept servers' logs and
# the CA certificate go.
secret2="chat secret $$ sent by alice"
out=$work/chat.tmp/out
chat_links=(tlschatd-plain.log tlschatd-tls.log ca.crt)
plant "$out" "${chat_links[@]}"
runner=("${sudo_as_nobody[@]}")
watch_run chat --dir "$out" --mode chat --pad 256 --keep-servers --message "$secret2"
runner=()
expect_rc "chat --pad 256 run: exits 0" 0 chat
targets_untouched "chat --keep-servers run under sudo" "$out" "${chat_links[@]}"
new_log_of() { # FILE OWNER: a regular file (no link) of OWNER, holding a server's log
    [[ ! -L $1 && $(stat -c '%F %u:%g' "$1") == "regular file $2" ]] && grep -q 'listening on' "$1"
}
for f in tlschatd-plain.log tlschatd-tls.log; do
    check "chat --keep-servers run under sudo: $f is a new file of the user who ran sudo, with the log" \
        new_log_of "$out/$f" "$nobody_owner"
done
port=$(tls_port_of chat)
check "chat run: the secret is in plain.pcapng" grep -aqF -- "$secret2" "$out/plain.pcapng"
check "chat run: bob's copy from the server is in plain.pcapng too" grep -aqF -- "<alice> $secret2" "$out/plain.pcapng"
if grep -aqF -- "$secret2" "$out/tls.pcapng"; then
    not_ok "chat run: the secret is not in tls.pcapng"
else
    ok "chat run: the secret is not in tls.pcapng"
fi
if decrypted_hex "$out/tls-decrypted.pcapng" "$port" | grep -q "$(hex_of "$secret2")"; then
    ok "chat run: tls-decrypted.pcapng gives the secret back"
else
    not_ok "chat run: tls-decrypted.pcapng gives the secret back"
fi
hi_len=$(app_record_len "$out/tls-decrypted.pcapng" "$port" "$(hex_of $'hi\n')")
long_hex=$(decrypted_hex "$out/tls-decrypted.pcapng" "$port" | tr ',' '\n' | awk 'length($0) == 202' | head -n 1)
long_len=$(app_record_len "$out/tls-decrypted.pcapng" "$port" "$long_hex")
secret_len=$(app_record_len "$out/tls-decrypted.pcapng" "$port" "$(hex_of "$secret2"$'\n')")
if [[ -n $hi_len && $hi_len == "$long_len" && $hi_len == "$secret_len" ]]; then
    ok "with --pad 256: \"hi\", the secret and the 100-character line give records of one size ($hi_len)"
else
    not_ok "with --pad 256: \"hi\", the secret and the 100-character line give records of one size" \
        "got '$hi_len', '$secret_len' and '$long_len'"
fi
check "chat output: says the lengths are hidden" grep -q 'hidden by --pad 256' "$work/chat.out"
check "chat --pad run: made compare.png, with an unpadded third run" is_png "$out/compare.png"
check "chat output: names compare.png and its unpadded third run" grep -q 'compare.png: .*without padding' "$work/chat.out"

# The dissector (scripts/tlschat.lua) reads both captures as a chat: every
# line alice said reaches bob as "<alice> LINE", and the filter on her nick
# finds each of them, in clear and decrypted.
if tshark -v 2>/dev/null | grep -q 'with Lua'; then
    plain_port=$(sed -n 's/^  plaintext: tlschatd --plain on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/chat.out")
    lua=$root/scripts/tlschat.lua
    said_by_alice() { # FILE DECODE-AS: the texts of the server's lines with nick alice
        tshark -n -r "$1" -X "lua_script:$lua" -d "$2" -Y 'tlschat.nick == "alice"' -T fields \
            -E occurrence=a -E aggregator='|' -e tlschat.direction -e tlschat.kind -e tlschat.text 2>/dev/null |
            awk -F '\t' '{ n = split($1, d, "|"); split($2, k, "|"); split($3, t, "|")
                for (i = 1; i <= n; i++) if (d[i] == "server -> client" && k[i] == "chat") print t[i] }'
    }
    long_line="A line of exactly one hundred characters: its record is far longer than the one that carried the hi."
    want=$(printf '%s\n' hi "$secret2" "$long_line")
    got=$(said_by_alice "$out/plain.pcapng" "tcp.port==$plain_port,tlschat")
    if [[ $got == "$want" ]]; then
        ok "dissector, plain.pcapng: tlschat.nick == \"alice\" gives each of her lines, with its text"
    else
        not_ok "dissector, plain.pcapng: tlschat.nick == \"alice\" gives each of her lines, with its text" "got: $got"
    fi
    got=$(said_by_alice "$out/tls-decrypted.pcapng" "tcp.port==$port,tls")
    if [[ $got == "$want" ]]; then
        ok "dissector, tls-decrypted.pcapng: found by ALPN, tlschat.nick == \"alice\" gives each of her lines"
    else
        not_ok "dissector, tls-decrypted.pcapng: found by ALPN, tlschat.nick == \"alice\" gives each of her lines" "got: $got"
    fi
    got=$(said_by_alice "$out/tls.pcapng" "tcp.port==$port,tls")
    check "dissector, tls.pcapng without keys: no chat line can be read" test -z "$got"
    check "chat output: prints the dissector's tshark commands" grep -qF -- "-X lua_script:" "$work/chat.out"
else
    skip "the dissector on the real captures" "this tshark is built without Lua (Debian's is built with it)"
fi

kept=$(sed -n 's/^  stop them with: kill \([0-9][0-9]*\) \([0-9][0-9]*\)$/\1 \2/p' "$work/chat.out")
read -r kept1 kept2 <<<"$kept"
if [[ -n ${kept1:-} && -n ${kept2:-} ]] && grep -q tlschatd "/proc/$kept1/cmdline" 2>/dev/null &&
    grep -q tlschatd "/proc/$kept2/cmdline" 2>/dev/null; then
    ok "--keep-servers: both tlschatd are left running, with their pids printed"
    check "--keep-servers: the TLS server still answers" \
        "$BUILD/tlschat" --ca "$(sed -n 's/.*tlschat --ca \([^ ]*\) .*/\1/p' "$work/chat.out")" \
        --servername localhost -q -m "still there" 127.0.0.1 "$port"
    kill "$kept1" "$kept2"
else
    not_ok "--keep-servers: both tlschatd are left running, with their pids printed" "'$kept'" \
        "$(tail -n 15 "$work/chat.out")" "$(tail -n 8 "$out"/tlschatd-*.log 2>&1)"
fi
check_clean chat "chat run, once the kept servers are stopped"

# ---------------------------------------------------------------------------
# --udp: the tutorials' UDP example, plain UDP and DTLS 1.2.

secret3="udp secret $$ for the datagrams"
out=$work/udp.tmp/out
watch_run udp --udp --dir "$out" --message "$secret3"
expect_rc "UDP run: exits 0" 0 udp
for f in udp-plain.pcapng dtls.pcapng dtls-keys.log dtls-decrypted.pcapng; do
    check "UDP run: made $f" test -s "$out/$f"
done
check "UDP run: dtls-keys.log is readable by its owner only" test "$(stat -c %a "$out/dtls-keys.log")" = 600
dtls_port=$(sed -n 's/^  DTLS 1\.2: *udp-server --dtls on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/udp.out")
check "UDP run: reports the DTLS port" test -n "$dtls_port"
secret3_hex=$(hex_of "$secret3")
udp_payloads() { tshark -n -r "$1" -Y udp -T fields -e udp.payload 2>/dev/null; }
if udp_payloads "$out/udp-plain.pcapng" | grep -q "$secret3_hex"; then
    ok "udp-plain.pcapng: tshark reads the secret in a datagram"
else
    not_ok "udp-plain.pcapng: tshark reads the secret in a datagram"
fi
if grep -aqF -- "$secret3" "$out/dtls.pcapng" || udp_payloads "$out/dtls.pcapng" | grep -q "$secret3_hex"; then
    not_ok "dtls.pcapng: the secret is nowhere, in the bytes or the datagrams"
else
    ok "dtls.pcapng: the secret is nowhere, in the bytes or the datagrams"
fi
dtls_data() { # FILE [TSHARK OPTIONS]: the decrypted DTLS application data
    local f=$1
    shift
    tshark -n -r "$f" -d "udp.port==$dtls_port,dtls" "$@" -Y data -T fields -e data.data 2>/dev/null
}
if dtls_data "$out/dtls.pcapng" -o tls.keylog_file: | grep -q "$secret3_hex"; then
    not_ok "dtls.pcapng: without the key log tshark decrypts nothing"
else
    ok "dtls.pcapng: without the key log tshark decrypts nothing"
fi
if dtls_data "$out/dtls-decrypted.pcapng" | grep -q "$secret3_hex"; then
    ok "dtls-decrypted.pcapng: tshark reads the secret with no key log option"
else
    not_ok "dtls-decrypted.pcapng: tshark reads the secret with no key log option"
fi
if dtls_data "$out/dtls.pcapng" -o "tls.keylog_file:$out/dtls-keys.log" | grep -q "$secret3_hex"; then
    ok "dtls.pcapng + dtls-keys.log: tshark -o tls.keylog_file: reads the secret"
else
    not_ok "dtls.pcapng + dtls-keys.log: tshark -o tls.keylog_file: reads the secret"
fi
# The cookie exchange: the server's first answer is a HelloVerifyRequest, and
# its certificate comes only after the second ClientHello.
hs_order=$(tshark -n -r "$out/dtls.pcapng" -d "udp.port==$dtls_port,dtls" -Y dtls.handshake.type -T fields \
    -E occurrence=a -E aggregator=, -e dtls.handshake.type 2>/dev/null | tr '\n' ',' | cut -d, -f1-4)
check "DTLS run: ClientHello, HelloVerifyRequest (the cookie), ClientHello again, then ServerHello" \
    test "$hs_order" = "1,3,1,2"
check "UDP output: shows the secret in the plain run and the cookie" \
    grep -q 'HelloVerifyRequest (the cookie)' "$work/udp.out"
check "UDP output: reads the secret back from the decrypted run" grep -qF -- "$secret3\n" "$work/udp.out"
check "UDP output: warns to delete dtls-keys.log" grep -q 'WARNING: .*dtls-keys.log' "$work/udp.out"
check_clean udp "UDP run"

# ---------------------------------------------------------------------------
# A failure half-way: the TLS port is taken, after the plaintext server has
# started. The test holds that port itself, with a listener on a port the
# kernel chose, and gives it to --tls-port; the plaintext server takes a free
# port. The run must fail, stop the plaintext server, and leave the holder alone.

coproc HOLDER {
    exec python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
sys.stdin.read()  # holds the port until the test closes its end or stops it'
}
holder=$HOLDER_PID
bg_pids+=("$holder")
held_port=
# bash unsets HOLDER once the listener has exited: it failed to start.
[[ -n ${HOLDER[0]:-} ]] && read -r -t 10 held_port <&"${HOLDER[0]}"
if [[ ! $held_port =~ ^[0-9]+$ ]]; then
    not_ok "occupied TLS port: the test holds a port" "the listener printed '$held_port'"
else
    watch_run busy --dir "$work/busy.tmp/out" --tls-port "$held_port"
    expect_rc "occupied TLS port: the run fails with status 1" 1 busy
    check "occupied TLS port: says why" grep -q 'Address already in use' "$work/busy.err"
    # The servers start one after the other, so a TLS server that failed means
    # the plaintext one had started (a failing run is too quick to sample).
    check "occupied TLS port: it is the TLS server that failed, after the plaintext one started" \
        grep -q "tlschatd (TLS) did not start on 127\.0\.0\.1:$held_port:" "$work/busy.err"
    check_clean busy "occupied TLS port"
    check "occupied TLS port: the process holding the port is left alone" pid_running "$holder"
    check "occupied TLS port: no capture files are left, nor the --dir it made" test ! -e "$work/busy.tmp/out"
fi
stop_pid "$holder"

# ---------------------------------------------------------------------------
# SIGINT in the middle of the TLS capture.

interrupt_on="TLS run"
watch_run sigint --dir "$work/sigint.tmp/out"
interrupt_on=
expect_rc "SIGINT mid-run: exits 130" 130 sigint
if grep -q 'tlschatd.*--plain' "$work/sigint.pids" && grep -q 'tlschatd.*--cert' "$work/sigint.pids" &&
    grep -q 'dumpcap' "$work/sigint.pids"; then
    ok "SIGINT mid-run: both servers and a capture were running"
else
    not_ok "SIGINT mid-run: both servers and a capture were running" "$(cat "$work/sigint.pids")"
fi
check_clean sigint "SIGINT mid-run"
check "SIGINT mid-run: no capture files are left, nor the --dir it made" test ! -e "$work/sigint.tmp/out"

tap_summary
