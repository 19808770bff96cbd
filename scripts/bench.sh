#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# bench.sh - measure tlschatd and independent TLS peers on loopback, in one run,
# with the same load generator (build/tlschat-bench), and print the ratios.
#
#   make bench                        builds, then runs this
#   scripts/bench.sh [--install]      BUILD=build by default
#
# Peers (Debian packages): ncat (ncat --ssl --exec /bin/cat, ncat --ssl --chat),
# socat (OPENSSL-LISTEN,fork EXEC:cat) and stunnel4 (in front of tlschatd --plain).
# A missing peer is skipped with a note; --install installs the missing ones
# with apt-get first. Benchmarks only print: nothing here passes or fails on a
# number. Everything runs on 127.0.0.1; every process started here is stopped
# at the end and on Ctrl-C (by process group, which is its pid).
#
# Environment: BENCH_SECONDS (default 4) per measurement, BENCH_HOLD (default
# 100000, or as many as the open-file limit allows) connections to hold,
# BENCH_CONCURRENCY (default 16) for handshakes/echo, BENCH_STORM (default 2000)
# clients in the join storm, BENCH_CROWD (default 1000) clients for the crowd
# and the latency under load. Writes BUILD/bench/results.tsv and, with
# python3-matplotlib, the chart BUILD/bench/bench.png (scripts/bench_chart.py).
set -uo pipefail

prog=bench
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-4}
HOLD=${BENCH_HOLD:-100000}
CROWD=${BENCH_CROWD:-1000}
CROWD_HANDSHAKES=64 # in flight while a crowd arrives
PACE=100            # lines a second into the crowd's room (latency under load)
PACE_SENDERS=10     # each says 10 lines a second: within tlschatd's default 20
STORM=${BENCH_STORM:-2000}
STORM_HANDSHAKES=8 # at a time: one address's share of handshakes in progress
CONC=${BENCH_CONCURRENCY:-16}
CHAT_CLIENTS=50
CHAT_SENDERS=5
BENCH=$BUILD/tlschat-bench
SERVER=$BUILD/tlschatd
install=0

usage() {
    sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'
}

for arg in "$@"; do
    case $arg in
    --install) install=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$prog: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

for f in "$BENCH" "$SERVER"; do
    if [ ! -x "$f" ]; then
        echo "$prog: $f is missing: build it first with 'make bench' (or make BUILD=$BUILD)" >&2
        exit 1
    fi
done

# ---- processes: each server starts in its own session, so its group id is its
# pid and stopping the group also stops what it forked (ncat's and socat's children).
tmp=$(mktemp -d /tmp/tlschat-bench.XXXXXX)
pids=()
# Private copies: a rebuild of build/ in the middle of the run cannot touch them.
mkdir -p "$tmp/bin" && cp "$BENCH" "$SERVER" "$tmp/bin/" || exit 1
BENCH=$tmp/bin/tlschat-bench
SERVER=$tmp/bin/tlschatd

# shellcheck source=lib/procs.sh
. scripts/lib/procs.sh # stop_pid

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        stop_pid --group "$pid"
    done
    pids=()
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo; echo "$prog: interrupted: stopping everything it started" >&2; exit 130' INT TERM

forget() { # pid: it was stopped by hand
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]+"${keep[@]}"}")
}

stop() { stop_pid --group "$1"; forget "$1"; }

# ---- limits: N connections need N descriptors in each process. Root with
# CAP_SYS_RESOURCE may raise the hard limit; anyone may raise the soft one to it.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((HOLD + 200)) ]; then
    ulimit -Hn $((HOLD + 200)) 2>/dev/null && hard=$(ulimit -Hn)
fi
if [ "$hard" = unlimited ]; then ulimit -n 1048576 2>/dev/null || true; else ulimit -n "$hard"; fi
nofile=$(ulimit -n)
HOLD_WANTED=$HOLD
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((HOLD + 200)) ]; then
    HOLD=$((nofile - 200))
    [ "$HOLD" -ge 1 ] || HOLD=1
    HOLD_NOTE="held $HOLD, not $HOLD_WANTED: the open-file hard limit is $nofile and cannot be raised here (it takes root with CAP_SYS_RESOURCE, or LimitNOFILE=/limits.conf)"
    echo "$prog: note: $HOLD_NOTE" >&2
fi
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
ephemeral=$((port_hi - port_lo + 1))
# One source address has $ephemeral ports to one server port: spread the held
# connections over 127.0.0.1, .2, ... (all loopback on Linux).
SOURCES=$((HOLD / (ephemeral - 1000) + 1))

