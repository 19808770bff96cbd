#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# capture.sh - the Wireshark lab: what an eavesdropper sees, plaintext vs TLS.
#
# Starts tlschatd twice on loopback (--plain, and TLS), runs the same scripted
# conversation through tlschat against each while dumpcap records the port,
# then prints, side by side, what someone on the network reads in each run
# (tshark reads the captures; scripts/capture_report.py writes that report).
# Writes into captures/ (or --dir DIR): plain.pcapng, tls.pcapng, keys.log,
# tls-decrypted.pcapng (the TLS capture with keys.log embedded, so Wireshark
# opens it decrypted with no settings) and compare.png (three timelines:
# plaintext, TLS, TLS with --pad, from a third run; scripts/capture_picture.py).
# With --udp, the tutorials' UDP example instead, plain UDP and DTLS 1.2
# (scripts/lib/capture_udp.sh). The dissector scripts/tlschat.lua names the
# chat protocol in both TCP captures (the commands are printed).
#
# Every process it starts it stops again, by pid: on success, on failure and
# on Ctrl-C. Files are made in a private temporary directory and moved into
# DIR only when the whole run has succeeded.
#
# Exit status: 0 done; 1 the run failed; 2 usage error or a missing
# prerequisite (tshark, dumpcap, editcap, capture rights, the built programs).
# See usage() below, or run: scripts/capture.sh --help
set -uo pipefail

prog=capture.sh
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)

# The tools, overridable for tests and unusual installs.
TSHARK=${TSHARK:-tshark}
DUMPCAP=${DUMPCAP:-dumpcap}
EDITCAP=${EDITCAP:-editcap}
CAPINFOS=${CAPINFOS:-capinfos}
PYTHON=${PYTHON:-python3}
REPORT=$script_dir/capture_report.py
DISSECTOR=$script_dir/tlschat.lua
PICTURE=$script_dir/capture_picture.py
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$root/$BUILD
TLSCHATD=$BUILD/tlschatd
TLSCHAT=$BUILD/tlschat

START_TIMEOUT=10   # seconds for a server or a capture to start
REPLY_TIMEOUT=10   # seconds for each step of the conversation
STOP_TIMEOUT=5     # seconds for a process to stop before it is killed

usage() {
    cat <<'EOF'
Usage: scripts/capture.sh [options]

The Wireshark lab: run the same chat over plaintext and over TLS on loopback,
capture both, and show what an eavesdropper sees in each.

Writes into captures/ (or --dir DIR):
  plain.pcapng           the plaintext run: every message readable
  tls.pcapng             the TLS run: record types and sizes only
  keys.log               the TLS session keys (tlschat --keylog): DELETE IT AFTER
  tls-decrypted.pcapng   tls.pcapng with keys.log embedded: Wireshark opens it decrypted
  compare.png            plaintext, TLS and TLS with --pad as three timelines of sizes
                         (a third, padded or unpadded, TLS run; needs python3-matplotlib)

Options:
  --dir DIR          write the captures into DIR (default: captures/ of the repo)
  --message TEXT     the secret message to send (default: "the password is swordfish")
  --port N           base port: the plaintext server on N, the TLS server on N+1
                     (default: free ports picked by the servers)
  --tls-port N       the TLS server on N instead (the plaintext one stays on
                     --port N, or a free port)
  --mode echo|chat   echo: one client, the server answers each line (default);
                     chat: bob listens while alice talks
  --pad BYTES        pad TLS 1.3 records to a multiple of BYTES (1-16384) on both
                     sides: messages of different lengths give records of one size
  --tls 1.2|1.3      the TLS version of the TLS run (default 1.3); with 1.2 the
                     server certificate crosses the network in clear
  --keep-servers     leave both tlschatd running afterwards (prints their pids)
  --udp              the UDP lab instead: the tutorials' UDP example in plain UDP
                     and in DTLS 1.2 (build/examples/udp-server, udp-client):
                     udp-plain.pcapng, dtls.pcapng, dtls-keys.log and
                     dtls-decrypted.pcapng (--port and --tls-port name the
                     plain and the DTLS port; --message the secret)
  -h, --help         show this help and exit

The conversation: "hi", the secret message, then a 100-character line, so the
record sizes show the message lengths (and --pad hides them).

Capturing needs root or dumpcap's capabilities: run it with sudo, or once
  sudo dpkg-reconfigure wireshark-common    (answer Yes)
  sudo usermod -aG wireshark "$USER"        (then log in again)
Needs tshark, dumpcap, editcap and capinfos (Debian: apt-get install tshark),
and python3, which writes the report (scripts/capture_report.py).
Uses build/tlschatd and build/tlschat (run make first; BUILD=DIR for another
build), and certs/ when it holds ca.crt, server.crt and server.key (otherwise
scripts/gen-certs.sh makes throwaway ones).

Exit status: 0 done, 1 the run failed, 2 usage error or missing prerequisite.
EOF
}

say() { printf '%s\n' "$*"; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
    local code=$1
    shift
    printf '%s: %s\n' "$prog" "$*" >&2
    exit "$code"
}
usage_error() { die 2 "$*"; }

# shellcheck source=lib/procs.sh
. "$script_dir/lib/procs.sh" || die 2 "cannot read $script_dir/lib/procs.sh: the scripts folder is incomplete."

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---------------------------------------------------------------------------
# Options

dir=
message="the password is swordfish"
base_port=
tls_port_wanted=
mode="echo"
pad=
tls_version=
keep_servers=0
udp=0

