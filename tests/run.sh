#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Runs every suite: cmocka unit tests, the script tests, the end-to-end tests.
# Ends with one line over all of them: "N passed, N failed", or
# "N passed, N failed, N skipped" with each skip's reason listed above it.
# A skip is never a pass. Under CI=true nothing may be skipped: a skip counts
# as a failure, with its reason. No test reads the terminal: input is empty.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
skipped=0
skips=() # "SUITE: WHAT: REASON", in the order they came
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

note_skip() { # suite what reason
    skips+=("$1: $2: $3")
    if [ "${CI:-}" = true ]; then
        failed=$((failed + 1))
    else
        skipped=$((skipped + 1))
    fi
}

# note_skips SUITE LOG COUNT: the "ok - WHAT # SKIP REASON" lines of LOG; the
# suite's own count of skips (COUNT) when it gave fewer reasons than that.
note_skips() {
    local what reason n=0
    while IFS=$'\t' read -r what reason; do
        note_skip "$1" "$what" "$reason"
        n=$((n + 1))
    done < <(sed -n 's/^ok\( [0-9]\{1,\}\)\{0,1\} - \(.*\) # SKIP \(.*\)$/\2\t\3/p' "$2")
    while [ "$n" -lt "$3" ]; do
        note_skip "$1" "a check" "skipped with no reason given"
        n=$((n + 1))
    done
}

# A suite that prints nothing countable has failed as a whole.
summary_rx='^\(.*: \)\{0,1\}\([0-9]\{1,\}\) passed, \([0-9]\{1,\}\) failed\(, \([0-9]\{1,\}\) skipped\)\{0,1\}$'
count_suite() { # name logfile exitcode
    local p f s
    p=$(sed -n "s/$summary_rx/\\2/p" "$2" | tail -1)
    f=$(sed -n "s/$summary_rx/\\3/p" "$2" | tail -1)
    s=$(sed -n "s/$summary_rx/\\5/p" "$2" | tail -1)
    if [ -z "$p" ]; then
        echo "FAILED suite $1: it printed no result line (exit $3)"; tail -20 "$2"; add 0 1; return
    fi
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAILED suite $1: exit status $3"; tail -20 "$2"; f=1
    fi
    add "$p" "$f"
    note_skips "$1" "$2" "${s:-0}"
}

echo "== unit tests"
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$logdir/$name.log"
    timeout 120 "$t" </dev/null >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$log" | tail -1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]\+\) test(s), listed below:$/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ] || [ $((p + s)) -eq 0 ]; then cat "$log"; fi
    [ $((p + s + f)) -eq 0 ] && f=1
    echo "$name: $p passed, $f failed$([ "$s" -eq 0 ] || echo ", $s skipped")"
    add "$p" "$f"
    # cmocka's skip() takes no reason: the test prints it (print_message)
    # between its "[ RUN      ]" and "[  SKIPPED ]" lines.
    if [ "$s" -gt 0 ]; then
        awk '/^\[ RUN      \] / { name = substr($0, 14); why = ""; next }
             /^\[  SKIPPED \] / && name != "" && substr($0, 14) == name {
                 printf "ok - %s # SKIP %s\n", name, (why == "" ? "skipped with no reason printed" : why); name = ""; next }
             name != "" && !/^\[/ { why = (why == "" ? $0 : why "; " $0) }' "$log" >"$log.skips"
        note_skips "$name" "$log.skips" "$s"
    fi
done

echo "== script tests"
for t in tests/scripts/test_*.sh; do
    [ -f "$t" ] || continue
    log="$logdir/$(basename "$t").log"
    timeout 900 bash "$t" </dev/null >"$log" 2>&1
    rc=$?
    # each failure with the diagnostics ("#" lines) that follow it
    awk '/^not ok/ { show = 1; print; next } /^#/ && show { print; next } { show = 0 }' "$log"
    echo "$(basename "$t"): $(tail -1 "$log")"
    count_suite "$(basename "$t")" "$log" "$rc"
done

echo "== end-to-end tests"
log="$logdir/e2e.log"
timeout 900 python3 tests/e2e/run.py "$@" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count_suite e2e "$log" "$rc"

echo
for s in "${skips[@]+"${skips[@]}"}"; do
    if [ "${CI:-}" = true ]; then
        echo "FAILED (skipped, but CI=true runs everything): $s"
    else
        echo "skipped: $s"
    fi
done
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
