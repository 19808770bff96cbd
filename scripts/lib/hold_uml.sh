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
    if ! [[ $n =~ ^[1-9][0-9]{0,6}$ ]]; then
        echo "$prog: N must be a whole number of connections from 1 to 9999999, not '$n'" >&2
        exit 2
    fi
    mkdir -p "$4" || exit 1
    bindir=$(realpath "$2") certdir=$(realpath "$3") out=$(realpath "$4") self=$(realpath "$0")
    # The paths go on the kernel's command line, which splits on white space;
    # and the output directory is the one place the guest may write.
    for p in "$bindir" "$certdir" "$out" "$self"; do
        if [[ $p =~ [[:space:]] ]]; then
            echo "$prog: '$p' has white space in it, which a kernel command line cannot carry: use another directory" >&2
            exit 2
        fi
    done
    if [ "$out" = / ]; then
        echo "$prog: OUTDIR is written to by the guest: give it a directory of its own, not /" >&2
        exit 2
    fi
    if ! command -v poweroff >/dev/null; then
        echo "$prog: no poweroff command here (Debian: systemd-sysv), which the guest uses to stop" >&2
        exit 1
    fi
    rm -f "$out/tls.txt" "$out/plain.txt"
    # Room for the server (~16 KiB a connection), both ends' kernel socket
    # memory (~8 KB), the lean bench (~1 KB) and the kernel itself.
    mem_mb=$((n * 40 / 1024 + 768))
    # user-mode Linux maps its guests' pages into host processes, up to one
    # mapping a page: the host's vm.max_map_count (65,530 by default) must
    # allow for all of them, or the guest's processes are killed half-way.
    maps_needed=$((mem_mb * 256 + 65536))
    maps=$(cat /proc/sys/vm/max_map_count)
    if [ "$maps" -lt "$maps_needed" ]; then
        if [ "$(id -u)" -eq 0 ] && echo "$maps_needed" 2>/dev/null >/proc/sys/vm/max_map_count; then
            echo "$prog: note: raised vm.max_map_count from $maps to $maps_needed (user-mode Linux maps each page of its guests' memory on its own)" >&2
        else
            echo "$prog: vm.max_map_count is $maps; user-mode Linux needs $maps_needed for $n connections: run 'sysctl -w vm.max_map_count=$maps_needed' as root first" >&2
            exit 1
        fi
    fi
    # Words with '=' that the kernel does not know become init's environment.
    # The bound: both runs' own (below), and five minutes for the rest. In the
    # foreground, so that whoever stops this script's process group stops it.
    timeout --foreground -k 30 $((2 * (60 + n / 20) + 300)) "$uml" mem="${mem_mb}M" rootfstype=hostfs rootflags=/ ro init="$self" \
        con=null con0=fd:0,fd:1 UML_HOLD_INIT=1 UML_N="$n" UML_BIN="$bindir" UML_CERTS="$certdir" \
        UML_OUT="$out" </dev/null >"$out/console.log" 2>&1
    [ -s "$out/tls.txt" ] && [ -s "$out/plain.txt" ] && exit 0
    echo "$prog: the run inside user-mode Linux did not finish both holds; its logs:" >&2
    tail -n 20 "$out/init.log" "$out/console.log" >&2 2>/dev/null
    exit 1
fi

# ---- from here on: init of the user-mode kernel, which must not exit (the
# kernel would panic): it powers off instead, whatever happens.
finish() {
    sync
    poweroff -f
}
trap finish EXIT
mount -t proc proc /proc || exit 1
mount -t sysfs sys /sys || exit 1
mount -t hostfs -o "$UML_OUT" hostfs "$UML_OUT" || exit 1 # writable: only the output
exec >"$UML_OUT/init.log" 2>&1
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
    # A look each second: every process started here costs the run time.
    for _ in $(seq 1 $((60 + n / 20))); do
        grep -q 'event=established' "$res" && break
        kill -0 "$bpid" 2>/dev/null || break
        sleep 1
    done
    sleep 1 # the server's last reads and writes
    local line figures rss1
    line=$(grep 'event=established' "$res")
    rss1=$(rss_kb "$spid")
    figures="rss0=$rss0 rss1=$rss1 slab0=$slab0 slab1=$(slab_kb)"
    figures+=" fds=$(find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 | wc -l) bench_rss=$(rss_kb "$bpid")"
    kill "$bpid" "$spid" 2>/dev/null
    wait "$bpid" "$spid"
    if [ -z "$rss1" ]; then
        echo "$name: tlschatd did not live to the end (its log: $log; the kernel's: console.log):"
        tail -n 3 "$log"
        return 1
    fi
    if [ -z "$line" ]; then
        echo "$name: the bench did not say it was established:"
        cat "$res"
        return 1
    fi
    printf '%s\n%s\n' "$line" "$figures" | tee "$UML_OUT/$name.txt"
}

hold tls --cert "$UML_CERTS/server.crt" --key "$UML_CERTS/server.key" -- --ca "$UML_CERTS/ca.crt"
hold plain --plain -- --plain