need_arg() { # OPTION ARGS-LEFT
    (($2 >= 2)) || usage_error "$1 needs a value (see $0 --help)"
}

while (($# > 0)); do
    opt=$1
    if [[ $opt == --*=* ]]; then # --opt=value: split it
        shift
        set -- "${opt%%=*}" "${opt#*=}" "$@"
        opt=$1
    fi
    case $opt in
        -h | --help)
            usage
            exit 0
            ;;
        --dir)
            need_arg "$opt" $#
            dir=$2
            [[ -n $dir ]] || usage_error "--dir needs a non-empty directory name"
            shift 2
            ;;
        --message)
            need_arg "$opt" $#
            message=$2
            shift 2
            ;;
        --port)
            need_arg "$opt" $#
            base_port=$2
            shift 2
            ;;
        --tls-port)
            need_arg "$opt" $#
            tls_port_wanted=$2
            shift 2
            ;;
        --mode)
            need_arg "$opt" $#
            mode=$2
            shift 2
            ;;
        --pad)
            need_arg "$opt" $#
            pad=$2
            shift 2
            ;;
        --tls)
            need_arg "$opt" $#
            tls_version=$2
            shift 2
            ;;
        --keep-servers)
            keep_servers=1
            shift
            ;;
        --udp)
            udp=1
            shift
            ;;
        -*)
            usage_error "unknown option '$opt' (see $0 --help)"
            ;;
        *)
            usage_error "unexpected argument '$opt': this script takes options only (see $0 --help)"
            ;;
    esac
done

if ((udp)); then
    for o in "mode:$mode:echo" "pad:$pad:" "tls:$tls_version:" "keep-servers:$keep_servers:0"; do
        IFS=: read -r name val default <<<"$o"
        [[ $val == "$default" ]] || usage_error "--udp runs the tutorials' UDP example, which has no --$name: leave it out"
    done
fi

case $mode in
    echo | chat) ;;
    *) usage_error "--mode takes echo or chat, not '$mode'" ;;
esac

