#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Installs the Debian packages tlschat needs to build and test, only those missing.
#   scripts/install-deps.sh          build, tests, lint, fuzz (as root, or through sudo)
#   scripts/install-deps.sh --bench  also the peers that 'make bench' compares with, and
#                                    python3-matplotlib for its chart
# Never asks a question: tshark's "may non-root users capture?" is answered No.
set -euo pipefail

# make: compiler, OpenSSL, ncursesw (tlschat's terminal interface); make test:
# cmocka, Python, tmux (a real terminal for the interface's tests), tshark for the capture test,
# python3-matplotlib for the capture's picture (and the benchmark's chart),
# man-db to read the installed man pages, systemd for systemd-analyze (the
# service unit's test; nothing is started); make lint: cppcheck, clang-tidy;
# make fuzz: clang with its libFuzzer runtime (libclang-rt-dev), and
# llvm-symbolizer (llvm) for readable stack traces when it finds a bug;
# qrencode: the join QR code (show-cert.sh --qr, tlschatd --qr), zbar-tools to
# read it back in the tests.
pkgs=(gcc make pkg-config libssl-dev libcmocka-dev libncurses-dev openssl ca-certificates python3
      python3-matplotlib tmux
      tshark wireshark-common procps util-linux iproute2 man-db systemd cppcheck clang-tidy
      clang libclang-rt-dev llvm qrencode zbar-tools)
case "${1:-}" in
    --bench) pkgs+=(ncat socat stunnel4 python3-matplotlib) ;;
    "") ;;
    -h|--help) sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps.sh: everything needed is installed"
    exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps.sh: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
# sudo resets the environment: DEBIAN_FRONTEND is passed through env.
apt=($sudo env DEBIAN_FRONTEND=noninteractive apt-get)
# wireshark-common asks whether non-root users may capture: answer No (the
# default) before it can ask.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
