#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# shellcheck disable=SC2016  # bash -c '...' snippets expand $1 in the inner shell
# Tests for scripts/gen-certs.sh and scripts/show-cert.sh.
# Prints "ok - WHAT" or "not ok - WHAT" per check (details of failures go to
# stderr), then "N passed, N failed"; exits 1 if any check failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
GEN=$root/scripts/gen-certs.sh
SHOW=$root/scripts/show-cert.sh

unset TLSCHAT_CERTS # the default directory is tested below, from a clean slate

# shellcheck source=tap.sh
. "$here/tap.sh"

# check_not WHAT COMMAND...: ok when COMMAND fails.
check_not() {
    local what=$1
    shift
    if "$@" >"$work/check.out" 2>&1; then
        not_ok "$what" "command unexpectedly succeeded: $*"
    else
        ok "$what"
    fi
}

# run COMMAND...: sets $rc, $out and $err.
run() {
    "$@" >"$work/run.out" 2>"$work/run.err"
    rc=$?
    out=$(<"$work/run.out")
    err=$(<"$work/run.err")
}

# expect_rc WHAT WANT: check the $rc of the last run.
expect_rc() {
    if [[ $rc == "$2" ]]; then
        ok "$1"
    else
        not_ok "$1" "exit status $rc, expected $2" "stdout: $out" "stderr: $err"
    fi
}

# expect_usage_error WHAT NEEDLE ARGS...: gen-certs refuses ARGS with exit 2 and
# one stderr line "gen-certs: ..." containing NEEDLE, and makes no directory.
expect_usage_error() {
    local what=$1 needle=$2 d=$work/refused
    shift 2
    rm -rf -- "$d"
    run "$GEN" --dir "$d" "$@"
    local lines
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [[ $rc == 2 && $err == "gen-certs: "* && $lines == 1 && $err == *"$needle"* && ! -e $d ]]; then
        ok "$what"
    else
        not_ok "$what" "exit status $rc (want 2), stderr: $err" "wanted one line naming: $needle; dir made: $([[ -e $d ]] && echo yes || echo no)"
    fi
}

text_of() { openssl x509 -in "$1" -noout -text 2>/dev/null; }
has_text() { text_of "$1" | grep -qF -- "$2"; }
mode_of() { stat -c %a -- "$1"; }
same_pubkey() { # same_pubkey CERT KEY
    local a b
    a=$(openssl x509 -in "$1" -noout -pubkey) || return 1
    b=$(openssl pkey -in "$2" -pubout) || return 1
    [[ -n $a && $a == "$b" ]]
}
verifies() { # verifies CA CERT [PURPOSE]
    openssl verify -CAfile "$1" ${3:+-purpose "$3"} "$2"
}
key_text() { openssl pkey -in "$1" -noout -text 2>/dev/null | head -n 1; }
ext_keyid() { # ext_keyid CERT "Subject Key Identifier"|"Authority Key Identifier"
    text_of "$1" | grep -A1 -F "X509v3 $2" | tail -n 1 | sed 's/^[[:space:]]*//; s/^keyid://'
}

if ! command -v openssl >/dev/null 2>&1; then
    not_ok "openssl is installed" "install openssl to run these tests"
    printf '%d passed, %d failed\n' "$passed" "$failed"
    exit 1
fi

# ---------------------------------------------------------------------------
# Help, usage errors

run "$GEN" --help
if [[ $rc == 0 && $out == *Usage:* && $out == *--san* && $out == *--client* ]]; then
    ok "--help prints usage and exits 0"
else
    not_ok "--help prints usage and exits 0" "rc=$rc" "$out"
fi

run "$GEN" -h
expect_rc "-h exits 0" 0

expect_usage_error "unknown option refused with exit 2" "--bogus" --bogus
expect_usage_error "option without its value refused with exit 2" "--san" --san
expect_usage_error "--days 398 refused with exit 2" "398" --days 398
expect_usage_error "--days 0 refused with exit 2" "--days 0" --days 0
expect_usage_error "--days abc refused with exit 2" "abc" --days abc
expect_usage_error "--days -5 refused with exit 2" "-5" --days -5
expect_usage_error "--key-type dsa refused with exit 2" "dsa" --key-type dsa

expect_usage_error "--san 'bad_name!' refused, naming the value" "bad_name!" --san 'bad_name!'
expect_usage_error "--san 999.1.1.1 refused, naming the value" "999.1.1.1" --san 999.1.1.1
expect_usage_error "--san 1::2::3 refused, naming the value" "1::2::3" --san 1::2::3
expect_usage_error "--san '' (empty) refused" "empty" --san ''
expect_usage_error "--san 1.2.3 refused" "1.2.3" --san 1.2.3
expect_usage_error "--san -bad.example refused" "-bad.example" --san=-bad.example
expect_usage_error "--san a.*.example refused" "a.*.example" --san 'a.*.example'
expect_usage_error "--san with a zone index refused" "fe80::1%eth0" --san 'fe80::1%eth0'

expect_usage_error "--client 'bad name' refused" "bad name" --client 'bad name'
expect_usage_error "--client a/b refused" "a/b" --client a/b
expect_usage_error "--client of 33 characters refused" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" --client aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect_usage_error "--client '' refused" "''" --client ''
expect_usage_error "--client given twice refused" "twice" --client bob --client bob

# IPv6 validation without python3: a python3 that fails stands in for none.
mkdir -p "$work/nopy"
printf '#!/bin/sh\nexit 1\n' >"$work/nopy/python3"
chmod +x "$work/nopy/python3"
PATH="$work/nopy:$PATH" run "$GEN" --dir "$work/nopy-bad" --san 1::2::3
if [[ $rc == 2 && $err == *"1::2::3"* ]]; then
    ok "without python3, --san 1::2::3 is refused"
else
    not_ok "without python3, --san 1::2::3 is refused" "rc=$rc" "$err"
