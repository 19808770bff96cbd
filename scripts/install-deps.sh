#!/usr/bin/env bash
# Installs the Debian packages tlschat needs to build and test, only those missing.
#   scripts/install-deps.sh          build + tests
#   scripts/install-deps.sh --bench  also the peers that 'make bench' compares with
set -euo pipefail

pkgs=(gcc make pkg-config libssl-dev libcmocka-dev openssl ca-certificates python3
      tshark wireshark-common procps util-linux cppcheck clang-tidy)
case "${1:-}" in
    --bench) pkgs+=(ncat socat stunnel4) ;;
    "") ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the default (no) is kept.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