# ---- peers
have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have ncat || missing+=(ncat)
have socat || missing+=(socat)
have stunnel4 || have stunnel || missing+=(stunnel4)
have openssl || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ] && [ "$install" = 1 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "$prog: installing ${missing[*]} needs root: run 'sudo scripts/bench.sh --install', or 'scripts/install-deps.sh --bench' and then 'make bench'." >&2
        exit 1
    fi
    echo "== installing ${missing[*]} (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >"$tmp/apt.log" 2>&1 || { echo "$prog: apt-get install failed:"; tail -5 "$tmp/apt.log"; }
fi
STUNNEL=$(command -v stunnel4 || command -v stunnel || true)

# ---- helpers
CERTS=$tmp/certs
scripts/gen-certs.sh --dir "$CERTS" >"$tmp/gen-certs.log" 2>&1 || {
    echo "$prog: scripts/gen-certs.sh failed:" >&2; cat "$tmp/gen-certs.log" >&2; exit 1
}
CA=$CERTS/ca.crt CRT=$CERTS/server.crt KEY=$CERTS/server.key
TCK=$(getconf CLK_TCK)

# A free port below the ephemeral range, so no client connection can hold it.
free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 10000))
        [ "$p" -ge "$port_lo" ] && continue
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
    done
    echo "$prog: found no free port" >&2
    return 1
}

wait_listen() { # port
    for _ in $(seq 1 50); do
        ss -Htln "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# CPU time (clock ticks) of processes and of the children they have reaped.
cpu_ticks() {
    local pid t=0 v
    for pid in "$@"; do
        v=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}')
        t=$((t + ${v:-0}))
    done
    echo "$t"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

kv() { # line(s) key: the value in the first line that has it
    sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<" $1" | head -n 1
}

# Start a server in its own session: sets SPID (and SPORT for tlschatd).
start_tlschatd() { # log name, then tlschatd options
    local log=$tmp/$1.log
    shift
    # The load comes from one address: lift the per-address share (a real
    # crowd arrives from many), and let the crowd's handshakes all be in flight.
    setsid "$SERVER" -q -l 127.0.0.1 --port 0 --max-per-address 1000000 --max-handshakes 100000 "$@" 2>"$log" &
    SPID=$!
    pids+=("$SPID")
    SPORT=
    for _ in $(seq 1 50); do
        SPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
        [ -n "$SPORT" ] && return 0
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    echo "$prog: tlschatd did not start:" >&2
    cat "$log" >&2
    return 1
}

start_peer() { # port, then the command
    local port=$1
    shift
    setsid "$@" >"$tmp/peer-$port.log" 2>&1 &
    SPID=$!
    pids+=("$SPID")
    SPORT=$port
    if ! wait_listen "$port"; then
        echo "$prog: '$1' did not start listening on $port:" >&2
        cat "$tmp/peer-$port.log" >&2
        return 1
    fi
}

# The peers. EXTRA_PIDS: other processes whose CPU belongs to this server.
start_server() { # kind: tlschatd-echo tlschatd-chat tlschatd-plain tlschatd-plain-chat ncat socat stunnel ncat-chat
    EXTRA_PIDS=()
    local port
    case $1 in
    tlschatd-echo) start_tlschatd "$1" --mode echo --cert "$CRT" --key "$KEY" ;;
    tlschatd-chat) start_tlschatd "$1" --mode chat --cert "$CRT" --key "$KEY" ;;
    # Fan-out capacity: the senders' pacing (20 lines/s each, which protects
    # a room from a flooder) lifted, as ncat --chat has none.
    tlschatd-fanout) start_tlschatd "$1" --mode chat --cert "$CRT" --key "$KEY" --line-rate 1000000 --byte-rate 1073741824 ;;
    tlschatd-plain) start_tlschatd "$1" --mode echo --plain --max-clients $((HOLD + 10)) ;;
    tlschatd-plain-chat) start_tlschatd "$1" --mode chat --plain ;;
    tlschatd-hold) start_tlschatd "$1" --mode echo --cert "$CRT" --key "$KEY" --max-clients $((HOLD + 10)) ;;
    ncat)
        port=$(free_port) || return 1
        start_peer "$port" ncat --ssl --ssl-cert "$CRT" --ssl-key "$KEY" -l 127.0.0.1 "$port" -k -m 1000 --exec /bin/cat ;;
    ncat-chat)
        port=$(free_port) || return 1
        start_peer "$port" ncat --ssl --ssl-cert "$CRT" --ssl-key "$KEY" -l 127.0.0.1 "$port" -m $((CROWD + 10)) --chat ;;
    s_server)
        # One connection at a time, nothing printed per connection, and one
        # TLS 1.3 session ticket per handshake, as tlschatd gives
        # (src/lib/tls_tickets.c): the same work on both sides. A ticket costs
        # either server about 165,000 instructions (callgrind) and a write(2).
        port=$(free_port) || return 1
        start_peer "$port" openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$CRT" -key "$KEY" -num_tickets 1 </dev/null ;;
    socat)
        port=$(free_port) || return 1
        start_peer "$port" socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr,backlog=511,cert=$CRT,key=$KEY,verify=0" EXEC:cat ;;
    stunnel)
        start_tlschatd stunnel-backend --mode echo --plain || return 1
        local backend=$SPID backend_port=$SPORT
        port=$(free_port) || return 1
        cat >"$tmp/stunnel.conf" <<EOF
