#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# gen-certs.sh - make a local CA, a server certificate and client certificates
# for tlschat, using only the openssl command line tool (OpenSSL 3).
# `make install` installs it as the command tlschat-gen-certs.
#
# Everything is generated in a private temporary directory first and moved into
# place only when every step has succeeded, so a failed run changes nothing.
# See usage() below, or run: scripts/gen-certs.sh --help
set -euo pipefail

prog=gen-certs
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# make install sets this to 1 in its copy, the command tlschat-gen-certs.
installed=0

# The commands as the user calls them where they stand.
if ((installed)); then
    me=tlschat-gen-certs
    show_cmd=tlschat-show-cert
    server_cmd=tlschatd
else
    me=$0
    show_cmd=$script_dir/show-cert.sh
    server_cmd=$(cd "$script_dir/.." && pwd)/build/tlschatd
    if [[ $script_dir == "$PWD/scripts" ]]; then
        show_cmd=scripts/show-cert.sh
        server_cmd=build/tlschatd
    fi
fi

CA_DAYS=3650
MAX_LEAF_DAYS=397   # the CA/Browser Forum limit for TLS server certificates
CRL_DAYS=397        # how long a crl.pem is valid (its nextUpdate)

# Where the files go without --dir: the order in which tlschatd and tlschat
# look for them (man tlschatd, FILES), less the places this script never
# writes on its own ($CREDENTIALS_DIRECTORY, systemd's; /etc/tlschat: name it
# with --dir). The first that applies:
#   $TLSCHAT_CERTS, when set;
#   ./certs, when it already holds a CA (the one the programs find first);
#   in the source tree: certs/ beside scripts/ (as make certs);
#   installed: $XDG_CONFIG_HOME/tlschat, or ~/.config/tlschat.
if ((installed)); then
    if [[ ${XDG_CONFIG_HOME:-} == /* ]]; then
        own_dir=$XDG_CONFIG_HOME/tlschat
    elif [[ ${HOME:-} == /* ]]; then
        own_dir=$HOME/.config/tlschat
    else
        own_dir=
    fi
    own_where="\$XDG_CONFIG_HOME/tlschat (~/.config/tlschat)"
else
    own_dir=$(cd "$script_dir/.." && pwd)/certs
    if [[ $own_dir == "$PWD/certs" ]]; then
        own_dir=certs
    fi
    own_where="certs/ of the source tree"
fi
if [[ -n ${TLSCHAT_CERTS:-} ]]; then
    default_dir=$TLSCHAT_CERTS
elif [[ -e certs/ca.crt ]]; then
    default_dir=certs
else
    default_dir=$own_dir
fi

usage() {
    cat <<EOF
Usage: $me [options]

Make a local CA and certificates for tlschat into a directory:
  ca.crt ca.key                  the CA (reused when both files exist)
  server.crt server.key          the server certificate (kept when both exist, unless
                                 --cn, --san or --force asks for a new one; its key is
                                 kept too, but for --force)
  client-NAME.crt client-NAME.key  one pair per --client NAME (an existing pair is kept)
  crl.pem index.txt crlnumber    the revocation list and its database (--revoke, --crl)

The directory, unless --dir names one: \$TLSCHAT_CERTS when it is set; else ./certs
when it holds a CA already; else $own_where.
tlschatd and tlschat look in the same places, so they need no options then.

Options:
  --dir DIR            write into DIR (created if missing), e.g. /etc/tlschat
  --cn NAME            server certificate common name (default: localhost);
                       a host name or IP address, also added to the SANs
  --san NAME|IP        extra subjectAltName for the server certificate; repeatable.
                       A DNS name (optionally starting with "*."), an IPv4 or an
                       IPv6 address. localhost, 127.0.0.1 and ::1 are always included.
  --client NAME        also make client-NAME.crt/.key (CN=NAME, the chat nickname);
                       NAME is 1-32 of A-Z a-z 0-9 _ -; repeatable
  --key-type TYPE      ecdsa (EC P-256, default), rsa (3072 bits) or ed25519;
                       applies to keys made by this run
  --days N             validity of server and client certificates, 1-397 (default 397);
                       the CA is valid for 3650 days
  --no-server          do not make or remake the server certificate
  --renew              issue the server certificate anew (new validity, same key, same
                       CN and names, plus any --san): pins of its public key and the
                       known hosts of tlschat stay valid; then reload tlschatd (SIGHUP)
  --revoke NAME        revoke client-NAME.crt (repeatable): record it in the CA's database
                       (index.txt, crlnumber) and write crl.pem anew; makes nothing else
  --crl                write crl.pem anew (it is valid for $CRL_DAYS days: refresh it before it
                       expires, then send tlschatd SIGHUP); makes nothing else
  --force              replace an existing CA (certificates it signed stop verifying)
                       and the keys of the certificates this run makes; without it an
                       existing key is never replaced
  -h, --help           show this help and exit

Examples:
  $me
  $me --san chat.example.lan --san 192.168.1.20
  $me --client alice --client bob      # the server certificate is kept
  $me --revoke alice                   # then: kill -HUP the tlschatd running with --crl
  $me --renew                          # before server.crt expires; then kill -HUP tlschatd
  sudo $me --dir /etc/tlschat --san chat.example.lan   # for the service

Exit status: 0 success, 1 failure, 2 usage error.
EOF
}

# die STATUS SENTENCE: print one sentence on stderr and exit.
die() {
    local status=$1
    shift
    printf '%s: %s\n' "$prog" "$*" >&2
    exit "$status"
}

# usage_error SENTENCE: a usage error, exit status 2.
usage_error() {
    die 2 "$*."
}

# ---------------------------------------------------------------------------
# Validation helpers

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# IPv4 dotted quad, each octet 0-255, no leading zeros (010 could mean octal).
is_ipv4() {
    local ip=$1 octet
    [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    local IFS=.
    # shellcheck disable=SC2086  # deliberate word splitting on dots
    set -- $ip
    for octet in "$@"; do
        [[ $octet == 0 || $octet =~ ^[1-9][0-9]*$ ]] || return 1
        ((10#$octet <= 255)) || return 1
    done
    return 0
}

# IPv6 without python3: at most one "::", 1-4 hex digits per group, eight
# groups in all (an embedded IPv4 address at the end counts as two).
is_ipv6_shell() {
    local ip=$1 rest=$1 compressed=0 groups=0 g i n
    local -a parts
    [[ $ip =~ ^[0-9A-Fa-f:.]+$ && $ip == *:* ]] || return 1
    if [[ $ip == *::* ]]; then
        local head=${ip%%::*} tail=${ip#*::}
        [[ $tail != *::* ]] || return 1
        compressed=1
        rest=$head${head:+${tail:+:}}$tail
    fi
    if [[ -n $rest ]]; then
        [[ $rest != :* && $rest != *: ]] || return 1
        IFS=: read -r -a parts <<<"$rest"
        n=${#parts[@]}
        for ((i = 0; i < n; i++)); do
            g=${parts[i]}
            if ((i == n - 1)) && [[ $g == *.* ]]; then
                is_ipv4 "$g" || return 1
                groups=$((groups + 2))
            elif [[ $g =~ ^[0-9A-Fa-f]{1,4}$ ]]; then
                groups=$((groups + 1))
            else
                return 1
            fi
        done
    fi
    if ((compressed)); then
        ((groups <= 7))
    else
        ((groups == 8))
    fi
}

# have_python3: python3 exists and has the ipaddress module (checked once).
python3_ok=
have_python3() {
    if [[ -z $python3_ok ]]; then
        python3_ok=no
        if command -v python3 >/dev/null 2>&1 && python3 -c 'import ipaddress' >/dev/null 2>&1; then
            python3_ok=yes
        fi
    fi
    [[ $python3_ok == yes ]]
}

# is_ipv6 ADDR: true for a valid IPv6 address (no zone index).
is_ipv6() {
    local ip=$1
    [[ $ip == *:* && $ip != *%* ]] || return 1
    if have_python3; then
        python3 -c 'import ipaddress, sys; ipaddress.IPv6Address(sys.argv[1])' "$ip" 2>/dev/null
    else
        is_ipv6_shell "$ip"
    fi
}

# canonical_ipv6 ADDR: the compressed lowercase form (when python3 exists).
canonical_ipv6() {
    if have_python3; then
        python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]).compressed)' "$1"
    else
        printf '%s\n' "${1,,}"
    fi
}

# DNS name: LDH labels of 1-63 characters, no leading/trailing hyphen, at most
# 253 characters, an optional leading "*." wildcard label, and a last label
# that is not all digits (so 999.1.1.1 is not taken for a host name).
is_dns_name() {
    local name=$1 label last
    [[ -n $name && ${#name} -le 253 ]] || return 1
    if [[ $name == '*.'* ]]; then
        name=${name#\*.}
        [[ $name == *.* ]] || return 1   # refuse "*.com"-style single-label wildcards
    fi
    [[ -n $name && $name != .* && $name != *. && $name != *..* ]] || return 1
    local -a labels
    IFS=. read -r -a labels <<<"$name"
    for label in "${labels[@]}"; do
        [[ $label =~ ^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$ ]] || return 1
    done
    last=${labels[${#labels[@]} - 1]}
    [[ ! $last =~ ^[0-9]+$ ]]
}

# classify_name VALUE: prints "DNS:value" or "IP:value", or fails.
classify_name() {
    local v=$1
    if [[ $v =~ ^[0-9.]+$ ]]; then
        is_ipv4 "$v" && { printf 'IP:%s\n' "$v"; return 0; }
        return 1
    fi
    if [[ $v == *:* ]]; then
        is_ipv6 "$v" && { printf 'IP:%s\n' "$(canonical_ipv6 "$v")"; return 0; }
        return 1
    fi
    is_dns_name "$v" && { printf 'DNS:%s\n' "${v,,}"; return 0; }
    return 1
}

# ---------------------------------------------------------------------------
# Options

dir=$default_dir
cn=localhost
cn_set=0
key_type=ecdsa
days=$MAX_LEAF_DAYS
force=0
make_server=1
sans=()
clients=()
revokes=()
crl_only=0
renew=0

# need_arg OPTION COUNT: the option needs a value.
need_arg() {
    (($2 >= 2)) || usage_error "option $1 needs a value"
}

while (($# > 0)); do
    opt=$1
    # Accept --opt=value as well as --opt value.
    if [[ $opt == --*=* ]]; then
        set -- "${opt%%=*}" "${opt#*=}" "${@:2}"
        opt=$1
    fi
    case $opt in
        -h | --help)
            usage
            exit 0
            ;;
        --dir)
            need_arg "$opt" $#
            dir=$2
            [[ -n $dir ]] || usage_error "--dir needs a non-empty directory name"
            shift 2
            ;;
        --cn)
            need_arg "$opt" $#
            cn=$2
            cn_set=1
            shift 2
            ;;
        --san)
            need_arg "$opt" $#
            sans+=("$2")
            shift 2
            ;;
        --client)
            need_arg "$opt" $#
            clients+=("$2")
            shift 2
            ;;
        --key-type)
            need_arg "$opt" $#
            key_type=$2
            shift 2
            ;;
        --days)
            need_arg "$opt" $#
            days=$2
            shift 2
            ;;
        --revoke)
            need_arg "$opt" $#
            revokes+=("$2")
            shift 2
            ;;
        --crl)
            crl_only=1
            shift
            ;;
        --no-server)
            make_server=0
            shift
            ;;
        --renew)
            renew=1
            shift
            ;;
        --force)
            force=1
            shift
            ;;
        --)
            shift
            (($# == 0)) || usage_error "unexpected argument '$1'; this script takes options only, see '$me --help'"
            ;;
        -*)
            usage_error "unknown option '$opt'; run '$me --help' for the list of options"
            ;;
        *)
            usage_error "unexpected argument '$opt'; this script takes options only, see '$me --help'"
            ;;
    esac
done

case $key_type in
    ecdsa | ec | p256 | P-256) key_type=ecdsa ;;
    rsa | ed25519) ;;
    *) usage_error "--key-type '$key_type' is not supported; use ecdsa, rsa or ed25519" ;;
esac

if ! is_uint "$days" || ((${#days} > 9)); then
    if is_uint "$days"; then
        usage_error "--days $days is out of range; use 1 to $MAX_LEAF_DAYS"
    fi
    usage_error "--days '$days' is not a whole number of days; use 1 to $MAX_LEAF_DAYS"
fi
days=$((10#$days))
if ((days < 1 || days > MAX_LEAF_DAYS)); then
    usage_error "--days $days is out of range; use 1 to $MAX_LEAF_DAYS (browsers and many TLS clients reject longer-lived certificates)"
fi

# Server names: the fixed three, the CN (when it is a host name or address),
# then each --san, without duplicates.
san_entries=()
add_san() {
    local entry=$1 e
    for e in "${san_entries[@]}"; do
        [[ $e == "$entry" ]] && return 0
    done
    san_entries+=("$entry")
}

# --renew: the names of the certificate in place, for a new one with its key.
if ((renew)); then
    ((make_server)) || usage_error "--renew and --no-server contradict each other; drop one"
    ((force == 0)) || usage_error "--renew keeps the server key and --force replaces it; give one of them"
    ((${#revokes[@]} == 0 && crl_only == 0)) || usage_error "--revoke and --crl run apart from --renew"
    [[ -f $dir/server.crt && ! -L $dir/server.crt && -f $dir/server.key && ! -L $dir/server.key ]] ||
        die 1 "there is no server.crt and server.key in '$dir' to renew; make them first with $me, or name the directory with --dir."
    old_subject=$(openssl x509 -in "$dir/server.crt" -noout -subject -nameopt RFC2253 2>/dev/null) ||
        die 1 "'$dir/server.crt' is not a certificate openssl can read; remake it with $me --force."
    if ((cn_set == 0)) && [[ $old_subject =~ (^subject=|,)CN=([^,]+) ]]; then
        cn=${BASH_REMATCH[2]}
    fi
    old_sans=$(openssl x509 -in "$dir/server.crt" -noout -ext subjectAltName 2>/dev/null | sed -n '2,$p' | tr ',' '\n' |
        sed 's/^[[:space:]]*//') || old_sans=
    while IFS= read -r e; do
        case $e in
            DNS:*) sans+=("${e#DNS:}") ;;
            "IP Address:"*) sans+=("${e#IP Address:}") ;;
        esac
    done <<<"$old_sans"
