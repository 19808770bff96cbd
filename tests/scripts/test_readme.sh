#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The README's walk-throughs, as written: every ```sh block of README.md, in
# order, line by line, on one machine. So the README cannot drift from the
# programs.
#
#   - It runs in a copy of the source tree (certs/ and build/ of the real one
#     are left alone) and in a network namespace of its own, where port 8443
#     is free and the LAN is loopback: 192.168.1.20 becomes 127.0.0.2.
#   - Each "machine" has a HOME of its own (~/.local/bin on PATH, as Debian's
#     ~/.profile gives once it exists) and nothing else of this test's
#     environment a reader would not have (MAKEFLAGS, CFLAGS, TLSCHAT_CERTS, ...).
#   - A server line (make run, tlschatd) runs in the background until the next
#     server line or the end; tlschat without -m is fed a line and must verify
#     the server; a plain ``` block right after a block whose tlschat prints a
#     connect line is that line's template. Any other line must exit 0.
#   - scripts/install-deps.sh is left to CI (it installs packages); make test is
#     not run (this test runs inside it).
#   - An HTML comment right before a block says where it runs:
#       <!-- readme-test: machine=other cwd=source|empty copy=SRC[:DEST],... answer=yes skip=REASON -->
#     machine: whose HOME (default: the server's); cwd: the source tree (the
#     server's default), an empty directory, or HOME (the other machine's
#     default); copy: files from the server's tree into that HOME first (what
#     the prose says to copy); answer: tlschat runs on a terminal (a pty, with
#     tests/scripts/pty_answer.py) and its first-use question gets this answer;
#     skip: the rest of the comment is why the block is left out (it is tested
#     elsewhere, or changes the machine).
#   - A join address whose key is shortened (tlschat://HOST:PORT/?pin=sha256:56dc…f4ed)
#     gets the key the running server printed on its "join:" line, as a reader
#     would copy it (or scan its QR code).
# Prints "ok - WHAT" / "not ok - WHAT", "# not run: ..." for what is left out by
# design, and "N passed, N failed" (", N skipped" when it cannot run at all).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# A network namespace of our own, made before anything else.
if [[ -z ${TLSCHAT_README_NETNS:-} ]]; then
    ns=(unshare --net)
    [[ $(id -u) == 0 ]] || ns=(unshare --net --map-root-user)
    if "${ns[@]}" true >/dev/null 2>&1; then
        exec "${ns[@]}" env TLSCHAT_README_NETNS=1 bash "$0" "$@"
    fi
    # shellcheck source=tap.sh
    . "$here/tap.sh"
    ok "the README's walk-throughs # SKIP cannot make a network namespace of our own (unshare --net), and port 8443 and 127.0.0.2 must be ours"
    tap_summary
    exit
fi

# shellcheck source=tap.sh
. "$here/tap.sh"

if command -v ip >/dev/null 2>&1; then
    ip link set lo up
else
    python3 -c 'import fcntl, socket, struct
s = socket.socket()
fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", 1))'  # SIOCSIFFLAGS: IFF_UP
fi

# The copy of the source tree, with the build's objects (make redoes only what is
# out of date) but without certificates, captures or git.
tree=$work/tree
mkdir -p "$tree"
tar -C "$root" --exclude=./.git --exclude=./build --exclude=./captures \
    --exclude='./certs/*.crt' --exclude='./certs/*.key' -cf - . | tar -C "$tree" -xf -
if [[ -d $root/build/obj ]]; then
    mkdir -p "$tree/build"
    tar -C "$root/build" --exclude=./asan --exclude=./installed --exclude=./fuzz -cf - . | tar -C "$tree/build" -xf -
fi

# The blocks: $work/blocks/NN.sh, NN.ann (the comment before it), NN.expect (the
# first line of a plain block right after it).
mkdir -p "$work/blocks"
awk -v dir="$work/blocks" '
    function f(ext) { return sprintf("%s/%02d.%s", dir, n, ext) }
    state == "sh" && /^```/ { state = ""; closed = 1; next }
    state == "sh" { print > f("sh"); next }
    state == "other" && /^```/ { state = ""; next }
    state == "other" { if (want) { print > f("expect"); want = 0 } next }
    /^<!-- readme-test:/ { a = $0; sub(/^<!-- readme-test: */, "", a); sub(/ *-->$/, "", a); ann = a; next }
    /^```sh[[:space:]]*$/ { n++; state = "sh"; printf "%s", ann > f("ann"); printf "" > f("sh"); ann = ""; next }
    /^```/ { state = "other"; want = closed; closed = 0; next }
    /[^[:space:]]/ { closed = 0; ann = "" }