foreground = yes
pid =
debug = 3
[echo]
accept = 127.0.0.1:$port
connect = 127.0.0.1:$backend_port
cert = $CRT
key = $KEY
EOF
        start_peer "$port" "$STUNNEL" "$tmp/stunnel.conf" || return 1
        EXTRA_PIDS=("$backend") ;;
    esac
}

stop_server() {
    local p
    stop "$SPID"
    for p in "${EXTRA_PIDS[@]+"${EXTRA_PIDS[@]}"}"; do stop "$p"; done
}

peer_available() {
    case $1 in
    ncat | ncat-chat) have ncat ;;
    s_server) have openssl ;;
    socat) have socat ;;
    stunnel) [ -n "$STUNNEL" ] ;;
    *) return 0 ;;
    esac
}

# run KIND NAME BENCH-ARGS...: start the server, run the bench against it, stop
# it. Sets LINE (the bench's summary line, or empty) and CPU_MS (server CPU).
run() {
    local kind=$1 name=$2 before after
    shift 2
    LINE='' CPU_MS=''
    if ! peer_available "$kind"; then
        echo "   $name: skipped (not installed; scripts/bench.sh --install adds it)"
        return 1
    fi
    start_server "$kind" || { stop_server; return 1; }
    local tls=(--ca "$CA")
    case $kind in tlschatd-plain*) tls=(--plain) ;; esac
    before=$(cpu_ticks "$SPID" "${EXTRA_PIDS[@]+"${EXTRA_PIDS[@]}"}")
    LINE=$("$BENCH" "$@" "${tls[@]}" --label "$name" 127.0.0.1 "$SPORT" 2>"$tmp/bench.err")
    local rc=$?
    sleep 0.3 # forked children exit and are reaped: their CPU joins the parent's
    if kill -0 "$SPID" 2>/dev/null; then
        after=$(cpu_ticks "$SPID" "${EXTRA_PIDS[@]+"${EXTRA_PIDS[@]}"}")
        CPU_MS=$(((after - before) * 1000 / TCK))
    else
        echo "   note: $name exited during the run; its CPU time is unknown" >&2
    fi
    stop_server
    echo "   $LINE server_cpu_ms=${CPU_MS:-unknown}"
    [ -s "$tmp/bench.err" ] && sed 's/^/   note: /' "$tmp/bench.err"
    [ $rc -eq 0 ] && [ -n "$LINE" ]
}

# ---- the table
rows=()
add_row() { rows+=("$1|$2|$3|$4"); } # metric|peer|tlschatd|peer value

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

per_op_us() { # cpu_ms ops
    awk -v c="$1" -v n="$2" 'BEGIN { if (c == "" || n + 0 == 0) print ""; else printf "%.1f", c * 1000 / n }'
}

echo "tlschat benchmarks: $(nproc) CPUs, $(uname -sr), $(openssl version | cut -d' ' -f1-2)"
echo "   ${SECS} s per measurement; loopback; ECDSA P-256 certificates from gen-certs.sh; the bench verifies (--ca)"
echo "   open files: $nofile; ephemeral ports: $ephemeral ($port_lo-$port_hi); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   peers: ncat $(have ncat && ncat --version 2>&1 | sed -n 's/.*Version \([^ ]*\).*/\1/p' || echo missing)," \
    "socat $(have socat && socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p' || echo missing)," \
    "stunnel $([ -n "$STUNNEL" ] && "$STUNNEL" -version 2>&1 | sed -n 's/^stunnel \([0-9.]*\).*/\1/p' | head -1 || echo missing)"

# Handshakes: connect + handshake + one line echoed + close, CONC at a time.
echo
echo "== TLS handshakes (connect, handshake, one line echoed, close; $CONC at a time, ${SECS} s)"
declare -A HS HS_P50 HS_P99 HS_CPU
for kind in tlschatd-echo ncat socat stunnel; do
    name=${kind%-echo}
    if run "$kind" "$name" --handshakes 1000000 --duration "$SECS" --concurrency "$CONC"; then
        HS[$name]=$(kv "$LINE" handshakes_per_s)
        HS_P50[$name]=$(kv "$LINE" p50_ms)
        HS_P99[$name]=$(kv "$LINE" p99_ms)
        HS_CPU[$name]=$(per_op_us "$CPU_MS" "$(kv "$LINE" handshakes)")
    fi
done
echo
echo "== TLS handshake latency, one at a time (the same, concurrency 1, 2 s)"
declare -A HS1
for kind in tlschatd-echo ncat socat stunnel; do
    name=${kind%-echo}
    if run "$kind" "$name" --handshakes 1000000 --duration 2 --concurrency 1; then
        HS1[$name]=$(kv "$LINE" p50_ms)
    fi
done