fi

if ((make_server)); then
    [[ -n $cn ]] || usage_error "--cn needs a non-empty host name or IP address"
    ((${#cn} <= 64)) || usage_error "--cn '$cn' is longer than 64 characters, the limit for a common name"
    cn_entry=$(classify_name "$cn") ||
        usage_error "--cn '$cn' is not a DNS name or IP address; use a host name such as chat.example.lan"
    add_san DNS:localhost
    add_san IP:127.0.0.1
    add_san IP:::1
    add_san "$cn_entry"
    for s in "${sans[@]}"; do
        if [[ -z $s ]]; then
            usage_error "--san was given an empty value ''; give a DNS name, an IPv4 or an IPv6 address"
        fi
        entry=$(classify_name "$s") ||
            usage_error "--san '$s' is not a valid DNS name, IPv4 or IPv6 address; use e.g. --san chat.example.lan, --san 192.168.1.20 or --san fd00::20"
        add_san "$entry"
    done
elif ((${#sans[@]} > 0)) || ((cn_set)); then
    usage_error "--san and --cn have no effect with --no-server; drop one or the other"
fi

crl_run=0
if ((${#revokes[@]} > 0 || crl_only)); then
    crl_run=1
    if ((${#clients[@]} > 0 || ${#sans[@]} > 0 || cn_set || force)); then
        usage_error "--revoke and --crl only update the revocation list; run them apart from --client, --san, --cn and --force"
    fi
    make_server=0
    for c in "${revokes[@]}"; do
        [[ $c =~ ^[A-Za-z0-9_-]{1,32}$ ]] ||
            usage_error "--revoke '$c' is not a valid nickname; use 1 to 32 letters, digits, '_' or '-'"
    done
fi

declare -A seen_client=()
for c in "${clients[@]}"; do
    [[ $c =~ ^[A-Za-z0-9_-]{1,32}$ ]] ||
        usage_error "--client '$c' is not a valid nickname; use 1 to 32 letters, digits, '_' or '-'"
    [[ -z ${seen_client[$c]:-} ]] || usage_error "--client '$c' is given twice; give each name once"
    seen_client[$c]=1
done

# ---------------------------------------------------------------------------
# Preconditions

command -v openssl >/dev/null 2>&1 ||
    die 1 "the openssl command was not found; install it (Debian: apt-get install openssl) and run again."

[[ -n $dir ]] ||
    die 1 "there is no directory to write into: HOME is not set; name one with --dir."
if [[ -e $dir && ! -d $dir ]]; then
    die 1 "'$dir' exists but is not a directory; choose another --dir or remove it."
fi
if [[ ! -d $dir ]]; then
    (umask 022 && mkdir -p -- "$dir") ||
        die 1 "cannot create the directory '$dir'; check the path and its permissions."
    chmod 0755 -- "$dir"
fi
[[ -w $dir && -x $dir ]] ||
    die 1 "cannot write into '$dir'; fix its permissions or choose another --dir."
# Anyone who can write into the directory could put a link where a key is about
# to be written (and, when this runs as root, have root write anywhere).
dir_mode=$(stat -L -c %a -- "$dir") ||
    die 1 "cannot read the permissions of '$dir'; check the path."
if (((8#$dir_mode & 8#002) != 0)); then
    die 1 "'$dir' can be written by every user, who could swap the files as they are made; choose a directory only you can write, or run: chmod o-w '$dir'"
fi

ca_crt=$dir/ca.crt
ca_key=$dir/ca.key

# Adding clients never touches an existing server certificate (nor its --san
# names): a run with --client and without --cn, --san or --force keeps it.
kept_server=0
if ((make_server && ${#sans[@]} == 0 && cn_set == 0 && force == 0 && renew == 0)) &&
    [[ -e $dir/server.crt && -e $dir/server.key && -e $ca_crt && -e $ca_key ]]; then
    make_server=0
    kept_server=1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-certs.XXXXXX") ||
    die 1 "cannot create a temporary directory; check that ${TMPDIR:-/tmp} is writable."
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log=$tmp/openssl.log

# run WHAT COMMAND...: run an openssl step, turning a failure into a sentence.
run() {
    local what=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        local detail
        detail=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)
        die 1 "openssl failed while $what${detail:+ ($detail)}; check the files in '$dir' and that OpenSSL 3 is installed."
    fi
}

# new_key FILE: a private key of the chosen type, mode 0600.
new_key() {
    local out=$1
    local -a alg
    case $key_type in
        ecdsa) alg=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve) ;;
        rsa) alg=(-algorithm RSA -pkeyopt rsa_keygen_bits:3072) ;;
        ed25519) alg=(-algorithm ED25519) ;;
    esac
    (umask 077 && run "making the $key_type key $(basename "$out")" openssl genpkey "${alg[@]}" -out "$out")
    chmod 600 -- "$out"
}

# digest_for_key KEYFILE: prints "-sha256", or nothing for EdDSA keys (which
# take no separate digest).
digest_for_key() {
    local text
    text=$(openssl pkey -in "$1" -noout -text 2>/dev/null) || text=
    [[ $text == ED* ]] || printf '%s\n' -sha256
}

serial() {
    printf '0x%s\n' "$(openssl rand -hex 16)"
}

pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null; }
pubkey_of_key() { openssl pkey -in "$1" -pubout 2>/dev/null; }

# ---------------------------------------------------------------------------
# The CA

made=()          # "final path" entries, in order
kept_clients=()  # --client names whose pair existed and was kept
revoked_serials=()
installs=()      # "tmp file|final path|mode"
ca_replaced=0

if [[ -e $ca_crt && -e $ca_key && $force -eq 0 ]]; then
    [[ -r $ca_crt && -r $ca_key ]] ||
        die 1 "cannot read '$ca_crt' or '$ca_key'; fix their permissions, or rerun with --force to make a new CA."
    openssl x509 -in "$ca_crt" -noout 2>/dev/null ||
        die 1 "'$ca_crt' is not a PEM certificate; restore it, or rerun with --force to make a new CA."
    ca_pub_crt=$(pubkey_of_cert "$ca_crt")
    ca_pub_key=$(pubkey_of_key "$ca_key") ||
        die 1 "'$ca_key' is not a readable unencrypted private key; restore it, or rerun with --force to make a new CA."
    [[ $ca_pub_crt == "$ca_pub_key" ]] ||
        die 1 "'$ca_key' does not belong to '$ca_crt'; restore the matching pair, or rerun with --force to make a new CA."
    openssl x509 -in "$ca_crt" -noout -checkend 0 >/dev/null 2>&1 ||
        die 1 "the CA certificate '$ca_crt' has expired; rerun with --force to make a new CA (then copy the new ca.crt to every client)."
    if ! openssl x509 -in "$ca_crt" -noout -checkend $((days * 86400)) >/dev/null 2>&1; then
        printf '%s: warning: the CA %s expires within %d days, before the new certificates do; consider --force.\n' \
            "$prog" "$ca_crt" "$days" >&2
    fi
    ca_reused=1
    sign_crt=$ca_crt
    sign_key=$ca_key
else
    if ((force == 0)) && [[ -e $ca_crt || -e $ca_key ]]; then
        if [[ -e $ca_crt ]]; then present=$ca_crt missing=$ca_key; else present=$ca_key missing=$ca_crt; fi
        die 1 "found '$present' but not '$missing', so the CA cannot be reused; restore the missing file, or rerun with --force to make a new CA."
    fi
    [[ -e $ca_crt || -e $ca_key ]] && ca_replaced=1
    ca_reused=0

    host=$(uname -n 2>/dev/null || true)
    host=${host//[^A-Za-z0-9.-]/}
    host=${host:0:40}
    [[ -n $host ]] || host=localhost

    new_key "$tmp/ca.key"
    cat >"$tmp/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
utf8 = yes
x509_extensions = v3_ca

[dn]
CN = tlschat local CA ($host)

[v3_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
    digest=$(digest_for_key "$tmp/ca.key")
    # shellcheck disable=SC2086  # $digest is empty or one word
    run "making the CA certificate" openssl req -new -x509 -config "$tmp/ca.cnf" \
        -key "$tmp/ca.key" -days "$CA_DAYS" -set_serial "$(serial)" $digest -out "$tmp/ca.crt"
    installs+=("$tmp/ca.key|$ca_key|600" "$tmp/ca.crt|$ca_crt|644")
    made+=("$ca_crt" "$ca_key")
    sign_crt=$tmp/ca.crt
    sign_key=$tmp/ca.key
fi

sign_digest=$(digest_for_key "$sign_key")

# ---------------------------------------------------------------------------
# Revocation: --revoke NAME and --crl update the CA's small database (index.txt,
# crlnumber) and write crl.pem, all in the temporary directory first.

if ((crl_run)); then
    ((ca_reused)) || die 1 "there is no CA in '$dir' to revoke with; name the directory that holds ca.crt and ca.key with --dir."
    mkdir -- "$tmp/db"
    if [[ -e $dir/index.txt ]]; then cp -- "$dir/index.txt" "$tmp/db/index.txt"; else : >"$tmp/db/index.txt"; fi
    if [[ -e $dir/crlnumber ]]; then cp -- "$dir/crlnumber" "$tmp/db/crlnumber"; else echo 01 >"$tmp/db/crlnumber"; fi
    md=sha256
    [[ -z $sign_digest ]] && md=default
    cat >"$tmp/db/ca.cnf" <<EOF
[ca]
default_ca = tlschat_ca

[tlschat_ca]
database = $tmp/db/index.txt
crlnumber = $tmp/db/crlnumber
certificate = $ca_crt
private_key = $ca_key
new_certs_dir = $tmp/db
default_md = $md
default_crl_days = $CRL_DAYS
unique_subject = no
crl_extensions = crl_ext

[crl_ext]
authorityKeyIdentifier = keyid:always
EOF
    for c in "${revokes[@]}"; do
        f=$dir/client-$c.crt
        [[ -e $f ]] || die 1 "there is no '$f' to revoke; check the name (ls '$dir'/client-*.crt)."
        openssl verify -CAfile "$ca_crt" "$f" >/dev/null 2>&1 ||
            die 1 "'$f' was not signed by the CA '$ca_crt', so it cannot be revoked here; check --dir."
        sn=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2)
        if awk -F'\t' -v s="$sn" '$1 == "R" && toupper($4) == toupper(s) { found = 1 } END { exit !found }' "$tmp/db/index.txt"; then
            printf '%s: %s (serial %s) was revoked already.\n' "$prog" "$f" "$sn" >&2
            continue
        fi
        run "revoking $f" openssl ca -batch -config "$tmp/db/ca.cnf" -revoke "$f"
        revoked_serials+=("$f (serial $sn)")
    done
    run "making the revocation list" openssl ca -batch -config "$tmp/db/ca.cnf" -gencrl -out "$tmp/db/crl.pem"
    installs+=("$tmp/db/index.txt|$dir/index.txt|644" "$tmp/db/crlnumber|$dir/crlnumber|644"
        "$tmp/db/crl.pem|$dir/crl.pem|644")
fi

# make_leaf BASENAME CN SECTION EXTFILE: key, CSR and certificate signed by the CA.
make_leaf() {
    local base=$1 name=$2 section=$3 ext=$4 keep_key=0
    if ((force == 0)) && [[ -e $dir/$base.key || -L $dir/$base.key ]]; then
        # An existing key is never replaced without --force: sign it anew.
        [[ -f $dir/$base.key && ! -L $dir/$base.key ]] ||
            die 1 "'$dir/$base.key' is not a regular file; remove it, or rerun with --force."
        pubkey_of_key "$dir/$base.key" >/dev/null ||
            die 1 "'$dir/$base.key' is not a readable unencrypted private key; restore it, or remove it to make a new one."
        (umask 077 && cp -- "$dir/$base.key" "$tmp/$base.key")
        keep_key=1
    else
        new_key "$tmp/$base.key"
    fi
    cat >"$tmp/$base.req.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
utf8 = yes

[dn]
CN = $name
EOF
    run "making the certificate request for $base" openssl req -new -config "$tmp/$base.req.cnf" \
        -key "$tmp/$base.key" -out "$tmp/$base.csr"
    # shellcheck disable=SC2086  # $sign_digest is empty or one word
    run "signing $base.crt with the CA" openssl x509 -req -in "$tmp/$base.csr" \
        -CA "$sign_crt" -CAkey "$sign_key" -set_serial "$(serial)" -days "$days" $sign_digest \
        -extfile "$ext" -extensions "$section" -out "$tmp/$base.crt"
    if ((keep_key)); then
        installs+=("$tmp/$base.crt|$dir/$base.crt|644")
        made+=("$dir/$base.crt (its key $dir/$base.key kept)")
    else
        installs+=("$tmp/$base.key|$dir/$base.key|600" "$tmp/$base.crt|$dir/$base.crt|644")
        made+=("$dir/$base.crt" "$dir/$base.key")
    fi
}

if ((make_server)); then
    ku=digitalSignature
    [[ $key_type == rsa ]] && ku=digitalSignature,keyEncipherment
    {
        printf '[server_ext]\n'
        printf 'basicConstraints = critical,CA:FALSE\n'
        printf 'keyUsage = critical,%s\n' "$ku"
        printf 'extendedKeyUsage = serverAuth\n'
        printf 'subjectKeyIdentifier = hash\n'
        printf 'authorityKeyIdentifier = keyid:always\n'
        printf 'subjectAltName = @alt_names\n\n[alt_names]\n'
        n_dns=0
        n_ip=0
        for e in "${san_entries[@]}"; do
            case $e in
                DNS:*) n_dns=$((n_dns + 1)); printf 'DNS.%d = %s\n' "$n_dns" "${e#DNS:}" ;;
                IP:*) n_ip=$((n_ip + 1)); printf 'IP.%d = %s\n' "$n_ip" "${e#IP:}" ;;
            esac
        done
    } >"$tmp/server.ext"
    make_leaf server "$cn" server_ext "$tmp/server.ext"
fi

if ((${#clients[@]} > 0)); then
    cat >"$tmp/client.ext" <<'EOF'
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    for c in "${clients[@]}"; do
        # An existing pair that this CA signed is kept as it is; an existing
        # key alone (or with a stale certificate) is signed anew by make_leaf.
        if ((force == 0)) && [[ -e $dir/client-$c.key && -e $dir/client-$c.crt ]] &&
            openssl verify -CAfile "$sign_crt" "$dir/client-$c.crt" >/dev/null 2>&1 &&
            [[ $(pubkey_of_cert "$dir/client-$c.crt") == "$(pubkey_of_key "$dir/client-$c.key")" ]]; then
            kept_clients+=("$c")
            continue
        fi
        make_leaf "client-$c" "$c" client_ext "$tmp/client.ext"
    done
fi

# ---------------------------------------------------------------------------
# Install: every step succeeded, so move the files into place.

for item in "${installs[@]}"; do
    IFS='|' read -r src dst mode <<<"$item"
    # Keys are moved in with mode 0600 already set; never widen them in transit.
    # mktemp makes a new file (O_EXCL, mode 0600) in the target directory, so
    # nothing is written through a planted link and a half-written file never
    # sits at the final name; mv -T then replaces the name (never follows it).
    part=$(mktemp "$dir/.$(basename "$dst").XXXXXX") ||
        die 1 "cannot write into '$dir'; check its permissions."
    if ! { cat -- "$src" >"$part" && chmod "$mode" -- "$part" && mv -f -T -- "$part" "$dst"; }; then
        rm -f -- "$part"
        die 1 "cannot write '$dst'; check the permissions of '$dir'."
    fi
done

# ---------------------------------------------------------------------------
# Report

if ((crl_run)); then
    for r in "${revoked_serials[@]}"; do
        printf 'Revoked %s\n' "$r"
    done
    next=$(openssl crl -in "$dir/crl.pem" -noout -nextupdate | cut -d= -f2)
    printf 'Wrote %s, valid until %s: refresh it before then with: %s --crl\n' "$dir/crl.pem" "$next" "$me"
    printf 'A running %s --client-ca %s --crl %s takes it on SIGHUP (kill -HUP its pid).\n' \
        "$server_cmd" "$ca_crt" "$dir/crl.pem"
    exit 0
fi

if ((ca_reused)); then
    printf 'Reused the existing CA %s (use --force to replace it).\n' "$ca_crt"
elif ((ca_replaced)); then
    printf 'Replaced the CA (--force).\n'
else
    printf 'Made a new CA.\n'
fi
if ((${#made[@]} > 0)); then
    printf 'Files made:\n'
    for f in "${made[@]}"; do
        printf '  %s\n' "$f"
    done
else
    printf 'No new files were made.\n'
fi
if ((make_server)); then
    names=
    for e in "${san_entries[@]}"; do names+="${names:+, }$e"; done
    printf 'Server certificate names: %s\n' "$names"
fi
if ((${#kept_clients[@]} > 0)); then
    for c in "${kept_clients[@]}"; do
        printf 'Kept %s and its key: an existing pair is never replaced (remove both files to make a new one).\n' "$dir/client-$c.crt"
    done
fi
if ((kept_server)); then
    printf 'Kept the server certificate %s and its key (--san or --cn would remake the certificate; --force the key too).\n' "$dir/server.crt"
fi

if ((ca_replaced)); then
    stale=()
    for f in "$dir"/server.crt "$dir"/client-*.crt; do
        [[ -e $f ]] || continue
        fresh=0
        for m in "${made[@]}"; do [[ $m == "$f" ]] && fresh=1; done
        ((fresh)) || stale+=("$f")
    done
    if ((${#stale[@]} > 0)); then
        printf '%s: warning: these certificates were signed by the old CA and no longer verify; remake them: %s\n' \
            "$prog" "${stale[*]}" >&2
    fi
fi

cat <<EOF

To trust this CA on another machine, copy $ca_crt there (it is public; never copy
ca.key) and run: tlschat --ca ca.crt HOST [PORT]
To require client certificates: $server_cmd --client-ca $ca_crt; give each person
ca.crt and their client-NAME.crt and client-NAME.key, and they run:
tlschat --ca ca.crt --cert client-NAME.crt --key client-NAME.key HOST
Show a certificate and its fingerprint (for tlschat --pin): $show_cmd $dir/server.crt
EOF