is_port() { is_uint "$1" && ((${#1} <= 5 && 10#$1 >= 1 && 10#$1 <= 65535)); }

if [[ -n $tls_port_wanted ]]; then
    is_port "$tls_port_wanted" || usage_error "--tls-port '$tls_port_wanted' is not a port from 1 to 65535"
    tls_port_wanted=$((10#$tls_port_wanted))
fi
if [[ -n $base_port ]]; then
    if [[ -n $tls_port_wanted ]]; then
        is_port "$base_port" || usage_error "--port '$base_port' is not a port from 1 to 65535"
    elif ! is_port "$base_port" || ((10#$base_port == 65535)); then
        usage_error "--port '$base_port' is not a port from 1 to 65534 (the TLS server uses the next one)"
    fi
    base_port=$((10#$base_port))
    ((base_port != tls_port_wanted)) || usage_error "--port and --tls-port are both $base_port: the two servers need a port each"
fi

case $tls_version in
    "" | 1.3) ;;
    1.2) [[ -z $pad ]] || usage_error "--pad pads TLS 1.3 records only: it cannot go with --tls 1.2" ;;
    *) usage_error "--tls takes 1.2 or 1.3, not '$tls_version'" ;;
esac

if [[ -n $pad ]]; then
    if ! is_uint "$pad" || ((${#pad} > 5 || 10#$pad < 1 || 10#$pad > 16384)); then
        usage_error "--pad '$pad' is not a block size from 1 to 16384 bytes"
    fi
    pad=$((10#$pad))
fi

# The message must reach the other end unchanged, as one chat line. Run in
# the C locale, so that the patterns look at bytes.
check_message() {
    local m=$1 lower
    [[ -n $m ]] || usage_error "--message is empty: give the text to send, e.g. --message 'the password is swordfish'"
    ((${#m} <= 1000)) || usage_error "--message is longer than 1000 characters: give a shorter one"
    if [[ $m == *[$'\x01'-$'\x1f'$'\x7f']* ]]; then
        usage_error "--message contains a control character (a newline, tab or escape): give one line of plain text"
    fi
    if [[ $m == *$'\xc2'[$'\x80'-$'\x9f']* ]] ||
        { command -v iconv >/dev/null 2>&1 && ! printf '%s' "$m" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; }; then
        usage_error "--message is not valid UTF-8 text: give one line of plain text"
    fi
    lower=$(printf '%s' "$m" | tr '[:upper:]' '[:lower:]')
    [[ $lower != close ]] || usage_error "--message 'close' would end the chat session: give another text"
    [[ $m != /* ]] || usage_error "--message starts with '/', which tlschatd reads as a command: give another text"
}
(
    LC_ALL=C
    check_message "$message"
) || exit 2

# ---------------------------------------------------------------------------
# Prerequisites, all checked before anything is started.

missing_tshark=0
missing_common=()
command -v "$TSHARK" >/dev/null 2>&1 || missing_tshark=1
for tool in "$DUMPCAP" "$EDITCAP" "$CAPINFOS"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        # Debian's dumpcap may be installed but executable by group wireshark only.
        if [[ $tool == "$DUMPCAP" && $tool != */* && -e /usr/bin/dumpcap ]]; then
            die 2 "you may not run /usr/bin/dumpcap, so you cannot capture packets: run this as root (sudo $0), or allow your user: sudo dpkg-reconfigure wireshark-common (answer Yes), sudo usermod -aG wireshark \$USER, then log in again."
        fi
        missing_common+=("$(basename -- "$tool")")
    fi
done
if ((missing_tshark)); then
    die 2 "tshark is not installed (it is needed to read the captures): install the Debian package tshark (sudo apt-get install tshark), which also brings dumpcap, editcap and capinfos."
fi
if ((${#missing_common[@]} > 0)); then
    die 2 "${missing_common[*]} not found: install the Debian package wireshark-common (sudo apt-get install wireshark-common)."
fi
# The dissector needs a tshark built with Lua (Debian's is); without it the
# lab runs as before and only leaves the dissector out.
have_lua=0
if [[ -r $DISSECTOR ]] && "$TSHARK" -v 2>/dev/null | grep -q 'with Lua'; then
    have_lua=1
fi
# The picture needs matplotlib (Debian: python3-matplotlib), which Debian's
# own python3 has even where another python3 comes first on PATH.
plot_python=
for py in "$PYTHON" /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import matplotlib' >/dev/null 2>&1; then
        plot_python=$py
        break
    fi
done
show_lua=$DISSECTOR
[[ $DISSECTOR == "$PWD"/* ]] && show_lua=${DISSECTOR#"$PWD"/}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    die 2 "python3 is not installed (it writes the report): install the Debian package python3 (sudo apt-get install python3)."
fi
[[ -r $REPORT ]] || die 2 "$REPORT is missing: the scripts folder is incomplete."

# Capture rights: opening lo is what needs them; -L opens it and captures nothing.
if ! "$DUMPCAP" -i lo -L >/dev/null 2>&1; then
    if [[ ! -e /sys/class/net/lo ]]; then
        die 2 "this system has no loopback interface 'lo' to capture on."
    fi
    die 2 "you may not capture packets on the loopback interface (dumpcap -i lo failed): run this as root (sudo $0), or allow your user: sudo dpkg-reconfigure wireshark-common (answer Yes), sudo usermod -aG wireshark \$USER, then log in again."
fi

progs=("$TLSCHATD" "$TLSCHAT")
((udp)) && progs=("$BUILD/examples/udp-server" "$BUILD/examples/udp-client")
for p in "${progs[@]}"; do
    [[ -x $p ]] || die 2 "$p is missing or not executable: build it first with make (or point BUILD= at your build directory)."
done

if [[ -z $dir ]]; then
    dir=$root/captures
fi
made_dir=0
if [[ -e $dir && ! -d $dir ]]; then
    die 2 "'$dir' exists but is not a directory: choose another --dir."
fi
if [[ ! -d $dir ]]; then
    mkdir -p -- "$dir" || die 2 "cannot create the directory '$dir': check the path and its permissions, or choose another --dir."
    made_dir=1
fi
[[ -w $dir && -x $dir ]] || die 2 "cannot write into '$dir': fix its permissions or choose another --dir."
dir=$(cd -- "$dir" && pwd)
# How to name DIR in the printed commands: relative when it is below here.
show_dir=$dir
[[ $dir == "$PWD"/* ]] && show_dir=${dir#"$PWD"/}

# ---------------------------------------------------------------------------
# Processes: every one is recorded by pid and stopped in cleanup().

work=
declare -A pid_what=()     # pid -> what it is, for the messages
keep_pids=()               # pids to leave running on success (--keep-servers)
success=0

# stop PID SIGNAL: stop one of ours (procs.sh's stop_pid, named in its note if
# it has to be killed) and forget it. Returns its exit status.
stop() {
    stop_pid --name "${pid_what[$1]:-process}" "$1" "$2" "$STOP_TIMEOUT"
    local rc=$?
    unset "pid_what[$1]"
    return "$rc"
}

# kept PID: a server to leave running (--keep-servers, after success).
# shellcheck disable=SC2317  # called from cleanup, by the EXIT trap
kept() {
    local k
    ((success)) || return 1
    for k in "${keep_pids[@]}"; do
        [[ $k == "$1" ]] && return 0
    done
    return 1
}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local pid
    trap '' INT TERM
    # dumpcap and tlschatd both stop cleanly on SIGTERM. A signal can come
    # between starting a process and recording its pid: any child still
    # running is ours too.
    for pid in "${!pid_what[@]}" $(jobs -pr); do
        kept "$pid" || stop "$pid" TERM
    done
    [[ -n $work && -d $work ]] && rm -rf -- "$work"
    # A --dir this run made and filled with nothing goes too.
    ((success || !made_dir)) || rmdir -- "$dir" 2>/dev/null
    return 0
}
trap cleanup EXIT
trap 'note "interrupted: stopping everything this run started"; exit 130' INT
trap 'note "terminated: stopping everything this run started"; exit 143' TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/tlschat-capture.XXXXXX") ||
    die 1 "cannot create a temporary directory: check that ${TMPDIR:-/tmp} is writable."

# ---------------------------------------------------------------------------
# Certificates

if [[ -r $root/certs/ca.crt && -r $root/certs/server.crt && -r $root/certs/server.key ]]; then
    certs=$root/certs
    certs_temporary=0
else
    certs=$work/certs
    certs_temporary=1
    if ! "$root/scripts/gen-certs.sh" --dir "$certs" >"$work/gen-certs.log" 2>&1; then
        sed 's/^/  /' "$work/gen-certs.log" >&2
        die 1 "could not make throwaway certificates with scripts/gen-certs.sh (its output is above)."
    fi
fi

# ---------------------------------------------------------------------------
# Servers

# open_log FILE: FILE made anew and opened for writing as descriptor log_fd.
# With --keep-servers FILE is in DIR, which the user who ran sudo may change
# under us, so: any old FILE goes first (a link itself, never what it points
# to); the open refuses a file that appears in between (noclobber); and what
# was opened must be a regular file, FILE itself, not one reached through a
# link. Nothing is written otherwise. The log is read back through
# /proc/$$/fd/$log_fd, never by its name.
open_log() {
    local file=$1
    rm -f -- "$file" 2>/dev/null || die 1 "cannot replace '$file': check the permissions of its directory."
    set -C
    { exec {log_fd}>"$file"; } 2>/dev/null
    local rc=$?
    set +C
    ((rc == 0)) || die 1 "something else made '$file' while this run was making it: choose a --dir that only you can write to."
    if [[ ! -f /proc/$$/fd/$log_fd || -L $file || ! $file -ef /proc/$$/fd/$log_fd ]]; then
        exec {log_fd}>&-
        die 1 "'$file' was replaced while this run was making it: choose a --dir that only you can write to."
    fi
}

# await_listening WHAT PORT LOG: until the server_pid's log (server_log) says
# "listening on 127.0.0.1:N"; dies if it ends first or after START_TIMEOUT.
# Sets server_port to N. WHAT names it, PORT is the port asked for, LOG the
# file to point at.
await_listening() {
    local what=$1 port=$2 log=$3 end=$((SECONDS + START_TIMEOUT))
    until grep -q 'listening on 127\.0\.0\.1:[0-9]' "$server_log" 2>/dev/null; do
        if ! pid_running "$server_pid"; then
            die 1 "$what did not start on 127.0.0.1:$port: $(grep -v '^[[:space:]]*$' "$server_log" | tail -n 1)"
        fi
        ((SECONDS < end)) || die 1 "$what did not start listening within ${START_TIMEOUT}s (its log: $log)."
        sleep 0.02
    done
    server_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$server_log" | head -n 1)
    [[ -n $server_port ]] || die 1 "could not read the port of $what from its log ($log)."
}

# start_server NAME LOG PORT ARGS...: sets server_pid, server_port and
# server_log (where to read LOG back).
start_server() {
    local name=$1 log=$2 port=$3
    shift 3
    open_log "$log"
    server_log=/proc/$$/fd/$log_fd
    "$TLSCHATD" --listen 127.0.0.1 --port "$port" --mode "$mode" "$@" </dev/null >&"$log_fd" 2>&1 &
    server_pid=$!
    pid_what[$server_pid]="tlschatd ($name)"
    await_listening "tlschatd ($name)" "$port" "$log"
}

# ---------------------------------------------------------------------------
# Captures

# start_capture PORT FILE: dumpcap on lo for that port; returns once it is
# really capturing (it writes the file header only after the interface is open
# and the filter set). The filter also takes UDP to PORT: see stop_capture.
start_capture() {
    local port=$1 file=$2 end
    "$DUMPCAP" -q -i lo -f "tcp port $port or udp port $port" -w "$file" </dev/null >"$file.err" 2>&1 &
    capture_pid=$!
    pid_what[$capture_pid]="dumpcap (port $port)"
    end=$((SECONDS + START_TIMEOUT))
    until [[ -s $file ]]; do
        if ! pid_running "$capture_pid"; then
            die 1 "dumpcap could not capture on lo: $(grep -v -e '^[[:space:]]*$' -e '^Capturing on' "$file.err" | head -n 1)"
        fi
        ((SECONDS < end)) || die 1 "dumpcap did not start capturing within ${START_TIMEOUT}s."
        sleep 0.02
    done
}

# stop_capture PORT RAW OUT: dumpcap hands packets over in blocks, so a packet
# can reach the file a while after it crossed the wire, and stopping dumpcap
# at once could lose the end of the conversation. So: send one UDP datagram with
# a unique text to PORT after the conversation, wait until that text is in the
# file (packets are written in order, so everything before it is there too),
# stop dumpcap with SIGINT, wait for it to exit, and keep only the TCP packets
# (or those FILTER selects: the UDP lab keeps UDP but the marker).
# stop_capture PORT RAW OUT [FILTER]
stop_capture() {
    local port=$1 raw=$2 out=$3 end marker next=0 rc
    marker="tlschat-capture-end-$$-$RANDOM$RANDOM"
    end=$((SECONDS + START_TIMEOUT))
    until grep -aqF -- "$marker" "$raw" 2>/dev/null; do
        pid_running "$capture_pid" || die 1 "dumpcap stopped during the capture: $(grep -v '^[[:space:]]*$' "$raw.err" | tail -n 1)"
        ((SECONDS < end)) || die 1 "dumpcap did not write the capture within ${START_TIMEOUT}s."
        if ((SECONDS >= next)); then # once, then again every second
            { printf '%s' "$marker" >"/dev/udp/127.0.0.1/$port"; } 2>/dev/null
            next=$((SECONDS + 1))
        fi
        sleep 0.02
    done
    stop "$capture_pid" INT
    rc=$?
    ((rc == 0)) || die 1 "dumpcap failed (status $rc): $(grep -v '^[[:space:]]*$' "$raw.err" | tail -n 1)"
    "$TSHARK" -n -r "$raw" -Y "${4:-tcp}" -w "$out" >"$work/tshark.err" 2>&1 ||
        die 1 "tshark could not copy the capture: $(grep -v '^Running as user' "$work/tshark.err" | head -n 1)"
}

# ---------------------------------------------------------------------------
# The conversation

long_line="A line of exactly one hundred characters: its record is far longer than the one that carried the hi."
while ((${#long_line} < 100)); do long_line+="."; done
long_line=${long_line:0:100}
lines=("hi" "$message" "$long_line")

declare -A cl_pid=() cl_fd=() cl_out=() cl_err=()
client_args=()

# client_start NAME PORT [ARGS...]: tlschat reading lines from a FIFO we hold.
client_start() {
    local name=$1 port=$2 fifo fd
    shift 2
    fifo=$work/$name.in
    rm -f -- "$fifo"
    mkfifo -- "$fifo" || die 1 "cannot make the FIFO $fifo."
    # Read-write: opening a FIFO so never blocks, and tlschat sees end of input
    # only when we close it.
    exec {fd}<>"$fifo"
    cl_out[$name]=$work/$name.out
    cl_err[$name]=$work/$name.err
    (
        # Our FIFO descriptors stay ours: a client holding one open would keep
        # itself or another from ever seeing the end of its input.
        for f in "${cl_fd[@]}" "$fd"; do eval "exec $f>&-"; done
        # --no-reconnect: no session opt-in, so each line crosses as typed
        # ("hi\n", not "#2 hi\n"), as the lab's report explains them.
        exec "$TLSCHAT" --no-reconnect "${client_args[@]}" "$@" 127.0.0.1 "$port"
    ) <"$fifo" >"${cl_out[$name]}" 2>"${cl_err[$name]}" &
    cl_pid[$name]=$!
    cl_fd[$name]=$fd
    pid_what[${cl_pid[$name]}]="tlschat ($name)"
}

# client_say NAME TEXT
client_say() {
    printf '%s\n' "$2" >&"${cl_fd[$1]}"
}

client_failed() { # NAME WHAT
    local why
    why=$(grep -v -e '^WARNING' -e '^connected to' -e '^[[:space:]]*$' "${cl_err[$1]}" | tail -n 1)
    die 1 "tlschat ($1) $2${why:+: $why}"
}

# wait_line NAME HOW TEXT COUNT: wait until NAME's output has COUNT lines that
# are TEXT (HOW=exact) or contain it (HOW=part).
wait_line() {
    local name=$1 how=$2 text=$3 count=$4 end n flags=(-cF)
    [[ $how == exact ]] && flags=(-cxF)
    end=$((SECONDS + REPLY_TIMEOUT))
    while :; do
        n=$(grep "${flags[@]}" -- "$text" "${cl_out[$name]}" 2>/dev/null)
        ((${n:-0} >= count)) && return 0
        pid_running "${cl_pid[$name]}" || client_failed "$name" "exited before it received '$text'"
        ((SECONDS < end)) || die 1 "tlschat ($name) did not receive '$text' within ${REPLY_TIMEOUT}s."
        sleep 0.02
    done
}

# client_finish NAME: end its input (it then says 'close') and wait for it.
client_finish() {
    local name=$1 fd=${cl_fd[$1]} pid=${cl_pid[$1]} end rc
    exec {fd}>&-
    unset "cl_fd[$name]"
    end=$((SECONDS + REPLY_TIMEOUT + STOP_TIMEOUT))
    while pid_running "$pid" && ((SECONDS < end)); do
        sleep 0.02
    done
    pid_running "$pid" && client_failed "$name" "did not finish within $((REPLY_TIMEOUT + STOP_TIMEOUT))s"
    wait "$pid"
    rc=$?
    unset "pid_what[$pid]"
    ((rc == 0)) || client_failed "$name" "failed (status $rc)"
}

# wait_server_quiet LOG N: the server has seen N clients go, so the last
# packets (its FIN or RST) have crossed the wire.
wait_server_quiet() {
    local log=$1 want=$2 end n
    end=$((SECONDS + REPLY_TIMEOUT))
    while :; do
        n=$(grep -c 'disconnect' "$log" 2>/dev/null)
        ((${n:-0} >= want)) && return 0
        ((SECONDS < end)) || return 0 # only a courtesy: the end marker is what counts
        sleep 0.02
    done
}

declare -A said=()
converse() { # PORT
    local port=$1 line
    said=()
    if [[ $mode == echo ]]; then
        client_start client "$port"
        for line in "${lines[@]}"; do
            client_say client "$line"
            said[$line]=$((${said[$line]:-0} + 1))
            wait_line client exact "$line" "${said[$line]}"
        done
        client_finish client
    else
        client_start bob "$port" --nick bob
        wait_line bob part "* welcome, bob:" 1
        client_start alice "$port" --nick alice
        wait_line alice part "* welcome, alice:" 1
        wait_line bob exact "* alice joined" 1
        for line in "${lines[@]}"; do
            client_say alice "$line"
            said[$line]=$((${said[$line]:-0} + 1))
            wait_line bob exact "<alice> $line" "${said[$line]}"
        done
        client_finish alice
        wait_line bob part "* alice left" 1
        client_finish bob
    fi
}

# --udp: the UDP lab instead (scripts/lib/capture_udp.sh), with the same
# helpers; it ends the script.
if ((udp)); then
    # shellcheck source=lib/capture_udp.sh
    . "$script_dir/lib/capture_udp.sh"
fi

server_log_dir=$work
((keep_servers)) && server_log_dir=$dir

tls_args=(--cert "$certs/server.crt" --key "$certs/server.key")
pad_args=()
[[ -n $pad ]] && pad_args=(--pad "$pad")

start_server plain "$server_log_dir/tlschatd-plain.log" "${base_port:-0}" --plain
plain_pid=$server_pid
plain_port=$server_port
plain_log=$server_log
tls_base=0
[[ -n $base_port ]] && tls_base=$((base_port + 1))
[[ -n $tls_port_wanted ]] && tls_base=$tls_port_wanted
start_server TLS "$server_log_dir/tlschatd-tls.log" "$tls_base" \
    "${tls_args[@]}" "${pad_args[@]}"
tls_pid=$server_pid
tls_port=$server_port
tls_log=$server_log

nclients=1
[[ $mode == chat ]] && nclients=2

note "plaintext run: tlschatd --plain on 127.0.0.1:$plain_port, capturing"
start_capture "$plain_port" "$work/plain.raw.pcapng"
client_args=(--plain --timeout "$REPLY_TIMEOUT")
converse "$plain_port"
wait_server_quiet "$plain_log" "$nclients"
stop_capture "$plain_port" "$work/plain.raw.pcapng" "$work/plain.pcapng"

note "TLS run: tlschatd on 127.0.0.1:$tls_port${pad:+ with --pad $pad}, capturing"
start_capture "$tls_port" "$work/tls.raw.pcapng"
client_args=(--ca "$certs/ca.crt" --servername localhost --keylog "$work/keys.log" --timeout "$REPLY_TIMEOUT"
    "${pad_args[@]}")
[[ -n $tls_version ]] && client_args+=(--tls-max "$tls_version")
converse "$tls_port"
wait_server_quiet "$tls_log" "$nclients"
stop_capture "$tls_port" "$work/tls.raw.pcapng" "$work/tls.pcapng"

[[ -s $work/keys.log ]] || die 1 "tlschat wrote no keys into its key log."
"$EDITCAP" --inject-secrets "tls,$work/keys.log" "$work/tls.pcapng" "$work/tls-decrypted.pcapng" \
    >"$work/editcap.err" 2>&1 || die 1 "editcap could not embed the key log: $(head -n 1 "$work/editcap.err")"

# The picture (compare.png) sets the TLS run beside one that differs only in
# padding: a third run, over TLS 1.3 with --pad 256 when the TLS run had no
# padding, without padding when it had. Its capture and key log stay in the
# private work directory and go with it.
extra_pad=
extra_port=
if [[ -n $plot_python ]]; then
    [[ -z $pad ]] && extra_pad=256
    start_server "TLS, for the picture" "$work/tlschatd-extra.log" 0 "${tls_args[@]}" ${extra_pad:+--pad "$extra_pad"}
    extra_pid=$server_pid
    extra_port=$server_port
    note "TLS run for the picture: tlschatd on 127.0.0.1:$extra_port${extra_pad:+ with --pad $extra_pad}, capturing"
    start_capture "$extra_port" "$work/extra.raw.pcapng"
    client_args=(--ca "$certs/ca.crt" --servername localhost --keylog "$work/extra-keys.log" --timeout "$REPLY_TIMEOUT")
    [[ -n $extra_pad ]] && client_args+=(--pad "$extra_pad")
    converse "$extra_port"
    wait_server_quiet "$server_log" "$nclients"
    stop_capture "$extra_port" "$work/extra.raw.pcapng" "$work/extra.pcapng"
    stop "$extra_pid" TERM
    "$EDITCAP" --inject-secrets "tls,$work/extra-keys.log" "$work/extra.pcapng" "$work/extra-decrypted.pcapng" \
        >"$work/editcap.err" 2>&1 || die 1 "editcap could not embed the key log: $(head -n 1 "$work/editcap.err")"
else
    note "compare.png is not drawn: matplotlib is missing (install the Debian package python3-matplotlib: sudo apt-get install python3-matplotlib)."
fi

# ---------------------------------------------------------------------------
# What the eavesdropper sees

# tshark OUT ARGS...: tshark with no key log (whatever the user's preferences
# say), no name lookups; its output into OUT.
tshark_to() {
    local out=$1
    shift
    "$TSHARK" -n -o tls.keylog_file: "$@" >"$out" 2>"$work/tshark.err" ||
        die 1 "tshark failed: $(grep -v '^Running as user' "$work/tshark.err" | head -n 1)"
}

tshark_to "$work/plain.tsv" -r "$work/plain.pcapng" -Y 'tcp.len > 0' -T fields -E separator=/t \
    -e frame.time_relative -e tcp.srcport -e tcp.dstport -e tcp.len -e tcp.payload
tshark_to "$work/tls.tsv" -r "$work/tls.pcapng" -d "tcp.port==$tls_port,tls" -Y tls -T fields \
    -E separator=/t -E occurrence=a -E aggregator=, \
    -e frame.time_relative -e tcp.srcport -e tcp.dstport -e tls.record.content_type \
    -e tls.record.opaque_type -e tls.record.length -e tls.handshake.type
tshark_to "$work/decrypted.tsv" -r "$work/tls-decrypted.pcapng" -d "tcp.port==$tls_port,tls" -Y tls -T fields \
    -E separator=/t -E occurrence=a -E aggregator=, \
    -e frame.time_relative -e tcp.srcport -e tcp.dstport -e tls.record.content_type -e tls.record.length -e data.data
tshark_to "$work/facts.tsv" -r "$work/tls.pcapng" -d "tcp.port==$tls_port,tls" \
    -Y '(tcp.flags.syn == 1 && tcp.flags.ack == 0) || tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 11' \
    -T fields -E separator=/t -E occurrence=a -E aggregator=, \
    -e tcp.flags.syn -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tls.handshake.type \
    -e tls.handshake.extensions_server_name -e tls.handshake.extensions.supported_version \
    -e tls.handshake.version -e tls.handshake.ciphersuite -e x509sat.uTF8String -e x509sat.printableString \
    -e x509ce.dNSName -e tls.handshake.extensions_alpn_str

if [[ -n $extra_port ]]; then
    tshark_to "$work/extra-decrypted.tsv" -r "$work/extra-decrypted.pcapng" -d "tcp.port==$extra_port,tls" -Y tls \
        -T fields -E separator=/t -E occurrence=a -E aggregator=, \
        -e frame.time_relative -e tcp.srcport -e tcp.dstport -e tls.record.content_type -e tls.record.length -e data.data
    tls_name="TLS ${tls_version:-1.3}: each record is the message plus a fixed overhead, so its size tells the length"
    if [[ -n $pad ]]; then
        picture_runs=(--tls extra-decrypted.tsv "$extra_port" "$tls_name"
            --padded decrypted.tsv "$tls_port" "TLS 1.3 with --pad $pad")
    else
        picture_runs=(--tls decrypted.tsv "$tls_port" "$tls_name"
            --padded extra-decrypted.tsv "$extra_port" "TLS 1.3 with --pad 256: every record of one size")
    fi
    "$plot_python" "$PICTURE" "$work" --out "$work/compare.png" --plain-port "$plain_port" "${picture_runs[@]}" \
        --message="$message" --long-line="$long_line" >"$work/picture.err" 2>&1 ||
        die 1 "could not draw compare.png: $(grep -v '^[[:space:]]*$' "$work/picture.err" | tail -n 1)"
fi

packets() { "$CAPINFOS" -M -c "$1" 2>/dev/null | sed -n 's/^Number of packets:[[:space:]]*//p'; }
plain_packets=$(packets "$work/plain.pcapng")
tls_packets=$(packets "$work/tls.pcapng")

# Sections 1 to 4 of the report, from tshark's output above. Written into a
# file first: a failure shows one sentence, not half a report.
report_args=(--plain-port "$plain_port" --tls-port "$tls_port" --mode "$mode" --message="$message"
    --long-line="$long_line" --tls "${tls_version:-1.3}")
[[ -n $pad ]] && report_args+=(--pad "$pad")
"$PYTHON" "$REPORT" "${report_args[@]}" "$work" >"$work/report.txt" 2>"$work/report.err"
rc=$?
if ((rc != 0)); then
    why=$(grep -v '^[[:space:]]*$' "$work/report.err" | tail -n 1)
    why=${why#capture_report.py: }
    die 1 "${why:-capture_report.py failed (status $rc) without saying why.}"
fi

header() {
    say
    say "$1"
    printf '%s\n' "$1" | sed 's/./-/g'
}

say "tlschat Wireshark lab: $mode mode, secret message \"$message\"${pad:+, --pad $pad}"
say "  plaintext: tlschatd --plain on 127.0.0.1:$plain_port -> $show_dir/plain.pcapng (${plain_packets:-?} packets)"
say "  TLS:       tlschatd on 127.0.0.1:$tls_port${pad:+ --pad $pad} -> $show_dir/tls.pcapng (${tls_packets:-?} packets)"
say "             its key log: $show_dir/keys.log; keys embedded: $show_dir/tls-decrypted.pcapng"
if [[ -n $extra_port ]]; then
    say "  picture:   $show_dir/compare.png: the plaintext run, TLS, and TLS ${pad:+without padding}${extra_pad:+with --pad 256} (a third"
    say "             run, on 127.0.0.1:$extra_port), as three timelines of the sizes an eavesdropper sees"
fi
if [[ $mode == echo ]]; then
    say "  conversation: the client says \"hi\", the secret, a 100-character line; the server echoes each"
else
    say "  conversation: bob and alice join; alice says \"hi\", the secret, a 100-character line; bob gets each"
fi
cat -- "$work/report.txt"

q_dir=$(printf '%q' "$show_dir")
header "5. Look for yourself"
cat <<EOF
  The plaintext capture: the whole chat, as text.
    tshark -r $q_dir/plain.pcapng -q -z follow,tcp,ascii,0
    tshark -r $q_dir/plain.pcapng -Y tcp.payload -T fields -e tcp.payload   (hex, one segment a line)
    Wireshark: open plain.pcapng, select a packet, Analyze > Follow > TCP Stream.
  The TLS capture, as the eavesdropper has it. Port $tls_port is not TLS's usual 443, so tell
  tshark and Wireshark to read it as TLS ("Decode As"): -d tcp.port==$tls_port,tls, or in
  Wireshark: Analyze > Decode As..., +, field "TCP port", value $tls_port, current "TLS".
    tshark -r $q_dir/tls.pcapng -d tcp.port==$tls_port,tls -Y tls -T fields -e frame.number -e tls.record.content_type -e tls.record.opaque_type -e tls.record.length
    tshark -r $q_dir/tls.pcapng -d tcp.port==$tls_port,tls -Y tls.handshake.type==1 -T fields -e tls.handshake.extensions_server_name
    (TLS 1.3 shows encrypted records as opaque type 23, application data, whatever they hold.)
  The TLS capture decrypted with the key log (-o tls.keylog_file:):
    tshark -r $q_dir/tls.pcapng -d tcp.port==$tls_port,tls -o tls.keylog_file:$q_dir/keys.log -q -z follow,tls,ascii,0
    Wireshark: Edit > Preferences > Protocols > TLS > (Pre)-Master-Secret log filename: $show_dir/keys.log;
    or start it as: wireshark -o tls.keylog_file:$q_dir/keys.log -d tcp.port==$tls_port,tls $q_dir/tls.pcapng
    then Analyze > Follow > TLS Stream.
  The copy with the keys embedded needs no key log setting, only Decode As:
    tshark -r $q_dir/tls-decrypted.pcapng -d tcp.port==$tls_port,tls -q -z follow,tls,ascii,0
    wireshark -d tcp.port==$tls_port,tls $q_dir/tls-decrypted.pcapng   (then Analyze > Follow > TLS Stream)
EOF
[[ $mode == chat ]] && say "  (follow,...,0 is bob's connection; 1 is alice's.)"
if ((have_lua)); then
    q_lua=$(printf '%q' "$show_lua")
    nick_filter='tlschat.kind == "chat"'
    [[ $mode == chat ]] && nick_filter='tlschat.nick == "alice"'
    cat <<EOF
  The chat protocol itself, named: the dissector $show_lua (-X lua_script:; make install
  puts it where Wireshark loads it by itself) shows each line as tlschat, with
  tlschat.kind, tlschat.nick and tlschat.text, in the plaintext and the decrypted capture:
    tshark -r $q_dir/plain.pcapng -X lua_script:$q_lua -d tcp.port==$plain_port,tlschat -Y tlschat -T fields -e tlschat.kind -e tlschat.nick -e tlschat.text
    tshark -r $q_dir/tls-decrypted.pcapng -X lua_script:$q_lua -d tcp.port==$tls_port,tls -Y '$nick_filter' -T fields -e tlschat.nick -e tlschat.text
    Wireshark: wireshark -X lua_script:$q_lua -d tcp.port==$tls_port,tls $q_dir/tls-decrypted.pcapng
    (over TLS it is found by its ALPN, tlschat/1; display filters such as $nick_filter work)
EOF
fi

# ---------------------------------------------------------------------------
# Files into place, servers kept or stopped.

# Each file is finished in the private work directory (its mode, and under
# sudo its owner: the user who asked for it), then moved into DIR. mv replaces
# whatever DIR holds under that name, a planted symbolic link included, and
# never writes through it; no file in DIR is touched by name afterwards, and
# only what this run made is handed over.
owner=
if ((EUID == 0)) && [[ -n ${SUDO_UID:-} && -n ${SUDO_GID:-} ]]; then
    owner=$SUDO_UID:$SUDO_GID
fi
made=(plain.pcapng tls.pcapng keys.log tls-decrypted.pcapng)
[[ -n $extra_port ]] && made+=(compare.png)
if ((keep_servers && certs_temporary)); then
    cp -- "$certs/ca.crt" "$work/ca.crt" || die 1 "cannot copy the CA certificate: check that ${TMPDIR:-/tmp} is writable."
    made+=(ca.crt)
fi
chmod 600 -- "$work/keys.log" "$work/tls-decrypted.pcapng" || die 1 "cannot make the key log private."
if [[ -n $owner ]]; then
    chown -h -- "$owner" "${made[@]/#/$work/}" || die 1 "cannot hand the captures to user $SUDO_UID."
fi
for f in "${made[@]}"; do
    mv -fT -- "$work/$f" "$dir/$f" || die 1 "cannot move $f into '$dir': check its permissions."
done
if [[ -n $owner ]]; then
    # The kept servers' logs, through the descriptors that opened them.
    ((keep_servers)) && chown -- "$owner" "$plain_log" "$tls_log"
    ((made_dir)) && chown -h -- "$owner" "$dir"
fi

if ((keep_servers)); then
    keep_pids=("$plain_pid" "$tls_pid")
    ca_for_client=$certs/ca.crt
    ((certs_temporary)) && ca_for_client=$dir/ca.crt
    header "Servers left running (--keep-servers)"
    say "  plaintext: tlschatd pid $plain_pid on 127.0.0.1:$plain_port; log $show_dir/tlschatd-plain.log"
    say "    tlschat --plain 127.0.0.1 $plain_port"
    say "  TLS:       tlschatd pid $tls_pid on 127.0.0.1:$tls_port; log $show_dir/tlschatd-tls.log"
    say "    tlschat --ca $(printf '%q' "$ca_for_client") --servername localhost 127.0.0.1 $tls_port"
    say "  stop them with: kill $plain_pid $tls_pid"
else
    stop "$plain_pid" TERM
    stop "$tls_pid" TERM
fi

cat <<EOF

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: $show_dir/keys.log holds this TLS session's keys, and
!! $show_dir/tls-decrypted.pcapng carries a copy of them: anyone who has
!! either file reads every message of the TLS run. Delete both when done:
!!   rm $q_dir/keys.log $q_dir/tls-decrypted.pcapng
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
EOF
# Said again on stderr when the report goes elsewhere than the terminal.
[[ -t 1 ]] || note "WARNING: $show_dir/keys.log and $show_dir/tls-decrypted.pcapng decrypt the TLS run: delete them when done."
success=1
exit 0
