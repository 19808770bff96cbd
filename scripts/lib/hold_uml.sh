#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# hold_uml.sh - hold N idle clients on one tlschatd inside a user-mode Linux
# kernel (Debian's user-mode-linux), for scripts/bench.sh --uml.
#
#   scripts/lib/hold_uml.sh N BINDIR CERTDIR OUTDIR
#
# Why: N connections need N open files in one process, and a container may cap
# the hard limit below that and withhold CAP_SYS_RESOURCE even from root (this
# project's machine: 20,000). Inside user-mode Linux this script is init, root
# of a kernel of its own, and may raise the limit. What it measures is bytes:
# the same binaries run on the same glibc and OpenSSL (the host's / is the root
# file system, read-only, through hostfs), so the memory per connection is the
# host's. Time is not: every system call goes through ptrace (about 10 ms a
# connection), so the setup time from here is no figure to compare.
#
# BINDIR holds tlschatd and tlschat-bench; CERTDIR ca.crt, server.crt and
# server.key; OUTDIR (made if missing, the one place written to) gets tls.txt
# and plain.txt, each the bench's "event=established" line followed by
# rss0= rss1= slab0= slab1= fds= bench_rss= (KiB, and the server's open files),
# and init.log. Exit status 0 when both were written.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin

if [ "${UML_HOLD_INIT:-}" != 1 ]; then
    prog=hold_uml.sh
    if [ $# -ne 4 ]; then
        echo "usage: scripts/lib/hold_uml.sh N BINDIR CERTDIR OUTDIR" >&2
        exit 2
    fi
    uml=$(command -v linux.uml || command -v linux) || {
        echo "$prog: user-mode Linux is not installed: apt-get install user-mode-linux (scripts/install-deps.sh --bench)" >&2
        exit 1
    }
    n=$1
    mkdir -p "$4" || exit 1
    bindir=$(realpath "$2") certdir=$(realpath "$3") out=$(realpath "$4") self=$(realpath "$0")
    # Room for the server (~16 KiB a connection), both ends' kernel socket
    # memory (~8 KB), the lean bench (~1 KB) and the kernel itself.
    mem=$((n * 40 / 1024 + 768))M
    # Words with '=' that the kernel does not know become init's environment.
    timeout $((n / 20 + 600)) "$uml" mem="$mem" rootfstype=hostfs rootflags=/ ro init="$self" \
        con=null con0=fd:0,fd:1 UML_HOLD_INIT=1 UML_N="$n" UML_BIN="$bindir" UML_CERTS="$certdir" \
        UML_OUT="$out" </dev/null >"$out/console.log" 2>&1
    [ -s "$out/tls.txt" ] && [ -s "$out/plain.txt" ] && exit 0
    echo "$prog: the run inside user-mode Linux did not finish; its log:" >&2
    tail -n 20 "$out/init.log" "$out/console.log" >&2 2>/dev/null
    exit 1
fi

# ---- from here on: init of the user-mode kernel
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t hostfs -o "$UML_OUT" hostfs "$UML_OUT" # writable: only the output
exec >"$UML_OUT/init.log" 2>&1
finish() {
    sync
    poweroff -f
}
trap finish EXIT
ip link set lo up || exit 1
n=$UML_N
ulimit -Hn $((n + 1000)) && ulimit -n $((n + 1000)) || exit 1
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
sources=$((n / (port_hi - port_lo - 1000) + 1))
echo "user-mode Linux $(uname -r), open files $(ulimit -n), $(grep MemTotal /proc/meminfo), $sources source address(es)"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

hold() { # name, then tlschatd's transport options, then --, then the bench's
    local name=$1 sopts=() bopts=() spid bpid port='' rss0 slab0
    shift
    while [ "$1" != -- ]; do sopts+=("$1"); shift; done
    shift
    bopts=("$@")
    local log=$UML_OUT/$name-server.log res=$UML_OUT/$name.out
    "$UML_BIN/tlschatd" -q -l 127.0.0.1 --port 0 --mode echo --max-per-address 1000000 \
        --max-handshakes 100000 --max-clients $((n + 10)) "${sopts[@]}" 2>"$log" &
    spid=$!
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "$name: tlschatd did not start"; cat "$log"; return 1; }
    sleep 0.3
    rss0=$(rss_kb "$spid") slab0=$(slab_kb)
    "$UML_BIN/tlschat-bench" --hold "$n" --lean --sources "$sources" --duration 3600 --label "tlschatd-$name" \
        "${bopts[@]}" 127.0.0.1 "$port" >"$res" 2>&1 &
    bpid=$!
    # At most 60 s and 50 ms a connection (ptrace makes each take about 10).
    for _ in $(seq 1 $((4 * (60 + n / 20)))); do
        grep -q 'event=established' "$res" && break
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.25
    done
    sleep 1 # the server's last reads and writes
    local line figures
    line=$(grep 'event=established' "$res")
    figures="rss0=$rss0 rss1=$(rss_kb "$spid") slab0=$slab0 slab1=$(slab_kb)"
    figures+=" fds=$(find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 | wc -l) bench_rss=$(rss_kb "$bpid")"
    kill "$bpid" "$spid" 2>/dev/null
    wait "$bpid" "$spid"
    if [ -z "$line" ]; then
        echo "$name: the bench did not say it was established:"
        cat "$res"
        return 1
    fi
    printf '%s\n%s\n' "$line" "$figures" | tee "$UML_OUT/$name.txt"
}

hold tls --cert "$UML_CERTS/server.crt" --key "$UML_CERTS/server.key" -- --ca "$UML_CERTS/ca.crt"
hold plain --plain -- --plain