fi
PATH="$work/nopy:$PATH" run "$GEN" --dir "$work/nopy-good" --san 2001:db8::1:2 --san ::ffff:192.0.2.1
if [[ $rc == 0 ]] && has_text "$work/nopy-good/server.crt" "IP Address:2001:DB8:0:0:0:0:1:2"; then
    ok "without python3, valid IPv6 --san values are accepted"
else
    not_ok "without python3, valid IPv6 --san values are accepted" "rc=$rc" "$err"
fi

# ---------------------------------------------------------------------------
# Default run

D=$work/a/b/certs
run "$GEN" --dir "$D" --client alice
expect_rc "run with --dir and --client alice exits 0" 0
all_made=1
for f in ca.crt ca.key server.crt server.key client-alice.crt client-alice.key; do
    [[ -s $D/$f ]] || all_made=0
    [[ $out == *"$D/$f"* ]] || all_made=0
done
if ((all_made)); then
    ok "all files are made and each path is printed"
else
    not_ok "all files are made and each path is printed" "$out" "$(ls -la "$D" 2>&1)"
fi
check "--dir is created with mode 755" test "$(mode_of "$D")" = 755
check "the output tells how to trust the CA elsewhere (tlschat --ca)" grep -q -- "--ca" "$work/run.out"

extra=$(find "$D" -mindepth 1 ! -name '*.crt' ! -name '*.key' -printf '%f\n')
if [[ -z $extra && $(find "$D" -mindepth 1 | wc -l) == 6 ]]; then
    ok "no .srl, CSR or temporary files are left behind"
else
    not_ok "no .srl, CSR or temporary files are left behind" "$(ls -la "$D")"
fi