# ---- TLS 1.3 resumption (h-resume): what a client coming back after a cut
# costs tlschatd, against a full handshake; one at a time, so that each
# resumed handshake has the ticket the one before it got.
echo
echo "== TLS 1.3 resumption on tlschatd: full vs resumed handshakes (one at a time, ${SECS} s each)"
declare -A RES_HS RES_CPU RES_N
for how in full resumed; do
    resume_args=()
    [ "$how" = resumed ] && resume_args=(--resume)
    if run tlschatd-echo "tlschatd-$how" --handshakes 1000000 --duration "$SECS" --concurrency 1 "${resume_args[@]}"; then
        RES_HS[$how]=$(kv "$LINE" handshakes_per_s)
        RES_CPU[$how]=$(per_op_us "$CPU_MS" "$(kv "$LINE" handshakes)")
        RES_N[$how]=$(kv "$LINE" resumed)
    fi
done

# Echo: persistent connections, 4 lines in flight each; small lines and large.
declare -A EL EM EL_CPU
for size in 128 4000; do
    echo
    echo "== echo, $size-byte lines ($CONC connections, 4 lines in flight each, ${SECS} s)"
    for kind in tlschatd-echo ncat socat stunnel tlschatd-plain; do
        name=${kind%-echo}
        if run "$kind" "$name" --echo --size "$size" --duration "$SECS" --concurrency "$CONC"; then
            EL[$name,$size]=$(kv "$LINE" lines_per_s)
            EM[$name,$size]=$(kv "$LINE" MB_per_s)
            EL_CPU[$name,$size]=$(per_op_us "$CPU_MS" "$(kv "$LINE" lines)")
        fi
    done
done

# Chat fan-out: 50 clients, 5 of them send, everyone receives.
echo
echo "== chat fan-out ($CHAT_CLIENTS clients, $CHAT_SENDERS send as fast as the receivers keep up, all receive, ${SECS} s;"
echo "   tlschatd with the senders' pacing lifted: --line-rate 1000000 --byte-rate 1073741824)"
declare -A CH CH_CPU
for kind in tlschatd-fanout ncat-chat; do
    name=${kind%-chat}
    name=${name%-fanout}
    if run "$kind" "$name" --chat --concurrency "$CHAT_CLIENTS" --senders "$CHAT_SENDERS" --duration "$SECS"; then
        CH[$name]=$(kv "$LINE" delivered_per_s)
        CH_CPU[$name]=$(per_op_us "$CPU_MS" "$(kv "$LINE" delivered)")
    fi
done

# Full handshakes only (no line echoed, so a server that echoes nothing can
# take part): server CPU per handshake beside openssl s_server, which serves
# one connection at a time with the same OpenSSL. The goal is 0.6 x s_server.
echo
echo "== full TLS 1.3 handshakes only (connect, handshake, close; $CONC at a time, ${SECS} s)"
# Twice each, alternating, summed: the load of a shared machine drifts, and a
# pair taken one after the other once moved the ratio from 0.62 to 0.88.
declare -A HSO_CPU HSO_MS HSO_N
for kind in tlschatd-echo s_server tlschatd-echo s_server; do
    name=${kind%-echo}
    if run "$kind" "$name" --handshakes 1000000 --handshake-only --duration "$SECS" --concurrency "$CONC" &&
        [ -n "$CPU_MS" ]; then
        HSO_MS[$name]=$((${HSO_MS[$name]:-0} + CPU_MS))
        HSO_N[$name]=$((${HSO_N[$name]:-0} + $(kv "$LINE" handshakes)))
        HSO_CPU[$name]=$(per_op_us "${HSO_MS[$name]}" "${HSO_N[$name]}")
    fi
done
# The same one at a time: s_server takes connections one at a time anyway, so
# only here do both servers go at the same pace beside an equally busy load
# generator. The steadier of the two ratios on a shared machine.
echo "   the same, one at a time:"
declare -A HSO1_CPU HSO1_MS HSO1_N
for kind in tlschatd-echo s_server tlschatd-echo s_server; do
    name=${kind%-echo}
    if run "$kind" "$name" --handshakes 1000000 --handshake-only --duration "$SECS" --concurrency 1 &&
        [ -n "$CPU_MS" ]; then
        HSO1_MS[$name]=$((${HSO1_MS[$name]:-0} + CPU_MS))
        HSO1_N[$name]=$((${HSO1_N[$name]:-0} + $(kv "$LINE" handshakes)))
        HSO1_CPU[$name]=$(per_op_us "${HSO1_MS[$name]}" "${HSO1_N[$name]}")
    fi
done
# Resumed handshakes ("Wi-Fi drops..."): measured in their own section above
# (TLS 1.3 resumption, one at a time); summed up at the end and charted.

