# SPDX-License-Identifier: ISC
# procs.sh - stop a process this shell started, by its pid, within a bound.
# Sourced by scripts/capture.sh, scripts/bench.sh and tests/scripts/tap.sh.
# shellcheck shell=bash

# pid_running PID: PID is a child of this shell that is still running. Only
# the shell's own jobs count, so a pid the system has since given to another
# process is never signalled.
pid_running() {
    local p
    for p in $(jobs -pr); do
        [[ $p == "$1" ]] && return 0
    done
    return 1
}

# stop_pid [--group] [--name WHAT] PID [SIGNAL] [SECONDS]
#   Sends SIGNAL (default TERM) to PID, waits up to SECONDS (default 5) for it
#   to exit, then kills it (SIGKILL, with a note on stderr naming WHAT), and
#   reaps it. With --group, PID leads its own process group (it was started
#   with setsid): the signals go to the whole group, and whatever is left of
#   the group at the end (children it forked) is killed too.
#   Returns PID's exit status as wait reports it (128+N when signal N ended
#   it); 127 when PID is not a child of this shell (never started, or reaped).
stop_pid() {
    local group=0 what=process pid sig secs target end
    while (($# > 0)); do
        case $1 in
            --group) group=1 ;;
            --name)
                what=$2
                shift
                ;;
            *) break ;;
        esac
        shift
    done
    pid=$1 sig=${2:-TERM} secs=${3:-5}
    target=$pid
    ((group)) && target=-$pid
    if pid_running "$pid"; then
        kill -s "$sig" -- "$target" 2>/dev/null || kill -s "$sig" "$pid" 2>/dev/null
        # Deadline in microseconds: bash's EPOCHREALTIME without its decimal point.
        end=$((${EPOCHREALTIME//[!0-9]/} + secs * 1000000))
        while pid_running "$pid" && ((${EPOCHREALTIME//[!0-9]/} < end)); do
            sleep 0.02
        done
        if pid_running "$pid"; then
            printf '%s: %s (pid %s) did not stop within %ss: killing it\n' "${0##*/}" "$what" "$pid" "$secs" >&2
            kill -s KILL -- "$target" 2>/dev/null || kill -s KILL "$pid" 2>/dev/null
        fi
    fi
    ((group)) && kill -s KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
