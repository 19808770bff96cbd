#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Tests for the systemd unit make install puts in PREFIX/lib/systemd/system:
# systemd-analyze verify accepts it (skipped, with the reason, where that tool
# is absent), it has the hardening the README promises, and its ExecStart,
# run as the unit runs it (an unprivileged user, HOME=/, in /, the
# certificates in $CREDENTIALS_DIRECTORY), finds them there and serves.
# Prints "ok - WHAT" / "not ok - WHAT" (a skip is "ok - WHAT # SKIP reason"),
# then "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}

# shellcheck source=tap.sh
. "$here/tap.sh"

prefix=$work/prefix
if ! make -s -C "$root" BUILD="$BUILD" install PREFIX="$prefix" >"$work/install.log" 2>&1; then
    not_ok "make install PREFIX=$prefix" "$(tail -n 20 "$work/install.log")"
    tap_summary
    exit 1
fi
unit=$prefix/lib/systemd/system/tlschatd.service
check "make install puts tlschatd.service in PREFIX/lib/systemd/system" test -f "$unit"
check "its ExecStart runs the installed tlschatd" grep -qx "ExecStart=$prefix/bin/tlschatd --listen 0.0.0.0" "$unit"

# has LINE: the unit holds this exact line.
has() { grep -qxF -- "$1" "$unit"; }
# shellcheck disable=SC2016  # $MAINPID is for systemd, not for this shell
for line in 'ExecReload=/bin/kill -HUP $MAINPID' DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes 'CapabilityBoundingSet=' \
    'LoadCredential=server.crt:/etc/tlschat/server.crt' 'LoadCredential=server.key:/etc/tlschat/server.key' \
    '#AmbientCapabilities=CAP_NET_BIND_SERVICE' 'WantedBy=multi-user.target'; do
    check "the unit has $line" has "$line"
done

if ! command -v systemd-analyze >/dev/null 2>&1; then
    skip "systemd-analyze verify accepts tlschatd.service" "systemd-analyze is not installed (Debian: apt-get install systemd)"
    skip "systemd-analyze verify catches a broken copy" "systemd-analyze is not installed"
    skip "systemd-analyze security rates the unit OK or better" "systemd-analyze is not installed"
else
    # MANPATH: Documentation=man:tlschatd(1) is checked against the installed page.
    MANPATH=$prefix/share/man: systemd-analyze verify "$unit" >"$work/verify.out" 2>&1
    vrc=$?
    if [[ $vrc == 0 && ! -s $work/verify.out ]]; then
        ok "systemd-analyze verify accepts tlschatd.service"
    else
        not_ok "systemd-analyze verify accepts tlschatd.service" "exit $vrc" "$(cat "$work/verify.out")"
    fi
    # verify exits 0 on a setting it ignores, so its words are what count.
    sed 's/^ProtectSystem=strict$/ProtectSystem=sturdy/' "$unit" >"$work/broken.service"
    MANPATH=$prefix/share/man: systemd-analyze verify "$work/broken.service" >"$work/broken.out" 2>&1
    if grep -q "ProtectSystem\|protect system" "$work/broken.out"; then
        ok "systemd-analyze verify catches a broken copy"
    else
        not_ok "systemd-analyze verify catches a broken copy" "$(cat "$work/broken.out")"
    fi
    if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
        systemd-analyze security --offline=yes "$unit" >"$work/security.out" 2>&1
        level=$(sed -n 's/.*Overall exposure level for tlschatd.service: \([0-9.]*\) .*/\1/p' "$work/security.out")
        if [[ -n $level ]] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
            ok "systemd-analyze security rates the unit OK or better ($level)"
        else
            not_ok "systemd-analyze security rates the unit OK or better" "$(tail -n 5 "$work/security.out")"
        fi
    else
        skip "systemd-analyze security rates the unit OK or better" "this systemd-analyze has no --offline"
    fi
fi

# The unit's command as systemd runs it: a user of its own (nobody stands in
# for the DynamicUser), HOME=/, in /, and systemd's copies of server.crt and
# server.key, readable by that user only, in $CREDENTIALS_DIRECTORY.
if [[ $(id -u) != 0 ]] || ! command -v setpriv >/dev/null 2>&1; then
    skip "ExecStart finds the certificates in \$CREDENTIALS_DIRECTORY and serves" "needs root and setpriv to run it as another user"
else
    "$root/scripts/gen-certs.sh" --dir "$work/etc" >/dev/null 2>&1
    creds=$work/credentials
    mkdir -p "$creds"
    cp "$work/etc/server.crt" "$work/etc/server.key" "$creds/"
    chown -R nobody "$creds"
    chmod 0500 "$creds"
    chmod 0400 "$creds"/*
    chmod 0711 "$work" "$prefix" "$prefix/bin"
    read -r -a argv < <(sed -n 's/^ExecStart=//p' "$unit")
    (cd / && exec env -i PATH=/usr/bin:/bin HOME=/ CREDENTIALS_DIRECTORY="$creds" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
        "${argv[@]}" --listen 127.0.0.1 --port 0) >"$work/service.log" 2>&1 &
    svc=$!
    bg_pids+=("$svc")
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/service.log")
        [[ -n $port ]] && break
        kill -0 "$svc" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -n $port ]] && echo hi | "$prefix/bin/tlschat" --ca "$work/etc/ca.crt" localhost "$port" >"$work/client.out" 2>&1 &&
        grep -q "verified by CA" "$work/client.out"; then
        ok "ExecStart finds the certificates in \$CREDENTIALS_DIRECTORY and serves"
    else
        not_ok "ExecStart finds the certificates in \$CREDENTIALS_DIRECTORY and serves" "$(cat "$work/service.log")" \
            "$(cat "$work/client.out" 2>/dev/null)"
    fi
    kill -HUP "$svc" 2>/dev/null
    for _ in $(seq 50); do grep -q "SIGHUP: reloaded" "$work/service.log" && break; sleep 0.1; done
    check "ExecReload's SIGHUP rereads them from \$CREDENTIALS_DIRECTORY" \
        grep -q "SIGHUP: reloaded $creds/server.crt and $creds/server.key" "$work/service.log"
    stop_pid --name tlschatd "$svc" TERM 10
    src=$?
    check "SIGTERM (systemctl stop) ends it with status 0" test "$src" = 0
fi

tap_summary