' "$root/README.md"
nblocks=$(find "$work/blocks" -name '*.sh' | wc -l)
if ((nblocks < 5)); then
    not_ok "README.md has its sh blocks" "found $nblocks"
fi

declare -A home_of=([server]=$work/server-home [other]=$work/other-home)
declare -A cwd_of=([server]=$tree [other]=$work/other-home)
mkdir -p "$work/server-home" "$work/other-home"

# machine_env MACHINE: the environment a reader on that machine has: a HOME,
# a PATH, the locale; nothing of make's (MAKEFLAGS, CFLAGS, BUILD from make asan)
# or of tlschat's (TLSCHAT_CERTS, ...) that this test was started with.
machine_env() {
    local h=${home_of[$1]} v
    envv=(env -i "HOME=$h" "PATH=$h/.local/bin:$PATH")
    for v in TMPDIR LANG LC_ALL TERM USER; do
        [[ -n ${!v:-} ]] && envv+=("$v=${!v}")
    done
}

server_pid=
server_log=
stop_server() { # the server and whatever it started (make run: make and tlschatd)
    [[ -n $server_pid ]] || return 0
    stop_pid --group --name "the README's server" "$server_pid" TERM 10
    server_pid=
}
trap 'stop_server; tap_cleanup' EXIT

# start_server WHAT CWD COMMAND: in the background, in a process group of its
# own (make and the tlschatd it starts stop together), until it listens.
start_server() {
    local what=$1 dir=$2 cmd=$3 i
    stop_server
    server_log=$work/server.$((++nservers)).log
    (cd "$dir" && exec setsid "${envv[@]}" bash -c "exec $cmd") >"$server_log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 3000; i++)); do # make run may build first
        grep -q "listening on" "$server_log" && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q "listening on" "$server_log"; then
        ok "$what (serving in the background)"
    else
        not_ok "$what (serving in the background)" "$(tail -n 15 "$server_log")"
        stop_server
    fi
}
nservers=0