# A crowd arrives: CROWD TLS clients join one chat room, CROWD_HANDSHAKES
# handshakes in flight; how long until all are in (each greeted), and the
# server's CPU for the joins and the leaves. Goal: 1,000 in 1 s.
echo
echo "== a crowd arrives: $CROWD TLS clients join one chat room, $CROWD_HANDSHAKES handshakes in flight, then leave"
declare -A CR_SETUP CR_CPU CR_EST
for kind in tlschatd-chat ncat-chat; do
    name=${kind%-chat}
    if run "$kind" "$name" --hold "$CROWD" --concurrency "$CROWD_HANDSHAKES" --duration 1 --timeout 60; then
        CR_SETUP[$name]=$(kv "$LINE" setup_s)
        CR_EST[$name]=$(kv "$LINE" established)
        CR_CPU[$name]=$(per_op_us "$CPU_MS" "${CR_EST[$name]}")
    fi
done

# Latency under load: the same room of CROWD, PACE lines a second from
# PACE_SENDERS of them, each stamped; every delivery's latency, load generator
# included. Goal: p99 <= 10 ms. tlschatd --plain runs the same room without
# TLS: what the kernel's write(2) and read(2) alone leave of the goal here.
echo
echo "== latency under load: $PACE lines/s into a room of $CROWD clients ($PACE_SENDERS senders, ${SECS} s; TLS, and --plain beside it)"
declare -A LAT50 LAT99 LATMAX LAT_N
for kind in tlschatd-chat tlschatd-plain-chat ncat-chat; do
    name=${kind%-chat}
    # ncat takes its handshakes one at a time, about 64 ms each: give it time.
    if run "$kind" "$name" --chat --concurrency "$CROWD" --senders "$PACE_SENDERS" --rate "$PACE" --duration "$SECS" --timeout 120; then
        LAT50[$name]=$(kv "$LINE" p50_ms)
        LAT99[$name]=$(kv "$LINE" p99_ms)
        LATMAX[$name]=$(kv "$LINE" max_ms)
        LAT_N[$name]=$(kv "$LINE" connected)
    fi
done

# Hold: HOLD concurrent TLS clients on tlschatd --mode echo; server memory.
hold_run() { # kind name [--plain]
    local kind=$1 name=$2 out=$tmp/hold-$2.out bpid rss0 rss1 rss2 brss fds line slab0 slab1
    local tls=(--ca "$CA")
    case $kind in tlschatd-plain*) tls=(--plain) ;; esac
    start_server "$kind" || { stop_server; return 1; }
    sleep 0.2
    rss0=$(rss_kb "$SPID")
    slab0=$(slab_kb)
    # --lean: the bench keeps only each socket, so it stays small beside the server.
    setsid "$BENCH" --hold "$HOLD" --lean --sources "$SOURCES" --duration 120 "${tls[@]}" --label "$name" \
        127.0.0.1 "$SPORT" >"$out" 2>"$tmp/hold.err" &
    bpid=$!
    pids+=("$bpid")
    for _ in $(seq 1 $((4 * (HOLD / 50 + 60)))); do # at most 60 s + 20 ms a connection
        grep -q 'event=established' "$out" && break
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.25
    done
    sleep 1 # the server finishes its last reads and writes
    rss1=$(rss_kb "$SPID")
    slab1=$(slab_kb)
    fds=$(find "/proc/$SPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    brss=$(rss_kb "$bpid")
    line=$(grep 'event=established' "$out")
    stop "$bpid"
    sleep 1
    rss2=$(rss_kb "$SPID")
    stop_server
    echo "   $line"
    grep 'event=done' "$out" | sed 's/^/   /'
    [ -s "$tmp/hold.err" ] && sed 's/^/   note: /' "$tmp/hold.err"
    local est
    est=$(kv "$line" established)
    # The kernel's share (socket, file, epoll entry) is in no process's RSS:
    # the growth of the slab, machine-wide, for both ends of each connection.
    [ "${est:-0}" -gt 0 ] && awk -v a="$slab0" -v b="$slab1" -v e="$est" 'BEGIN {
        printf "   kernel slab %.1f MB -> %.1f MB: %.1f KB per connection, both ends (machine-wide: other jobs count too)\n",
            a / 1024, b / 1024, (b - a) / e }'
    HOLD_RESULT[$name]="$rss0|$rss1|$rss2|${est:-0}|$(kv "$line" all)|$fds|$brss|$(kv "$line" setup_s)"
}
declare -A HOLD_RESULT
echo
echo "== $HOLD concurrent clients held on tlschatd --mode echo (each handshakes, sends a line, gets it back, stays;"
echo "   the bench then keeps only the socket; from $SOURCES source address(es))"
[ -z "${HOLD_NOTE:-}" ] || echo "   note: $HOLD_NOTE"
hold_run tlschatd-hold tlschatd
echo "   the same, plaintext (tlschatd --plain), to separate the TLS share:"
hold_run tlschatd-plain tlschatd-plain

