#!/usr/bin/env bash
# Runs every suite: cmocka unit tests, the script tests, the end-to-end tests.
# Ends with one line over all of them: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# A suite that prints nothing countable has failed as a whole.
count_suite() { # name logfile exitcode
    local p f
    p=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]\+\) passed, \([0-9]\+\) failed.*/\2/p' "$2" | tail -1)
    f=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]\+\) passed, \([0-9]\+\) failed.*/\3/p' "$2" | tail -1)
    if [ -z "$p" ]; then
        echo "FAILED suite $1: it printed no result line (exit $3)"; tail -20 "$2"; add 0 1; return
    fi
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAILED suite $1: exit status $3"; tail -20 "$2"; f=1
    fi
    add "$p" "$f"
}

echo "== unit tests"
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    log="$logdir/$(basename "$t").log"
    timeout 120 "$t" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then cat "$log"; fi
    [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1
    echo "$(basename "$t"): $p passed, $f failed"
    add "$p" "$f"
done

echo "== script tests"
for t in tests/scripts/test_*.sh; do
    [ -f "$t" ] || continue
    log="$logdir/$(basename "$t").log"
    timeout 300 bash "$t" >"$log" 2>&1
    rc=$?
    # each failure with the diagnostics ("#" lines) that follow it
    awk '/^not ok/ { show = 1; print; next } /^#/ && show { print; next } { show = 0 }' "$log"
    echo "$(basename "$t"): $(tail -1 "$log")"
    count_suite "$(basename "$t")" "$log" "$rc"
done

echo "== end-to-end tests"
log="$logdir/e2e.log"
timeout 900 python3 tests/e2e/run.py "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count_suite e2e "$log" "$rc"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
