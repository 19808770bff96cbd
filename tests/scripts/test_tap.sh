#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Tests for tap.sh itself: what a script suite prints for a pass, a failure and
# a skip, its closing line, and its exit status; and how tests/run.sh counts
# a skip (a skipped check is never a pass; under CI=true it is a failure).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tap.sh
. "$here/tap.sh"

root=$(cd "$here/../.." && pwd)

# suite NAME BODY: a script suite built on tap.sh, in a tree of its own under
# $work/NAME (tap.sh sources scripts/lib/procs.sh from there); its output in
# $work/NAME/out and err; sets rc.
suite() {
    mkdir -p "$work/$1/tests/scripts" "$work/$1/scripts/lib"
    cp "$here/tap.sh" "$work/$1/tests/scripts/"
    cp "$root/scripts/lib/procs.sh" "$work/$1/scripts/lib/"
    printf '. "$(dirname "$0")/tap.sh"\n%s\ntap_summary\n' "$2" >"$work/$1/tests/scripts/test_$1.sh"
    (cd "$work/$1/tests/scripts" && bash "test_$1.sh" >"$work/$1/out" 2>"$work/$1/err")
    rc=$?
}

suite pass 'ok "one"; check "two" true'
check "passes only: exit 0" test "$rc" = 0
check "passes only: the closing line has no skipped count" test "$(tail -n 1 "$work/pass/out")" = "2 passed, 0 failed"

suite skip 'ok "one"; skip "two" "needs the moon (apt-get install moon)"'
check "a skip: exit 0" test "$rc" = 0
check "a skip: an ok line with the SKIP directive and the reason" grep -qxF 'ok - two # SKIP needs the moon (apt-get install moon)' "$work/skip/out"
check "a skip: counted as skipped, not passed" test "$(tail -n 1 "$work/skip/out")" = "1 passed, 0 failed, 1 skipped"

suite fail 'skip "one" "no reason"; not_ok "two" "what went wrong"'
check "a failure: exit 1" test "$rc" = 1
check "a failure: counted beside the skip" test "$(tail -n 1 "$work/fail/out")" = "0 passed, 1 failed, 1 skipped"
check "a failure: its details go to stderr as # lines" grep -qxF '#   what went wrong' "$work/fail/err"

# tests/run.sh on a copy of the tree whose suites are: the script suite with a
# skip, a cmocka run with a skip, an e2e run with a skip.
mkdir -p "$work/tree/tests/scripts" "$work/tree/tests/e2e" "$work/tree/build/tests" "$work/tree/scripts/lib"
cp "$root/tests/run.sh" "$work/tree/tests/"
cp "$here/tap.sh" "$work/tree/tests/scripts/"
cp "$root/scripts/lib/procs.sh" "$work/tree/scripts/lib/"
cp "$work/skip/tests/scripts/test_skip.sh" "$work/tree/tests/scripts/"
# A cmocka run as cmocka 1.1 prints it: one pass, one skip that said why.
cat >"$work/tree/build/tests/test_cmocka" <<'EOF'
#!/bin/sh
cat <<'OUT'
[==========] Running 2 test(s).
[ RUN      ] a
[       OK ] a
[ RUN      ] b
needs a second network
[  SKIPPED ] b
[==========] 2 test(s) run.
[  PASSED  ] 1 test(s).
[  SKIPPED ] 1 test(s), listed below:
[  SKIPPED ] b

 1 SKIPPED TEST(S)
OUT
EOF
chmod +x "$work/tree/build/tests/test_cmocka"
cat >"$work/tree/tests/e2e/run.py" <<'EOF'
print("ok - e2e.case # SKIP no IPv6 loopback")
print("e2e: 2 passed, 0 failed, 1 skipped")
EOF

CI= BUILD=build bash "$work/tree/tests/run.sh" >"$work/run.out" 2>&1
rc=$?
check "run.sh: skips alone still exit 0" test "$rc" = 0
check "run.sh: closing line counts the skips" test "$(tail -n 1 "$work/run.out")" = "4 passed, 0 failed, 3 skipped"
check "run.sh: each skip's reason is listed above it" \
    grep -qxF 'skipped: test_skip.sh: two: needs the moon (apt-get install moon)' "$work/run.out"
check "run.sh: the e2e skip's reason too" grep -qxF 'skipped: e2e: e2e.case: no IPv6 loopback' "$work/run.out"
check "run.sh: cmocka's skip, with what the test printed as its reason" \
    grep -qxF 'skipped: test_cmocka: b: needs a second network' "$work/run.out"
check "run.sh: the cmocka suite's line counts its skip" grep -qxF 'test_cmocka: 1 passed, 0 failed, 1 skipped' "$work/run.out"

CI=true BUILD=build bash "$work/tree/tests/run.sh" >"$work/run-ci.out" 2>&1
rc=$?
check "run.sh under CI=true: a skip fails the run" test "$rc" = 1
check "run.sh under CI=true: skips count as failed" test "$(tail -n 1 "$work/run-ci.out")" = "4 passed, 3 failed"
check "run.sh under CI=true: with their reasons" \
    grep -qxF 'FAILED (skipped, but CI=true runs everything): test_skip.sh: two: needs the moon (apt-get install moon)' "$work/run-ci.out"

tap_summary