# Join storm: STORM TLS clients join one chat room and say nothing (the bench's
# empty line is ignored by the room), then all leave at once. Server CPU for the
# joins (until the room is quiet: in a crowd, joins are told once a second) and
# for the leaves. The cost per join should not grow with the room.
settle() { # pid: until its CPU time stops growing for half a second (at most 20 s)
    local a b
    a=$(cpu_ticks "$1")
    for _ in $(seq 1 40); do
        sleep 0.5
        b=$(cpu_ticks "$1")
        [ "$a" = "$b" ] && return 0
        a=$b
    done
}
storm_run() {
    local out=$tmp/storm.out bpid c0 c1 c2 fds0 line
    start_server tlschatd-chat || { stop_server; return 1; }
    fds0=$(find "/proc/$SPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    c0=$(cpu_ticks "$SPID")
    setsid "$BENCH" --hold "$STORM" --concurrency "$STORM_HANDSHAKES" --duration 600 --ca "$CA" --label tlschatd \
        127.0.0.1 "$SPORT" >"$out" 2>"$tmp/storm.err" &
    bpid=$!
    pids+=("$bpid")
    for _ in $(seq 1 1200); do # at most 300 s
        grep -q 'event=established' "$out" && break
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.25
    done
    settle "$SPID"
    c1=$(cpu_ticks "$SPID")
    line=$(grep 'event=established' "$out")
    stop "$bpid" # SIGTERM: the bench closes every connection and exits
    for _ in $(seq 1 200); do # the server sees them all go (at most 20 s)
        [ "$(find "/proc/$SPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -le "$fds0" ] && break
        sleep 0.1
    done
    settle "$SPID"
    c2=$(cpu_ticks "$SPID")
    stop_server
    echo "   $line"
    [ -s "$tmp/storm.err" ] && sed 's/^/   note: /' "$tmp/storm.err"
    STORM_RESULT="$(kv "$line" established)|$(kv "$line" setup_s)|$(((c1 - c0) * 1000 / TCK))|$(((c2 - c1) * 1000 / TCK))"
}
STORM_RESULT=
echo
echo "== join storm: $STORM TLS clients join one chat room, $STORM_HANDSHAKES handshakes at a time, then all leave"
storm_run

# ---- results
echo
echo "== results (ratio = tlschatd / peer; for throughput higher favours tlschatd, for latency and CPU lower does)"
for peer in ncat socat stunnel; do
    add_row "handshakes/s" "$peer" "${HS[tlschatd]:-}" "${HS[$peer]:-}"
done
for peer in ncat socat stunnel; do
    add_row "handshake p50 ms" "$peer" "${HS_P50[tlschatd]:-}" "${HS_P50[$peer]:-}"
    add_row "handshake p99 ms" "$peer" "${HS_P99[tlschatd]:-}" "${HS_P99[$peer]:-}"
done
for peer in ncat socat stunnel; do
    add_row "handshake p50 ms, 1 at a time" "$peer" "${HS1[tlschatd]:-}" "${HS1[$peer]:-}"
done
for peer in ncat socat stunnel; do
    add_row "server CPU us/handshake" "$peer" "${HS_CPU[tlschatd]:-}" "${HS_CPU[$peer]:-}"
done
for peer in ncat socat stunnel; do
    add_row "echo lines/s (128 B)" "$peer" "${EL[tlschatd,128]:-}" "${EL[$peer,128]:-}"
done
for peer in ncat socat stunnel; do
    add_row "echo MB/s (4000 B lines)" "$peer" "${EM[tlschatd,4000]:-}" "${EM[$peer,4000]:-}"
done
for peer in ncat socat stunnel; do
    add_row "server CPU us/line (128 B)" "$peer" "${EL_CPU[tlschatd,128]:-}" "${EL_CPU[$peer,128]:-}"
done
add_row "chat delivered lines/s" "ncat --chat" "${CH[tlschatd]:-}" "${CH[ncat]:-}"
add_row "server CPU us/delivered line" "ncat --chat" "${CH_CPU[tlschatd]:-}" "${CH_CPU[ncat]:-}"
add_row "echo lines/s (128 B), TLS vs none" "tlschatd --plain" "${EL[tlschatd,128]:-}" "${EL[tlschatd-plain,128]:-}"
add_row "echo MB/s (4000 B), TLS vs none" "tlschatd --plain" "${EM[tlschatd,4000]:-}" "${EM[tlschatd-plain,4000]:-}"
add_row "server CPU us/full handshake" "openssl s_server" "${HSO_CPU[tlschatd]:-}" "${HSO_CPU[s_server]:-}"
add_row "  the same, 1 at a time" "openssl s_server" "${HSO1_CPU[tlschatd]:-}" "${HSO1_CPU[s_server]:-}"
[ "${CR_EST[ncat]:-0}" = "$CROWD" ] || CR_SETUP[ncat]='' # not all came in: no time to compare
add_row "crowd of $CROWD: all in, s" "ncat --chat" "${CR_SETUP[tlschatd]:-}" "${CR_SETUP[ncat]:-}"
add_row "crowd: server CPU us/join+leave" "ncat --chat" "${CR_CPU[tlschatd]:-}" "${CR_CPU[ncat]:-}"
add_row "latency p50 ms, $PACE lines/s" "ncat --chat" "${LAT50[tlschatd]:-}" "${LAT50[ncat]:-}"
add_row "latency p99 ms, $PACE lines/s" "ncat --chat" "${LAT99[tlschatd]:-}" "${LAT99[ncat]:-}"
add_row "latency max ms, $PACE lines/s" "ncat --chat" "${LATMAX[tlschatd]:-}" "${LATMAX[ncat]:-}"
add_row "latency p99 ms, TLS vs none" "tlschatd --plain" "${LAT99[tlschatd]:-}" "${LAT99[tlschatd-plain]:-}"

# A peer that did not run gets no row (tlschatd's number is not repeated for
# it); a metric no peer ran for shows tlschatd's number once.
declare -A peer_ran skipped_peers
for r in "${rows[@]}"; do
    IFS='|' read -r metric peer a b <<<"$r"
    if [ -n "$b" ]; then peer_ran[$metric]=1; else skipped_peers[$peer]=1; fi
done
printf '%-34s %-16s %12s %12s %8s\n' metric peer tlschatd peer ratio
for r in "${rows[@]}"; do
    IFS='|' read -r metric peer a b <<<"$r"
    if [ -z "$b" ]; then
        [ -n "${peer_ran[$metric]:-}" ] && continue
        peer_ran[$metric]=1 peer='(none ran)'
    fi
    printf '%-34s %-16s %12s %12s %8s\n' "$metric" "$peer" "${a:-failed}" "${b:--}" "$(ratio "$a" "$b")"
done
[ ${#skipped_peers[@]} -eq 0 ] || echo "   no row for: ${!skipped_peers[*]} (skipped or failed: see above)"

echo
echo "== $HOLD concurrent TLS clients on tlschatd"
for name in tlschatd tlschatd-plain; do
    [ -n "${HOLD_RESULT[$name]:-}" ] || { echo "   $name: did not run"; continue; }
    IFS='|' read -r rss0 rss1 rss2 est all fds brss setup <<<"${HOLD_RESULT[$name]}"
    awk -v n="$name" -v r0="$rss0" -v r1="$rss1" -v r2="$rss2" -v e="$est" -v all="$all" -v fds="$fds" \
        -v brss="$brss" -v s="$setup" -v want="$HOLD" 'BEGIN {
        printf "   %-15s established %s of %s (all=%s) in %s s; server VmRSS %.1f MB idle -> %.1f MB held",
            n, e, want, all, s, r0 / 1024, r1 / 1024
        if (e > 0) printf " = %.1f KB per client", (r1 - r0) / e
        printf "; %.1f MB after they left; server fds %s; bench VmRSS %.1f MB\n", r2 / 1024, fds, brss / 1024
    }'
done
echo
echo "== join storm on tlschatd --mode chat ($STORM clients)"
if [ -n "$STORM_RESULT" ]; then
    IFS='|' read -r est setup join_ms leave_ms <<<"$STORM_RESULT"
    awk -v e="$est" -v want="$STORM" -v s="$setup" -v j="$join_ms" -v l="$leave_ms" 'BEGIN {
        printf "   %s of %s joined in %s s; server CPU %.2f s for the joins", e, want, s, j / 1000
        if (e > 0) printf " (%.0f us a join)", j * 1000 / e
        printf ", %.2f s for the leaves", l / 1000
        if (e > 0) printf " (%.0f us a leave)", l * 1000 / e
        printf "\n"
    }'
else
    echo "   did not run"
fi
echo
echo "== TLS 1.3 resumption on tlschatd (a reconnect after a dropped connection)"
if [ -n "${RES_CPU[full]:-}" ] && [ -n "${RES_CPU[resumed]:-}" ]; then
    awk -v f="${RES_CPU[full]}" -v r="${RES_CPU[resumed]}" -v fh="${RES_HS[full]}" -v rh="${RES_HS[resumed]}" \
        -v n="${RES_N[resumed]:-0}" 'BEGIN {
        printf "   server CPU per handshake: full %s us, resumed %s us (%.2fx); handshakes/s one at a time: %s full, %s resumed (%s resumed from a ticket)\n",
            f, r, (r > 0 ? f / r : 0), fh, rh, n
    }'