keys_ok=1
for f in "$D"/*.key; do [[ $(mode_of "$f") == 600 ]] || keys_ok=0; done
check "private keys are mode 600" test "$keys_ok" = 1
crts_ok=1
for f in "$D"/*.crt; do [[ $(mode_of "$f") == 644 ]] || crts_ok=0; done
check "certificates are mode 644" test "$crts_ok" = 1

check "server.crt verifies against ca.crt (sslserver)" verifies "$D/ca.crt" "$D/server.crt" sslserver
check "client-alice.crt verifies against ca.crt (sslclient)" verifies "$D/ca.crt" "$D/client-alice.crt" sslclient
check_not "client-alice.crt is not accepted as a server certificate" verifies "$D/ca.crt" "$D/client-alice.crt" sslserver
check_not "server.crt is not accepted as a client certificate" verifies "$D/ca.crt" "$D/server.crt" sslclient

check "CA has critical basicConstraints CA:TRUE, pathlen:0" \
    bash -c 'openssl x509 -in "$1" -noout -text | grep -A1 "Basic Constraints: critical" | grep -q "CA:TRUE, pathlen:0"' _ "$D/ca.crt"
check "CA keyUsage is critical keyCertSign, cRLSign" \
    bash -c 'openssl x509 -in "$1" -noout -text | grep -A1 "Key Usage: critical" | grep -q "Certificate Sign, CRL Sign"' _ "$D/ca.crt"
check "CA has a subjectKeyIdentifier" has_text "$D/ca.crt" "X509v3 Subject Key Identifier"
check "CA subject names tlschat" bash -c 'openssl x509 -in "$1" -noout -subject | grep -q "tlschat local CA"' _ "$D/ca.crt"

check "server CN is localhost" bash -c 'openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=localhost"' _ "$D/server.crt"
check "server EKU is serverAuth" has_text "$D/server.crt" "TLS Web Server Authentication"
check_not "server EKU is not clientAuth" has_text "$D/server.crt" "TLS Web Client Authentication"
check "server is CA:FALSE (critical)" \
    bash -c 'openssl x509 -in "$1" -noout -text | grep -A1 "Basic Constraints: critical" | grep -q "CA:FALSE"' _ "$D/server.crt"
check "server keyUsage is critical digitalSignature (ECDSA: no keyEncipherment)" \
    bash -c 'openssl x509 -in "$1" -noout -text | grep -A1 "Key Usage: critical" | tail -n1 | grep -qx "[[:space:]]*Digital Signature"' _ "$D/server.crt"
check "server authorityKeyIdentifier equals the CA's subjectKeyIdentifier" \
    test "$(ext_keyid "$D/server.crt" "Authority Key Identifier")" = "$(ext_keyid "$D/ca.crt" "Subject Key Identifier")"
for san in "DNS:localhost" "IP Address:127.0.0.1" "IP Address:0:0:0:0:0:0:0:1"; do
    check "server SANs contain $san" has_text "$D/server.crt" "$san"
done
check "server key is ECDSA P-256 by default" bash -c 'openssl pkey -in "$1" -noout -text | grep -q "NIST CURVE: P-256"' _ "$D/server.key"
check "server.key matches server.crt (same public key)" same_pubkey "$D/server.crt" "$D/server.key"
check "client-alice.key matches client-alice.crt" same_pubkey "$D/client-alice.crt" "$D/client-alice.key"
check "ca.key matches ca.crt" same_pubkey "$D/ca.crt" "$D/ca.key"

check "client CN is alice" bash -c 'openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=alice"' _ "$D/client-alice.crt"
check "client EKU is clientAuth" has_text "$D/client-alice.crt" "TLS Web Client Authentication"
check_not "client EKU is not serverAuth" has_text "$D/client-alice.crt" "TLS Web Server Authentication"
check "client keyUsage is digitalSignature" has_text "$D/client-alice.crt" "Digital Signature"

ca_serial=$(openssl x509 -in "$D/ca.crt" -noout -serial | cut -d= -f2)
srv_serial=$(openssl x509 -in "$D/server.crt" -noout -serial | cut -d= -f2)
if [[ ${#srv_serial} -ge 30 && ${#ca_serial} -ge 30 && $srv_serial != "$ca_serial" ]]; then
    ok "serial numbers are random 16-byte values"
else
    not_ok "serial numbers are random 16-byte values" "ca=$ca_serial server=$srv_serial"
fi
check_not "leaf certificates last at most 397 days" openssl x509 -in "$D/server.crt" -noout -checkend $((398 * 86400))
check "leaf certificates default to about 397 days" openssl x509 -in "$D/server.crt" -noout -checkend $((396 * 86400))
check "CA lasts about 3650 days" openssl x509 -in "$D/ca.crt" -noout -checkend $((3640 * 86400))

# ---------------------------------------------------------------------------
# Second runs: the CA is reused; --san; --no-server; --force

cp "$D/ca.crt" "$work/ca.first"
cp "$D/ca.key" "$work/ca.key.first"
cp "$D/server.crt" "$work/server.first"
run "$GEN" --dir "$D" --san chat.example.test --san '*.chat.example.test' --san 192.0.2.7 --san 2001:db8::7
expect_rc "second run with extra --san values exits 0" 0
check "second run reuses ca.crt byte for byte" cmp -s "$D/ca.crt" "$work/ca.first"
check "second run leaves ca.key unchanged" cmp -s "$D/ca.key" "$work/ca.key.first"
check "second run says the CA was reused" grep -qi "reused" "$work/run.out"
check_not "second run remakes server.crt" cmp -s "$D/server.crt" "$work/server.first"
for san in "DNS:localhost" "IP Address:127.0.0.1" "IP Address:0:0:0:0:0:0:0:1" \
    "DNS:chat.example.test" "DNS:*.chat.example.test" "IP Address:192.0.2.7" "IP Address:2001:DB8:0:0:0:0:0:7"; do
    check "remade server SANs contain $san" has_text "$D/server.crt" "$san"
done
check "remade server.crt verifies against the reused CA" verifies "$D/ca.crt" "$D/server.crt" sslserver
check "client-alice.crt still verifies after the second run" verifies "$D/ca.crt" "$D/client-alice.crt" sslclient
check "remade server.key matches server.crt" same_pubkey "$D/server.crt" "$D/server.key"

cp "$D/server.crt" "$work/server.second"
run "$GEN" --dir "$D" --no-server --client bob --days 30
expect_rc "--no-server --client bob exits 0" 0
check "--no-server leaves server.crt alone" cmp -s "$D/server.crt" "$work/server.second"
check "--no-server --client bob makes client-bob.crt that verifies" verifies "$D/ca.crt" "$D/client-bob.crt" sslclient
check "client-bob.key is mode 600" test "$(mode_of "$D/client-bob.key")" = 600
check "--days 30 makes a certificate that ends within 31 days" bash -c '! openssl x509 -in "$1" -noout -checkend $((31 * 86400))' _ "$D/client-bob.crt"
check "--days 30 makes a certificate valid for more than 29 days" openssl x509 -in "$D/client-bob.crt" -noout -checkend $((29 * 86400))
expect_usage_error "--no-server with --san refused" "--no-server" --no-server --san example.test

# Half a CA: refused unless --force.
P=$work/partial
mkdir -p "$P"
cp "$D/ca.crt" "$P/ca.crt"
run "$GEN" --dir "$P"
if [[ $rc != 0 && $err == "gen-certs: "* && $err == *ca.key* && ! -e $P/server.crt ]] && cmp -s "$P/ca.crt" "$D/ca.crt"; then
    ok "ca.crt without ca.key is refused and nothing is written"
else
    not_ok "ca.crt without ca.key is refused and nothing is written" "rc=$rc" "$err"
fi
rm -f "$P/ca.crt"
cp "$D/ca.key" "$P/ca.key"
run "$GEN" --dir "$P"
if [[ $rc != 0 && $err == *ca.crt* ]] && cmp -s "$P/ca.key" "$D/ca.key"; then
    ok "ca.key without ca.crt is refused"
else
    not_ok "ca.key without ca.crt is refused" "rc=$rc" "$err"
fi
run "$GEN" --dir "$P" --force
if [[ $rc == 0 ]] && ! cmp -s "$P/ca.key" "$D/ca.key" && verifies "$P/ca.crt" "$P/server.crt" >/dev/null 2>&1; then
    ok "--force makes a new CA when only half of one exists"
else
    not_ok "--force makes a new CA when only half of one exists" "rc=$rc" "$err"
fi

# A CA key that does not belong to the CA certificate is refused.
M=$work/mismatch
mkdir -p "$M"
cp "$D/ca.crt" "$M/ca.crt"
cp "$P/ca.key" "$M/ca.key"
run "$GEN" --dir "$M"
if [[ $rc != 0 && $err == "gen-certs: "* && ! -e $M/server.crt ]]; then
    ok "a ca.key that does not match ca.crt is refused"
else
    not_ok "a ca.key that does not match ca.crt is refused" "rc=$rc" "$err"
fi

run "$GEN" --dir "$D" --force
expect_rc "--force exits 0" 0
check_not "--force replaces ca.crt" cmp -s "$D/ca.crt" "$work/ca.first"
check_not "--force replaces ca.key" cmp -s "$D/ca.key" "$work/ca.key.first"
check "after --force server.crt verifies against the new CA" verifies "$D/ca.crt" "$D/server.crt" sslserver
check_not "after --force the old client-alice.crt no longer verifies" verifies "$D/ca.crt" "$D/client-alice.crt" sslclient
check "after --force a warning names the stale client certificate" grep -q "client-alice.crt" "$work/run.err"
check "after --force ca.key is still mode 600" test "$(mode_of "$D/ca.key")" = 600

# ---------------------------------------------------------------------------
# Key types

for kt in rsa ed25519; do
    K=$work/$kt
    run "$GEN" --dir "$K" --key-type "$kt" --client carol
    expect_rc "--key-type $kt exits 0" 0
    case $kt in
        rsa) want="Private-Key: (3072 bit" ;;
        ed25519) want="ED25519 Private-Key:" ;;
    esac
    kinds_ok=1
    for f in ca.key server.key client-carol.key; do
        [[ $(key_text "$K/$f") == "$want"* ]] || kinds_ok=0
    done
    check "--key-type $kt makes $kt keys" test "$kinds_ok" = 1
    check "--key-type $kt: server.crt verifies" verifies "$K/ca.crt" "$K/server.crt" sslserver
    check "--key-type $kt: client-carol.crt verifies" verifies "$K/ca.crt" "$K/client-carol.crt" sslclient
    check "--key-type $kt: server.key matches server.crt" same_pubkey "$K/server.crt" "$K/server.key"
done
check "--key-type rsa: server keyUsage adds keyEncipherment" has_text "$work/rsa/server.crt" "Digital Signature, Key Encipherment"

# Mixed: a reused Ed25519 CA signs an ECDSA server key, and an ECDSA CA an RSA one.
# (An existing key is kept: remove the pair to have a new one made.)
rm -f -- "$work/ed25519/server.key" "$work/ed25519/server.crt"
run "$GEN" --dir "$work/ed25519"
if [[ $rc == 0 ]] && verifies "$work/ed25519/ca.crt" "$work/ed25519/server.crt" >/dev/null 2>&1 &&
    [[ $(key_text "$work/ed25519/server.key") == "Private-Key: (256 bit"* ]]; then
    ok "a reused Ed25519 CA signs a new ECDSA server certificate"
else
    not_ok "a reused Ed25519 CA signs a new ECDSA server certificate" "rc=$rc" "$err"
fi
run "$GEN" --dir "$D" --key-type rsa --no-server --client dave
if [[ $rc == 0 ]] && verifies "$D/ca.crt" "$D/client-dave.crt" >/dev/null 2>&1 &&
    [[ $(key_text "$D/client-dave.key") == "Private-Key: (3072 bit"* ]]; then
    ok "a reused ECDSA CA signs a new RSA client certificate"
else
    not_ok "a reused ECDSA CA signs a new RSA client certificate" "rc=$rc" "$err"
fi

# Reruns keep keys: the server pair, and an existing client pair, unless --force.
KK=$work/keep-keys
run "$GEN" --dir "$KK" --client erin
expect_rc "keep-keys: first run exits 0" 0
fp_of() { openssl pkey -in "$1" -pubout 2>/dev/null | openssl sha256 -r | cut -d' ' -f1; }
srv_fp=$(fp_of "$KK/server.key")
erin_fp=$(fp_of "$KK/client-erin.key")
cp "$KK/server.crt" "$work/kk.server.crt"
cp "$KK/client-erin.crt" "$work/kk.erin.crt"
run "$GEN" --dir "$KK"
check "a rerun keeps server.key (same fingerprint)" test "$(fp_of "$KK/server.key")" = "$srv_fp"
check "a rerun keeps server.crt" cmp -s "$KK/server.crt" "$work/kk.server.crt"
run "$GEN" --dir "$KK" --san chat.example.lan
check "--san on a rerun remakes server.crt" has_text "$KK/server.crt" "DNS:chat.example.lan"
check "--san on a rerun keeps server.key (same fingerprint)" test "$(fp_of "$KK/server.key")" = "$srv_fp"
check "--san on a rerun: server.key matches the new server.crt" same_pubkey "$KK/server.crt" "$KK/server.key"
run "$GEN" --dir "$KK" --client erin
check "--client rerun keeps client-erin.key (same fingerprint)" test "$(fp_of "$KK/client-erin.key")" = "$erin_fp"
check "--client rerun keeps client-erin.crt and says so" \
    bash -c 'cmp -s "$1" "$2" && grep -q "Kept .*client-erin.crt" "$3"' _ "$KK/client-erin.crt" "$work/kk.erin.crt" "$work/run.out"
rm -f -- "$KK/client-erin.crt"
run "$GEN" --dir "$KK" --client erin
check "a lone client-erin.key is signed anew, never replaced" \
    bash -c '[[ $(openssl pkey -in "$1" -pubout | openssl sha256 -r | cut -d" " -f1) == "$2" ]]' _ "$KK/client-erin.key" "$erin_fp"
check "the new client-erin.crt verifies and matches the kept key" same_pubkey "$KK/client-erin.crt" "$KK/client-erin.key"
run "$GEN" --dir "$KK" --force --client erin
check "--force replaces client-erin.key" test "$(fp_of "$KK/client-erin.key")" != "$erin_fp"
check "--force replaces server.key" test "$(fp_of "$KK/server.key")" != "$srv_fp"

# Planted symlinks are never written through: at the final name of a key (it
# is replaced by a file, the target untouched) and at a temp-like name.
SL=$work/symlink
mkdir -p "$SL"
chmod 755 "$SL"
printf 'victim\n' >"$work/victim"
ln -s "$work/victim" "$SL/ca.key"
ln -s "$work/victim" "$SL/ca.crt"
run "$GEN" --dir "$SL" --force
check "a symlink planted at ca.key is replaced, its target untouched" \
    bash -c '[[ ! -L $1/ca.key && -f $1/ca.key && $(cat "$2") == victim ]]' _ "$SL" "$work/victim"
for n in 0 1 2 3 4 5 6 7 8 9; do ln -sf "$work/victim" "$SL/.client-frank.key.tmp$n"; done
ln -sf "$work/victim" "$SL/client-frank.key.tmp.$$"
run "$GEN" --dir "$SL" --client frank
check "symlinks at temp-like names are not followed" \
    bash -c '[[ $(cat "$1") == victim && -f $2/client-frank.key && ! -L $2/client-frank.key ]]' _ "$work/victim" "$SL"
check "no temporary file is left in the directory" \
    bash -c '! ls -A "$1" | grep -E "^\.[a-z].*\.[A-Za-z0-9]{6}$"' _ "$SL"

# Revocation: --revoke NAME writes crl.pem, signed by the CA, listing the serial.
RV=$work/revoke
run "$GEN" --dir "$RV" --client alice --client bob
run "$GEN" --dir "$RV" --revoke alice
expect_rc "--revoke alice exits 0" 0
alice_serial=$(openssl x509 -in "$RV/client-alice.crt" -noout -serial | cut -d= -f2)
check "crl.pem lists alice's serial" bash -c 'openssl crl -in "$1" -noout -text | grep -q "Serial Number: $2"' _ "$RV/crl.pem" "$alice_serial"
check "crl.pem is signed by the CA" openssl crl -in "$RV/crl.pem" -noout -CAfile "$RV/ca.crt"
check "crl.pem's nextUpdate is about 397 days away" \
    bash -c 'n=$(date -d "$(openssl crl -in "$1" -noout -nextupdate | cut -d= -f2)" +%s); d=$(( (n - $(date +%s)) / 86400 )); ((d >= 396 && d <= 397))' _ "$RV/crl.pem"
check_not "openssl verify -crl_check fails for the revoked alice" \
    openssl verify -crl_check -CAfile "$RV/ca.crt" -CRLfile "$RV/crl.pem" "$RV/client-alice.crt"
check "openssl verify -crl_check passes for bob" \
    openssl verify -crl_check -CAfile "$RV/ca.crt" -CRLfile "$RV/crl.pem" "$RV/client-bob.crt"
check "--revoke keeps index.txt and crlnumber beside the CA" test -s "$RV/index.txt" -a -s "$RV/crlnumber"
cp "$RV/crl.pem" "$work/crl.first"
run "$GEN" --dir "$RV" --revoke bob
check "a second --revoke lists both serials" \
    bash -c '[[ $(openssl crl -in "$1" -noout -text | grep -c "Serial Number:") == 2 ]]' _ "$RV/crl.pem"
run "$GEN" --dir "$RV" --crl
expect_rc "--crl alone exits 0" 0
check "--crl alone writes a new CRL (a higher CRL number) that still lists both" \
    bash -c '[[ $(openssl crl -in "$1" -noout -crlnumber) != $(openssl crl -in "$2" -noout -crlnumber) && $(openssl crl -in "$1" -noout -text | grep -c "Serial Number:") == 2 ]]' _ "$RV/crl.pem" "$work/crl.first"
run "$GEN" --dir "$RV" --revoke nobody
check "--revoke of an unknown name fails with one sentence" \
    bash -c '[[ $1 == 1 && $2 == "gen-certs: there is no "*"client-nobody.crt"* ]]' _ "$rc" "$err"
expect_usage_error "--revoke cannot go with --client" "--revoke and --crl" --revoke alice --client bob
E25=$work/revoke-ed25519
run "$GEN" --dir "$E25" --key-type ed25519 --client alice
run "$GEN" --dir "$E25" --revoke alice
check "--revoke works with an Ed25519 CA" \
    bash -c '[[ $1 == 0 ]] && ! openssl verify -crl_check -CAfile "$2/ca.crt" -CRLfile "$2/crl.pem" "$2/client-alice.crt" >/dev/null 2>&1' _ "$rc" "$E25"

# --cn: a custom name is the CN and is added to the SANs.
C=$work/cn
run "$GEN" --dir "$C" --cn chat.example.lan
if [[ $rc == 0 ]] && has_text "$C/server.crt" "DNS:chat.example.lan" && has_text "$C/server.crt" "DNS:localhost" &&
    openssl x509 -in "$C/server.crt" -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=chat.example.lan"; then
    ok "--cn sets the CN and adds it to the SANs"
else
    not_ok "--cn sets the CN and adds it to the SANs" "rc=$rc" "$err"
fi

# Default directory: certs/ next to scripts/ of the tree the script lives in.
R=$work/tree
mkdir -p "$R/scripts" "$work/elsewhere"
cp "$GEN" "$R/scripts/gen-certs.sh"
(cd "$work/elsewhere" && "$R/scripts/gen-certs.sh" >/dev/null 2>&1)
if [[ -s $R/certs/ca.crt && -s $R/certs/server.crt && ! -e $work/elsewhere/certs ]]; then
    ok "without --dir the files go to certs/ of the tree"
else
    not_ok "without --dir the files go to certs/ of the tree" "$(ls -la "$R" "$work/elsewhere" 2>&1)"
fi

# Adding clients keeps the server certificate and the names it was made with.
K=$work/keep
run "$GEN" --dir "$K" --san 192.0.2.20
cp "$K/server.crt" "$work/keep.server"
cp "$K/server.key" "$work/keep.key"
run "$GEN" --dir "$K" --client alice --client bob
if [[ $rc == 0 ]] && cmp -s "$K/server.crt" "$work/keep.server" && cmp -s "$K/server.key" "$work/keep.key" &&
    has_text "$K/server.crt" "IP Address:192.0.2.20" && [[ $out == *"Kept the server certificate"* ]]; then
    ok "--client alone keeps server.crt, server.key and their --san names, and says so"
else
    not_ok "--client alone keeps server.crt, server.key and their --san names, and says so" "rc=$rc" "$out" "$err"
fi
check "the clients added beside a kept server certificate verify" verifies "$K/ca.crt" "$K/client-bob.crt" sslclient
run "$GEN" --dir "$K" --client carol --san 192.0.2.21
if [[ $rc == 0 ]] && ! cmp -s "$K/server.crt" "$work/keep.server" && has_text "$K/server.crt" "IP Address:192.0.2.21"; then
    ok "--client with --san remakes the server certificate with the new names"
else
    not_ok "--client with --san remakes the server certificate with the new names" "rc=$rc" "$err"
fi
K2=$work/keep-none
run "$GEN" --dir "$K2" --client alice
if [[ $rc == 0 && -s $K2/server.crt ]] && verifies "$K2/ca.crt" "$K2/server.crt" sslserver >/dev/null 2>&1; then
    ok "--client on a first run makes the server certificate too"
else
    not_ok "--client on a first run makes the server certificate too" "rc=$rc" "$err"
fi

# A directory every user can write into is refused: a link put where a key is
# about to go would send it (as root: anything) elsewhere.
W=$work/open
mkdir -p "$W"
chmod 0777 "$W"
run "$GEN" --dir "$W"
if [[ $rc == 1 && $err == "gen-certs: "*"every user"* && $err == *"chmod o-w"* && ! -e $W/ca.key ]]; then
    ok "a directory every user can write into is refused, with the chmod that fixes it"
else
    not_ok "a directory every user can write into is refused, with the chmod that fixes it" "rc=$rc" "$err"
fi

# Without --dir: $TLSCHAT_CERTS first; then ./certs when it holds a CA.
E=$work/env-certs
TLSCHAT_CERTS=$E run "$R/scripts/gen-certs.sh"
if [[ $rc == 0 && -s $E/ca.crt && -s $E/server.key && $out == *"$E/server.crt"* ]]; then
    ok "without --dir the files go to \$TLSCHAT_CERTS when it is set"
else
    not_ok "without --dir the files go to \$TLSCHAT_CERTS when it is set" "rc=$rc" "$out" "$err"
fi
mkdir -p "$work/here/certs"
cp "$E/ca.crt" "$E/ca.key" "$work/here/certs/"
(cd "$work/here" && "$R/scripts/gen-certs.sh" --client dora >/dev/null 2>&1)
if [[ -s $work/here/certs/client-dora.crt ]] && verifies "$E/ca.crt" "$work/here/certs/client-dora.crt" >/dev/null 2>&1; then
    ok "without --dir a ./certs that holds a CA is extended"
else
    not_ok "without --dir a ./certs that holds a CA is extended" "$(ls -la "$work/here/certs" 2>&1)"
fi

# The installed copy (make install turns installed=0 into installed=1): it is
# tlschat-gen-certs, and writes to $XDG_CONFIG_HOME/tlschat or ~/.config/tlschat.
I=$work/inst
mkdir -p "$I/bin" "$I/home" "$I/cwd"
sed 's/^installed=0$/installed=1/' "$GEN" >"$I/bin/tlschat-gen-certs"
sed 's/^installed=0$/installed=1/' "$SHOW" >"$I/bin/tlschat-show-cert"
chmod 0755 "$I/bin/tlschat-gen-certs" "$I/bin/tlschat-show-cert"
(cd "$I/cwd" && env -u TLSCHAT_CERTS HOME="$I/home" XDG_CONFIG_HOME="$I/xdg" \
    PATH="$I/bin:$PATH" tlschat-gen-certs >"$work/inst.out" 2>&1)
if [[ -s $I/xdg/tlschat/ca.crt && -s $I/xdg/tlschat/server.key && ! -e $I/home/.config && ! -e $I/cwd/certs ]] &&
    grep -q "tlschat-show-cert $I/xdg/tlschat/server.crt" "$work/inst.out" && ! grep -q "scripts/" "$work/inst.out"; then
    ok "installed, the files go to \$XDG_CONFIG_HOME/tlschat and the hints name the installed commands"
else
    not_ok "installed, the files go to \$XDG_CONFIG_HOME/tlschat and the hints name the installed commands" \
        "$(cat "$work/inst.out")" "$(find "$I" 2>&1)"
fi
(cd "$I/cwd" && env -u TLSCHAT_CERTS -u XDG_CONFIG_HOME HOME="$I/home" "$I/bin/tlschat-gen-certs" >/dev/null 2>&1)
check "installed, without XDG_CONFIG_HOME the files go to ~/.config/tlschat" test -s "$I/home/.config/tlschat/server.crt"
(cd "$I/cwd" && env -u TLSCHAT_CERTS -u XDG_CONFIG_HOME -u HOME "$I/bin/tlschat-gen-certs" >"$work/inst.out" 2>&1)
inst_rc=$?
if [[ $inst_rc == 1 ]] && grep -q "^gen-certs: .*HOME is not set; name one with --dir" "$work/inst.out"; then
    ok "installed, without HOME or --dir it says where it cannot write"
else
    not_ok "installed, without HOME or --dir it says where it cannot write" "rc=$inst_rc" "$(cat "$work/inst.out")"
fi
run "$I/bin/tlschat-gen-certs" --help
if [[ $rc == 0 && $out == "Usage: tlschat-gen-certs [options]"* && $out == *"~/.config/tlschat"* && $out != *scripts/* ]]; then
    ok "tlschat-gen-certs --help names itself and its default directory"
else
    not_ok "tlschat-gen-certs --help names itself and its default directory" "$out"
fi
run "$I/bin/tlschat-show-cert" --help
if [[ $rc == 0 && $out == "Usage: tlschat-show-cert [--qr HOST[:PORT]] FILE"* && $out != *scripts/* ]]; then
    ok "tlschat-show-cert --help names itself"
else
    not_ok "tlschat-show-cert --help names itself" "$out"
fi
run "$I/bin/tlschat-show-cert" "$work/does-not-exist.crt"
if [[ $rc == 2 && $err == *"made by tlschat-gen-certs"* ]]; then
    ok "tlschat-show-cert's hints name tlschat-gen-certs"
else
    not_ok "tlschat-show-cert's hints name tlschat-gen-certs" "rc=$rc" "$err"
fi

# ---------------------------------------------------------------------------
# show-cert.sh

run "$SHOW" "$D/server.crt"
expect_rc "show-cert.sh server.crt exits 0" 0
fp_line=$(printf '%s\n' "$out" | grep '^SHA-256 fingerprint: ' || true)
want_fp=$(openssl x509 -in "$D/server.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d ':' | tr 'A-F' 'a-f')
if [[ $fp_line =~ ^SHA-256\ fingerprint:\ sha256:[0-9a-f]{64}$ && $fp_line == "SHA-256 fingerprint: sha256:$want_fp" ]]; then
    ok "show-cert.sh prints the fingerprint as sha256:<64 lowercase hex> matching openssl"
else
    not_ok "show-cert.sh prints the fingerprint as sha256:<64 lowercase hex> matching openssl" "got: $fp_line" "want: sha256:$want_fp"
fi
fields_ok=1
for want in "Subject:" "CN=localhost" "Issuer:" "tlschat local CA" "SANs:" "DNS:localhost" "127.0.0.1" "Not before:" "Not after:" "Key type:" "ECDSA"; do
    [[ $out == *"$want"* ]] || fields_ok=0
done
if ((fields_ok)); then
    ok "show-cert.sh prints subject, issuer, SANs, validity and key type"
else
    not_ok "show-cert.sh prints subject, issuer, SANs, validity and key type" "$out"
fi

openssl x509 -in "$D/server.crt" -outform DER -out "$work/server.der"
run "$SHOW" "$work/server.der"
check "show-cert.sh reads DER with the same fingerprint" test "$(printf '%s\n' "$out" | grep '^SHA-256 fingerprint: ')" = "$fp_line"

# The public-key pin as openssl computes it, independently; the words as tlschat computes them.
TLSCHAT=$root/${BUILD:-build}/tlschat
spki_of() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -r | cut -d' ' -f1; }
run "$SHOW" "$D/server.crt"
want_spki=$(spki_of "$D/server.crt")
check "show-cert.sh prints the public-key pin matching openssl x509 -pubkey | pkey -outform der | dgst -sha256" \
    grep -qx "Public-key pin:      sha256:$want_spki" "$work/run.out"
words_line=$(grep '^words: ' "$work/run.out" || true)
if [[ -x $TLSCHAT ]]; then
    tl_words=$("$TLSCHAT" --show-cert "$D/server.crt" | grep '^words: ' || true)
    if [[ $words_line =~ ^words:\ [0-9]{5}(\ [0-9]{5}){4}$ && $words_line == "$tl_words" ]]; then
        ok "show-cert.sh prints the words of the key, as tlschat --show-cert does"
    else
        not_ok "show-cert.sh prints the words of the key, as tlschat --show-cert does" "show-cert: $words_line" "tlschat: $tl_words"
    fi
    check "tlschat --show-cert's public-key pin matches openssl's" \
        bash -c '"$1" --show-cert "$2" | grep -qx "public-key pin: sha256:$3"' _ "$TLSCHAT" "$D/server.crt" "$want_spki"
else
    skip "show-cert.sh's words are tlschat's" "build/tlschat is not built (make)"
fi
# --qr: the join address, handed to qrencode exactly (a stand-in records its
# arguments), and drawn by the real one.
mkdir -p "$work/fakebin"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\n' "$work/qrencode.args" >"$work/fakebin/qrencode"
chmod +x "$work/fakebin/qrencode"
PATH="$work/fakebin:$PATH" run "$SHOW" --qr 192.168.1.20:9000 "$D/server.crt"
want_uri="tlschat://192.168.1.20:9000/?pin=sha256:$want_spki"
if [[ $rc == 0 && $out == *"join: $want_uri"* && $(<"$work/qrencode.args") == "$(printf -- '-t\nUTF8\n-m\n2\n--\n%s' "$want_uri")" ]]; then
    ok "show-cert.sh --qr HOST:PORT prints the join address and gives qrencode exactly that"
else
    not_ok "show-cert.sh --qr HOST:PORT prints the join address and gives qrencode exactly that" "rc=$rc" "$out" "$(cat "$work/qrencode.args" 2>/dev/null)"
fi
PATH="$work/fakebin:$PATH" run "$SHOW" --qr fd00::20 "$D/server.crt"
check "show-cert.sh --qr brackets an IPv6 address and defaults to 8443" \
    grep -qxF "join: tlschat://[fd00::20]:8443/?pin=sha256:$want_spki" "$work/run.out"
run "$SHOW" --qr 'evil host' "$D/server.crt"
expect_rc "show-cert.sh --qr refuses a host that is not one" 2
if command -v qrencode >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1; then
    run "$SHOW" --qr 127.0.0.2:8443 "$D/server.crt"
    qrencode -o "$work/join.png" "tlschat://127.0.0.2:8443/?pin=sha256:$want_spki"
    if [[ $rc == 0 && $out == *"█"* ]] && [[ $(zbarimg --raw -q "$work/join.png" 2>/dev/null) == "tlschat://127.0.0.2:8443/?pin=sha256:$want_spki" ]]; then
        ok "show-cert.sh --qr draws the code; the same text as a PNG decodes (zbarimg) to the join address"
    else
        not_ok "show-cert.sh --qr draws the code; the same text as a PNG decodes (zbarimg) to the join address" "rc=$rc" "$err"
    fi
else
    skip "show-cert.sh --qr draws a QR code" "qrencode or zbarimg is missing (scripts/install-deps.sh installs qrencode and zbar-tools)"
fi

# gen-certs.sh --renew: a new certificate for the same key, names kept.
R=$work/renew
"$GEN" --dir "$R" --san chat.example.lan --cn chat.example.lan >/dev/null 2>&1
old_cert=$(openssl x509 -in "$R/server.crt" -outform der | sha256sum | cut -d' ' -f1)
old_spki=$(spki_of "$R/server.crt")
old_key=$(sha256sum <"$R/server.key")
run "$GEN" --dir "$R" --renew --san 192.168.1.20
expect_rc "gen-certs.sh --renew exits 0" 0
new_cert=$(openssl x509 -in "$R/server.crt" -outform der | sha256sum | cut -d' ' -f1)
sans=$(openssl x509 -in "$R/server.crt" -noout -ext subjectAltName | tail -n 1)
if [[ $new_cert != "$old_cert" && $(spki_of "$R/server.crt") == "$old_spki" && $(sha256sum <"$R/server.key") == "$old_key" ]]; then
    ok "gen-certs.sh --renew: a new certificate, the same key (the public-key pin holds)"
else
    not_ok "gen-certs.sh --renew: a new certificate, the same key (the public-key pin holds)" "$out" "$err"
fi
if [[ $sans == *"DNS:chat.example.lan"* && $sans == *"IP Address:192.168.1.20"* && $sans == *"DNS:localhost"* ]] &&
    openssl x509 -in "$R/server.crt" -noout -subject | grep -q "CN = chat.example.lan" &&
    openssl verify -CAfile "$R/ca.crt" "$R/server.crt" >/dev/null 2>&1; then
    ok "gen-certs.sh --renew keeps the CN and names, adds --san, and the CA verifies it"
else
    not_ok "gen-certs.sh --renew keeps the CN and names, adds --san, and the CA verifies it" "$sans"
fi
run "$GEN" --dir "$R" --renew --force
expect_rc "gen-certs.sh --renew --force is a usage error (keep the key, or replace it)" 2
run "$GEN" --dir "$work/renew-nothing" --renew
if [[ $rc == 1 && $err == *"no server.crt and server.key"* ]]; then
    ok "gen-certs.sh --renew with nothing to renew says so"
else
    not_ok "gen-certs.sh --renew with nothing to renew says so" "rc=$rc" "$err"
fi

run "$SHOW" "$work/rsa/server.crt"
check "show-cert.sh names an RSA key" grep -q "Key type: *RSA 3072" "$work/run.out"
run "$SHOW" "$work/ed25519/client-carol.crt"
check "show-cert.sh names an Ed25519 key" grep -q "Key type: *ED25519" "$work/run.out"

run "$SHOW" "$work/does-not-exist.crt"
if [[ $rc == 2 && $err == "show-cert: "* && $err == *does-not-exist.crt* ]]; then
    ok "show-cert.sh on a missing file exits 2 with a message"
else
    not_ok "show-cert.sh on a missing file exits 2 with a message" "rc=$rc" "$err"
fi
printf 'hello, not a certificate\n' >"$work/not-a-cert.txt"
run "$SHOW" "$work/not-a-cert.txt"
if [[ $rc == 2 && $err == "show-cert: "* && $err == *not-a-cert.txt* ]]; then
    ok "show-cert.sh on a non-certificate file exits 2 with a message"
else
    not_ok "show-cert.sh on a non-certificate file exits 2 with a message" "rc=$rc" "$err"
fi
run "$SHOW" "$D/server.key"
expect_rc "show-cert.sh on a private key exits 2" 2
run "$SHOW"
expect_rc "show-cert.sh without a file exits 2" 2

# ---------------------------------------------------------------------------
# Real TLS handshakes with openssl s_server / s_client

# start_server LOGFILE ARGS...: s_server on 127.0.0.1 and a port the kernel picks;
# sets $server_pid and $port, or fails after 10 s.
start_server() {
    local log=$1
    shift
    port=
    openssl s_server -accept 127.0.0.1:0 -www -naccept 1 "$@" </dev/null >"$log" 2>&1 &
    server_pid=$!
    bg_pids+=("$server_pid")
    local deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
        [[ -n $port ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

stop_server() {
    stop_pid "$server_pid"
    return 0
}

# client ARGS...: s_client to the started server; sets $rc and $out. Its input
# is empty: s_client reads it, and from a terminal it would wait for ever.
client() {
    run timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$D/ca.crt" -verify_return_error "$@" </dev/null
}

tls_check() { # tls_check WHAT WANT(ok|fail) SERVER-ARGS -- CLIENT-ARGS
    local what=$1 want=$2
    shift 2
    local -a sargs=() cargs=()
    while (($# > 0)) && [[ $1 != -- ]]; do sargs+=("$1"); shift; done
    (($# > 0)) && shift
    cargs=("$@")
    if ! start_server "$work/s_server.log" -cert "$D/server.crt" -key "$D/server.key" "${sargs[@]}"; then
        not_ok "$what" "s_server did not start" "$(cat "$work/s_server.log")"
        stop_server
        return
    fi
    client "${cargs[@]}"
    stop_server
    if [[ $want == ok ]]; then
        if [[ $rc == 0 && $out == *"Verify return code: 0 (ok)"* ]]; then
            ok "$what"
        else
            not_ok "$what" "s_client rc=$rc" "$(printf '%s\n' "$out" "$err" | grep -i -E 'verify|error' | head -n 5)"
        fi
    else
        if [[ $rc != 0 ]]; then
            ok "$what"
        else
            not_ok "$what" "s_client unexpectedly succeeded"
        fi
    fi
}

tls_check "TLS handshake verifies server.crt for host name localhost" ok \
    -- -servername localhost -verify_hostname localhost
tls_check "TLS handshake verifies server.crt for IP 127.0.0.1" ok \
    -- -verify_ip 127.0.0.1
tls_check "TLS handshake verifies server.crt for IP ::1" ok \
    -- -verify_ip ::1
tls_check "TLS handshake refuses a host name not in the SANs" fail \
    -- -servername evil.example -verify_hostname evil.example
tls_check "TLS handshake refuses a server when trusting a different CA" fail \
    -- -CAfile "$work/rsa/ca.crt" -verify_hostname localhost
# TLS 1.2 so that the server's verdict on the client certificate ends the handshake.
run "$GEN" --dir "$D" --no-server --client alice
tls_check "mTLS handshake with client-alice.crt is accepted" ok \
    -Verify 1 -verify_return_error -CAfile "$D/ca.crt" \
    -- -tls1_2 -verify_hostname localhost -cert "$D/client-alice.crt" -key "$D/client-alice.key"
tls_check "mTLS handshake without a client certificate is refused" fail \
    -Verify 1 -verify_return_error -CAfile "$D/ca.crt" \
    -- -tls1_2 -verify_hostname localhost

tap_summary
