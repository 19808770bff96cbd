# SPDX-License-Identifier: ISC
# Sourced by the script tests: a scratch directory ($work) and the processes
# a test starts ($bg_pids) cleaned up on any exit (scripts/lib/procs.sh's
# stop_pid, also there for the tests); "ok - WHAT" / "not ok - WHAT" per check
# (the details of a failure go to stderr as "#" lines), or
# "ok - WHAT # SKIP REASON" for a check that cannot run here (never a pass);
# and "N passed, N failed" at the end (", N skipped" when any was).
# shellcheck shell=bash

work=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX") || {
    echo "cannot create a temporary directory" >&2
    exit 1
}
# shellcheck source=../../scripts/lib/procs.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/procs.sh" || exit 1
bg_pids=() # what the test started itself, stopped by pid on exit
tap_cleanup() {
    local p
    for p in "${bg_pids[@]}"; do
        stop_pid "$p"
    done
    rm -rf -- "$work"
}
trap tap_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0
failed=0
skipped=0

ok() {
    printf 'ok - %s\n' "$1"
    passed=$((passed + 1))
}

not_ok() {
    printf 'not ok - %s\n' "$1"
    shift
    (($# == 0)) || printf '#   %s\n' "$@" >&2
    failed=$((failed + 1))
}

# skip WHAT REASON: WHAT cannot be checked here, and REASON says why (and what
# would let it run). Counted as skipped, not passed; tests/run.sh lists the
# reason, and under CI=true counts it as a failure.
skip() {
    printf 'ok - %s # SKIP %s\n' "$1" "$2"
    skipped=$((skipped + 1))
}

# check WHAT COMMAND...: ok when COMMAND succeeds.
check() {
    local what=$1
    shift
    if "$@" >"$work/check.out" 2>&1; then
        ok "$what"
    else
        not_ok "$what" "command: $*" "$(head -c 2000 "$work/check.out")"
    fi
}

# The closing line, and the exit status: 1 when any check failed.
tap_summary() {
    if ((skipped > 0)); then
        printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
    else
        printf '%d passed, %d failed\n' "$passed" "$failed"
    fi
    ((failed == 0))
}