# run_client WHAT CWD COMMAND EXPECT: tlschat fed a line; it must verify the server.
run_client() {
    local what=$1 dir=$2 cmd=$3 expect=$4 answer=$5 rc line
    if [[ -n $answer ]]; then
        (cd "$dir" && timeout 120 "${envv[@]}" python3 "$here/pty_answer.py" "$answer" bash -c "$cmd") \
            >"$work/client.out" 2>"$work/client.err"
        rc=$?
        line=$(grep -m 1 '^connected to ' "$work/client.err")
        what+=" (answered '$answer' on a terminal)"
        # What the person compared: the words the question showed, the server's.
        local shown said
        shown=$(sed -n 's/^  words: *//p' "$work/client.err" | head -n 1)
        said=$(sed -n 's/.* tlschatd: words: //p' "$server_log" 2>/dev/null | tail -n 1)
        if [[ -z $shown || $shown != "$said" ]]; then
            not_ok "$what: the question shows the server's words" "shown: $shown" "the server's: $said"
            return
        fi
    else
        printf 'hello from the README test\n' |
            (cd "$dir" && timeout 60 "${envv[@]}" bash -c "$cmd") >"$work/client.out" 2>"$work/client.err"
        rc=$?
        line=$(head -n 1 "$work/client.err")
    fi
    if [[ $rc != 0 || $line != "connected to "*"; verified by "* || $(tail -n 1 "$work/client.out") != closed ]]; then
        not_ok "$what (fed a line, verifies the server)" "exit $rc" "stderr: $(cat "$work/client.err")" \
            "stdout: $(cat "$work/client.out")" "server: $(tail -n 5 "$server_log" 2>/dev/null)"
        return
    fi
    # The README's connect line: the same up to the fingerprint, and the same
    # verifier. "localhost" is 127.0.0.1 or ::1, whichever this machine's
    # /etc/hosts names first: either is the README's address.
    local got=${line//\(\[::1\]:/(127.0.0.1:}
    if [[ -n $expect && $expect == "connected to "* ]] &&
        [[ ${got%%; server *} != "${expect%%; server *}" || ${got##*; verified by } != "${expect##*; verified by }" ]]; then
        not_ok "$what (connect line as the README shows it)" "README: $expect" "actual: $line"
        return
    fi
    ok "$what (fed a line, verified: ${line##*; verified by })"
}

# run_line WHAT CWD COMMAND: any other line; it must exit 0. Where a cd in it
# leaves the shell is in $work/pwd.
run_line() {
    local what=$1 dir=$2 cmd=$3 rc
    # shellcheck disable=SC2016  # $? and $rc are for the step's own shell
    printf '%s\nrc=$?\npwd >"%s"\nexit $rc\n' "$cmd" "$work/pwd" >"$work/step.sh"
    (cd "$dir" && timeout 600 "${envv[@]}" bash "$work/step.sh") >"$work/step.out" 2>&1 </dev/null
    rc=$?
    if [[ $rc == 0 ]]; then
        ok "$what"
    else
        not_ok "$what" "exit $rc" "$(tail -n 15 "$work/step.out")"
        return 1
    fi
}

for sh in "$work"/blocks/*.sh; do
    b=$(basename "$sh" .sh)
    ann=$(<"$work/blocks/$b.ann")
    expect=
    [[ -f $work/blocks/$b.expect ]] && expect=$(<"$work/blocks/$b.expect")
    machine=server
    cwd_mode=
    copy=
    answer=
    reason=
    if [[ $ann == *skip=* ]]; then
        reason=${ann#*skip=}
    fi
    for word in ${ann%%skip=*}; do
        case $word in
            machine=*) machine=${word#machine=} ;;
            cwd=*) cwd_mode=${word#cwd=} ;;
            copy=*) copy=${word#copy=} ;;
            answer=*) answer=${word#answer=} ;;
            *) not_ok "README block $b: readme-test comment understood" "unknown: $word" ;;
        esac
    done
    if [[ -n $reason ]]; then
        # Left out by design, not for want of anything: said, not counted.
        while IFS= read -r line; do
            line=${line%%#*}
            line=${line%"${line##*[![:space:]]}"}
            [[ -n $line ]] && printf '# not run: README block %d: %s (%s)\n' "$((10#$b))" "$line" "$reason"
        done <"$sh"
        continue
    fi
    machine_env "$machine"
    case $cwd_mode in
        source) dir=$tree ;;
        empty) dir=$work/empty-$machine; mkdir -p "$dir" ;;
        "") dir=${cwd_of[$machine]} ;;
        *) not_ok "README block $b: readme-test comment understood" "cwd=$cwd_mode"; continue ;;
    esac
    if [[ -n $copy ]]; then
        IFS=, read -r -a items <<<"$copy"
        for item in "${items[@]}"; do
            src=${item%%:*}
            dest=.
            [[ $item == *:* ]] && dest=${item#*:}
            mkdir -p "${home_of[$machine]}/$dest"
            cp "$tree/$src" "${home_of[$machine]}/$dest" || not_ok "copy $src to the $machine machine's ~/$dest"
        done
    fi
    while IFS= read -r line; do
        cmd=${line%%#*} # the command, without the comment (a TAP description holds no "#")
        cmd=${cmd%"${cmd##*[![:space:]]}"}
        [[ -n $cmd ]] || continue
        what="README block $((10#$b)) ($machine): $cmd"
        cmd=${cmd//192.168.1.20/127.0.0.2}
        if [[ $cmd =~ (sha256:[0-9a-f]*…[0-9a-f]*) ]]; then # the key off the server's join line
            key=$(grep -o 'join: tlschat://[^ ]*' "$server_log" 2>/dev/null | tail -n 1 | grep -o 'sha256:[0-9a-f]\{64\}')
            cmd=${cmd//"${BASH_REMATCH[1]}"/$key}
        fi
        if [[ $cmd == "scripts/install-deps.sh && "* ]]; then
            cmd=${cmd#"scripts/install-deps.sh && "} # packages are CI's first step
        fi
        read -r -a words <<<"$cmd"
        if [[ $cmd == "make test" ]]; then
            printf '# not run: %s (this test runs inside make test)\n' "$what"
        elif [[ ${words[0]} == tlschatd || ${words[0]} == build/tlschatd ||
            (${words[0]} == make && " ${words[*]} " == *" run "*) ]]; then
            start_server "$what" "$dir" "$cmd"
        elif [[ (${words[0]} == tlschat || ${words[0]} == build/tlschat) && $cmd != *" -m "* &&
            $cmd != *"|"* && $cmd != *"<"* ]]; then
            run_client "$what" "$dir" "$cmd" "$expect" "$answer"
        elif run_line "$what" "$dir" "$cmd"; then
            dir=$(<"$work/pwd") # a cd holds for the rest of the block,
            [[ -n $cwd_mode ]] || cwd_of[$machine]=$dir # and after it, where the machine stands
        fi
    done <"$sh"
done
stop_server

tap_summary
