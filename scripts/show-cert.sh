#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# show-cert.sh [--qr HOST[:PORT]] FILE - print the facts about a certificate that
# matter for tlschat: subject, issuer, SANs, validity, key type, the SHA-256
# fingerprint of the certificate and of its public key (SubjectPublicKeyInfo),
# both in the form the client's --pin option takes (sha256:<64 lowercase hex>),
# and the words of the key to read aloud. The words (and the public-key pin
# checked against openssl's) come from tlschat --show-cert, the one
# implementation tlschatd and tlschat share. --qr draws the join address
# tlschat://HOST:PORT/?pin=sha256:<public key> as a QR code (qrencode).
# Reads PEM or DER; for a PEM file holding a chain, the first certificate is shown.
# `make install` installs it as the command tlschat-show-cert.
set -euo pipefail

prog=show-cert

# make install sets this to 1 in its copy, the command tlschat-show-cert.
installed=0
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ((installed)); then
    me=tlschat-show-cert
    tlschat_cmd=$script_dir/tlschat
    gen_cmd=tlschat-gen-certs
    # shellcheck disable=SC2088  # the tilde is shown to the user, not expanded
    example='~/.config/tlschat/server.crt'
else
    me=$0
    tlschat_cmd=$script_dir/../build/tlschat
    gen_cmd=scripts/gen-certs.sh
    example=certs/server.crt
fi

usage() {
    cat <<EOF
Usage: $me [--qr HOST[:PORT]] FILE

Print the subject, issuer, subject alternative names, validity, key type and
SHA-256 fingerprints of the certificate in FILE (PEM or DER):
  SHA-256 fingerprint: sha256:<64 lowercase hex>   the certificate (changes when renewed)
  Public-key pin:      sha256:<64 lowercase hex>   its public key (survives a renewal
                                                   with the same key: gen-certs --renew)
  words: NNNNN NNNNN NNNNN NNNNN NNNNN             the key's words, to compare aloud
Either sha256 value is taken by: tlschat --pin sha256:<hex> HOST
  --qr HOST[:PORT]  also print the join address tlschat://HOST:PORT/?pin=sha256:<key>
                    and draw it as a QR code (needs qrencode); PORT defaults to 8443
Example: $me $example

Exit status: 0 success, 1 openssl failure, 2 usage error or FILE is not a certificate.
EOF
}

die() {
    local status=$1
    shift
    printf '%s: %s\n' "$prog" "$*" >&2
    exit "$status"
}