else
    echo "   did not run"
fi
echo
echo "notes: ncat --exec and socat fork a process per connection (socat also runs cat per connection);"
echo "       stunnel relays to tlschatd --plain; socat offers only P-256 for key exchange, so every"
echo "       handshake with it takes a HelloRetryRequest; every server logs nothing per connection (-q)."
echo "       The bench and the servers share this machine's $(nproc) CPUs: see bench_cpu_pct in the lines above."
echo "       load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); the whole run took ${SECONDS} s."

# ---- results.tsv (one row per figure) and the chart
# Columns: panel, server, value, unit, better (lower|higher), goal (empty: none).
# scripts/bench_chart.py draws one panel per distinct first column, so a new
# measurement (e.g. resumed handshakes) needs only its rows here.
resdir=$BUILD/bench
mkdir -p "$resdir"
results=$resdir/results.tsv
{
    printf '# tlschat make bench, %s UTC; %s CPUs (%s), %s GiB, %s, %s; loopback; load average at the end %s\n' \
        "$(date -u '+%Y-%m-%d %H:%M')" "$(nproc)" \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
        "$(awk '/^MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -sr)" \
        "$(openssl version | cut -d' ' -f1-2)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    tsv() { [ -n "$3" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}"; }
    goal_hs=$(awk -v v="${HSO_CPU[s_server]:-}" 'BEGIN { if (v != "") printf "%.0f", v * 0.6 }')
    tsv "CPU per full TLS 1.3 handshake" tlschatd "${HSO_CPU[tlschatd]:-}" "us" lower "$goal_hs"
    tsv "CPU per full TLS 1.3 handshake" "openssl s_server" "${HSO_CPU[s_server]:-}" "us" lower
    goal_hs=$(awk -v v="${HSO1_CPU[s_server]:-}" 'BEGIN { if (v != "") printf "%.0f", v * 0.6 }')
    tsv "CPU per full TLS 1.3 handshake, one at a time" tlschatd "${HSO1_CPU[tlschatd]:-}" "us" lower "$goal_hs"
    tsv "CPU per full TLS 1.3 handshake, one at a time" "openssl s_server" "${HSO1_CPU[s_server]:-}" "us" lower
    for n in tlschatd ncat; do
        label=$n; [ "$n" = ncat ] && label="ncat --chat"
        # A crowd that did not all come in has no time to show, only a count.
        in=${CR_EST[$n]:-0}
        [ "$in" = "$CROWD" ] &&
            tsv "A crowd of $CROWD arrives ($CROWD_HANDSHAKES in flight)" "$label" "${CR_SETUP[$n]:-}" "s" lower "$([ "$n" = tlschatd ] && echo 1)"
        room=${LAT_N[$n]:-$CROWD}
        [ "$room" = "$CROWD" ] || label="$label (only $room in)"
        tsv "Latency p99, $PACE lines/s into $CROWD" "$label" "${LAT99[$n]:-}" "ms" lower "$([ "$n" = tlschatd ] && echo 10)"
        label=$n; [ "$n" = ncat ] && label="ncat --chat"
        tsv "Server CPU per join and leave ($CROWD)" "$label" "${CR_CPU[$n]:-}" "us" lower
        tsv "Chat lines delivered/s ($CHAT_CLIENTS clients)" "$label" "${CH[$n]:-}" "lines/s" higher
    done
    # The same room without TLS, beside the two above in the latency panel.
    label="tlschatd --plain"
    [ "${LAT_N[tlschatd-plain]:-$CROWD}" = "$CROWD" ] || label="$label (only ${LAT_N[tlschatd-plain]} in)"
    tsv "Latency p99, $PACE lines/s into $CROWD" "$label" "${LAT99[tlschatd-plain]:-}" "ms" lower
    tsv "tlschatd CPU per handshake, one at a time: full vs resumed (TLS 1.3 ticket)" "full" "${RES_CPU[full]:-}" "us" lower
    tsv "tlschatd CPU per handshake, one at a time: full vs resumed (TLS 1.3 ticket)" "resumed" "${RES_CPU[resumed]:-}" "us" lower
    for n in tlschatd ncat socat stunnel; do
        tsv "Echo lines/s (128 B)" "$n" "${EL[$n,128]:-}" "lines/s" higher
    done
    for n in tlschatd tlschatd-plain; do
        [ -n "${HOLD_RESULT[$n]:-}" ] || continue
        IFS='|' read -r rss0 rss1 _ est _ <<<"${HOLD_RESULT[$n]}"
        per=$(awk -v a="$rss0" -v b="$rss1" -v e="$est" 'BEGIN { if (e > 0) printf "%.1f", (b - a) / e }')
        label=$n; [ "$n" = tlschatd-plain ] && label="tlschatd --plain"
        tsv "Memory per idle connection ($est held)" "$label" "$per" "KiB" lower "$([ "$n" = tlschatd ] && echo 16)"
    done
} >"$results"
echo "   results: $results"
chart_py=
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import matplotlib' 2>/dev/null; then chart_py=$py; break; fi
done
if [ -n "$chart_py" ]; then
    "$chart_py" scripts/bench_chart.py "$results" "$resdir/bench.png" && echo "   chart: $resdir/bench.png"
else
    echo "   chart: skipped (python3-matplotlib is not installed: scripts/install-deps.sh --bench adds it)"
fi
