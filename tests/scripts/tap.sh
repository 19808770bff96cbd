# Sourced by the script tests: "ok - WHAT" / "not ok - WHAT" per check (the
# details of a failure go to stderr as "#" lines), and "N passed, N failed" at
# the end. The sourcing script sets $work, a scratch directory, first.
# shellcheck shell=bash disable=SC2154  # $work comes from the sourcing script

passed=0
failed=0

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
    printf '%d passed, %d failed\n' "$passed" "$failed"
    ((failed == 0))
}