qr=
case ${1:-} in
    -h | --help)
        usage
        exit 0
        ;;
    --qr)
        (($# >= 2)) || die 2 "--qr needs the HOST (and :PORT) people join by, e.g. --qr 192.168.1.20:8443."
        qr=$2
        shift 2
        ;;
esac
if (($# != 1)); then
    die 2 "expected exactly one certificate file, e.g. $me $example (see --help)."
fi
file=$1
[[ $file != -* ]] || die 2 "unknown option '$file'; give a certificate file, or --help for usage."

command -v openssl >/dev/null 2>&1 ||
    die 1 "the openssl command was not found; install it (Debian: apt-get install openssl) and run again."

[[ -n $file ]] || die 2 "the file name is empty; give a certificate file such as $example."
[[ -e $file ]] || die 2 "'$file' does not exist; check the path (certificates are made by $gen_cmd)."
[[ ! -d $file ]] || die 2 "'$file' is a directory, not a certificate file; name a .crt file inside it."
[[ -r $file ]] || die 2 "'$file' cannot be read; check its permissions."

# Normalize to one PEM certificate, whatever the input format.
if ! pem=$(openssl x509 -in "$file" -inform PEM 2>/dev/null) &&
    ! pem=$(openssl x509 -in "$file" -inform DER 2>/dev/null); then
    if grep -q -- '-----BEGIN .*PRIVATE KEY-----' "$file" 2>/dev/null; then
        die 2 "'$file' holds a private key, not a certificate; give the matching .crt file."
    fi
    die 2 "'$file' is not an X.509 certificate in PEM or DER form; give a .crt file such as $example."
fi

x509() { openssl x509 -noout "$@" <<<"$pem"; }

field() { # field NAME: value of "name=value" from openssl x509 -NAME
    local line
    line=$(x509 "-$1" -nameopt RFC2253,-esc_msb,utf8) || die 1 "openssl could not read the $1 of '$file'."
    printf '%s\n' "${line#*=}"
}

subject=$(field subject)
issuer=$(field issuer)
not_before=$(field startdate)
not_after=$(field enddate)

sans=$(x509 -ext subjectAltName 2>/dev/null | sed -n '2,$p' | sed 's/^[[:space:]]*//' | paste -sd ' ' -) || sans=
sans=${sans//IP Address:/IP:}
# openssl prints IPv6 SANs in full (0:0:0:0:0:0:0:1); show the usual short form.
if [[ $sans == *IP:*:* ]] && command -v python3 >/dev/null 2>&1; then
    if short=$(python3 -c '
import ipaddress, sys
out = []
for item in sys.argv[1].split(", "):
    if item.startswith("IP:") and ":" in item[3:]:
        try:
            item = "IP:" + ipaddress.IPv6Address(item[3:]).compressed
        except ValueError:
            pass
    out.append(item)
print(", ".join(out))
' "$sans" 2>/dev/null) && [[ -n $short ]]; then
        sans=$short
    fi
fi
[[ -n $sans ]] || sans="(none)"

text=$(x509 -text) || die 1 "openssl could not decode '$file'."
algo=$(sed -n 's/^[[:space:]]*Public Key Algorithm: //p' <<<"$text" | head -n 1)
bits=$(sed -n 's/^[[:space:]]*\(RSA \)\{0,1\}Public-Key: (\([0-9]*\) bit)/\2/p' <<<"$text" | head -n 1)
curve=$(sed -n 's/^[[:space:]]*NIST CURVE: //p' <<<"$text" | head -n 1)
[[ -n $curve ]] || curve=$(sed -n 's/^[[:space:]]*ASN1 OID: //p' <<<"$text" | head -n 1)
case $algo in
    rsaEncryption) key_type="RSA ${bits:-?} bit" ;;
    id-ecPublicKey) key_type="ECDSA ${curve:-unknown curve}${bits:+ ($bits bit)}" ;;
    ED25519 | ED448) key_type=$algo ;;
    *) key_type=${algo:-unknown} ;;
esac

status=valid
if ! x509 -checkend 0 >/dev/null 2>&1; then
    status=EXPIRED
elif [[ -n $not_before ]] && nb=$(date -d "$not_before" +%s 2>/dev/null) && ((nb > $(date +%s))); then
    status="not yet valid"
fi

fingerprint=$(openssl x509 -outform DER <<<"$pem" | openssl dgst -sha256 -r) ||
    die 1 "openssl could not compute the fingerprint of '$file'."
fingerprint=${fingerprint%% *}
fingerprint=${fingerprint,,}
[[ $fingerprint =~ ^[0-9a-f]{64}$ ]] || die 1 "openssl gave an unexpected fingerprint for '$file'."

printf 'File:        %s\n' "$file"
printf 'Subject:     %s\n' "$subject"
printf 'Issuer:      %s\n' "$issuer"
printf 'SANs:        %s\n' "$sans"
printf 'Not before:  %s\n' "$not_before"
printf 'Not after:   %s (%s)\n' "$not_after" "$status"
printf 'Key type:    %s\n' "$key_type"
printf 'SHA-256 fingerprint: sha256:%s\n' "$fingerprint"

# The public key's pin, by openssl; the words, by tlschat (which must agree on the pin).
spki=$(openssl x509 -pubkey -noout <<<"$pem" | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r) ||
    die 1 "openssl could not compute the public-key pin of '$file'."
spki=${spki%% *}
spki=${spki,,}
[[ $spki =~ ^[0-9a-f]{64}$ ]] || die 1 "openssl gave an unexpected public-key pin for '$file'."
printf 'Public-key pin:      sha256:%s\n' "$spki"
words="(unknown: build tlschat, whose --show-cert computes them)"
if [[ -x $tlschat_cmd ]] && facts=$("$tlschat_cmd" --show-cert /dev/stdin <<<"$pem" 2>/dev/null); then
    [[ $facts == *"public-key pin: sha256:$spki"* ]] ||
        die 1 "tlschat and openssl disagree on the public-key pin of '$file'; report this as a bug."
    words=$(sed -n 's/^words: //p' <<<"$facts")
fi
printf 'words: %s\n' "$words"
printf '(tlschat --pin takes either sha256 value; the public-key pin and the words survive a renewal with the same key, the fingerprint does not)\n'

if [[ -n $qr ]]; then
    host=$qr
    port=8443
    if [[ $qr =~ ^\[(.+)\]:([0-9]+)$ || $qr =~ ^([^:]+):([0-9]+)$ ]]; then
        host=${BASH_REMATCH[1]}
        port=${BASH_REMATCH[2]}
    elif [[ $qr =~ ^\[(.+)\]$ ]]; then
        host=${BASH_REMATCH[1]}
    fi
    [[ $host =~ ^[A-Za-z0-9._:%-]+$ ]] || die 2 "--qr '$qr' is not HOST or HOST:PORT; give e.g. --qr 192.168.1.20:8443."
    ((port >= 1 && port <= 65535)) 2>/dev/null || die 2 "--qr '$qr' has a port outside 1-65535."
    [[ $host == *:* ]] && host="[$host]"
    uri="tlschat://$host:$port/?pin=sha256:$spki"
    printf 'join: %s\n' "$uri"
    command -v qrencode >/dev/null 2>&1 ||
        die 1 "drawing the QR code needs the qrencode command (Debian: apt-get install qrencode); the join line above says the same."
    qrencode -t UTF8 -m 2 -- "$uri" || die 1 "qrencode could not draw the join address."
fi
