#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Tests for scripts/capture_picture.py, which draws capture.sh's compare.png,
# on saved tshark output (fixtures/capture_report): no root, no tshark.
# Prints "ok - WHAT" / "not ok - WHAT", then "N passed, N failed" (", N
# skipped"); exits 1 if any check failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PICTURE=$root/scripts/capture_picture.py
FIX=$here/fixtures/capture_report

# shellcheck source=tap.sh
. "$here/tap.sh"

# matplotlib comes with Debian's python3 (python3-matplotlib), which may not
# be the first python3 on PATH: capture.sh looks for it the same way.
py=
for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import matplotlib' >/dev/null 2>&1; then
        py=$c
        break
    fi
done
if [[ -z $py ]]; then
    skip "compare.png" "matplotlib is not installed (scripts/install-deps.sh installs python3-matplotlib)"
    tap_summary
    exit
fi

arg() { sed -n "s/^--$2=//p" "$FIX/$1/args"; } # FIXTURE NAME
d=$work/in
mkdir -p "$d"
cp "$FIX/alpn-tls13/plain.tsv" "$d/plain.tsv"
cp "$FIX/alpn-tls13/decrypted.tsv" "$d/tls.tsv"
cp "$FIX/pad64/decrypted.tsv" "$d/pad.tsv"
common=(--message="$(arg alpn-tls13 message)" --long-line="$(arg alpn-tls13 long-line)")

"$py" "$PICTURE" "$d" --out "$work/compare.png" --plain-port "$(arg alpn-tls13 plain-port)" \
    --tls tls.tsv "$(arg alpn-tls13 tls-port)" "TLS" --padded pad.tsv "$(arg pad64 tls-port)" "padded" \
    "${common[@]}" >"$work/out" 2>"$work/err"
rc=$?
check "draws from real runs' tshark output: exit 0, nothing on stderr" test "$rc:$(cat "$work/err")" = "0:"
check "compare.png is a PNG" test "$(head -c 8 "$work/compare.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
want=$'plaintext: the words themselves, and their lengths: 3 3 26 26 101 101
TLS: 20 20 43 43 118 118
padded: 80 80 80 80 144 144'
if [[ $(cat "$work/out") == "$want" ]]; then
    ok "three timelines of the same six messages: the words' sizes, the records', the padded records'"
else
    not_ok "three timelines of the same six messages: the words' sizes, the records', the padded records'" \
        "got:" "$(cat "$work/out")"
fi

# Chat mode: alice's lines and their relay to bob, "<alice> LINE".
cp "$FIX/chat-pad256/plain.tsv" "$d/plain.tsv"
cp "$FIX/chat-pad256/decrypted.tsv" "$d/pad.tsv"
"$py" "$PICTURE" "$d" --out "$work/chat.png" --plain-port "$(arg chat-pad256 plain-port)" \
    --tls pad.tsv "$(arg chat-pad256 tls-port)" "TLS" --padded pad.tsv "$(arg chat-pad256 tls-port)" "padded" \
    --message="$(arg chat-pad256 message)" --long-line="$(arg chat-pad256 long-line)" >"$work/out" 2>"$work/err"
rc=$?
check "chat mode: alice's lines and bob's copies, six in each row" \
    test "$rc $(sed -n 's/^padded: //p' "$work/out")" = "0 272 272 272 272 272 272"

rm -f "$d/pad.tsv"
"$py" "$PICTURE" "$d" --out "$work/x.png" --plain-port 1 --tls tls.tsv 2 T --padded pad.tsv 3 P \
    "${common[@]}" >"$work/out" 2>"$work/err"
rc=$?
if [[ $rc == 1 && $(wc -l <"$work/err") == 1 ]] && grep -q 'pad.tsv' "$work/err" && [[ ! -e $work/x.png ]]; then
    ok "a missing input: one sentence naming it, status 1, no picture"
else
    not_ok "a missing input: one sentence naming it, status 1, no picture" "exit $rc" "$(cat "$work/err")"
fi
"$py" "$PICTURE" "$d" --out "$work/x.png" >"$work/out" 2>"$work/err"
check "a usage error: status 2" test $? = 2

tap_summary
